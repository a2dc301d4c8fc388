"""Proposal rows state the thresholds the engine applies: `quorum` is the least `for` that
meets the quorum and `minMargin` the least (for - against) that beats the differential, both
pinned against `Governor.passed` on each side of the boundary, in two lanes."""

from __future__ import annotations

from l2perp.api.gov_api import proposal_row
from l2perp.engine.governance.proposals import AGAINST, FOR
from l2perp.engine.genesis import genesis_state
from l2perp.node.devnet import dev_keys, devnet_genesis

T0 = 1_800_000_000_000


def test_quorum_and_min_margin_are_the_engines_boundaries() -> None:
    state = genesis_state(devnet_genesis(T0))
    gov = state.gov
    traders = [k.address for k in dev_keys() if k.role == "trader"]
    for proposer, actions in zip(traders, ((("setRiskParam", "0.tier0.maxLeverage", 30),),
                    (("setGovernanceRule", "gov.activityEpochs", 5),))):
        pid = gov.governor.propose(proposer, actions, 1, T0)
        p = gov.governor.proposals[pid]
        p.active_supply = 1_000_003  # not a multiple of 10^4: the rounding shows
        row = proposal_row(gov, pid, T0)
        quorum, margin = row["quorum"], row["minMargin"]
        assert quorum * 10_000 >= p.rules.quorum_bps * p.active_supply > (quorum - 1) * 10_000
        big = max(quorum, margin) + 10
        cases = [(big, big - margin, True),  # margin exactly: passes
                 (big, big - margin + 1, False),  # one short of the margin
                 (quorum - 1, 0, False)]  # below quorum whatever the margin
        if quorum >= margin:
            cases.append((quorum, 0, True))  # quorum exactly
        for votes_for, votes_against, expected in cases:
            p.votes[FOR], p.votes[AGAINST] = votes_for, votes_against
            assert gov.governor.passed(p) is expected, (row["lane"], votes_for, votes_against)


def test_a_steward_bound_is_ready_exactly_when_the_engine_takes_a_step() -> None:
    """`ready` is the engine's debounce rule: before any step, not one ms before last +
    debounce, and from last + debounce on (`>=`), where steward_update accepts again."""
    from l2perp.api.gov_api import stewards
    from l2perp.engine.governance.stewards import StewardError

    state = genesis_state(devnet_genesis(T0))
    table = state.gov.table
    steward = table.stewards[0]
    key = "0.tier0.maxLeverage"

    def bound() -> dict:
        return next(b for b in stewards(state)["bounds"] if b["key"] == key)

    state.time_ms = T0
    assert bound()["ready"]
    table.steward_update(steward, key, 35, T0)
    debounce = bound()["debounceMs"]
    state.time_ms = T0 + debounce - 1
    assert not bound()["ready"] and bound()["nextUpdate"] == T0 + debounce
    try:
        table.steward_update(steward, key, 30, state.time_ms)
        raise AssertionError("the engine took a step inside the debounce")
    except StewardError:
        pass
    state.time_ms = T0 + debounce
    assert bound()["ready"]
    table.steward_update(steward, key, 30, state.time_ms)
