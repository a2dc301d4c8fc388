"""What a run measured: read from the blocks' receipts and events as the sequencer produces
them, plus a per-minute sample of prices, the insurance fund, open interest and the backlog.

Liquidation stages: a book liquidation is a fill whose taker order id is 0 (the waterfall's IOC),
a backstop is a `BackstopEvent`, ADL an `AdlEvent`. Delay, per unit: from its first eligibility to
the block that sends it through the waterfall. A unit is eligible from the first kernel tick at
which it is below maintenance at the index (watched every tick, outages included: the market
moves while the venue does not) or the first block that finds it liquidatable
(`LiquidationCheck`), whichever is earlier. Alert lead time, per liquidated unit: from the block
after which its maintenance used first reached the node's first margin alert (50%, as the
`marginHealth` channel computes it at the mark) to its liquidation, counted once per stretch
above the alert level. Money in micro-USDC inside, USD in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..engine.margin import leverage_of, maintenance_margin
from ..engine.state import fund_address, is_fund
from ..engine.tx import (
    AdlEvent, BackstopEvent, Block, BlockReceipts, FillEvent, LedgerEvent, LiquidationCheck,
)
from ..engine.views import SolvencyView, account_value
from ..units import E9, ONE_USDC
from .agents import Market
from .fixedpoint import int_ratio
from .kernel import Kernel

# The node's first margin alert: 50% of maintenance margin used (api/health.py,
# DEFAULT_THRESHOLDS[0]); the lab does not import the API, so `alerting` restates its test.
ALERT_USED_PCT = 50


def alerting(value_musdc: int, mm_musdc: int) -> bool:
    """Whether a unit's maintenance used (MM / value, in basis points rounded down, as
    api/health.py `used_bp` computes it) is at or past the first alert: never without a
    requirement, always at a value of 0 or less."""
    if mm_musdc <= 0:
        return False
    if value_musdc <= 0:
        return True
    return mm_musdc * 10_000 // value_musdc >= ALERT_USED_PCT * 100


@dataclass
class Series:
    """Per-minute samples (time in seconds from the start)."""

    t_s: list[int] = field(default_factory=list)
    index: dict[str, list[float]] = field(default_factory=dict)
    oracle: dict[str, list[float]] = field(default_factory=dict)
    mark: dict[str, list[float]] = field(default_factory=dict)
    mid: dict[str, list[float]] = field(default_factory=dict)
    fund_usd: list[float] = field(default_factory=list)
    oi_usd: list[float] = field(default_factory=list)
    leverage: list[float] = field(default_factory=list)
    backlog: list[int] = field(default_factory=list)
    liq_book_usd: list[float] = field(default_factory=list)
    liq_backstop_usd: list[float] = field(default_factory=list)
    liq_adl_usd: list[float] = field(default_factory=list)


class Run(Protocol):
    """What the metrics read of a run (runner.Sim)."""

    kernel: Kernel
    markets: list[Market]
    position_takers: set[str]


class Metrics:
    def __init__(self, sim: Run) -> None:
        self.sim = sim
        self.kernel = sim.kernel
        self.markets = sim.markets
        sim.kernel.on_tick.append(self.watch)
        self.series = Series()
        for m in sim.markets:
            for d in (self.series.index, self.series.oracle, self.series.mark, self.series.mid):
                d[m.name] = []
        self.fills = 0
        self.liquidations = 0
        self.liq_book_musdc = 0
        self.liq_backstop_musdc = 0
        self.adl_count = 0
        self.adl_musdc = 0
        self.adl_excess_musdc = 0
        self.first_seen: dict[tuple[str, int], int] = {}  # unit -> first block liquidatable
        self.delays_ms: list[int] = []  # per liquidated unit, from first eligibility
        self.venue_delays_ms: list[int] = []  # ... from the first block that saw it eligible
        self.index_first: dict[tuple[str, int], int] = {}  # unit -> first tick under at index
        self.minute = -1
        self.minute_liq = [0, 0, 0]
        self.fund_min_musdc: int | None = None
        self.fund_start_musdc = 0
        self.events: list[dict[str, Any]] = []  # the event log
        self.max_basis_bps = 0.0
        self.trough_bps: dict[str, float] = {}  # per market: the deepest discount, bps
        self.min_basis_at: dict[str, int] = {}  # ... and when
        self.adl_covered_musdc = 0  # losses ADL socialized onto profitable positions
        self.liq_times_ms: list[int] = []  # one per unit sent through the waterfall
        self.waiting_times_ms: list[int] = []  # blocks that held liquidatable units back
        self.oi_sum = 0.0
        self.collateral_sum = 0.0
        self.posted_musdc = 0  # the position takers' deposits so far
        self._takers: list[str] = []  # the position takers, sorted
        # unit -> the block time after which it first stood at or past the alert level (its
        # alert), while it stays there; a liquidation takes its lead time once per stretch
        self.alert_since: dict[tuple[str, int], int] = {}
        self.alert_counted: dict[tuple[str, int], bool] = {}  # stretches whose lead was taken
        self.alert_leads_ms: list[int] = []  # per liquidated unit: alert -> liquidation

    def on_block(self, receipts: BlockReceipts, block: Block) -> None:
        """Count the block's fills and liquidation stages; sample the basis, and every
        minute the series."""
        liq_book = liq_backstop = liq_adl = 0
        events = receipts.events
        adl_parties: set[str] | None = None  # the block's ADL parties, when a fill asks
        checked = False
        for e in events:
            kind = type(e)
            if kind is FillEvent:
                self.fills += 1
                # the waterfall's IOC: order id 0, taken by the liquidated account itself (a
                # fund's unwind and ADL fills use order id 0 too, and are not book liquidations)
                if e.taker_oid == 0 and not is_fund(e.taker):
                    if adl_parties is None:
                        adl_parties = {name for a in events if type(a) is AdlEvent
                                       for name in (a.bankrupt, a.counterparty)}
                    if e.taker not in adl_parties:
                        liq_book += e.px_pips * e.sz_lots
            elif kind is BackstopEvent:
                liq_backstop += abs(e.lots) * e.px_pips
                self.events.append({"t": e.time_ms, "kind": "backstop", "user": e.bankrupt,
                                    "asset": e.asset, "lots": e.lots})
            elif kind is AdlEvent:
                notional = e.lots * e.px_pips
                liq_adl += notional
                self.adl_count += 1
                self.adl_covered_musdc += e.covered_musdc
                self.adl_excess_musdc += max(0, e.covered_musdc - e.shortfall_musdc)
                self.events.append({"t": e.time_ms, "kind": "adl", "user": e.counterparty,
                                    "bankrupt": e.bankrupt, "asset": e.asset, "lots": e.lots})
            elif kind is LiquidationCheck:
                self._delays(e)
                checked = True
            elif kind is LedgerEvent:
                if e.kind == "backstopLiquidation":
                    self.events.append({"t": e.time_ms, "kind": "backstopStage", "user": e.user,
                                        "margin_usd": int_ratio(-e.amount_musdc, ONE_USDC)})
                elif e.kind == "deposit" and e.user in self.sim.position_takers:
                    self.posted_musdc += e.amount_musdc
        if not checked:
            self.first_seen.clear()  # nothing is liquidatable: every waiting unit recovered
        self._alerts(block.time_ms)
        self.liq_book_musdc += liq_book
        self.liq_backstop_musdc += liq_backstop
        self.adl_musdc += liq_adl
        self.minute_liq[0] += liq_book
        self.minute_liq[1] += liq_backstop
        self.minute_liq[2] += liq_adl
        self._basis(block.time_ms)
        minute = (block.time_ms - self.kernel.start_ms) // 60_000
        if minute != self.minute:
            self.sample(block.time_ms, minute)

    def _basis(self, t_ms: int) -> None:
        """Every block: the book mid against the oracle, per market (bps)."""
        state = self.kernel.state
        for m in self.markets:
            market = state.markets[m.asset]
            book = state.books[m.asset]
            bid, ask = book.best_bid(), book.best_ask()
            if not (bid and ask and market.oracle_pips):
                continue
            basis = (int_ratio(bid + ask, 2) - market.oracle_pips) / market.oracle_pips * 10_000
            if -basis > self.trough_bps.get(m.name, 0.0):
                self.trough_bps[m.name] = -basis
                self.min_basis_at[m.name] = t_ms
            self.max_basis_bps = max(self.max_basis_bps, abs(basis))

    @property
    def min_basis_bps(self) -> float:
        """The most negative (mid - oracle) / oracle of any market: the overshoot (bps)."""
        deepest = max(self.trough_bps.values(), default=0.0)
        return -deepest if deepest else 0.0

    def _delays(self, e: LiquidationCheck) -> None:
        """Liquidation delays: from a unit's first liquidatable block to its liquidation."""
        now = e.time_ms
        if e.waiting:
            self.waiting_times_ms.append(now)
        present = set(e.liquidated) | set(e.waiting)
        for unit in present:
            self.first_seen.setdefault(unit, now)
        index_first = self.index_first
        for unit in e.liquidated:
            self.liquidations += 1
            self.liq_times_ms.append(now)
            seen = self.first_seen.pop(unit)
            self.venue_delays_ms.append(now - seen)
            self.delays_ms.append(now - min(seen, index_first.get(unit, seen)))
            if unit in index_first:
                index_first[unit] = now  # what a partial liquidation leaves waits anew
            if unit not in self.alert_counted:
                # no alert seen after an earlier block: alert and liquidation in one block
                self.alert_leads_ms.append(now - self.alert_since.get(unit, now))
                self.alert_counted[unit] = True
            self.events.append({"t": now, "kind": "liquidation", "user": unit[0],
                                "unit": unit[1]})
        for unit in [u for u in self.first_seen if u not in present]:
            del self.first_seen[unit]  # recovered above maintenance

    def _alerts(self, now_ms: int) -> None:
        """After each block: which units stand at or past the first margin alert, at the mark
        (what the node's `marginHealth` subscribers would be told), and since when. One pass
        over each account's positions (engine/liqindex.py `unit_figures`' figures); a cross
        account whose value exceeds twice a bound on its maintenance margin (each position's
        notional x its market's highest rate, + 1 for the rounding) is below 50% without the
        exact figure."""
        state = self.kernel.state
        markets, config = state.markets, state.config
        top_rate = [max(m.mm_rates_e9) for m in markets]
        since, counted = self.alert_since, self.alert_counted
        live: dict[tuple[str, int], bool] = {}
        for address, account in state.accounts.items():
            if not account.positions or is_fund(address):
                continue
            value: int = account.cash_musdc
            bound: int = 0
            cross: list[tuple[Any, int]] = []
            for asset, pos in account.positions.items():
                market = markets[asset]
                ntl = abs(pos.size_lots) * market.mark_pips
                if leverage_of(config, account, market).is_cross:
                    value += pos.size_lots * market.mark_pips
                    bound += ntl * top_rate[asset] + E9
                    cross.append((market, ntl))
                elif alerting(pos.iso_raw_musdc + pos.size_lots * market.mark_pips,
                              maintenance_margin(market, ntl)):
                    live[(address, asset)] = True
            if cross and (value <= 0 or value * E9 <= 2 * bound) and alerting(
                    value, sum(maintenance_margin(m, n) for m, n in cross)):
                live[(address, -1)] = True
        for unit in live:
            if unit not in since:
                since[unit] = now_ms
        for unit in [u for u in since if u not in live]:
            del since[unit]  # back under the alert level: the next crossing is a new alert
        for unit in [u for u in counted if u not in since]:
            del counted[unit]  # the stretch ended (or was liquidated in its first block)

    def watch(self, now_ms: int) -> None:
        """Every tick, blocks or not: the position takers' units below maintenance at the index
        (the price the venue would see if it kept up), remembered from their first tick."""
        state = self.kernel.state
        if len(self._takers) != len(self.sim.position_takers):  # the set only grows
            self._takers = sorted(self.sim.position_takers)
        elapsed = now_ms - self.kernel.start_ms
        markets, first, accounts = state.markets, self.index_first, state.accounts
        index_pips = [int(m.index_at(elapsed) * m.scale) for m in self.markets]
        top_rate = [max(m.mm_rates_e9) for m in markets]  # maintenance is at most this rate
        for address in self._takers:
            account = accounts.get(address)
            if account is None:
                continue
            cross = (address, -1)
            if not account.positions:
                if cross in first:
                    del first[cross]
                continue
            value: int = account.cash_musdc
            bound: int = E9
            isolated: list[int] = []
            for a, pos in account.positions.items():
                if not leverage_of(state.config, account, markets[a]).is_cross:
                    isolated.append(a)
                    continue
                value += pos.size_lots * index_pips[a]
                bound += abs(pos.size_lots) * index_pips[a] * top_rate[a] + E9
            if value * E9 >= bound:  # above any maintenance: no exact figure needed
                if cross in first:
                    del first[cross]
            else:
                mm = sum(maintenance_margin(markets[a], abs(p.size_lots) * index_pips[a])
                         for a, p in account.positions.items() if a not in isolated)
                if mm and value < mm:
                    first.setdefault(cross, now_ms)
                elif cross in first:
                    del first[cross]
            for a in isolated:
                pos, unit = account.positions[a], (address, a)
                ntl = abs(pos.size_lots) * index_pips[a]
                if pos.iso_raw_musdc + pos.size_lots * index_pips[a] < maintenance_margin(
                        markets[a], ntl):
                    first.setdefault(unit, now_ms)
                else:
                    first.pop(unit, None)

    def fund_value(self) -> int:
        """The first insurance fund's account value (micro-USDC)."""
        state = self.kernel.state
        fund = state.accounts.get(fund_address(0))
        return account_value(state, fund) if fund else 0

    def sample(self, t_ms: int, minute: int) -> None:
        """The minute's sample of prices, the fund, open interest, leverage and backlog."""
        sim, s = self.sim, self.series
        kernel = self.kernel
        state = kernel.state
        self.minute = minute
        s.t_s.append((t_ms - kernel.start_ms) // 1_000)
        oi = 0.0
        nan = float("nan")
        for m in self.markets:
            market = state.markets[m.asset]
            index = m.index_at(t_ms - kernel.start_ms)
            s.index[m.name].append(index)
            s.oracle[m.name].append(int_ratio(market.oracle_pips, m.scale)
                                    if market.oracle_pips else nan)
            s.mark[m.name].append(int_ratio(market.mark_pips, m.scale)
                                  if market.mark_pips else nan)
            book = state.books[m.asset]
            bid, ask = book.best_bid(), book.best_ask()
            mid = int_ratio(bid + ask, 2) / m.scale if bid and ask else nan
            s.mid[m.name].append(mid)
            oi += int_ratio(market.open_interest_lots * market.mark_pips, ONE_USDC)
        fund = self.fund_value()
        if minute == 0 and not s.fund_usd:
            self.fund_start_musdc = fund
        self.fund_min_musdc = fund if self.fund_min_musdc is None else min(self.fund_min_musdc,
                                                                             fund)
        s.fund_usd.append(int_ratio(fund, ONE_USDC))
        s.oi_usd.append(oi)
        s.backlog.append(len(kernel.mempool))
        notional = equity = 0
        if len(self._takers) != len(sim.position_takers):  # the set only grows
            self._takers = sorted(sim.position_takers)
        for address in self._takers:
            account = state.accounts.get(address)
            if account is None:
                continue
            if account.positions:
                notional += sum(abs(p.size_lots) * state.markets[a].mark_pips
                                for a, p in account.positions.items())
                equity += max(0, account_value(state, account))
        s.leverage.append(int_ratio(notional, equity) if equity > 0 else 0.0)
        self.oi_sum += int_ratio(notional, ONE_USDC)  # notional the takers hold ...
        # ... per dollar of collateral they posted: every deposit that has landed (cash is no
        # measure of it: a long's cash is its deposit minus what it paid for the position)
        self.collateral_sum += int_ratio(self.posted_musdc, ONE_USDC)
        s.liq_book_usd.append(int_ratio(self.minute_liq[0], ONE_USDC))
        s.liq_backstop_usd.append(int_ratio(self.minute_liq[1], ONE_USDC))
        s.liq_adl_usd.append(int_ratio(self.minute_liq[2], ONE_USDC))
        self.minute_liq = [0, 0, 0]

    def losses_musdc(self, view: SolvencyView) -> tuple[int, int]:
        """(bad debt, fund deficit). The fund deficit is every insurance fund's negative equity
        (a fund holding taken-over positions can lose more than its cash); bad debt, what no one
        covered, is the user accounts under water plus that deficit."""
        state = self.kernel.state
        deficit = sum(max(0, -account_value(state, state.accounts[address]))
                      for _, address, _, _ in view.funds if address in state.accounts)
        users = -sum(value for _, value in view.negative_accounts)
        return users + deficit, deficit

    def invariant_violations(self, view: SolvencyView) -> list[str]:
        """Money conserved to the micro-USDC; zero net open interest per market, and open
        interest equal to the longs."""
        state = self.kernel.state
        out: list[str] = []
        expected = view.credits_musdc - view.withdrawn_musdc
        if view.l2_total_musdc != expected:
            out.append(f"money: {view.l2_total_musdc} != {expected}")
        for market in state.markets:
            net = sum(a.positions[market.asset].size_lots for a in state.accounts.values()
                      if market.asset in a.positions)
            longs = sum(a.positions[market.asset].size_lots for a in state.accounts.values()
                        if market.asset in a.positions and a.positions[market.asset].size_lots > 0)
            if net != 0 or longs != market.open_interest_lots:
                out.append(f"open interest of {market.name}: net {net}, longs {longs} vs "
                           f"{market.open_interest_lots}")
        return out


def nearest_rank(n: int, q: float) -> int:
    """The 1-based rank of the nearest-rank q-th percentile of n values: ceil(q n / 100), at
    least 1 and at most n."""
    rank = max(1, int(-(-q * n // 100)))
    return rank if rank < n else n


def percentile(values: list[int] | list[float], q: float) -> float:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[nearest_rank(len(ordered), q) - 1])
