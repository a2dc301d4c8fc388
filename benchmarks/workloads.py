"""Deterministic order-book workload generators for the l2perp benchmarks.

These live outside the deterministic engine, so they use ``random.Random(seed)``
freely.  Every generator returns ``(warmup_ops, measured_ops)``: two lists of
plain tuples.  Replay ``warmup_ops`` untimed first so the book is in steady
state, then time ``measured_ops``.  The same ``seed`` and arguments always give
the same lists.

Op tuples (prices are integer ticks, sizes integer lots, both > 0; ``uid`` is an
account id in ``1..n_accounts``; ``order_id`` is a globally unique int for every
order-creating op, starting at 1)::

    ("gtc",    uid, order_id, is_buy, price, size)  # limit; matches, rest rests
    ("ioc",    uid, order_id, is_buy, price, size)  # limit; matches, rest dropped
    ("cancel", uid, order_id)                        # cancel a resting order
    ("move",   uid, order_id, new_price)             # cancel+replace at a new
                                                     #   price, same id/uid/rest
                                                     #   size, loses time
                                                     #   priority, matches if it
                                                     #   crosses
    ("market", uid, order_id, is_buy, size)          # no price limit; rest dropped

``uid`` on cancel/move is the owner of the order.  The op codes are also
exported as ``GTC, IOC, CANCEL, MOVE, MARKET``.

Semantics assumed (and modelled exactly by :class:`ShadowBook`): one instrument,
strict price-time priority, fills at the resting order's price, crossing is
inclusive (a buy at ``p`` matches asks ``<= p``), no self-trade prevention.
The generator drives that same model, so it knows which orders rest: every
move, and every cancel except the deliberate "cancel races a fill" ones below,
targets a resting order.  (A kernel with self-trade prevention may diverge
slightly: with 1,000 uniformly drawn accounts about 0.1% of fills are
self-matches.)  :func:`summarize` replays a workload through a fresh
``ShadowBook`` and reports what it actually contains.

Common model: the mid starts at 100,000 ticks and drifts as a slow Gaussian
random walk (sigma 0.02 tick per message).  Passive prices are ``mid -/+ d``
with ``d = 1 + int(R * u**shape)``, ``u`` uniform, clamped one tick inside the
opposite touch so they never cross.  Sizes are ``1 + int(Exp(mean 8))``, capped
at 100 lots.  Accounts are uniform over ``1..n_accounts``; new passive orders
lean toward the thinner side.  Target: about 1,000 resting orders.

``exchange_core_mix`` (exchange-core's benchmark profile; R=1300, shape 2):

* op type drawn i.i.d. per message: 9% GTC, 3% IOC, 6% cancel, 82% move;
* about 6% of messages trade (cause at least one fill):
  - every IOC crosses the touch (limit = last level it should reach, plus 0-2
    ticks); its size is set by a resting-count controller so that it consumes
    ``k`` whole head orders of the opposite side, ``k`` growing with the
    excess over the target and 0 (half of the head order) at or below it;
  - a GTC is marketable at the touch with probability ~30%, set by a
    controller that keeps the cumulative trading share on 6%; it either takes
    a lone touch order and rests the rest, or partially fills the head of a
    deeper touch level;
  - 0.2% of moves re-price onto the opposite touch (and match); the others
    re-quote passively around the current mid (always a new price);
* cancels pick a uniformly random resting order, except that while the book
  is below ~1,010 orders a share of them (up to 50%, about 22% of all cancels,
  1.3% of messages) cancels an order that was just filled ("cancel races a
  fill"), which a kernel reports as not-found.  This is what keeps the book
  at ~1,000 orders: with 9% GTC vs 6% cancels, each trade may remove almost
  no resting order on average, and a 6% trading share is just beyond that;
* resulting book: ~1,000 orders (970-1,035) over ~755 levels (715-795),
  spread ~1.6 ticks.

``lobster_mix`` (LOBSTER message-file-like; R=2000, shape 3, i.e. denser at
the touch):

* 50% add (passive ``gtc``, never crossing), 45% cancel (uniformly random
  resting order), 5% market order;
* market sizes come from the resting-count controller (about one head order
  consumed per market order), so about 5% of messages trade;
* resulting book: ~1,000 orders (910-1,070) over ~755 levels, spread ~2.6
  ticks; no not-found.

Warm-up: first enough passive GTCs to reach the target resting count (no
trades), then ``warmup_mix_ops`` messages of the same mix (default 20,000,
enough for every resting order to have been moved or replaced many times).

Run ``python benchmarks/workloads.py`` for measured statistics of both mixes.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Optional

GTC = "gtc"
IOC = "ioc"
CANCEL = "cancel"
MOVE = "move"
MARKET = "market"

__all__ = [
    "GTC",
    "IOC",
    "CANCEL",
    "MOVE",
    "MARKET",
    "ShadowBook",
    "exchange_core_mix",
    "lobster_mix",
    "summarize",
]

# Order record layout in ShadowBook.orders: a mutable list.
_UID, _BUY, _PRICE, _SIZE, _POS = 0, 1, 2, 3, 4
_SCAN_LIMIT = 64


class ShadowBook:
    """Exact single-instrument price-time matching model (reference book).

    Used by the generators to know which orders are live, and by
    :func:`summarize` to replay and measure a workload.  Not tuned for speed
    beyond being usable for a few million messages.
    """

    def __init__(self) -> None:
        self.orders: dict[int, list] = {}  # oid -> [uid, is_buy, price, size, pos]
        self.bids: dict[int, dict] = {}  # price -> {oid: rec} in time order
        self.asks: dict[int, dict] = {}
        self.best_bid: Optional[int] = None
        self.best_ask: Optional[int] = None
        self.live: list[int] = []  # oids, for O(1) uniform random choice
        self.n_bid_orders = 0
        self.n_ask_orders = 0
        self.fills = 0  # resting-order fills so far
        self.not_found = 0  # cancel/move of an order that is not resting
        self.recent_filled: deque = deque(maxlen=256)  # (oid, uid) fully filled

    # -- helpers -----------------------------------------------------------
    def _next_bid(self, p: int) -> Optional[int]:
        bids = self.bids
        if not bids:
            return None
        for q in range(p - 1, p - 1 - _SCAN_LIMIT, -1):
            if q in bids:
                return q
        return max(bids)

    def _next_ask(self, p: int) -> Optional[int]:
        asks = self.asks
        if not asks:
            return None
        for q in range(p + 1, p + 1 + _SCAN_LIMIT):
            if q in asks:
                return q
        return min(asks)

    def _drop_live(self, oid: int, rec: list) -> None:
        live = self.live
        last = live.pop()
        if last != oid:
            pos = rec[_POS]
            live[pos] = last
            self.orders[last][_POS] = pos
        del self.orders[oid]
        if rec[_BUY]:
            self.n_bid_orders -= 1
        else:
            self.n_ask_orders -= 1

    def _match(self, is_buy: bool, limit: Optional[int], size: int) -> tuple[int, int]:
        """Match an incoming order; return (remaining size, number of fills)."""
        nf = 0
        if is_buy:
            book = self.asks
            while size and self.best_ask is not None and (limit is None or self.best_ask <= limit):
                p = self.best_ask
                level = book[p]
                while size and level:
                    oid, rec = next(iter(level.items()))
                    q = rec[_SIZE]
                    nf += 1
                    if q <= size:
                        size -= q
                        del level[oid]
                        self._drop_live(oid, rec)
                        self.recent_filled.append((oid, rec[_UID]))
                    else:
                        rec[_SIZE] = q - size
                        size = 0
                if not level:
                    del book[p]
                    self.best_ask = self._next_ask(p)
        else:
            book = self.bids
            while size and self.best_bid is not None and (limit is None or self.best_bid >= limit):
                p = self.best_bid
                level = book[p]
                while size and level:
                    oid, rec = next(iter(level.items()))
                    q = rec[_SIZE]
                    nf += 1
                    if q <= size:
                        size -= q
                        del level[oid]
                        self._drop_live(oid, rec)
                        self.recent_filled.append((oid, rec[_UID]))
                    else:
                        rec[_SIZE] = q - size
                        size = 0
                if not level:
                    del book[p]
                    self.best_bid = self._next_bid(p)
        self.fills += nf
        return size, nf

    def _rest(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> None:
        rec = [uid, is_buy, price, size, len(self.live)]
        self.orders[oid] = rec
        self.live.append(oid)
        if is_buy:
            self.n_bid_orders += 1
            level = self.bids.get(price)
            if level is None:
                level = self.bids[price] = {}
                if self.best_bid is None or price > self.best_bid:
                    self.best_bid = price
        else:
            self.n_ask_orders += 1
            level = self.asks.get(price)
            if level is None:
                level = self.asks[price] = {}
                if self.best_ask is None or price < self.best_ask:
                    self.best_ask = price
        level[oid] = rec

    def _remove(self, oid: int) -> Optional[list]:
        rec = self.orders.get(oid)
        if rec is None:
            return None
        p = rec[_PRICE]
        if rec[_BUY]:
            level = self.bids[p]
            del level[oid]
            if not level:
                del self.bids[p]
                if p == self.best_bid:
                    self.best_bid = self._next_bid(p)
        else:
            level = self.asks[p]
            del level[oid]
            if not level:
                del self.asks[p]
                if p == self.best_ask:
                    self.best_ask = self._next_ask(p)
        self._drop_live(oid, rec)
        return rec

    # -- public API (one method per op) ------------------------------------
    def gtc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> int:
        rest, nf = self._match(is_buy, price, size)
        if rest:
            self._rest(uid, oid, is_buy, price, rest)
        return nf

    def ioc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> int:
        return self._match(is_buy, price, size)[1]

    def market(self, uid: int, oid: int, is_buy: bool, size: int) -> int:
        return self._match(is_buy, None, size)[1]

    def cancel(self, uid: int, oid: int) -> int:
        if self._remove(oid) is None:
            self.not_found += 1
        return 0

    def move(self, uid: int, oid: int, new_price: int) -> int:
        rec = self._remove(oid)
        if rec is None:
            self.not_found += 1
            return 0
        return self.gtc(rec[_UID], oid, rec[_BUY], new_price, rec[_SIZE])

    def apply(self, op: tuple) -> int:
        """Apply one op tuple; return the number of fills it caused."""
        return getattr(self, op[0])(*op[1:])

    # -- inspection ---------------------------------------------------------
    @property
    def n_orders(self) -> int:
        return len(self.orders)

    @property
    def n_levels(self) -> int:
        return len(self.bids) + len(self.asks)

    def state(self) -> dict:
        """Same summary as ``peers.PeerBook.state()``, for cross-checks."""
        bids = [r for r in self.orders.values() if r[_BUY]]
        asks = [r for r in self.orders.values() if not r[_BUY]]
        return {
            "best_bid": self.best_bid,
            "best_ask": self.best_ask,
            "bid_orders": len(bids),
            "ask_orders": len(asks),
            "bid_volume": sum(r[_SIZE] for r in bids),
            "ask_volume": sum(r[_SIZE] for r in asks),
        }

    def head(self, is_buy_side: bool, k: int) -> list[tuple[int, int]]:
        """The first ``k`` resting orders of one side in priority order, as
        (price, size) pairs."""
        out: list[tuple[int, int]] = []
        book = self.bids if is_buy_side else self.asks
        p = self.best_bid if is_buy_side else self.best_ask
        step = -1 if is_buy_side else 1
        seen_levels = 0
        while p is not None and len(out) < k and seen_levels < len(book):
            level = book.get(p)
            if level is not None:
                seen_levels += 1
                for rec in level.values():
                    out.append((p, rec[_SIZE]))
                    if len(out) >= k:
                        break
            p += step
        return out


# ---------------------------------------------------------------------------
# generator core


class _Gen:
    START_PRICE = 100_000
    SIGMA = 0.02  # mid random-walk step (ticks per message)
    SIZE_MEAN = 8.0
    SIZE_MAX = 100
    P_CROSS_MOVE = 0.002  # exchange-core mix: share of moves onto the opposite touch

    def __init__(self, seed: int, n_accounts: int, target_orders: int, depth_scale: float,
                 depth_shape: float, trade_share: float) -> None:
        self.rng = random.Random(seed)
        self.n_accounts = n_accounts
        self.target = target_orders
        self.R = depth_scale
        self.SHAPE = depth_shape
        self.TRADE_SHARE = trade_share
        self.book = ShadowBook()
        self.mid = float(self.START_PRICE)
        self.next_oid = 1
        self.msgs = 0
        self.trade_msgs = 0

    # -- primitives ----------------------------------------------------------
    def uid(self) -> int:
        return self.rng.randrange(self.n_accounts) + 1

    def oid(self) -> int:
        o = self.next_oid
        self.next_oid += 1
        return o

    def size(self) -> int:
        return min(1 + int(self.rng.expovariate(1.0 / self.SIZE_MEAN)), self.SIZE_MAX)

    def side(self) -> bool:
        b = self.book
        tot = b.n_bid_orders + b.n_ask_orders
        bias = 0.0 if tot == 0 else 0.25 * (b.n_ask_orders - b.n_bid_orders) / tot
        return self.rng.random() < 0.5 + bias

    def taker_side(self) -> bool:
        """Side for an aggressive order: the one facing the larger head order
        (so that partial fills of the head stay possible), ties at random."""
        b = self.book
        qa = b.head(False, 1)
        qb = b.head(True, 1)
        sa = qa[0][1] if qa else 0
        sb = qb[0][1] if qb else 0
        if sa == sb:
            return self.rng.random() < 0.5
        return sa > sb  # buy when the best ask's head order is larger

    def passive_price(self, is_buy: bool) -> int:
        d = 1 + int(self.R * self.rng.random() ** self.SHAPE)
        m = int(round(self.mid))
        b = self.book
        if is_buy:
            p = m - d
            if b.best_ask is not None and p >= b.best_ask:
                p = b.best_ask - 1
        else:
            p = m + d
            if b.best_bid is not None and p <= b.best_bid:
                p = b.best_bid + 1
        return max(p, 1)

    def drift(self) -> None:
        self.mid += self.rng.gauss(0.0, self.SIGMA)

    def emit(self, out: list, op: tuple) -> None:
        out.append(op)
        nf = self.book.apply(op)
        self.msgs += 1
        if nf:
            self.trade_msgs += 1

    def eat_size(self, is_buy: bool, k_mean: float) -> tuple[Optional[int], int]:
        """(limit price, size) consuming on average ``k_mean`` head orders of
        the side opposite to ``is_buy``; limit None if that side is empty."""
        rng = self.rng
        k = int(k_mean)
        if rng.random() < k_mean - k:
            k += 1
        head = self.book.head(not is_buy, max(k, 1))
        if not head:
            return None, self.size()
        if k == 0:
            p, q = head[0]
            return p, max(1, q // 2)
        return head[-1][0], sum(q for _, q in head)

    def k_mean(self, base: float, gain: float = 0.02, lo: float = 0.0, hi: float = 6.0) -> float:
        k = base + gain * (self.book.n_orders - self.target)
        return lo if k < lo else hi if k > hi else k

    # -- phases ----------------------------------------------------------------
    def fill(self, out: list) -> None:
        while self.book.n_orders < self.target:
            is_buy = self.side()
            uid, oid = self.uid(), self.oid()  # same call order as the original tuple
            price = self.passive_price(is_buy)
            self.emit(out, (GTC, uid, oid, is_buy, price, self.size()))


def _exchange_core_step(g: _Gen, out: list) -> None:
    rng = g.rng
    b = g.book
    g.drift()
    short = g.target - b.n_orders  # > 0 while the book is below target
    r = rng.random()
    if (r >= 0.12 and not b.live) or r < 0.09:  # GTC (also fallback if book empty)
        deficit = g.TRADE_SHARE * (g.msgs + 1) - g.trade_msgs
        p_aggr = 0.30 + 0.002 * deficit
        p_aggr = 0.05 if p_aggr < 0.05 else 0.6 if p_aggr > 0.6 else p_aggr
        if rng.random() < p_aggr:
            is_buy = g.taker_side()
            head = b.head(not is_buy, 2)
        else:
            is_buy = g.side()
            head = None
        if head:
            # marketable at the touch; either sweeps a lone touch order and rests
            # the rest, or partially fills the head of a deeper touch level
            price, q = head[0]
            if len(head) == 1 or head[1][0] != price:
                size = q + g.size()
            else:
                size = rng.randint(1, q - 1) if q > 1 else 1
        else:
            price = g.passive_price(is_buy)
            size = g.size()
        g.emit(out, (GTC, g.uid(), g.oid(), is_buy, price, size))
    elif r < 0.12:  # IOC: crosses the touch, sized by the resting-count controller
        is_buy = g.taker_side()
        price, size = g.eat_size(is_buy, g.k_mean(0.0, gain=0.01))
        if price is None:
            price = g.passive_price(is_buy)
        else:
            price += (rng.randrange(3) if is_buy else -rng.randrange(3))
            price = max(price, 1)
        g.emit(out, (IOC, g.uid(), g.oid(), is_buy, price, size))
    elif r < 0.18:  # cancel
        rf = b.recent_filled
        if short > -10 and rf and rng.random() < min(0.5, 0.02 * (short + 10)):
            # a cancel that races a fill: the order was just filled (not-found)
            oid, uid = rf[rng.randrange(len(rf))]
            g.emit(out, (CANCEL, uid, oid))
        else:
            oid = b.live[rng.randrange(len(b.live))]
            g.emit(out, (CANCEL, b.orders[oid][_UID], oid))
    else:  # move
        oid = b.live[rng.randrange(len(b.live))]
        rec = b.orders[oid]
        is_buy = rec[_BUY]
        p_cross = g.P_CROSS_MOVE
        opp = b.best_ask if is_buy else b.best_bid
        if opp is not None and rng.random() < p_cross:
            price = opp
        else:
            price = g.passive_price(is_buy)
            if price == rec[_PRICE]:
                price = price - 1 if is_buy else price + 1
                if price < 1:
                    price = rec[_PRICE] + 1  # (only near price 1; never in practice)
        g.emit(out, (MOVE, rec[_UID], oid, price))


def _lobster_step(g: _Gen, out: list) -> None:
    rng = g.rng
    b = g.book
    g.drift()
    r = rng.random()
    if r < 0.50 or not b.live:  # add (passive)
        is_buy = g.side()
        g.emit(out, (GTC, g.uid(), g.oid(), is_buy, g.passive_price(is_buy), g.size()))
    elif r < 0.95:  # cancel
        oid = b.live[rng.randrange(len(b.live))]
        g.emit(out, (CANCEL, b.orders[oid][_UID], oid))
    else:  # market
        is_buy = rng.random() < 0.5
        _, size = g.eat_size(is_buy, g.k_mean(1.0, hi=8.0))
        g.emit(out, (MARKET, g.uid(), g.oid(), is_buy, size))


def _generate(step, n_ops: int, seed: int, n_accounts: int, warmup_mix_ops: int,
              target_orders: int, depth_scale: float, depth_shape: float,
              trade_share: float = 0.06) -> tuple[list, list]:
    if n_ops < 0 or warmup_mix_ops < 0:
        raise ValueError("n_ops and warmup_mix_ops must be >= 0")
    if n_accounts < 1:
        raise ValueError("n_accounts must be >= 1")
    g = _Gen(seed, n_accounts, target_orders, depth_scale, depth_shape, trade_share)
    warm: list = []
    g.fill(warm)
    for _ in range(warmup_mix_ops):
        step(g, warm)
    g.msgs = g.trade_msgs = 0  # trade-share controller counts measured ops only
    ops: list = []
    for _ in range(n_ops):
        step(g, ops)
    return warm, ops


def exchange_core_mix(n_ops: int, seed: int, n_accounts: int = 1000, *,
                      warmup_mix_ops: int = 20_000, target_orders: int = 1000,
                      depth_scale: float = 1300.0, depth_shape: float = 2.0,
                      trade_share: float = 0.06) -> tuple[list, list]:
    """exchange-core profile: 9% GTC, 3% IOC, 6% cancel, 82% move; ~1,000
    resting orders over ~750 levels; ~6% of messages trade.

    Returns ``(warmup_ops, measured_ops)`` with ``len(measured_ops) == n_ops``.
    ``trade_share`` is the trading-message share the controller aims at; a
    lower one needs fewer "cancel races a fill" not-found cancels (0.05 gives
    ~0.2% of messages instead of ~1.3%).  See the module docstring.
    """
    return _generate(_exchange_core_step, n_ops, seed, n_accounts, warmup_mix_ops,
                     target_orders, depth_scale, depth_shape, trade_share)


def lobster_mix(n_ops: int, seed: int, n_accounts: int = 1000, *,
                warmup_mix_ops: int = 20_000, target_orders: int = 1000,
                depth_scale: float = 2000.0,
                depth_shape: float = 3.0) -> tuple[list, list]:
    """LOBSTER-like profile: 50% add (passive GTC), 45% cancel, 5% market;
    ~1,000 resting orders over ~750 levels; ~5% of messages trade.

    Returns ``(warmup_ops, measured_ops)`` with ``len(measured_ops) == n_ops``.
    """
    return _generate(_lobster_step, n_ops, seed, n_accounts, warmup_mix_ops,
                     target_orders, depth_scale, depth_shape)


# ---------------------------------------------------------------------------
# measurement


def summarize(warmup_ops: list, ops: list, sample_every: int = 50) -> dict:
    """Replay ``warmup_ops`` then ``ops`` through a fresh :class:`ShadowBook`
    and return statistics about ``ops``: op shares, share of messages that
    trade, fills, resting orders and price levels (sampled), not-found count,
    mid drift and spread."""
    b = ShadowBook()
    for op in warmup_ops:
        b.apply(op)
    counts: dict[str, int] = {}
    trade_msgs = 0
    fills0 = b.fills
    nf0 = b.not_found
    orders_s: list[int] = []
    levels_s: list[int] = []
    spread_s: list[int] = []
    mids: list[float] = []
    for i, op in enumerate(ops):
        counts[op[0]] = counts.get(op[0], 0) + 1
        if b.apply(op):
            trade_msgs += 1
        if i % sample_every == 0:
            orders_s.append(b.n_orders)
            levels_s.append(b.n_levels)
            if b.best_bid is not None and b.best_ask is not None:
                spread_s.append(b.best_ask - b.best_bid)
                mids.append((b.best_ask + b.best_bid) / 2)
    n = len(ops) or 1

    def stat(xs: list) -> tuple:
        if not xs:
            return (0, 0, 0)
        return (min(xs), sum(xs) / len(xs), max(xs))

    return {
        "n_ops": len(ops),
        "n_warmup": len(warmup_ops),
        "pct": {k: 100.0 * v / n for k, v in sorted(counts.items())},
        "trade_msg_pct": 100.0 * trade_msgs / n,
        "fills": b.fills - fills0,
        "fills_per_trade_msg": (b.fills - fills0) / trade_msgs if trade_msgs else 0.0,
        "not_found": b.not_found - nf0,
        "orders_min_mean_max": stat(orders_s),
        "levels_min_mean_max": stat(levels_s),
        "spread_min_mean_max": stat(spread_s),
        "mid_first_last": (mids[0], mids[-1]) if mids else (None, None),
        "n_accounts_used": len({op[1] for op in ops}),
    }


def _print_summary(name: str, s: dict) -> None:
    pct = ", ".join(f"{k} {v:.2f}%" for k, v in s["pct"].items())
    o, l, sp = s["orders_min_mean_max"], s["levels_min_mean_max"], s["spread_min_mean_max"]
    print(f"{name}: {s['n_ops']:,} measured ops after {s['n_warmup']:,} warm-up ops")
    print(f"  mix: {pct}")
    print(f"  trading messages: {s['trade_msg_pct']:.2f}%  "
          f"(fills {s['fills']:,}, {s['fills_per_trade_msg']:.2f} per trading msg); "
          f"not-found cancels/moves: {s['not_found']}")
    print(f"  resting orders min/mean/max: {o[0]} / {o[1]:.0f} / {o[2]}")
    print(f"  price levels   min/mean/max: {l[0]} / {l[1]:.0f} / {l[2]}")
    print(f"  spread ticks   min/mean/max: {sp[0]} / {sp[1]:.2f} / {sp[2]}")
    mf, ml = s["mid_first_last"]
    print(f"  mid first -> last: {mf} -> {ml};  accounts used: {s['n_accounts_used']}")


def main(argv: Optional[list] = None) -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="measured ops per mix")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    for name, fn in (("exchange_core_mix", exchange_core_mix), ("lobster_mix", lobster_mix)):
        t0 = time.perf_counter()
        warm, ops = fn(args.n, args.seed)
        dt = time.perf_counter() - t0
        again = fn(min(args.n, 5_000), args.seed)
        assert again[0] == warm and again[1] == ops[: len(again[1])], "not deterministic"
        _print_summary(name, summarize(warm, ops))
        print(f"  generated in {dt:.2f}s")


if __name__ == "__main__":
    main()
