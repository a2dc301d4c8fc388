"""Whales (`[[whales]]`): one large position opened at the start against the whale's own second
account, seeded from its own SeedSequence child so that no other stream moves; in jelly_like the
squeeze liquidates the whale's short early, the backstop takes it over and, the thin book's makers
being full, holds it through the move (the JELLY event's shape)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from l2perp.engine.state import fund_address
from l2perp.lab.runner import Sim
from l2perp.lab.scenario import ScenarioError, WhaleCfg, load_scenario, parse_scenario

WHALE, TWIN = "0x08" + "00" * 15 + "00000000", "0x08" + "00" * 15 + "00000001"


def test_a_whale_shifts_no_other_agents_stream_or_the_price_path() -> None:
    base = load_scenario("oracle_stall").for_ci()
    whale = replace(base, whales=(WhaleCfg("BTC", 500_000.0, 10, "short", 60),))
    plain, with_whale = Sim(base, 3), Sim(whale, 3)
    assert plain.path.digest() == with_whale.path.digest()
    others = [a for a in with_whale.agents if a.kind not in ("whale", "agent")]
    assert len(others) == len(plain.agents)
    for a, b in zip(plain.agents, others):
        assert (a.kind, a.address) == (b.kind, b.address)
        assert [a.rng.word() for _ in range(5)] == [b.rng.word() for _ in range(5)]
    assert [a.address for a in with_whale.agents[-2:]] == [WHALE, TWIN]


def test_jelly_whale_is_taken_over_early_and_the_fund_holds_it_through_the_squeeze() -> None:
    spec = load_scenario("jelly_like").for_ci()
    sim = Sim(spec, 1)
    jelly = next(m.asset for m in sim.markets if m.name == "JELLY")
    fund = fund_address(0)
    at_top: list[int] = [0, 0]  # (mark pips, the fund's JELLY lots) at the highest mark

    def watch(receipts, block) -> None:
        state = sim.kernel.state
        mark = state.markets[jelly].mark_pips
        if mark > at_top[0]:
            pos = state.accounts[fund].positions.get(jelly) if fund in state.accounts else None
            at_top[:] = [mark, pos.size_lots if pos is not None else 0]
    sim.kernel.on_block.append(watch)
    report = sim.run()
    assert report["invariant_violations"] == 0 and report["adl_count"] == 0
    taken = [e for e in sim.metrics.events if e["kind"] == "backstop" and e["user"] == WHALE]
    assert len(taken) == 1 and taken[0]["asset"] == jelly
    whale_lots = -taken[0]["lots"]
    assert 100_000_000 < whale_lots < 110_000_000  # $1M at ~$0.0095, a whole lot each
    crash = spec.prices.crashes[0]
    start = sim.kernel.start_ms + crash.at_s * 1_000
    assert start <= taken[0]["t"] < start + crash.duration_s * 1_000 // 3  # early in the move
    assert -at_top[1] >= 0.8 * whale_lots  # the fund still holds it at the top
    assert report["insurance_fund_min_usd"] > 0  # ... and can: no bad debt, no ADL


def test_the_ci_version_keeps_the_whale_at_its_scaled_time() -> None:
    spec = replace(load_scenario("jelly_like"),
                   whales=(WhaleCfg("JELLY", 1_000_000.0, 5, "short", 720),))
    assert spec.for_ci().whales == (WhaleCfg("JELLY", 1_000_000.0, 5, "short", 180),)


@pytest.mark.parametrize("whale, message", [
    ({"market": "DOGE", "notional_usd": 1.0}, "unknown market"),
    ({"market": "BTC", "notional_usd": 1.0, "side": "sideways"}, "side is short or long"),
    ({"market": "BTC", "notional_usd": 0.0}, "notional_usd > 0"),
    ({"market": "BTC", "notional_usd": 1.0, "size": 3}, "unknown field"),
])
def test_a_malformed_whale_says_which_field(whale: dict, message: str) -> None:
    data = {"markets": [{"name": "BTC", "sz_decimals": 5, "price": 1.0}], "whales": [whale]}
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data, "x")
