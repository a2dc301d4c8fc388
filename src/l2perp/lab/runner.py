"""One lab run: a scenario and a seed -> the venue built from the scenario, the price path, the
agents and the faults, run in simulated time through the node's sequencer; then the metrics.

Seeding: one master `SeedSequence(seed)`; child 0 seeds the price path's streams, child 1 each
governance attacker, child 2 + i agent i, whale i the child (agents.WHALE_KEY, i) and a settlement
run's bridge users and prover the children under `settlement.SETTLEMENT_KEY` (taken by key, so
they shift none, and whales are installed after every other agent); every stream is
a `draws.Draws` (integer transforms of PCG64 words, the same on every CPU). The engine stays
integer-only; every float is turned into pips, lots or micro-USDC before it becomes a
transaction, by + - * / and round only, which IEEE 754 rounds the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..engine.params import EngineConfig, Genesis, L1FeeConfig, MarginTier, MarketSpec
from ..engine.tx import BridgeCredit, Tx
from ..engine.views import solvency_view
from ..rollup.commitment import Commitment
from ..units import ONE_USDC
from .agents import (
    WHALE_KEY, Agent, Arbitrageur, Leveraged, Maker, Market, Momentum, NoiseCrowd, OracleOperator,
    Whale, address,
)
from .draws import Draws
from .fixedpoint import int_ratio
from .kernel import Kernel, Window
from .metrics import Metrics, percentile
from .prices import make_path
from .scenario import Fault, MarketCfg, Scenario

T0 = 1_760_054_400_000  # 2025-10-10 00:00 UTC: simulated time starts here
ADMIN = address(0xAD, 0)
ROLE_ORACLE, ROLE_MAKER, ROLE_NOISE, ROLE_MOMENTUM, ROLE_LEVERAGED, ROLE_ARB = range(1, 7)
ROLE_WHALE = 8  # 7 is settlement.ROLE_WITHDRAWER
L1_BLOCK_MS = 12_000
GOV_FAULTS = ("flashloan_governance", "low_turnout_proposal", "content_swap")


class LabPart(Protocol):
    """The rollup of a rollup run (rollup.LabRollup), imported only when a scenario has one."""

    fault_at: list[int]

    def start(self) -> None: ...

    def deposit(self, user: str, amount_musdc: int) -> None: ...

    def report(self) -> dict[str, Any]: ...

    def figures(self, report: dict[str, Any]) -> dict[str, Any]: ...


class Attack(Protocol):
    """A governance attacker (governance.GovAttacker)."""

    def start(self) -> None: ...

    def outcome(self) -> dict[str, Any]: ...


@dataclass
class RunResult:
    report: dict[str, Any]
    metrics: Metrics
    sim: Sim


class Sim:
    """The venue, the path and the agents of one run."""

    def __init__(self, scenario: Scenario, seed: int, keep_blocks: bool = False) -> None:
        self.scenario, self.seed = scenario, seed
        root = np.random.SeedSequence(seed)
        self.seed_root = root
        n_agents = (scenario.agents.oracles + scenario.agents.makers + 1
                    + scenario.agents.momentum + scenario.agents.leveraged
                    + scenario.agents.arbitrageurs)
        children = root.spawn(2 + n_agents)
        self.agent_seeds = iter(children[2:])
        oracles = tuple((address(ROLE_ORACLE, i), 1) for i in range(scenario.agents.oracles))
        config = EngineConfig(
            admin=ADMIN, oracle_operators=oracles,
            insurance_seed_musdc=int(scenario.insurance_seed_usd * ONE_USDC),
            max_liquidations_per_block=scenario.max_liquidations_per_block,
            post_outage_grace_ms=scenario.post_outage_grace_s * 1_000,
            max_liquidation_fee_e9=int(round(scenario.liquidation_fee * 1e9)),
            partial_liquidation_e9=max(1, int(round(scenario.partial_fraction * 1e9))),
            l1_fee=None if scenario.l1_fee is None else L1FeeConfig(
                gas_per_million_usd=scenario.l1_fee.gas_per_million_usd))
        specs = []
        for m in scenario.markets:
            tiers = (MarginTier(0, m.max_leverage),
                     MarginTier(5_000_000 * ONE_USDC, max(1, m.max_leverage // 2)))
            specs.append(MarketSpec(m.name, m.sz_decimals, tiers,
                                    oi_cap_musdc=int(m.oi_cap_usd * ONE_USDC),
                                    impact_notional_musdc=20_000 * ONE_USDC))
        gov_faults = [f for f in scenario.faults if f.kind in GOV_FAULTS]
        gov = None
        if scenario.governance or gov_faults:
            from .governance import lab_gov_genesis
            gov = lab_gov_genesis()
        genesis = Genesis(config=config, markets=tuple(specs), time_ms=T0, gov=gov)
        self.kernel = Kernel(genesis, scenario.block_ms, scenario.block_capacity, keep_blocks)
        self.markets = [Market(i, m.name, m.sz_decimals) for i, m in enumerate(scenario.markets)]
        self._by_name = {m.name: m for m in self.markets}
        self._cfg = {m.name: m for m in scenario.markets}
        # leveraged traders pick market i with weight 1 / (1 + i), in integers
        self.market_weights = [720_720 // (1 + i) for i in range(len(self.markets))]
        self.path = make_path(children[0], scenario.prices, scenario.duration_s,
                              [(m.name, m.price, m.beta, m.idio_vol) for m in scenario.markets])
        for market in self.markets:  # what agents and metrics read of the path
            market.index = self.path.prices[market.name]
        self.topups = 0
        self.position_takers: set[str] = set()
        self.agents: list[Agent] = []
        self.rollup: LabPart | None = None
        if scenario.rollup or scenario.settlement is not None or scenario.l1_fee is not None \
                or any(f.kind == "fraudulent_batch" for f in scenario.faults):
            from .rollup import LabRollup
            self.rollup = LabRollup(self, settlement=scenario.settlement,
                                    l1_fee=scenario.l1_fee)
        self.gov_attacks: list[Attack] = []
        self.gov_nonces: dict[str, int] = {}
        self._install_faults()
        self._install_agents()
        if self.rollup is not None:
            self.rollup.start()
        for index, fault in enumerate(gov_faults):
            from .governance import GovAttacker
            attacker = GovAttacker(self, Draws(children[1]), fault, index)
            self.gov_attacks.append(attacker)
            attacker.start()
        self.metrics = Metrics(self)
        self.kernel.on_block.append(self.metrics.on_block)

    # ----- what agents may look at ----------------------------------------------------------
    def index_price(self, name: str, t_ms: int) -> float:
        """The index of market `name` at `t_ms` (the path's value for that second)."""
        return self._by_name[name].index_at(t_ms - self.kernel.start_ms)

    def index_change(self, name: str, t_ms: int, window_ms: int) -> float:
        """The index's relative change over the `window_ms` before `t_ms`."""
        market = self._by_name[name]
        elapsed = t_ms - self.kernel.start_ms
        now = market.index_at(elapsed)
        then = market.index_at(elapsed - window_ms)
        return now / then - 1 if then > 0 else 0.0

    def index_move(self, name: str, t_ms: int, window_ms: int) -> float:
        """The size of the index's relative change over the window."""
        return abs(self.index_change(name, t_ms, window_ms))

    def oracle_price(self, asset: int) -> float:
        """The venue's oracle price of `asset` in USD (0 before its first price)."""
        return self.markets[asset].oracle_price(self.kernel.state)

    def cfg_of(self, name: str) -> MarketCfg:
        """The scenario's configuration of market `name`."""
        return self._cfg[name]

    # ----- faults ---------------------------------------------------------------------------
    def _window(self, fault: Fault) -> Window:
        start = self.kernel.start_ms + fault.at_s * 1_000
        return Window(start, start + fault.duration_s * 1_000)

    def _install_faults(self) -> None:
        self.oracle_faults: list[tuple[Window, Fault]] = []
        self.gas_spikes: list[Window] = []
        for fault in self.scenario.faults:
            window = self._window(fault)
            if fault.kind == "sequencer_outage":
                self.kernel.outages.append(window)
            elif fault.kind == "congestion":
                self.kernel.congestion.append((window, max(1, fault.capacity)))
            elif fault.kind == "l1_gas_spike":
                self.gas_spikes.append(window)
            elif fault.kind.startswith("oracle_"):
                self.oracle_faults.append((window, fault))
            elif fault.kind == "fraudulent_batch" and self.rollup is not None:
                self.rollup.fault_at.append(window.start_ms)

    def oracle_fault(self, operator: int, market: str, t_ms: int) -> Fault | None:
        """The oracle fault operator `operator` suffers on `market` at `t_ms`, if any."""
        for window, fault in self.oracle_faults:
            if not window.covers(t_ms):
                continue
            if fault.asset and fault.asset != market:
                continue
            if fault.operators and operator >= fault.operators:
                continue
            return fault
        return None

    def deposit_delay_ms(self, t_ms: int) -> int:
        """An L1 deposit lands after one L1 block, or after a gas spike ends (priced out)."""
        for window in self.gas_spikes:
            if window.covers(t_ms):
                return window.end_ms - t_ms + L1_BLOCK_MS
        return L1_BLOCK_MS

    # ----- agents ---------------------------------------------------------------------------
    def _rng(self) -> Draws:
        return Draws(next(self.agent_seeds))

    def _install_agents(self) -> None:
        cfg = self.scenario.agents
        credits: list[tuple[str, float]] = []
        for i in range(cfg.oracles):
            self.agents.append(OracleOperator(self, address(ROLE_ORACLE, i), self._rng(), i))
        for i in range(cfg.makers):
            maker = Maker(self, address(ROLE_MAKER, i), self._rng(), i)
            self.agents.append(maker)
            credits.append((maker.address, 50_000_000.0))
        members = [address(ROLE_NOISE, i) for i in range(cfg.noise)]
        crowd = NoiseCrowd(self, members, self._rng())
        self.noise = crowd
        self.agents.append(crowd)
        credits += [(m, 50_000.0) for m in members]
        for i in range(cfg.momentum):
            momentum = Momentum(self, address(ROLE_MOMENTUM, i), self._rng())
            self.agents.append(momentum)
            credits.append((momentum.address, 500_000.0))
        for i in range(cfg.leveraged):
            rng = self._rng()
            leveraged = Leveraged(self, address(ROLE_LEVERAGED, i), rng,
                                  topup=rng.chance(cfg.topup_fraction))
            self.agents.append(leveraged)
            self.position_takers.add(leveraged.address)
            credits.append((leveraged.address, leveraged.collateral_usd()))
        for i in range(cfg.arbitrageurs):
            arbitrageur = Arbitrageur(self, address(ROLE_ARB, i), self._rng())
            self.agents.append(arbitrageur)
            credits.append((arbitrageur.address, 5_000_000.0))
        for i, whale_cfg in enumerate(self.scenario.whales):  # after the others: nothing moves
            whale = Whale(self, address(ROLE_WHALE, 2 * i), address(ROLE_WHALE, 2 * i + 1),
                          Draws(self.seed_root, WHALE_KEY, i), whale_cfg)
            self.agents += [whale, whale.twin]  # the twin only sends (counted as active)
            self.position_takers.update((whale.address, whale.twin.address))
            credits += [(whale.address, whale.collateral_usd()),
                        (whale.twin.address, whale.twin_collateral_usd())]
        for who, usd in credits:
            self.credit(who, int(usd * ONE_USDC), 0)
        for agent in self.agents:
            agent.start()

    def credit(self, user: str, amount_musdc: int, delay_ms: int) -> None:
        """Money from L1 after `delay_ms`: a bridge deposit (rollup runs) or a credit."""
        kernel = self.kernel
        if self.rollup is not None:
            kernel.at(kernel.now_ms + delay_ms, self.rollup.deposit, user, amount_musdc)
        else:
            kernel.at(kernel.now_ms + delay_ms, kernel.send,
                      Tx(None, 0, BridgeCredit(user, amount_musdc)), 0, None)

    # ----- running --------------------------------------------------------------------------
    def run(self, progress: Callable[[int], object] | None = None) -> dict[str, Any]:
        """Run the scenario to its end; the report."""
        scenario = self.scenario
        self.kernel.run(self.kernel.start_ms + scenario.duration_s * 1_000, progress)
        return self.report()

    def drawdowns(self) -> dict[str, float]:
        """Per market: 1 - (lowest minute mark / first minute mark) of the perp."""
        out: dict[str, float] = {}
        for name, marks in self.metrics.series.mark.items():
            values = [v for v in marks if v == v and v > 0]
            out[name] = round(1 - min(values) / values[0], 4) if values else 0.0
        return out

    def peak_ratio(self) -> float:
        """Liquidations in the busiest minute over the mean per minute of the run."""
        times = self.metrics.liq_times_ms
        if not times:
            return 0.0
        per_minute: dict[int, int] = {}
        for t in times:
            minute = (t - self.kernel.start_ms) // 60_000
            per_minute[minute] = per_minute.get(minute, 0) + 1
        mean = int_ratio(len(times), max(1, self.scenario.duration_s // 60))
        return round(max(per_minute.values()) / mean, 2)

    def active_agents(self) -> int:
        """Agents that sent anything (noise traders counted one by one)."""
        counted = sum(1 for a in self.agents if a.kind not in ("noise",) and a.sent > 0)
        return counted + len(self.noise.active)

    def rollup_part(self) -> dict[str, Any]:
        """The rollup's report and the top-level figures read from it."""
        assert self.rollup is not None
        report = self.rollup.report()
        return {"rollup": report, **self.rollup.figures(report)}

    def report(self) -> dict[str, Any]:
        """What the run measured (docs/mechanics.md), money in USD."""
        m, k = self.metrics, self.kernel
        state = k.state
        solvency = solvency_view(state)
        violations = m.invariant_violations(solvency)
        bad_debt, fund_deficit = m.losses_musdc(solvency)
        delays = m.delays_ms
        root = Commitment().refresh(state)
        mean_leverage = (sum(m.series.leverage) / len(m.series.leverage)
                         if m.series.leverage else 0.0)
        # the position takers' notional per dollar of their collateral, averaged over time
        capital_efficiency = m.oi_sum / m.collateral_sum if m.collateral_sum else 0.0
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "duration_s": self.scenario.duration_s,
            "bad_debt_usd": int_ratio(bad_debt, ONE_USDC),
            "insurance_fund_start_usd": int_ratio(m.fund_start_musdc, ONE_USDC),
            "insurance_fund_min_usd": int_ratio(m.fund_min_musdc or 0, ONE_USDC),
            "insurance_fund_end_usd": int_ratio(m.fund_value(), ONE_USDC),
            "liquidations_count": m.liquidations,
            "liquidated_notional_usd": int_ratio(m.liq_book_musdc, ONE_USDC),
            "backstop_notional_usd": int_ratio(m.liq_backstop_musdc, ONE_USDC),
            "adl_count": m.adl_count,
            "adl_notional_usd": int_ratio(m.adl_musdc, ONE_USDC),
            "adl_excess_usd": int_ratio(m.adl_excess_musdc, ONE_USDC),
            "liq_delay_p50_s": percentile(delays, 50) / 1_000,
            "liq_delay_p99_s": percentile(delays, 99) / 1_000,
            # from the first block that saw the unit eligible (the venue's own view)
            "liq_delay_venue_p99_s": percentile(m.venue_delays_ms, 99) / 1_000,
            # per liquidated unit, from its first margin alert (50% of maintenance used)
            "alert_lead_p50_s": percentile(m.alert_leads_ms, 50) / 1_000
            if m.alert_leads_ms else None,
            "alert_lead_p5_s": percentile(m.alert_leads_ms, 5) / 1_000
            if m.alert_leads_ms else None,
            "alert_lead_count": len(m.alert_leads_ms),
            "max_basis_bps": round(m.max_basis_bps, 2),
            "min_basis_bps": round(m.min_basis_bps, 2),
            "socialized_loss_usd": int_ratio(m.adl_covered_musdc, ONE_USDC),
            "fund_deficit_usd": int_ratio(fund_deficit, ONE_USDC),
            "drawdown": self.drawdowns(),
            "liq_peak_minute_ratio": self.peak_ratio(),
            "mean_leverage": round(mean_leverage, 4),
            "capital_efficiency": round(capital_efficiency, 4),
            "invariant_violations": len(violations),
            "invariant_details": violations,
            "final_state_root": "0x" + root.hex(),
            "price_path_digest": self.path.digest(),  # the integer index path's blake2b
            "transactions_count": k.transactions,
            "fills_count": m.fills,
            "active_agents": self.active_agents(),
            "blocks": k.blocks,
            "mempool_refused": k.refused,
            "margin_topups": self.topups,
            "height": state.height,
            **(self.rollup_part() if self.rollup is not None else {}),
            **({"governance_attacks": [a.outcome() for a in self.gov_attacks]}
               if self.gov_attacks else {}),
        }


def run(scenario: Scenario, seed: int, progress: Callable[[int], object] | None = None,
        keep_blocks: bool = False) -> RunResult:
    """Run `scenario` with `seed`; the report dict, the metrics and the simulation."""
    sim = Sim(scenario, seed, keep_blocks)
    report = sim.run(progress)
    return RunResult(report, sim.metrics, sim)
