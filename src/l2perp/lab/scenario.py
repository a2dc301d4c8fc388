"""Scenarios as TOML files: the venue, its markets, the price model with its crashes, the agent
population, the faults and how long to run. Shipped scenarios live in `lab/scenarios/`; a
scenario is named by its file stem or given as a path.

Units in the files are human ones (USD, seconds, fractions); the runner converts them to the
engine's integers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .prices import Crash, PriceModel

SHIPPED = Path(__file__).parent / "scenarios"
FAULT_KINDS = ("sequencer_outage", "congestion", "l1_gas_spike", "oracle_stall", "oracle_lag",
               "oracle_manipulation", "fraudulent_batch", "flashloan_governance",
               "low_turnout_proposal", "content_swap", "prover_outage")
SETTLEMENT_MODELS = ("optimistic", "validity")


class ScenarioError(ValueError):
    """A scenario file that cannot be run (the message says which field)."""


@dataclass(frozen=True)
class MarketCfg:
    name: str
    sz_decimals: int
    price: float  # USD at the start
    max_leverage: int = 20
    beta: float = 1.0  # to the market factor
    idio_vol: float = 0.2  # idiosyncratic annual vol
    depth_usd: float = 200_000.0  # each maker's quoted size per side, in USD
    oi_cap_usd: float = 0.0
    # a maker holding this much (USD at its fair value) stops quoting the side that adds to it:
    # a thin market's makers will not warehouse a squeeze (0: no limit)
    max_inventory_usd: float = 0.0


@dataclass(frozen=True)
class AgentsCfg:
    makers: int = 3
    noise: int = 40
    momentum: int = 6
    leveraged: int = 60
    arbitrageurs: int = 2
    oracles: int = 3
    leverage_min: float = 2.0
    leverage_max: float = 20.0
    position_usd: float = 20_000.0  # a leveraged trader's typical notional
    noise_rate_per_min: float = 1.0  # orders per noise trader per minute
    noise_size_usd: float = 2_000.0
    maker_refresh_s: float = 2.0
    maker_spread_bps: float = 5.0
    maker_withdraw_move: float = 0.03  # withdraw when the index moved this much in a minute
    maker_withdraw_s: float = 120.0
    momentum_window_s: float = 60.0
    momentum_threshold: float = 0.004
    momentum_size_usd: float = 10_000.0
    arb_threshold_bps: float = 20.0
    oracle_cadence_s: float = 3.0
    latency_ms: tuple[int, int] = (20, 200)  # agent -> sequencer, uniform
    topup_fraction: float = 0.3  # leveraged traders that add margin when close to liquidation


@dataclass(frozen=True)
class WhaleCfg:
    """One large position opened at the start (`agents.Whale`), as JELLY's trader opened a
    ~$4-6M short on 2025-03-26. The other side is the whale's own second account (the trader
    held offsetting longs on other accounts), so opening needs no book depth; at the market's
    maximum leverage the position is liquidated early in a move against it, and a book as thin
    as JELLY's cannot take it: the backstop does."""

    market: str
    notional_usd: float  # at the opening price
    leverage: int = 5  # capped at the market's maximum; the margin deposited is notional / this
    side: str = "short"  # or "long"
    at_s: int = 0  # opens at the first oracle price after this (the CI version scales it)


@dataclass(frozen=True)
class Fault:
    kind: str
    at_s: int
    duration_s: int = 0
    capacity: int = 0  # congestion: transactions per block
    lag_s: int = 0  # oracle lag
    factor: float = 1.0  # oracle manipulation: the thin source reports price x factor
    asset: str = ""  # oracle faults: one market (empty: all)
    operators: int = 0  # how many oracle operators misbehave (0: all)


@dataclass(frozen=True)
class ProverCfg:
    """The validity model's prover (`lab/settlement.py`, `rollup/prover.py`): a MODEL, no
    cryptographic proof is made. `workers` proofs run at once, oldest batch first; each takes a
    latency drawn from a lognormal (median, sigma) or, with probability `tail_share`, from a
    Pareto tail (scale `tail_min_s`, index `tail_alpha`), at most `max_s`; its cost is per
    transaction."""

    # minutes with a heavy tail: zkSync Era ~1 h per batch and Scroll ~50 min to L1 finality
    # (reference/rollup.md 1.1) include queueing and aggregation; a dedicated prover is faster
    median_s: float = 300.0
    sigma: float = 0.5  # lognormal shape: p99 ~ 3.2x the median
    tail_share: float = 0.01  # proofs drawn from the Pareto tail instead (stuck, retried)
    tail_min_s: float = 900.0  # its scale ...
    tail_alpha: float = 1.5  # ... and index: infinite variance below 2
    max_s: float = 7_200.0  # a proof is restarted on other hardware past this (an assumption)
    workers: int = 16  # proofs in parallel; batches still finalize in order
    cost_per_tx_musdc: int = 1_000  # $0.001 per transaction proven (an assumption, not sourced)


@dataclass(frozen=True)
class SettlementCfg:
    """How batches become final on L1 in a settlement run, and the synthetic bridge users whose
    withdrawals measure it (`lab/settlement.py`). `model` is the one a plain run uses; the CLI's
    `--settlement` chooses another or both. Times in seconds of the L1 clock."""

    model: str = "optimistic"  # or "validity"
    batch_interval_s: int = 60  # rollup/params.py MAINNET_LIKE
    challenge_window_s: int = 604_800  # optimistic: OP Stack proof maturity 7 days
    force_inclusion_s: int = 86_400  # Arbitrum delayed inbox: 24 h
    exit_deadline_s: int = 604_800  # a forced request unserved this long: exit mode (StarkEx
    #                                 FREEZE_GRACE_PERIOD, 7 days)
    withdrawers: int = 20  # bridge users who withdraw now and then
    withdraw_every_s: float = 900.0  # mean gap between one user's withdrawals (exponential)
    withdraw_usd: float = 2_000.0  # mean amount (uniform in [0.5, 1.5] x)
    forced_share: float = 0.1  # share of withdrawals requested as forced withdrawals on L1
    prover: ProverCfg = ProverCfg()


@dataclass(frozen=True)
class L1FeeCfg:
    """The L1 data fee in a lab run (`lab/l1fees.py`, engine/l1fee.py): L1 gas priced at
    `eth_usd`, the engine's `gas_per_million_usd` cost model, and how far an `l1_gas_spike`
    fault drives the L1 base fee: full blocks until it is `spike_multiple` times the base fee
    the L1 starts with."""

    eth_usd: int = 3_000
    gas_per_million_usd: int = 2_000_000
    spike_multiple: int = 6  # 2020-03-12: Ethereum gas ~6x its mean


@dataclass(frozen=True)
class Figure:
    """One public figure of the event a scenario imitates, and the band a simulated median
    must fall in (`lab/calibrate.py`). `metric` names what is measured (`calibrate.METRICS`) on
    `market`; `band` is (low, high) in the metric's unit, empty when the figure is shown for
    comparison only."""

    metric: str
    label: str
    value: float  # the event's figure, in the metric's unit
    text: str  # the figure as the source states it
    source: str
    url: str
    market: str = ""
    band: tuple[float, ...] = ()


@dataclass(frozen=True)
class Event:
    """The event a scenario imitates: metadata only, the simulation never reads it."""

    name: str
    date: str
    summary: str  # one paragraph: what happened, and what the scenario keeps of it
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    cites: str = ""
    duration_s: int = 3_600
    block_ms: int = 1_000
    block_capacity: int = 5_000
    insurance_seed_usd: float = 1_000_000.0
    max_liquidations_per_block: int = 20
    post_outage_grace_s: int = 60
    liquidation_fee: float = 0.015  # the ceiling, a share of the filled notional
    partial_fraction: float = 0.2  # of a position above $100k sent per liquidation
    markets: tuple[MarketCfg, ...] = ()
    prices: PriceModel = PriceModel()
    agents: AgentsCfg = AgentsCfg()
    whales: tuple[WhaleCfg, ...] = ()  # [[whales]]: large positions opened at the start
    faults: tuple[Fault, ...] = ()
    governance: bool = False
    rollup: bool = False  # run the settlement contract, poster, verifier and reconciler
    settlement: SettlementCfg | None = None  # a settlement run: a [settlement] table
    l1_fee: L1FeeCfg | None = None  # an [l1_fee] table: batches' L1 cost passed to takers
    guardian_response_s: tuple[int, int] = (300, 3_600)
    ci_duration_s: int = 1_800  # the CI version: this long, events compressed to fit
    ci_scale: float = 0.5  # and this share of the noise, momentum and leveraged agents
    event: Event | None = None  # the event imitated, with its public figures (metadata)

    def for_ci(self) -> "Scenario":
        """The short version CI runs: crash and fault times and lengths scaled by
        ci_duration / duration (at least one second), fewer agents (the whales stay, each
        opening at its scaled time)."""
        k = self.ci_duration_s / self.duration_s
        if k >= 1:
            return self.shortened(self.duration_s, self.ci_scale)

        def s(seconds: int) -> int:
            return max(1, int(seconds * k))
        crashes = tuple(replace(c, at_s=s(c.at_s), duration_s=s(c.duration_s),
                                recovery_s=s(c.recovery_s)) for c in self.prices.crashes)
        faults = tuple(replace(f, at_s=s(f.at_s), duration_s=s(f.duration_s))
                       for f in self.faults)
        whales = tuple(replace(w, at_s=int(w.at_s * k)) for w in self.whales)
        short = replace(self, prices=replace(self.prices, crashes=crashes), faults=faults,
                        whales=whales)
        return short.shortened(self.ci_duration_s, self.ci_scale)

    def shortened(self, duration_s: int, scale_agents: float = 1.0) -> "Scenario":
        """The same scenario cut to `duration_s` (events past the end drop out) with the agent
        population scaled, for CI."""
        agents = self.agents
        if scale_agents != 1.0:
            agents = replace(agents, **{name: max(1, int(getattr(agents, name) * scale_agents))
                                        for name in ("noise", "momentum", "leveraged")})
        return replace(self, duration_s=duration_s, agents=agents)


def build(cls, data: dict, where: str):
    """A dataclass from TOML data: unknown fields and bad values are ScenarioErrors naming
    `where`; lists become tuples."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {', '.join(unknown)}")
    clean = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**clean)
    except TypeError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def parse_scenario(data: dict, name: str) -> Scenario:
    data = dict(data)
    markets = tuple(build(MarketCfg, m, f"markets[{i}]")
                    for i, m in enumerate(data.pop("markets", [])))
    if not markets:
        raise ScenarioError("a scenario needs at least one [[markets]] entry")
    prices = dict(data.pop("prices", {}))
    crashes = tuple(build(Crash, c, f"prices.crashes[{i}]")
                    for i, c in enumerate(prices.pop("crashes", [])))
    model = build(PriceModel, {**prices, "crashes": crashes}, "prices")
    if not model.nu > 2:
        raise ScenarioError(f"prices.nu must be above 2 (got {model.nu})")
    agents = build(AgentsCfg, data.pop("agents", {}), "agents")
    faults = tuple(build(Fault, f, f"faults[{i}]") for i, f in enumerate(data.pop("faults", [])))
    for fault in faults:
        if fault.kind not in FAULT_KINDS:
            raise ScenarioError(f"unknown fault kind {fault.kind!r}")
    settlement = None
    if "settlement" in data:
        raw = dict(data.pop("settlement"))
        prover = build(ProverCfg, raw.pop("prover", {}), "settlement.prover")
        settlement = check_settlement(build(SettlementCfg, {**raw, "prover": prover},
                                            "settlement"))
    l1_fee = None
    if "l1_fee" in data:
        l1_fee = build(L1FeeCfg, data.pop("l1_fee"), "l1_fee")
        if l1_fee.eth_usd <= 0 or l1_fee.gas_per_million_usd < 0 or l1_fee.spike_multiple < 1:
            raise ScenarioError("l1_fee: eth_usd > 0, gas_per_million_usd >= 0, "
                                "spike_multiple >= 1")
    names = [m.name for m in markets]
    whales = tuple(build(WhaleCfg, w, f"whales[{i}]")
                   for i, w in enumerate(data.pop("whales", [])))
    for i, whale in enumerate(whales):
        if whale.market not in names:
            raise ScenarioError(f"whales[{i}] names an unknown market {whale.market!r}")
        if whale.side not in ("short", "long") or not whale.notional_usd > 0 \
                or whale.leverage < 1 or whale.at_s < 0:
            raise ScenarioError(f"whales[{i}]: side is short or long, notional_usd > 0, "
                                "leverage >= 1, at_s >= 0")
    for crash in model.crashes:
        if any(a not in names for a in crash.assets):
            raise ScenarioError(f"a crash names an unknown market: {crash.assets}")
    event = None
    if "event" in data:
        raw = dict(data.pop("event"))
        figures = tuple(build(Figure, f, f"event.figures[{i}]")
                        for i, f in enumerate(raw.pop("figures", [])))
        event = build(Event, {**raw, "figures": figures}, "event")
        for figure in figures:
            if figure.band and (len(figure.band) != 2 or figure.band[0] > figure.band[1]):
                raise ScenarioError(f"event figure {figure.label!r}: band is [low, high]")
            if figure.market and figure.market not in names:
                raise ScenarioError(f"event figure {figure.label!r} names an unknown market")
    data.setdefault("name", name)
    return build(Scenario, {**data, "markets": markets, "prices": model, "agents": agents,
                             "whales": whales, "faults": faults, "event": event,
                             "settlement": settlement,
                             "l1_fee": l1_fee},
                 "scenario")


def check_settlement(cfg: SettlementCfg) -> SettlementCfg:
    """A [settlement] table that can run, or a ScenarioError naming the field."""
    if cfg.model not in SETTLEMENT_MODELS:
        raise ScenarioError(f"settlement.model must be one of {', '.join(SETTLEMENT_MODELS)} "
                            f"(got {cfg.model!r})")
    if not 0 < cfg.force_inclusion_s < cfg.exit_deadline_s:
        raise ScenarioError("settlement.force_inclusion_s must be positive and below "
                            "settlement.exit_deadline_s")
    if cfg.batch_interval_s <= 0 or cfg.challenge_window_s <= 0:
        raise ScenarioError("settlement.batch_interval_s and challenge_window_s must be positive")
    if not 0 <= cfg.forced_share <= 1 or cfg.withdrawers < 0 or cfg.withdraw_every_s <= 0:
        raise ScenarioError("settlement: forced_share in [0, 1], withdrawers >= 0, "
                            "withdraw_every_s > 0")
    p = cfg.prover
    if p.workers < 1 or p.median_s <= 0 or p.sigma < 0 or not 0 <= p.tail_share <= 1 \
            or p.tail_alpha <= 0 or p.tail_min_s <= 0 or p.cost_per_tx_musdc < 0 \
            or p.max_s < p.median_s:
        raise ScenarioError("settlement.prover: workers >= 1, median_s > 0, sigma >= 0, "
                            "tail_share in [0, 1], tail_alpha > 0, tail_min_s > 0, "
                            "max_s >= median_s, cost_per_tx_musdc >= 0")
    return cfg


def with_settlement(scenario: Scenario, model: str) -> Scenario:
    """The scenario as a settlement run under `model` (its own [settlement] table, else the
    defaults)."""
    if model not in SETTLEMENT_MODELS:
        raise ScenarioError(f"--settlement is one of {', '.join(SETTLEMENT_MODELS)} or both")
    return replace(scenario, settlement=replace(scenario.settlement or SettlementCfg(),
                                                model=model))


def read_toml(ref: str | Path, shipped: Path, what: str) -> tuple[dict, Path]:
    """A shipped file by name (its stem in `shipped`) or a TOML file by path: (data, path)."""
    path = Path(ref)
    if not path.suffix:
        path = shipped / f"{ref}.toml"
    if not path.exists():
        names = ", ".join(sorted(p.stem for p in shipped.glob("*.toml")))
        raise ScenarioError(f"no {what} {ref!r} (shipped: {names})")
    with open(path, "rb") as f:
        try:
            return tomllib.load(f), path
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{path}: {exc}") from None


def load_scenario(ref: str | Path) -> Scenario:
    """A shipped scenario by name, or a TOML file by path."""
    data, path = read_toml(ref, SHIPPED, "scenario")
    return parse_scenario(data, path.stem)


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


__all__ = ["Crash", "PriceModel", "Scenario", "MarketCfg", "AgentsCfg", "WhaleCfg", "Fault",
           "Event", "Figure", "ProverCfg", "SettlementCfg"]
