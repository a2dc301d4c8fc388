"""Agents: they see the index path (oracle operators, informed traders) or the venue's public
state (like /info), and act only by sending transactions through the kernel.

Makers quote ladders around the oracle and widen, shrink or withdraw under stress; noise traders
arrive as a Poisson crowd; momentum traders follow the index; leveraged traders open positions at
drawn leverage and some add margin when close to liquidation (deposits that an L1 gas spike
delays); arbitrageurs trade the book back toward the index; oracle operators report every cadence
(honest, lagging, stalled or manipulating as the faults say).

Each agent draws from its own `draws.Draws` stream (integer transforms of PCG64 words) and does
float arithmetic with + - * / and round only, so what it sends is the same on every CPU.
"""

from __future__ import annotations

from ..engine.book import TIF_ALO, TIF_IOC
from ..engine.margin import cross_requirements
from ..engine.tx import (
    BatchModify, CancelByCloid, OracleReport, OrderSpec, PlaceOrders, Tx, UpdateLeverage,
)
from ..units import MAX_DECIMALS, ONE_USDC, dec_from_int
from .draws import Draws


def address(role: int, i: int) -> str:
    """Deterministic lab addresses: role in the first byte, index in the last four."""
    return "0x" + f"{role:02x}" + "00" * 15 + f"{i:08x}"


def to_tick(pips: int, up: bool) -> int:
    """At most 5 significant figures (Hyperliquid's price rule), rounded away from the book."""
    digits = len(str(pips))
    if digits <= 5:
        return max(pips, 1)
    q = 10 ** (digits - 5)
    return (-(-pips // q) if up else pips // q) * q


class Market:
    """What agents know of a market: its id, decimals and name."""

    def __init__(self, asset: int, name: str, sz_decimals: int) -> None:
        self.asset, self.name, self.d = asset, name, sz_decimals
        self.scale = 10 ** (MAX_DECIMALS - sz_decimals)  # pips per USD

    def pips(self, usd: float) -> int:
        return max(1, int(round(usd * self.scale)))

    def lots(self, notional_usd: float, price_usd: float) -> int:
        return max(0, int(notional_usd / price_usd * 10 ** self.d))

    def order(self, is_buy: bool, px_usd: float, lots: int, tif: int,
              reduce_only: bool = False, cloid: str | None = None) -> OrderSpec:
        px = dec_from_int(to_tick(self.pips(px_usd), not is_buy), MAX_DECIMALS - self.d)
        return OrderSpec(self.asset, is_buy, px, dec_from_int(lots, self.d), reduce_only, tif,
                         cloid)


class Agent:
    """Base: an address, a random stream, the kernel, and a nonce counter."""

    kind = "agent"

    def __init__(self, sim, addr: str, rng: Draws) -> None:
        self.sim, self.address, self.rng = sim, addr, rng
        self.nonce = sim.kernel.start_ms
        self.sent = 0

    def latency(self) -> int:
        low, high = self.sim.scenario.agents.latency_ms
        return self.rng.integers(low, high + 1)

    def send(self, action, owner=None) -> None:
        self.nonce = max(self.nonce + 1, self.sim.kernel.now_ms)
        self.sent += 1
        self.sim.kernel.send(Tx(self.address, self.nonce, action), self.latency(), owner)

    def on_receipt(self, tx, receipt) -> None:
        pass


class OracleOperator(Agent):
    kind = "oracle"

    def __init__(self, sim, addr, rng, index: int) -> None:
        super().__init__(sim, addr, rng)
        self.index = index
        self.cadence_ms = int(sim.scenario.agents.oracle_cadence_s * 1_000)

    def start(self) -> None:
        self.sim.kernel.at(self.sim.kernel.now_ms + self.rng.integers(0, self.cadence_ms),
                           self.report)

    def report(self) -> None:
        sim = self.sim
        now = sim.kernel.now_ms
        sim.kernel.at(now + self.cadence_ms, self.report)
        rnd = (now - sim.kernel.start_ms) // self.cadence_ms + 1
        for market in sim.markets:
            fault = sim.oracle_fault(self.index, market.name, now)
            if fault is not None and fault.kind == "oracle_stall":
                continue
            seen = now
            if fault is not None and fault.kind == "oracle_lag":
                seen = now - fault.lag_s * 1_000
            price = sim.index_price(market.name, seen)
            if fault is not None and fault.kind == "oracle_manipulation":
                price *= fault.factor
            self.send(OracleReport(market.asset, rnd, market.pips(price), now))


class Maker(Agent):
    kind = "maker"
    LEVELS = 5

    def __init__(self, sim, addr, rng, index: int) -> None:
        super().__init__(sim, addr, rng)
        self.index = index
        cfg = sim.scenario.agents
        self.refresh_ms = int(cfg.maker_refresh_s * 1_000)
        self.withdrawn_until: dict[int, int] = {}  # asset -> quotes pulled until
        self.live: dict[int, list[str]] = {}
        self.quoted: dict[int, tuple[float, int]] = {}  # asset -> (fair, position) when quoted
        self.last_fair: dict[int, float] = {}

    def start(self) -> None:
        self.sim.kernel.at(self.sim.kernel.now_ms + 1_000 + self.index * 97, self.quote)

    def quote(self) -> None:
        sim = self.sim
        now = sim.kernel.now_ms
        sim.kernel.at(now + self.refresh_ms, self.quote)
        cfg = sim.scenario.agents
        account = sim.kernel.state.accounts.get(self.address)
        stale = []
        for market in sim.markets:
            if now < self.withdrawn_until.get(market.asset, 0):
                continue
            fair = self.fair(market, now)
            move = sim.index_move(market.name, now, 60_000)
            pos = account.positions.get(market.asset) if account else None
            held = pos.size_lots if pos else 0
            last = self.quoted.get(market.asset)
            if move > 4 * cfg.maker_withdraw_move:
                self.withdrawn_until[market.asset] = now + int(cfg.maker_withdraw_s * 1_000)
                self._cancel(market.asset)  # extreme stress: pull this market's quotes
                continue
            if fair > 0 and (last is None or last[1] != held
                             or abs(fair / last[0] - 1) * 10_000 > cfg.maker_spread_bps / 2):
                stale.append((market, fair, move))
                self.quoted[market.asset] = (fair, held)
        if not stale:
            return
        modifies, places = [], []
        live = account.cloids if account is not None else {}
        for market, fair, move in stale:
            stress = 1.0 + 40.0 * move  # widen and shrink with the last minute's move
            if move > cfg.maker_withdraw_move:  # stressed: far wider and much thinner
                stress *= 4
            spread = cfg.maker_spread_bps / 10_000 * stress
            size_usd = sim.cfg_of(market.name).depth_usd / self.LEVELS / stress
            skew = self._skew(market, fair)
            falling = fair < self.last_fair.get(market.asset, fair)
            self.last_fair[market.asset] = fair
            # move the side the price moves toward first, so no new quote crosses an old one
            sides = (True, False) if falling else (False, True)
            cloids = []
            for is_buy in sides:
                for level in range(self.LEVELS):
                    offset = spread * (1 + level)
                    px = fair * (1 - offset - skew) if is_buy else fair * (1 + offset - skew)
                    lots = market.lots(size_usd, fair)
                    if lots <= 0 or lots * px / 10 ** market.d < 11:
                        continue
                    cloid = "0x%08x%08x%04x%012x" % (self.index, 0, market.asset,
                                                     level * 2 + is_buy)
                    spec = market.order(is_buy, px, lots, TIF_ALO, cloid=cloid)
                    (modifies.append((cloid, spec)) if cloid in live else places.append(spec))
                    cloids.append(cloid)
            self.live[market.asset] = cloids
        if modifies:  # cancel-and-replace in one transaction, in the order given
            self.send(BatchModify(tuple(modifies)))
        if places:
            self.send(PlaceOrders(tuple(places)))

    def fair(self, market: Market, now_ms: int) -> float:
        """An informed maker's fair value: the index it watches on the spot venues, not the
        venue's oracle, which lags it by the report cadence (0 before the oracle's first
        price: the book does not open before the venue has a price)."""
        if self.sim.oracle_price(market.asset) <= 0:
            return 0.0
        return self.sim.index_price(market.name, now_ms)

    def _cancel(self, asset: int) -> None:
        cancels = tuple((asset, c) for c in self.live.pop(asset, ()))
        self.quoted.pop(asset, None)
        if cancels:
            self.send(CancelByCloid(cancels))

    def _skew(self, market: Market, fair: float) -> float:
        """Lean quotes against inventory (20 bps per $1M held, at most 1%)."""
        account = self.sim.kernel.state.accounts.get(self.address)
        if account is None:
            return 0.0
        pos = account.positions.get(market.asset)
        if pos is None or pos.size_lots == 0:
            return 0.0
        held_usd = pos.size_lots / 10 ** market.d * fair
        return max(-0.01, min(0.01, held_usd / 1e6 * 0.002))


class NoiseCrowd(Agent):
    """Many small traders as one Poisson stream; each order comes from one member."""

    kind = "noise"

    def __init__(self, sim, members: list[str], rng) -> None:
        super().__init__(sim, members[0] if members else address(0xFF, 0), rng)
        self.members = members
        cfg = sim.scenario.agents
        self.rate_per_ms = len(members) * cfg.noise_rate_per_min / 60_000
        self.nonces = {m: sim.kernel.start_ms for m in members}
        self.active: set[str] = set()

    def start(self) -> None:
        self._next()

    def _next(self) -> None:
        if self.rate_per_ms <= 0:
            return
        gap = int(self.rng.exponential(1 / self.rate_per_ms)) + 1
        self.sim.kernel.at(self.sim.kernel.now_ms + gap, self.trade)

    def trade(self) -> None:
        self._next()
        sim = self.sim
        market = sim.markets[self.rng.integers(0, len(sim.markets))]
        fair = sim.oracle_price(market.asset)
        if fair <= 0:
            return
        member = self.members[self.rng.integers(0, len(self.members))]
        is_buy = self.rng.chance(0.5)
        size = sim.scenario.agents.noise_size_usd * self.rng.exponential()
        lots = market.lots(max(size, 12.0), fair)
        px = fair * (1.005 if is_buy else 0.995)
        self.address = member
        self.nonce = self.nonces[member]
        self.send(PlaceOrders((market.order(is_buy, px, lots, TIF_IOC),)))
        self.nonces[member] = self.nonce
        self.active.add(member)


class Momentum(Agent):
    kind = "momentum"

    def start(self) -> None:
        self.sim.kernel.at(self.sim.kernel.now_ms + self.rng.integers(5_000, 15_000),
                           self.look)
        self.held: dict[int, int] = {}

    def look(self) -> None:
        sim = self.sim
        now = sim.kernel.now_ms
        sim.kernel.at(now + 10_000, self.look)
        cfg = sim.scenario.agents
        window = int(cfg.momentum_window_s * 1_000)
        for market in sim.markets:
            change = sim.index_change(market.name, now, window)
            fair = sim.oracle_price(market.asset)
            if fair <= 0:
                continue
            held = self.held.get(market.asset, 0)
            if abs(change) > cfg.momentum_threshold and held == 0:
                is_buy = change > 0
                lots = market.lots(cfg.momentum_size_usd, fair)
                px = fair * (1.01 if is_buy else 0.99)
                self.send(PlaceOrders((market.order(is_buy, px, lots, TIF_IOC),)))
                self.held[market.asset] = lots if is_buy else -lots
            elif held and abs(change) < cfg.momentum_threshold / 4:
                is_buy = held < 0
                px = fair * (1.01 if is_buy else 0.99)
                self.send(PlaceOrders((market.order(is_buy, px, abs(held), TIF_IOC, True),)))
                self.held[market.asset] = 0


class Leveraged(Agent):
    """Opens one position at a drawn leverage, holds it; may add margin near liquidation."""

    kind = "leveraged"

    def __init__(self, sim, addr, rng, topup: bool) -> None:
        super().__init__(sim, addr, rng)
        self.topup = topup
        cfg = sim.scenario.agents
        self.leverage = int(round(cfg.leverage_min + (cfg.leverage_max - cfg.leverage_min)
                                  * self.rng.random()))
        self.notional = cfg.position_usd * self.rng.lognormal(0.0, 0.6)
        self.market = sim.markets[self.rng.pick(sim.market_weights)]
        self.is_long = self.rng.chance(0.6)
        self.open_at = sim.kernel.now_ms + self.rng.integers(1_000, max(2_000,
                                                              sim.scenario.duration_s * 100))

    def collateral_usd(self) -> float:
        return self.notional / self.leverage * 1.15

    def start(self) -> None:
        self.sim.kernel.at(self.open_at, self.open)

    def open(self) -> None:
        sim = self.sim
        fair = sim.oracle_price(self.market.asset)
        if fair <= 0:
            sim.kernel.at(sim.kernel.now_ms + 5_000, self.open)
            return
        lev = min(self.leverage, sim.kernel.state.markets[self.market.asset].max_leverage)
        self.send(UpdateLeverage(self.market.asset, True, max(1, lev)))
        lots = self.market.lots(self.notional, fair)
        px = fair * (1.01 if self.is_long else 0.99)
        self.send(PlaceOrders((self.market.order(self.is_long, px, lots, TIF_IOC),)))
        if self.topup:
            sim.kernel.at(sim.kernel.now_ms + 30_000, self.watch)

    def watch(self) -> None:
        sim = self.sim
        now = sim.kernel.now_ms
        account = sim.kernel.state.accounts.get(self.address)
        if account is None or not account.positions:
            return
        value, _, mm, _ = cross_requirements(sim.kernel.state, account)
        if mm > 0 and value < 1.5 * mm:
            amount = int(self.collateral_usd() * 0.5 * ONE_USDC)
            sim.credit(self.address, amount, sim.deposit_delay_ms(now))
            sim.topups += 1
        sim.kernel.at(now + 30_000, self.watch)


class Arbitrageur(Agent):
    kind = "arbitrageur"

    def start(self) -> None:
        self.sim.kernel.at(self.sim.kernel.now_ms + self.rng.integers(1_000, 3_000),
                           self.look)

    def look(self) -> None:
        sim = self.sim
        now = sim.kernel.now_ms
        sim.kernel.at(now + 2_000, self.look)
        threshold = sim.scenario.agents.arb_threshold_bps / 10_000
        state = sim.kernel.state
        for market in sim.markets:
            index = sim.index_price(market.name, now)
            book = state.books[market.asset]
            bid, ask = book.best_bid(), book.best_ask()
            scale = market.scale
            if ask and ask / scale < index * (1 - threshold):
                lots = market.lots(20_000, index)
                self.send(PlaceOrders((market.order(True, index * (1 - threshold / 2), lots,
                                                    TIF_IOC),)))
            elif bid and bid / scale > index * (1 + threshold):
                lots = market.lots(20_000, index)
                self.send(PlaceOrders((market.order(False, index * (1 + threshold / 2), lots,
                                                    TIF_IOC),)))


__all__ = ["Agent", "OracleOperator", "Maker", "NoiseCrowd", "Momentum", "Leveraged",
           "Arbitrageur", "Market", "address"]
