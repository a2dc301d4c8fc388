"""Faults in short custom runs: a thin source manipulated by one operator in three cannot move
the stake-weighted median, two in three can; a lagging feed trails the index; congestion builds
a backlog and delays inclusion; an outage builds nothing."""

from __future__ import annotations

from l2perp.lab.prices import PriceModel
from l2perp.lab.runner import run
from l2perp.lab.scenario import AgentsCfg, Fault, MarketCfg, Scenario

BTC = MarketCfg("BTC", 5, 50_000.0, max_leverage=20, idio_vol=0.05, depth_usd=200_000.0)


def short(*faults: Fault, seconds: int = 600) -> Scenario:
    agents = AgentsCfg(makers=2, noise=20, momentum=0, leveraged=10, arbitrageurs=1)
    return Scenario("faults", duration_s=seconds, markets=(BTC,),
                    prices=PriceModel(annual_vol=0.3), agents=agents, faults=faults)


def oracle_gap(result, start_s: int, end_s: int) -> float:
    """The largest |oracle / index - 1| over the minutes in [start, end)."""
    s = result.metrics.series
    gaps = [abs(o / i - 1) for t, o, i in zip(s.t_s, s.oracle["BTC"], s.index["BTC"])
            if start_s <= t < end_s and o == o]
    return max(gaps)


def test_one_manipulated_operator_in_three_cannot_move_the_median() -> None:
    one = run(short(Fault("oracle_manipulation", 120, 300, factor=1.5, operators=1)), 1)
    assert oracle_gap(one, 180, 420) < 0.01
    two = run(short(Fault("oracle_manipulation", 120, 300, factor=1.5, operators=2)), 1)
    assert oracle_gap(two, 180, 420) > 0.3  # two thirds of the stake: the median moves
    assert one.report["invariant_violations"] == two.report["invariant_violations"] == 0


def test_a_lagging_feed_trails_the_index() -> None:
    clean = run(short(), 2)
    lagged = run(short(Fault("oracle_lag", 0, 600, lag_s=60)), 2)
    assert oracle_gap(lagged, 120, 600) > oracle_gap(clean, 120, 600)


def test_congestion_builds_a_backlog_and_an_outage_builds_no_block() -> None:
    congested = run(short(Fault("congestion", 120, 240, capacity=1)), 3)
    clean = run(short(), 3)
    start = clean.sim.kernel.start_ms

    def peak(result) -> int:
        return max(n for t, n in result.sim.kernel.backlog
                   if start + 120_000 <= t < start + 360_000)
    assert peak(congested) > 5 * max(1, peak(clean))
    outage = run(short(Fault("sequencer_outage", 120, 120)), 3, keep_blocks=True)
    built_ms = [b.time_ms for b in outage.sim.kernel.sequencer.log.blocks]
    assert not [t for t in built_ms if start + 120_000 <= t < start + 240_000]
    assert built_ms[-1] > start + 240_000  # building resumed
    # the clean run builds a block in most of those 120 one-second ticks
    assert outage.sim.kernel.state.height <= clean.sim.kernel.state.height - 60
    assert outage.report["invariant_violations"] == 0
