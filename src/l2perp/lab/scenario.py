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
               "low_turnout_proposal", "content_swap")


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
    faults: tuple[Fault, ...] = ()
    governance: bool = False
    rollup: bool = False  # run the settlement contract, poster, verifier and reconciler
    guardian_response_s: tuple[int, int] = (300, 3_600)
    ci_duration_s: int = 1_800  # the CI version: this long, events compressed to fit
    ci_scale: float = 0.5  # and this share of the noise, momentum and leveraged agents
    event: Event | None = None  # the event imitated, with its public figures (metadata)

    def for_ci(self) -> "Scenario":
        """The short version CI runs: crash and fault times and lengths scaled by
        ci_duration / duration (at least one second), fewer agents."""
        k = self.ci_duration_s / self.duration_s
        if k >= 1:
            return self.shortened(self.duration_s, self.ci_scale)

        def s(seconds: int) -> int:
            return max(1, int(seconds * k))
        crashes = tuple(replace(c, at_s=s(c.at_s), duration_s=s(c.duration_s),
                                recovery_s=s(c.recovery_s)) for c in self.prices.crashes)
        faults = tuple(replace(f, at_s=s(f.at_s), duration_s=s(f.duration_s))
                       for f in self.faults)
        short = replace(self, prices=replace(self.prices, crashes=crashes), faults=faults)
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
    names = [m.name for m in markets]
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
                             "faults": faults, "event": event}, "scenario")


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


__all__ = ["Crash", "PriceModel", "Scenario", "MarketCfg", "AgentsCfg", "Fault", "Event", "Figure"]
