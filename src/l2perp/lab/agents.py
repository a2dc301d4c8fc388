"""Agents: they see the index path (oracle operators, informed traders) or the venue's public
state (like /info), and act only by sending transactions through the kernel.

Makers quote ladders around the oracle and widen, shrink or withdraw under stress; noise traders
arrive as a Poisson crowd; momentum traders follow the index; leveraged traders open positions at
drawn leverage and some add margin when close to liquidation (deposits that an L1 gas spike
delays); arbitrageurs trade the book back toward the index; oracle operators report every cadence
(honest, lagging, stalled or manipulating as the faults say).

Each agent draws from its own `draws.Draws` stream (integer transforms of PCG64 words) and does
float arithmetic with + - * / and round only, so what it sends is the same on every CPU. The
module is compiled with the core (build.py), whose `/` of two integers and comparison of an
integer with a float round the integers to doubles first: such quotients and comparisons go
through `fixedpoint.int_ratio` and `int_below`, so both builds send the same transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mypy_extensions import mypyc_attr

from ..engine.book import TIF_ALO, TIF_GTC, TIF_IOC, Order
from ..engine.margin import cross_requirements
from ..engine.state import State
from ..engine.tx import (
    Action, BatchModify, CancelByCloid, OracleReport, OrderSpec, PlaceOrders, Receipt, Tx,
    UpdateLeverage,
)
from ..units import MAX_DECIMALS, ONE_USDC, Dec, dec_from_int
from .draws import Draws
from .fixedpoint import int_below, int_ratio
from .kernel import Kernel, Owner
from .scenario import Fault, MarketCfg, Scenario, WhaleCfg

# The whales' streams: the run's SeedSequence children (WHALE_KEY, i), a key no other stream
# uses (settlement.SETTLEMENT_KEY is 1 << 20), so adding a whale shifts no existing stream.
WHALE_KEY = (1 << 20) + 1


def address(role: int, i: int) -> str:
    """Deterministic lab addresses: role in the first byte, index in the last four."""
    return "0x" + f"{role:02x}" + "00" * 15 + f"{i:08x}"


def to_tick(pips: int, up: bool) -> int:
    """At most 5 significant figures (Hyperliquid's price rule), rounded away from the book."""
    if pips < 1:
        digits = len(str(pips))
        if digits <= 5:
            return max(pips, 1)
        q = 10 ** (digits - 5)
        return (-(-pips // q) if up else pips // q) * q
    q = 1  # 10 ** (digits - 5) for a price of more than five digits
    while pips >= 100_000 * q:
        q *= 10
    if q == 1:
        return pips
    return (-(-pips // q) if up else pips // q) * q


class Market:
    """What agents know of a market: its id, decimals and name; the index path it follows
    (`index`, one float per second, set by the runner) and the Decs of the prices and sizes
    its orders used (a Dec is immutable, so one per value is shared)."""

    def __init__(self, asset: int, name: str, sz_decimals: int) -> None:
        self.asset, self.name, self.d = asset, name, sz_decimals
        self.scale = 10 ** (MAX_DECIMALS - sz_decimals)  # pips per USD
        self.lot_scale = 10 ** sz_decimals  # lots per unit
        self.px_decimals = MAX_DECIMALS - sz_decimals
        self.index: list[float] = []
        self._px_decs: dict[int, Dec] = {}
        self._sz_decs: dict[int, Dec] = {}

    def pips(self, usd: float) -> int:
        """The price in pips, at least one."""
        return max(1, int(round(usd * self.scale)))

    def lots(self, notional_usd: float, price_usd: float) -> int:
        """The whole lots `notional_usd` buys at `price_usd` (rounded down)."""
        return max(0, int(notional_usd / price_usd * self.lot_scale))

    def index_at(self, elapsed_ms: int) -> float:
        """The index `elapsed_ms` after the start (clamped to the path)."""
        series = self.index
        return series[min(max(elapsed_ms // 1_000, 0), len(series) - 1)]

    def oracle_price(self, state: State) -> float:
        """The venue's oracle price in USD (0 before its first price)."""
        return int_ratio(state.markets[self.asset].oracle_pips, self.scale)

    def order(self, is_buy: bool, px_usd: float, lots: int, tif: int,
              reduce_only: bool = False, cloid: str | None = None) -> OrderSpec:
        """An order at `px_usd` on the tick grid (rounded away from the book)."""
        ticked = to_tick(self.pips(px_usd), not is_buy)
        px = self._px_decs.get(ticked)
        if px is None:
            px = self._px_decs[ticked] = dec_from_int(ticked, self.px_decimals)
        sz = self._sz_decs.get(lots)
        if sz is None:
            sz = self._sz_decs[lots] = dec_from_int(lots, self.d)
        return OrderSpec(self.asset, is_buy, px, sz, reduce_only, tif, cloid)


class World(Protocol):
    """What agents see of a run (runner.Sim)."""

    kernel: Kernel
    scenario: Scenario
    markets: list[Market]
    market_weights: list[int]
    topups: int

    def index_price(self, name: str, t_ms: int) -> float: ...

    def index_change(self, name: str, t_ms: int, window_ms: int) -> float: ...

    def index_move(self, name: str, t_ms: int, window_ms: int) -> float: ...

    def oracle_price(self, asset: int) -> float: ...

    def cfg_of(self, name: str) -> MarketCfg: ...

    def oracle_fault(self, operator: int, market: str, t_ms: int) -> Fault | None: ...

    def deposit_delay_ms(self, t_ms: int) -> int: ...

    def credit(self, user: str, amount_musdc: int, delay_ms: int) -> None: ...


@mypyc_attr(allow_interpreted_subclasses=True)  # governance.GovAttacker
class Agent:
    """Base: an address, a random stream, the kernel, and a nonce counter."""

    kind = "agent"

    def __init__(self, sim: World, addr: str, rng: Draws) -> None:
        self.sim, self.address, self.rng = sim, addr, rng
        self.kernel = sim.kernel
        self.nonce = self.kernel.start_ms
        self.sent = 0
        self.latency_low, latency_high = sim.scenario.agents.latency_ms
        self.latency_end = latency_high + 1

    def latency(self) -> int:
        """Milliseconds to the sequencer, uniform in the scenario's range."""
        return self.rng.integers(self.latency_low, self.latency_end)

    def send(self, action: Action, owner: Owner | None = None) -> None:
        """Sign `action` with the next nonce and send it (it arrives after the latency)."""
        kernel = self.kernel
        self.nonce = max(self.nonce + 1, kernel.now_ms)
        self.sent += 1
        kernel.send(Tx(self.address, self.nonce, action), self.latency(), owner)

    def on_receipt(self, tx: Tx, receipt: Receipt) -> None:
        """Told the receipt of a transaction sent with this agent as its owner."""

    def start(self) -> None:
        """Schedule the first action."""



class OracleOperator(Agent):
    kind = "oracle"

    def __init__(self, sim: World, addr: str, rng: Draws, index: int) -> None:
        super().__init__(sim, addr, rng)
        self.index = index
        self.cadence_ms = int(sim.scenario.agents.oracle_cadence_s * 1_000)

    def start(self) -> None:
        """The first report, at a random point of the first cadence."""
        self.kernel.at(self.kernel.now_ms + self.rng.integers(0, self.cadence_ms), self.report)

    def report(self) -> None:
        """Report every market's index (as the faults distort it) for this round."""
        sim, kernel = self.sim, self.kernel
        now = kernel.now_ms
        kernel.at(now + self.cadence_ms, self.report)
        rnd = (now - kernel.start_ms) // self.cadence_ms + 1
        for market in sim.markets:
            fault = sim.oracle_fault(self.index, market.name, now)
            if fault is not None and fault.kind == "oracle_stall":
                continue
            seen = now
            if fault is not None and fault.kind == "oracle_lag":
                seen = now - fault.lag_s * 1_000
            price = market.index_at(seen - kernel.start_ms)
            if fault is not None and fault.kind == "oracle_manipulation":
                price *= fault.factor
            self.send(OracleReport(market.asset, rnd, market.pips(price), now))


class Maker(Agent):
    kind = "maker"
    LEVELS = 5

    def __init__(self, sim: World, addr: str, rng: Draws, index: int) -> None:
        super().__init__(sim, addr, rng)
        self.index = index
        cfg = sim.scenario.agents
        self.refresh_ms = int(cfg.maker_refresh_s * 1_000)
        self.withdrawn_until: dict[int, int] = {}  # asset -> quotes pulled until
        self.live: dict[int, list[str]] = {}
        self.quoted: dict[int, tuple[float, int]] = {}  # asset -> (fair, position) when quoted
        self.last_fair: dict[int, float] = {}
        self._cloids: dict[tuple[int, int], str] = {}  # (asset, level * 2 + is_buy) -> cloid

    def start(self) -> None:
        """The first quotes one second in (staggered by maker)."""
        self.kernel.at(self.kernel.now_ms + 1_000 + self.index * 97, self.quote)

    def quote(self) -> None:
        """Requote the markets whose fair value or position moved since the last quotes."""
        sim, kernel = self.sim, self.kernel
        now = kernel.now_ms
        kernel.at(now + self.refresh_ms, self.quote)
        cfg = sim.scenario.agents
        account = kernel.state.accounts.get(self.address)
        stale: list[tuple[Market, float, float]] = []
        for market in sim.markets:
            if now < self.withdrawn_until.get(market.asset, 0):
                continue
            fair = self.fair(market, now)
            move = sim.index_move(market.name, now, 60_000)
            pos = account.positions.get(market.asset) if account is not None else None
            held = pos.size_lots if pos is not None else 0
            last = self.quoted.get(market.asset)
            if move > 4 * cfg.maker_withdraw_move:
                self.withdrawn_until[market.asset] = now + int(cfg.maker_withdraw_s * 1_000)
                self._cancel(market.asset)  # extreme stress: pull this market's quotes
                continue
            if fair > 0 and (last is None or last[1] != held
                             or abs(fair / last[0] - 1) * 10_000 > cfg.maker_spread_bps / 2):
                stale.append((market, fair, move))
                self.quoted[market.asset] = (fair, held)
        if stale:
            self._requote(stale, account.cloids if account is not None else {})

    def _requote(self, stale: list[tuple[Market, float, float]], live: dict[str, Order]
                 ) -> None:
        """New ladders for the stale markets: modify the quotes that rest, place the others."""
        cfg = self.sim.scenario.agents
        modifies: list[tuple[str, OrderSpec]] = []
        places: list[OrderSpec] = []
        cancels: list[tuple[int, str]] = []
        for market, fair, move in stale:
            stress = 1.0 + 40.0 * move  # widen and shrink with the last minute's move
            if move > cfg.maker_withdraw_move:  # stressed: far wider and much thinner
                stress *= 4
            spread = cfg.maker_spread_bps / 10_000 * stress
            market_cfg = self.sim.cfg_of(market.name)
            size_usd = market_cfg.depth_usd / self.LEVELS / stress
            skew = self._skew(market, fair)
            falling = fair < self.last_fair.get(market.asset, fair)
            self.last_fair[market.asset] = fair
            # move the side the price moves toward first, so no new quote crosses an old one
            sides = (True, False) if falling else (False, True)
            full = self._full_side(market, fair, market_cfg.max_inventory_usd)
            cloids: list[str] = []
            lots = market.lots(size_usd, fair)
            for is_buy in sides:
                if is_buy == full:  # at the inventory limit: this side's quotes come off
                    for level in range(self.LEVELS):
                        cloid = self._cloid(market.asset, level * 2 + int(is_buy))
                        if cloid in live:
                            cancels.append((market.asset, cloid))
                    continue
                for level in range(self.LEVELS):
                    offset = spread * (1 + level)
                    px = fair * (1 - offset - skew) if is_buy else fair * (1 + offset - skew)
                    if lots <= 0 or lots * px / market.lot_scale < 11:
                        continue
                    cloid = self._cloid(market.asset, level * 2 + int(is_buy))
                    spec = market.order(is_buy, px, lots, TIF_ALO, cloid=cloid)
                    if cloid in live:
                        modifies.append((cloid, spec))
                    else:
                        places.append(spec)
                    cloids.append(cloid)
            self.live[market.asset] = cloids
        if cancels:
            self.send(CancelByCloid(tuple(cancels)))
        if modifies:  # cancel-and-replace in one transaction, in the order given
            self.send(BatchModify(tuple(modifies)))
        if places:
            self.send(PlaceOrders(tuple(places)))

    def _cloid(self, asset: int, slot: int) -> str:
        """The client order id of a ladder slot (level * 2 + is_buy) of a market."""
        key = (asset, slot)
        cloid = self._cloids.get(key)
        if cloid is None:
            cloid = self._cloids[key] = "0x%08x%08x%04x%012x" % (self.index, 0, asset, slot)
        return cloid

    def fair(self, market: Market, now_ms: int) -> float:
        """An informed maker's fair value: the index it watches on the spot venues, not the
        venue's oracle, which lags it by the report cadence (0 before the oracle's first
        price: the book does not open before the venue has a price)."""
        if market.oracle_price(self.kernel.state) <= 0:
            return 0.0
        return market.index_at(now_ms - self.kernel.start_ms)

    def _cancel(self, asset: int) -> None:
        cancels = tuple((asset, c) for c in self.live.pop(asset, []))
        self.quoted.pop(asset, None)
        if cancels:
            self.send(CancelByCloid(cancels))

    def _full_side(self, market: Market, fair: float, limit_usd: float) -> bool | None:
        """The side (True: bids) whose fills would add to an inventory already at `limit_usd`,
        or None (no limit, or below it)."""
        if limit_usd <= 0:
            return None
        account = self.kernel.state.accounts.get(self.address)
        pos = account.positions.get(market.asset) if account is not None else None
        if pos is None or pos.size_lots == 0:
            return None
        held_usd = int_ratio(pos.size_lots, market.lot_scale) * fair
        if held_usd >= limit_usd:
            return True
        if -held_usd >= limit_usd:
            return False
        return None

    def _skew(self, market: Market, fair: float) -> float:
        """Lean quotes against inventory (20 bps per $1M held, at most 1%)."""
        account = self.kernel.state.accounts.get(self.address)
        if account is None:
            return 0.0
        pos = account.positions.get(market.asset)
        if pos is None or pos.size_lots == 0:
            return 0.0
        held_usd = int_ratio(pos.size_lots, market.lot_scale) * fair
        return max(-0.01, min(0.01, held_usd / 1e6 * 0.002))


class NoiseCrowd(Agent):
    """Many small traders as one Poisson stream; each order comes from one member."""

    kind = "noise"

    def __init__(self, sim: World, members: list[str], rng: Draws) -> None:
        super().__init__(sim, members[0] if members else address(0xFF, 0), rng)
        self.members = members
        cfg = sim.scenario.agents
        self.rate_per_ms = len(members) * cfg.noise_rate_per_min / 60_000
        self.size_usd = cfg.noise_size_usd
        self.nonces = {m: self.kernel.start_ms for m in members}
        self.active: set[str] = set()
        self._trade: Callable[[], None] = self.trade  # bound once: scheduled per arrival

    def start(self) -> None:
        """The first arrival."""
        self._next()

    def _next(self) -> None:
        if self.rate_per_ms <= 0:
            return
        gap = int(self.rng.exponential(1 / self.rate_per_ms)) + 1
        self.kernel.at(self.kernel.now_ms + gap, self._trade)

    def trade(self) -> None:
        """One member's market order of an exponential size, and the next arrival."""
        self._next()
        rng = self.rng
        markets = self.sim.markets
        market = markets[rng.integers(0, len(markets))]
        fair = market.oracle_price(self.kernel.state)
        if fair <= 0:
            return
        member = self.members[rng.integers(0, len(self.members))]
        is_buy = rng.chance(0.5)
        size = self.size_usd * rng.exponential()
        lots = market.lots(max(size, 12.0), fair)
        px = fair * (1.005 if is_buy else 0.995)
        self.address = member
        self.nonce = self.nonces[member]
        self.send(PlaceOrders((market.order(is_buy, px, lots, TIF_IOC),)))
        self.nonces[member] = self.nonce
        self.active.add(member)


class Momentum(Agent):
    kind = "momentum"

    def __init__(self, sim: World, addr: str, rng: Draws) -> None:
        super().__init__(sim, addr, rng)
        self.held: dict[int, int] = {}

    def start(self) -> None:
        """The first look, 5 to 15 s in."""
        self.kernel.at(self.kernel.now_ms + self.rng.integers(5_000, 15_000), self.look)

    def look(self) -> None:
        """Every 10 s: follow a move beyond the threshold, close when it fades."""
        sim, kernel = self.sim, self.kernel
        now = kernel.now_ms
        kernel.at(now + 10_000, self.look)
        cfg = sim.scenario.agents
        window = int(cfg.momentum_window_s * 1_000)
        for market in sim.markets:
            change = sim.index_change(market.name, now, window)
            fair = market.oracle_price(kernel.state)
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

    def __init__(self, sim: World, addr: str, rng: Draws, topup: bool) -> None:
        super().__init__(sim, addr, rng)
        self.topup = topup
        cfg = sim.scenario.agents
        self.leverage = int(round(cfg.leverage_min + (cfg.leverage_max - cfg.leverage_min)
                                  * self.rng.random()))
        self.notional = cfg.position_usd * self.rng.lognormal(0.0, 0.6)
        self.market = sim.markets[self.rng.pick(sim.market_weights)]
        self.is_long = self.rng.chance(0.6)
        self.open_at = self.kernel.now_ms + self.rng.integers(
            1_000, max(2_000, sim.scenario.duration_s * 100))

    def collateral_usd(self) -> float:
        """What it deposits: the position's margin at its leverage, plus 15%."""
        return self.notional / self.leverage * 1.15

    def start(self) -> None:
        """Open the position at its drawn time."""
        self.kernel.at(self.open_at, self.open)

    def open(self) -> None:
        """Set the leverage and take the position (retry in 5 s before the first price)."""
        kernel = self.kernel
        fair = self.market.oracle_price(kernel.state)
        if fair <= 0:
            kernel.at(kernel.now_ms + 5_000, self.open)
            return
        lev = min(self.leverage, kernel.state.markets[self.market.asset].max_leverage)
        self.send(UpdateLeverage(self.market.asset, True, max(1, lev)))
        lots = self.market.lots(self.notional, fair)
        px = fair * (1.01 if self.is_long else 0.99)
        self.send(PlaceOrders((self.market.order(self.is_long, px, lots, TIF_IOC),)))
        if self.topup:
            kernel.at(kernel.now_ms + 30_000, self.watch)

    def watch(self) -> None:
        """Every 30 s: add half the collateral when equity nears maintenance (1.5x)."""
        sim, kernel = self.sim, self.kernel
        now = kernel.now_ms
        account = kernel.state.accounts.get(self.address)
        if account is None or not account.positions:
            return
        value, _, mm, _ = cross_requirements(kernel.state, account)
        if mm > 0 and int_below(value, 1.5 * mm):
            amount = int(self.collateral_usd() * 0.5 * ONE_USDC)
            sim.credit(self.address, amount, sim.deposit_delay_ms(now))
            sim.topups += 1
        kernel.at(now + 30_000, self.watch)


class Whale(Agent):
    """One large position opened at the start and held (`scenario.WhaleCfg`). Its other side is
    the whale's own second account (`twin`), as JELLY's trader held offsetting longs on other
    accounts: the position rests as a Gtc order at the oracle price and the twin takes it with an
    IOC at the same price two seconds later, so the opening needs no book depth. The position's
    margin is notional / leverage (plus 2% for fees): at the market's maximum it sits at the edge
    of the initial margin, and a move of about half the initial rate against it sends it to the
    waterfall. The twin posts the full notional (1x)."""

    kind = "whale"
    TAKE_AFTER_MS = 2_000

    def __init__(self, sim: World, addr: str, twin: str, rng: Draws, cfg: WhaleCfg) -> None:
        super().__init__(sim, addr, rng)
        self.cfg = cfg
        self.market = next(m for m in sim.markets if m.name == cfg.market)
        self.is_long = cfg.side == "long"
        self.twin = Agent(sim, twin, rng)  # sends only; it shares the whale's latency draws
        self.cloid = "0x%032x" % (0xE0 << 120 | self.market.asset)
        self.px_usd = 0.0

    def collateral_usd(self) -> float:
        """The position's margin at its leverage (the market's maximum at most), plus 2%."""
        lev = min(self.cfg.leverage, self.sim.cfg_of(self.cfg.market).max_leverage)
        return self.cfg.notional_usd / max(1, lev) * 1.02

    def twin_collateral_usd(self) -> float:
        return self.cfg.notional_usd

    def start(self) -> None:
        """Open at `at_s` (or at the market's first price after it)."""
        self.kernel.at(self.kernel.start_ms + self.cfg.at_s * 1_000, self.open)

    def open(self) -> None:
        """Rest the whole position at the oracle price; the twin takes it (retry in 5 s before
        the first price)."""
        kernel, market = self.kernel, self.market
        fair = market.oracle_price(kernel.state)
        if fair <= 0:
            kernel.at(kernel.now_ms + 5_000, self.open)
            return
        lev = min(self.cfg.leverage, kernel.state.markets[market.asset].max_leverage)
        self.send(UpdateLeverage(market.asset, True, max(1, lev)))
        # one price for both orders: the tick the whale's order rounds to, in USD
        self.px_usd = int_ratio(to_tick(market.pips(fair), not self.is_long), market.scale)
        lots = market.lots(self.cfg.notional_usd, fair)
        self.send(PlaceOrders((market.order(self.is_long, self.px_usd, lots, TIF_GTC,
                                            cloid=self.cloid),)))
        kernel.at(kernel.now_ms + self.TAKE_AFTER_MS, self.take, lots)

    def take(self, lots: int) -> None:
        """The twin takes the resting order at its price; whatever of it still rests (a maker's
        quote at that price took part of the twin's order first) is cancelled two seconds on."""
        market = self.market
        self.twin.send(PlaceOrders((market.order(not self.is_long, self.px_usd, lots,
                                                 TIF_IOC),)))
        self.kernel.at(self.kernel.now_ms + self.TAKE_AFTER_MS, self.send,
                       CancelByCloid(((market.asset, self.cloid),)))


class Arbitrageur(Agent):
    kind = "arbitrageur"

    def start(self) -> None:
        """The first look, 1 to 3 s in."""
        self.kernel.at(self.kernel.now_ms + self.rng.integers(1_000, 3_000), self.look)

    def look(self) -> None:
        """Every 2 s: trade a book that strays from the index by more than the threshold."""
        sim, kernel = self.sim, self.kernel
        now = kernel.now_ms
        kernel.at(now + 2_000, self.look)
        threshold = sim.scenario.agents.arb_threshold_bps / 10_000
        state = kernel.state
        for market in sim.markets:
            index = market.index_at(now - kernel.start_ms)
            book = state.books[market.asset]
            bid, ask = book.best_bid(), book.best_ask()
            scale = market.scale
            if ask and int_ratio(ask, scale) < index * (1 - threshold):
                lots = market.lots(20_000, index)
                self.send(PlaceOrders((market.order(True, index * (1 - threshold / 2), lots,
                                                    TIF_IOC),)))
            elif bid and int_ratio(bid, scale) > index * (1 + threshold):
                lots = market.lots(20_000, index)
                self.send(PlaceOrders((market.order(False, index * (1 + threshold / 2), lots,
                                                    TIF_IOC),)))


__all__ = ["Agent", "OracleOperator", "Maker", "NoiseCrowd", "Momentum", "Leveraged",
           "Whale", "Arbitrageur", "Market", "World", "address", "WHALE_KEY"]
