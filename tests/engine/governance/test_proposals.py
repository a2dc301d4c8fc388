"""The proposal state machine against the scenarios of docs/mechanics.md that it
covers (creation G, voting V, tally T, queue Q, execute E, cancel C), every boundary of §2.6
pinned on both sides: threshold >=, voting open (start, deadline], quorum >=, differential >,
executable [eta, eta + grace)."""

from __future__ import annotations

import pytest

from l2perp.engine.governance.power import GovToken
from l2perp.engine.governance.proposals import (
    ABSTAIN, ACTIVE, AGAINST, CANCELED, CONSTITUTIONAL, DEFAULT_LANES, DEFEATED, EXECUTED,
    EXPIRED, FOR, LISTING, PENDING, QUEUED, STANDARD, SUCCEEDED, VETOED, GovError, Governor,
    lane_of,
)

T0 = 1_000 * 86_400_000  # epoch 142 at 7-day epochs
PROPOSER, ALICE, BOB, CAROL, LATE = "0xp", "0xa", "0xb", "0xc", "0xl"
PARAM = (("setRiskParam", 0, "oiCap", 1_000_000),)
STD = DEFAULT_LANES[STANDARD]


def governor(proposer_tokens: int = 50) -> Governor:
    """Supply 10,000: the proposer holds 0.5% (the standard lane's threshold) by default."""
    t = GovToken()
    if proposer_tokens:
        t.mint(PROPOSER, proposer_tokens, 1)
    t.mint(ALICE, 3_000, 1)
    t.mint(BOB, 2_000, 1)
    t.mint(CAROL, 10_000 - 5_000 - proposer_tokens, 1)
    g = Governor(t)
    for who in (PROPOSER, ALICE, BOB, CAROL):
        t.mark_active(who, g.epoch(T0))
    return g


def opened(g: Governor) -> tuple[int, int]:
    pid = g.propose(PROPOSER, PARAM, height=10, now_ms=T0)
    return pid, g.proposals[pid].voting_start_ms + 1


def test_G01_G02_threshold_is_inclusive() -> None:
    assert governor(50).propose(PROPOSER, PARAM, 10, T0) == 1  # exactly 0.5%: accepted
    with pytest.raises(GovError, match="threshold"):
        governor(49).propose(PROPOSER, PARAM, 10, T0)  # one token short


def test_G04_G06_empty_or_oversized_or_unknown_action_lists_are_refused() -> None:
    g = governor()
    for bad in ((), PARAM * 11, (("mintMoney", 1),)):
        with pytest.raises(GovError):
            g.propose(PROPOSER, bad, 10, T0)


def test_lane_is_the_riskiest_action() -> None:
    assert lane_of(PARAM) == STANDARD
    assert lane_of(PARAM + (("listMarket", "DOGE"),)) == LISTING
    assert lane_of((("stewardStep", 0),) + PARAM + (("scheduleUpgrade", 2, 9_000),)) \
        == CONSTITUTIONAL


def test_G08_one_live_proposal_per_proposer() -> None:
    g = governor()
    pid, _ = opened(g)
    with pytest.raises(GovError, match="live"):
        g.propose(PROPOSER, (("setRiskParam", "0.oiCap", 7),), 11, T0 + 1)
    g.cancel(pid, PROPOSER, 12, T0 + 2)
    assert g.propose(PROPOSER, PARAM, 13, T0 + 3) == 2  # allowed again after a cancel


def test_G10_power_from_the_creation_block_does_not_count() -> None:
    g = governor(0)
    g.token.transfer(CAROL, PROPOSER, 50, height=10)  # arrives in the creation block
    with pytest.raises(GovError, match="threshold"):
        g.propose(PROPOSER, PARAM, 10, T0)
    assert g.propose(PROPOSER, PARAM, 11, T0) == 1  # one block later it is history


def test_V02_V03_voting_is_open_in_start_exclusive_deadline_inclusive() -> None:
    g = governor()
    pid = g.propose(PROPOSER, PARAM, 10, T0)
    p = g.proposals[pid]
    assert p.voting_start_ms == T0 + STD.review_ms
    assert g.state(pid, p.voting_start_ms) == PENDING
    with pytest.raises(GovError):
        g.vote(pid, ALICE, FOR, p.voting_start_ms)
    assert g.state(pid, p.voting_start_ms + 1) == ACTIVE
    g.vote(pid, ALICE, FOR, p.voting_start_ms + 1)
    g.vote(pid, BOB, FOR, p.deadline_ms)  # the deadline itself is still open
    with pytest.raises(GovError):
        g.vote(pid, CAROL, AGAINST, p.deadline_ms + 1)
    assert g.state(pid, p.deadline_ms + 1) == SUCCEEDED


def test_V04_V05_V06_one_vote_each_valid_support_zero_weight_recorded() -> None:
    g = governor()
    pid, t = opened(g)
    with pytest.raises(GovError, match="support"):
        g.vote(pid, ALICE, 3, t)
    assert g.vote(pid, ALICE, ABSTAIN, t) == 3_000
    with pytest.raises(GovError, match="already"):
        g.vote(pid, ALICE, FOR, t)
    assert g.vote(pid, "0xnobody", FOR, t) == 0
    assert "0xnobody" in g.proposals[pid].voters


def test_V07_no_vote_on_a_cancelled_proposal() -> None:
    g = governor()
    pid, t = opened(g)
    g.cancel(pid, PROPOSER, 11, t)
    with pytest.raises(GovError):
        g.vote(pid, ALICE, FOR, t)


def test_V08_tokens_bought_after_the_snapshot_weigh_nothing() -> None:
    g = governor()
    pid, t = opened(g)
    g.token.transfer(CAROL, LATE, 4_000, height=12)
    g.token.mark_active(LATE, g.epoch(T0))
    assert g.vote(pid, LATE, FOR, t) == 0


def test_T01_T02_quorum_is_reached_at_exactly_its_share() -> None:
    # standard quorum 2% of the active supply (10,000) = 200 for-votes
    for votes, state in ((199, DEFEATED), (200, SUCCEEDED)):
        g = governor()
        g.token.transfer(ALICE, LATE, votes, height=2)
        g.token.mark_active(LATE, g.epoch(T0))
        pid, t = opened(g)
        g.vote(pid, LATE, FOR, t)
        assert g.state(pid, g.proposals[pid].deadline_ms + 1) == state


def test_T03_T04_T05_a_tie_loses_and_the_differential_is_strict() -> None:
    # differential 0.5% of 10,000 = 50: for - against must exceed 50
    for for_votes, against_votes, state in ((300, 300, DEFEATED), (300, 400, DEFEATED),
                                            (350, 300, DEFEATED), (351, 300, SUCCEEDED)):
        g = governor()
        g.token.transfer(ALICE, LATE, for_votes, height=2)
        g.token.transfer(BOB, "0xagainst", against_votes, height=2)
        for who in (LATE, "0xagainst"):
            g.token.mark_active(who, g.epoch(T0))
        pid, t = opened(g)
        g.vote(pid, LATE, FOR, t)
        g.vote(pid, "0xagainst", AGAINST, t)
        assert g.state(pid, g.proposals[pid].deadline_ms + 1) == state, (for_votes,
                                                                         against_votes)


def passed(g: Governor) -> tuple[int, int]:
    pid, t = opened(g)
    g.vote(pid, ALICE, FOR, t)
    return pid, g.proposals[pid].deadline_ms + 1


def test_Q01_Q02_Q03_queue_only_a_succeeded_proposal_once() -> None:
    g = governor()
    pid, t = opened(g)
    with pytest.raises(GovError):
        g.queue(pid, PARAM, t)  # still Active
    g.vote(pid, ALICE, FOR, t)
    end = g.proposals[pid].deadline_ms + 1
    assert g.queue(pid, PARAM, end) == end + STD.timelock_ms
    with pytest.raises(GovError):
        g.queue(pid, PARAM, end)
    with pytest.raises(GovError, match="unknown"):
        g.queue(99, PARAM, end)


def test_E01_E02_E04_executable_from_eta_until_before_eta_plus_grace() -> None:
    g = governor()
    pid, end = passed(g)
    eta = g.queue(pid, PARAM, end)
    with pytest.raises(GovError, match="timelock"):
        g.execute(pid, PARAM, eta - 1)
    assert g.state(pid, eta + STD.grace_ms - 1) == QUEUED
    assert g.state(pid, eta + STD.grace_ms) == EXPIRED
    with pytest.raises(GovError):
        g.execute(pid, PARAM, eta + STD.grace_ms)
    assert g.execute(pid, PARAM, eta) == PARAM
    assert g.state(pid, eta) == EXECUTED
    with pytest.raises(GovError):
        g.execute(pid, PARAM, eta)


def test_E03_a_succeeded_but_unqueued_proposal_cannot_execute() -> None:
    g = governor()
    pid, end = passed(g)
    with pytest.raises(GovError, match="not queued"):
        g.execute(pid, PARAM, end)


def test_E09_content_swapped_after_approval_fails_the_hash_at_queue_and_execute() -> None:
    """Drill: the approved text says one thing, the executed payload another."""
    g = governor()
    pid, end = passed(g)
    swapped = (("setRiskParam", 0, "oiCap", 10**12),)
    with pytest.raises(GovError, match="content hash"):
        g.queue(pid, swapped, end)
    eta = g.queue(pid, PARAM, end)
    with pytest.raises(GovError, match="content hash"):
        g.execute(pid, swapped, eta)


def test_C01_C03_C05_C06_cancel_by_the_proposer_until_execution() -> None:
    for stage in ("pending", "active", "succeeded", "queued"):
        g = governor()
        pid, t = opened(g)
        now = T0 + 1
        if stage != "pending":
            g.vote(pid, ALICE, FOR, t)
            now = t
        if stage in ("succeeded", "queued"):
            now = g.proposals[pid].deadline_ms + 1
        if stage == "queued":
            g.queue(pid, PARAM, now)
        g.cancel(pid, PROPOSER, 20, now)
        assert g.state(pid, now) == CANCELED
        with pytest.raises(GovError):
            g.cancel(pid, PROPOSER, 20, now)  # C05: twice
        with pytest.raises(GovError):
            g.queue(pid, PARAM, now)  # C06: a cancelled proposal never queues or executes
    g = governor()
    pid, end = passed(g)
    eta = g.queue(pid, PARAM, end)
    g.execute(pid, PARAM, eta)
    with pytest.raises(GovError):
        g.cancel(pid, PROPOSER, 30, eta)  # C01: not after execution


def test_C02_a_third_party_cancels_only_once_the_proposer_is_strictly_below() -> None:
    g = governor()
    pid, t = opened(g)
    with pytest.raises(GovError, match="only the proposer"):
        g.cancel(pid, BOB, 20, t)  # the proposer sits exactly at the threshold
    g.token.transfer(PROPOSER, BOB, 1, height=21)
    g.cancel(pid, BOB, 22, t)
    assert g.state(pid, t) == CANCELED


def test_veto_is_its_own_terminal_state() -> None:
    g = governor()
    pid, end = passed(g)
    eta = g.queue(pid, PARAM, end)
    g.veto(pid, eta)
    assert g.state(pid, eta) == VETOED
    with pytest.raises(GovError):
        g.execute(pid, PARAM, eta)
    with pytest.raises(GovError):
        g.veto(pid, eta)  # terminal: no second veto
    other = g.propose(ALICE, (("setRiskParam", "1.oiCap", 5),), 20, end)
    g.cancel(other, ALICE, 21, end)
    with pytest.raises(GovError, match="can be vetoed"):
        g.veto(other, end)


def test_drill_low_turnout_takeover_needs_the_active_supply_quorum() -> None:
    """Drill: a dormant majority cannot be outvoted by a small active group below quorum, and
    a dormant whale cannot wake up for a proposal created while it slept."""
    g = governor()
    g.token.mint("0xwhale", 90_000, 1)  # never active
    pid, t = opened(g)
    assert g.proposals[pid].active_supply == 10_000  # quorum base excludes the dormant whale
    assert g.vote(pid, "0xwhale", AGAINST, t) == 0
    g.vote(pid, ALICE, FOR, t)
    assert g.state(pid, g.proposals[pid].deadline_ms + 1) == SUCCEEDED
