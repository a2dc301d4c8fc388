"""The order book kernel: one price-time priority book per market, integers only.

The book knows prices, sizes, owners and queue order; it knows nothing about margin, fees or
positions (exchange-core's split). Levels are `dict price -> Level` with a FIFO deque per level;
the best price per side comes from a heap with lazy deletion; cancelled orders are marked off the
book and skipped when they reach the head of their queue.
"""

from __future__ import annotations

from collections import deque
from heapq import heapify, heappop, heappush
from typing import Callable, Final


# Time in force. TIF_TRIGGER marks an untriggered stop / take-profit order (never on the book).
TIF_GTC: Final = 0
TIF_IOC: Final = 1
TIF_ALO: Final = 2
TIF_TRIGGER: Final = 3

TPSL_NONE: Final = 0
TPSL_TP: Final = 1
TPSL_SL: Final = 2

# What an on_fill callback may answer besides a lot count.
# take the maker off the book (self-trade, failed margin, reduce-only) and go on
CANCEL_MAKER: Final = -1
STOP: Final = -2  # stop matching; the taker keeps its remainder


class TpslGroup:
    """One normalTpsl group, the same object on its parent and on every child (`Order.group`);
    its reads and link updates are in order_groups.py.

    `child_oids` lists the children in placement order. A modified child takes its predecessor's
    place; a child that left (cancelled, fired) stays listed, because the encoded state lists it:
    `encoding.encode_order` writes these oids on every member, `decoding` rebuilds one group per
    list. The parent is the member whose oid is not listed; a modified parent hands the group to
    its replacement, a fired trigger leaves its group. Until the parent's first fill each waiting
    child's `parent_oid` names the parent; then the children are live triggers (`parent_oid` 0).
    """

    __slots__ = ("child_oids",)

    def __init__(self, child_oids: list[int]) -> None:
        self.child_oids = child_oids

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"TpslGroup({self.child_oids})"


class EncodedOrders:
    """One account's open orders as its leaf encodes them (engine/leafcache.py): the rows in
    oid order, the joined list (`blob`, None while anything changed since it was joined), and
    the oids changed, added or removed since the rows were last brought up to date (`dirty`).
    Every order of the account points here (`Order.holder`), so `order_changed` reaches it
    from the order alone."""

    __slots__ = ("blob", "oids", "rows", "dirty", "grouped", "valid")

    def __init__(self) -> None:
        self.blob: bytes | None = None
        self.oids: list[int] = []  # ascending
        self.rows: list[bytes] = []  # the encoded row of each of `oids`
        self.dirty: set[int] = set()
        self.grouped: set[int] = set()  # oids in a TP/SL group: encoded anew every time
        self.valid = False  # False: `oids` and `rows` must be rebuilt from the account

    def changed(self, oid: int) -> None:
        """Order `oid` changed, arrived or left."""
        self.blob = None
        self.dirty.add(oid)


class Order:
    """A limit or trigger order. Sizes in lots, prices in pips, times in ms."""

    __slots__ = (
        "oid", "user", "asset", "is_buy", "limit_pips", "size_lots", "orig_lots", "tif",
        "reduce_only", "cloid", "timestamp_ms", "seq", "on_book", "margin_musdc", "leverage",
        "trigger_pips", "trigger_is_market", "tpsl", "is_position_tpsl", "parent_oid",
        "group", "filled_lots", "builder", "builder_fee", "row", "holder",
    )

    def __init__(
        self, oid: int, user: str, asset: int, is_buy: bool, limit_pips: int, size_lots: int,
        tif: int = TIF_GTC, reduce_only: bool = False, cloid: str | None = None,
        timestamp_ms: int = 0,
    ) -> None:
        self.oid = oid
        self.user = user
        self.asset = asset
        self.is_buy = is_buy
        self.limit_pips = limit_pips
        self.size_lots = size_lots  # remaining
        self.orig_lots = size_lots
        self.tif = tif
        self.reduce_only = reduce_only
        self.cloid = cloid
        self.timestamp_ms = timestamp_ms
        self.seq = 0  # queue priority while on the book (book insertion counter)
        self.on_book = False
        self.margin_musdc = 0  # initial margin reserved by this resting order
        self.leverage = 0
        self.trigger_pips = 0
        self.trigger_is_market = False
        self.tpsl = TPSL_NONE
        self.is_position_tpsl = False
        self.parent_oid = 0  # a normalTpsl child waits for this parent to fill
        self.group: TpslGroup | None = None  # its normalTpsl group, as parent or child
        self.filled_lots = 0
        self.builder: str | None = None  # the builder its fills pay (engine/builders.py)
        self.builder_fee = 0  # tenths of a basis point of each fill's notional
        # this order's encoded row (engine/leafcache.py), or None when it must be encoded anew:
        # every change of a field `encoding.encode_order` writes sets it back to None
        self.row: bytes | None = None
        self.holder: EncodedOrders | None = None  # its account's kept encoding, once in one

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        side = "B" if self.is_buy else "A"
        return f"Order({self.oid} {self.user[:8]} {side} {self.size_lots}@{self.limit_pips})"


class Level:
    """All resting orders at one price, in time priority."""

    __slots__ = ("price", "total_lots", "count", "queue")

    def __init__(self, price: int) -> None:
        self.price = price
        self.total_lots = 0
        self.count = 0
        self.queue: deque[Order] = deque()


OnFill = Callable[[Order, int, int], int]


def order_changed(order: Order) -> None:
    """A field of `order` that its encoded row holds changed: drop the row and mark it in its
    account's kept orders list (both are encoded anew at the next leaf refresh)."""
    order.row = None
    holder = order.holder
    if holder is not None:
        holder.changed(order.oid)


class Book:
    """Bids and asks of one market."""

    __slots__ = ("asset", "bids", "asks", "bid_heap", "ask_heap", "next_seq")

    def __init__(self, asset: int) -> None:
        self.asset = asset
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_heap: list[int] = []  # negated prices
        self.ask_heap: list[int] = []
        self.next_seq = 1

    # ----- reads -------------------------------------------------------------------------

    def best_bid(self) -> int:
        """Best bid in pips, 0 when the bid side is empty."""
        heap = self.bid_heap
        bids = self.bids
        while heap:
            price = -heap[0]
            if price in bids:
                return price
            heappop(heap)
        return 0

    def best_ask(self) -> int:
        """Best ask in pips, 0 when the ask side is empty."""
        heap = self.ask_heap
        asks = self.asks
        while heap:
            price = heap[0]
            if price in asks:
                return price
            heappop(heap)
        return 0

    def would_cross(self, is_buy: bool, limit_pips: int) -> bool:
        """True when an order at `limit_pips` would trade against the opposite side now."""
        if is_buy:
            ask = self.best_ask()
            return ask != 0 and limit_pips >= ask
        bid = self.best_bid()
        return bid != 0 and limit_pips <= bid

    def levels(self, is_buy: bool, depth: int) -> list[tuple[int, int, int]]:
        """Up to `depth` levels of one side, best first, as (price_pips, total_lots, count)."""
        side = self.bids if is_buy else self.asks
        prices = sorted(side, reverse=is_buy)[:depth]
        return [(p, side[p].total_lots, side[p].count) for p in prices]

    def resting(self) -> list[Order]:
        """Every resting order, bids then asks, best price first, then time priority."""
        out: list[Order] = []
        for side, desc in ((self.bids, True), (self.asks, False)):
            for price in sorted(side, reverse=desc):
                out.extend(o for o in side[price].queue if o.on_book)
        return out

    # ----- writes ------------------------------------------------------------------------

    def insert(self, order: Order) -> None:
        """Rest `order` at the back of its price level (the caller made sure it does not cross).

        An Order object rests at most once: after it leaves the book (cancel, fill) a lazy queue
        may still hold it, so a modified order is always a new Order.
        """
        price = order.limit_pips
        if order.is_buy:
            side = self.bids
            level = side.get(price)
            if level is None:
                level = side[price] = Level(price)
                heappush(self.bid_heap, -price)
                if len(self.bid_heap) > 2 * len(side) + 64:
                    self.bid_heap = [-p for p in side]
                    heapify(self.bid_heap)
        else:
            side = self.asks
            level = side.get(price)
            if level is None:
                level = side[price] = Level(price)
                heappush(self.ask_heap, price)
                if len(self.ask_heap) > 2 * len(side) + 64:
                    self.ask_heap = list(side)
                    heapify(self.ask_heap)
        if order.seq == 0:
            order.seq = self.next_seq
            self.next_seq += 1
        order.on_book = True
        order_changed(order)
        level.queue.append(order)
        level.total_lots += order.size_lots
        level.count += 1

    def restore(self, order: Order) -> None:
        """Re-rest an order with its existing `seq` in queue position (used when rebuilding)."""
        self.insert(order)
        level = (self.bids if order.is_buy else self.asks)[order.limit_pips]
        if len(level.queue) > 1 and level.queue[-2].seq > order.seq:
            level.queue = deque(sorted(level.queue, key=_seq_key))
        if order.seq >= self.next_seq:
            self.next_seq = order.seq + 1

    def remove(self, order: Order) -> None:
        """Take a resting order off the book (lazily: its queue slot is skipped later)."""
        side = self.bids if order.is_buy else self.asks
        level = side[order.limit_pips]
        order.on_book = False
        order_changed(order)
        level.total_lots -= order.size_lots
        level.count -= 1
        if level.count == 0:
            del side[order.limit_pips]
        elif len(level.queue) > 2 * level.count + 8:
            level.queue = deque([o for o in level.queue if o.on_book])

    def reduce(self, order: Order, lots: int) -> None:
        """Shrink a resting order by `lots` in place, keeping its priority."""
        side = self.bids if order.is_buy else self.asks
        side[order.limit_pips].total_lots -= lots
        order.size_lots -= lots
        order_changed(order)
        if order.size_lots == 0:
            self.remove(order)

    def match(
        self, taker_user: str, is_buy: bool, limit_pips: int, want_lots: int,
        on_fill: OnFill | None = None,
    ) -> tuple[int, int]:
        """Match a taker against the opposite side at prices no worse than `limit_pips`.

        Returns (filled_lots, filled_notional_musdc). Each maker fill is offered to `on_fill(maker,
        lots, price_pips)`, which answers the lots it accepts, CANCEL_MAKER or STOP; without a
        callback every fill is accepted and a resting order of the taker's own user is expired
        (self-trade prevention: expire maker). Fills happen at the maker's price.
        """
        if is_buy:
            side = self.asks
            heap = self.ask_heap
            sign = 1
        else:
            side = self.bids
            heap = self.bid_heap
            sign = -1
        remaining = want_lots
        notional = 0
        while remaining > 0 and heap:
            price = sign * heap[0]
            level = side.get(price)
            if level is None:
                heappop(heap)
                continue
            if (price > limit_pips) if is_buy else (price < limit_pips):
                break
            queue = level.queue
            while remaining > 0 and level.count:
                maker = queue[0]
                if not maker.on_book:
                    queue.popleft()
                    continue
                if on_fill is None:
                    if maker.user == taker_user:
                        self.remove(maker)
                        queue = level.queue
                        continue
                    lots = maker.size_lots if maker.size_lots < remaining else remaining
                else:
                    lots = maker.size_lots if maker.size_lots < remaining else remaining
                    lots = on_fill(maker, lots, price)
                    if lots < 0:
                        if lots == STOP:
                            return want_lots - remaining, notional
                        if maker.on_book:
                            self.remove(maker)
                            queue = level.queue
                        continue
                    if lots == 0:
                        return want_lots - remaining, notional
                remaining -= lots
                notional += lots * price
                level.total_lots -= lots
                maker.size_lots -= lots
                order_changed(maker)
                if maker.size_lots == 0:
                    maker.on_book = False
                    queue.popleft()
                    level.count -= 1
            if level.count == 0:
                if side.get(price) is level:
                    del side[price]
                heappop(heap)
        return want_lots - remaining, notional


def _seq_key(order: Order) -> int:
    return order.seq
