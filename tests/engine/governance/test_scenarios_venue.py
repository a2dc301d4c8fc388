"""Scenarios of docs/mechanics.md run through the whole engine: governance transactions
in real blocks (`apply_block`), each boundary of §2.6 pinned at the exact block time on both
sides (a forked venue tests the other side of an edge that cannot be crossed twice).

Lane used unless said otherwise: standard (threshold 0.5%, quorum 2%, differential 0.5% of the
active supply, review 1 day, voting 4 days, timelock 2 days, grace 7 days). Active supply at
genesis: the 1,000,000 tokens of the five holders (the treasury never acts, so it never counts).
"""

from __future__ import annotations

import pytest



from l2perp.engine.governance.proposals import DAY_MS, STANDARD, STEWARD
from l2perp.engine.governance.transactions import GovDelegate, GovPropose, GovTransfer
from l2perp.engine.state import MARKET_ACTIVE, MARKET_PAUSED
from l2perp.wire.actions import WireError, parse_action
from tests.support.gov_rig import (
    ALICE, BOB, CAROL, DAVE, G1, G2, G3, OP1, OP2, OP3, WHALE, GovVenue,
    gov_genesis,
)
from tests.support.venue import addr

EVE = addr(0xE5)
OI = (("setRiskParam", "0.oiCap", 50_000_000_000_000),)
CB = (("setRiskParam", "0.cbBand", 120_000_000),)


def venue(**kw) -> GovVenue:
    v = GovVenue(gov_genesis(**kw) if kw else None)
    v.block()
    return v


def proposal(v: GovVenue, pid: int):
    return v.gov.governor.proposals[pid]


def propose(v: GovVenue, actions=OI, who=WHALE) -> int:
    v.ok(who, "propose", actions)
    return v.gov.governor.next_pid - 1


# ----- creation ---------------------------------------------------------------------------------

def test_G01_G02_threshold_is_inclusive_at_the_block_before_creation() -> None:
    v = venue()
    v.ok(DAVE, "transfer", EVE, 4_999)  # 0.4999% of the active supply: one token short
    v.ok(EVE, "delegate", EVE)  # acting makes EVE's power count
    assert "threshold" in v.refused(EVE, "propose", OI)
    receipts = v.block(v.tx(DAVE, GovTransfer(EVE, 1)),  # exactly 0.5% ...
                       v.tx(EVE, GovPropose(OI))).receipts  # ... in the same block
    assert receipts[0].ok and "threshold" in receipts[1].error  # read at the block before
    v.ok(EVE, "propose", OI)  # one block later: exactly at the threshold is enough
    assert v.gov.governor.proposals[1].proposer == EVE


def test_G03_power_delegated_to_the_proposer_counts() -> None:
    v = venue()
    v.ok(DAVE, "transfer", EVE, 1_000)
    v.ok(EVE, "delegate", EVE)
    assert "threshold" in v.refused(EVE, "propose", OI)
    v.ok(CAROL, "delegate", EVE)  # 90,000 more votes behind EVE
    v.block()
    v.ok(EVE, "propose", OI)


def test_G05_G09_malformed_actions_are_refused_before_anything_is_stored() -> None:
    v = venue()
    for actions in ((("setRiskParam", "0.oiCap"),),  # missing argument
                    (("setRiskParam", "0.oiCap", "5"),),  # wrong type
                    (("treasuryTransfer", "0xnot-an-address", 5),),
                    (("mintTokens", WHALE, 5),),  # no such action, so no lane to route it to
                    ()):
        assert v.refused(WHALE, "propose", actions).startswith("Governance:")
    assert v.gov.governor.proposals == {}


def test_G07_G11_identical_proposal_by_the_same_proposer_is_refused_not_by_another() -> None:
    v = venue()
    propose(v, OI, WHALE)
    assert "already" in v.refused(WHALE, "propose", OI)
    propose(v, OI, ALICE)  # another proposer is not locked out by a front-runner's copy
    assert len(v.gov.governor.proposals) == 2


def test_G12_a_lane_lower_than_the_riskiest_action_is_impossible() -> None:
    v = venue()
    pid = propose(v, (("stewardStep", "0.cbBand", 160_000_000),
                      ("treasuryTransfer", EVE, 10)))
    assert proposal(v, pid).lane == 2  # listing/treasury, not the steward lane


# ----- voting ------------------------------------------------------------------------------------

def test_V01_V02_V03_voting_window_start_exclusive_deadline_inclusive() -> None:
    v = venue()
    assert "unknown proposal" in v.refused(ALICE, "vote", 99, 1)
    pid = propose(v)
    p = proposal(v, pid)
    assert "not open" in v.at(p.voting_start_ms, ALICE, "vote", pid, 1).error  # V02
    assert v.at(p.voting_start_ms + 1, ALICE, "vote", pid, 1).ok
    assert v.at(p.deadline_ms, BOB, "vote", pid, 0).ok  # the deadline itself is open
    assert "not open" in v.at(p.deadline_ms + 1, CAROL, "vote", pid, 1).error  # V03
    assert v.state_of(pid) == "Succeeded"


def test_V04_V05_V06_V07_one_vote_each_valid_support_zero_weight_no_vote_on_cancelled() -> None:
    v = venue()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    assert "support" in v.refused(ALICE, "vote", pid, 3)
    v.ok(ALICE, "vote", pid, 1)
    assert "already voted" in v.refused(ALICE, "vote", pid, 0)
    v.ok(EVE, "vote", pid, 1)  # holds nothing: accepted with weight 0
    assert proposal(v, pid).voters[EVE] == (1, 0)
    v.ok(WHALE, "cancel", pid)
    assert "not open" in v.refused(BOB, "vote", pid, 1)


def test_V08_G10_tokens_bought_in_or_after_the_creation_block_weigh_nothing() -> None:
    v = venue()
    pid = propose(v)
    v.ok(WHALE, "transfer", EVE, 300_000)  # after the snapshot
    v.ok(EVE, "delegate", EVE)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(EVE, "vote", pid, 0)
    assert proposal(v, pid).voters[EVE] == (0, 0)


def test_V09_V10_a_replayed_signed_vote_or_delegation_is_refused_by_its_nonce() -> None:
    v = venue()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    tx = v.tx(ALICE, GovDelegate(BOB))
    assert v.block(tx).receipts[0].ok
    assert "nonce" in v.block(tx).receipts[0].error.lower()
    assert "not an address" in v.refused(ALICE, "delegate", "bob")


def test_V11_abstain_does_not_count_toward_quorum() -> None:
    v = venue()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(DAVE, "vote", pid, 1)  # 10,000 for: half the quorum
    v.ok(ALICE, "vote", pid, 2)  # 300,000 abstain
    v.advance(proposal(v, pid).deadline_ms - v.state.time_ms + 1)
    assert v.state_of(pid) == "Defeated"


# ----- tally -------------------------------------------------------------------------------------

def test_T01_T02_quorum_exactly_reached_succeeds_one_token_short_fails() -> None:
    v = venue()
    v.ok(CAROL, "transfer", EVE, 20_000)  # exactly 2% of the active supply
    v.ok(EVE, "delegate", EVE)
    v.block()
    exact = propose(v, OI)
    v.ok(EVE, "transfer", addr(0xE6), 1)  # to a holder who never acts: 19,999 left
    v.block()
    short = propose(v, CB, ALICE)
    for pid in (exact, short):
        v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
        v.ok(EVE, "vote", pid, 1)
    v.advance(proposal(v, short).deadline_ms - v.state.time_ms + 1)
    p = proposal(v, exact)
    assert p.votes[1] * 10_000 == 200 * p.active_supply and v.state_of(exact) == "Succeeded"
    q = proposal(v, short)
    assert q.votes[1] == 19_999 and q.active_supply == 999_999
    assert v.state_of(short) == "Defeated"  # 19,999 < 2% of 999,999


def test_T03_T04_T05_tie_and_differential_are_strict() -> None:
    v = venue()
    v.ok(CAROL, "transfer", EVE, 25_000)
    v.ok(EVE, "delegate", EVE)
    v.ok(CAROL, "transfer", addr(0xE7), 20_000)
    v.ok(addr(0xE7), "delegate", addr(0xE7))
    v.block()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(EVE, "vote", pid, 1)  # 25,000 for
    v.ok(addr(0xE7), "vote", pid, 0)  # 20,000 against: difference 5,000 == 0.5%: not above
    v.advance(proposal(v, pid).deadline_ms - v.state.time_ms + 1)
    assert v.state_of(pid) == "Defeated"


def test_T07_a_lane_change_applies_only_to_later_proposals() -> None:
    v = venue()
    before = propose(v, OI, ALICE)
    lanes = (("setLaneParams", STANDARD, 50, 9_000, 50, DAY_MS, 4 * DAY_MS, 2 * DAY_MS,
              7 * DAY_MS),)
    v.enact(lanes, voters=(WHALE, ALICE, BOB))
    assert proposal(v, before).rules.quorum_bps == 200
    after = propose(v, CB, BOB)
    assert proposal(v, after).rules.quorum_bps == 9_000


def test_T09_C02_a_proposer_below_threshold_can_be_cancelled_by_anyone() -> None:
    v = venue()
    v.ok(CAROL, "transfer", EVE, 5_000)
    v.ok(EVE, "delegate", EVE)
    v.block()
    pid = propose(v, OI, EVE)
    assert "only the proposer" in v.refused(BOB, "cancel", pid)
    v.ok(EVE, "transfer", CAROL, 1)  # now strictly below
    v.block()
    v.ok(BOB, "cancel", pid)
    assert v.state_of(pid) == "Canceled"


# ----- queue and execute -------------------------------------------------------------------------

def test_Q01_Q02_Q03_Q06_queue_only_a_succeeded_proposal_once_after_the_vote() -> None:
    v = venue()
    assert "unknown proposal" in v.refused(WHALE, "queue", 7, OI)
    pid = propose(v)
    assert "not succeeded" in v.refused(WHALE, "queue", pid, OI)  # Pending
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", pid, 1)
    assert "not succeeded" in v.refused(WHALE, "queue", pid, OI)  # Active: vote not over
    v.advance(proposal(v, pid).deadline_ms - v.state.time_ms + 1)
    v.ok(DAVE, "queue", pid, OI)  # anyone may queue a succeeded proposal
    assert "not succeeded" in v.refused(WHALE, "queue", pid, OI)


def test_Q04_the_same_action_twice_in_one_proposal_is_refused_in_two_it_is_fine() -> None:
    v = venue()
    assert "twice" in v.refused(WHALE, "propose", OI + OI)
    propose(v, OI, WHALE)
    propose(v, OI, ALICE)


def test_Q05_a_lane_without_timelock_is_executable_at_its_queue_time() -> None:
    v = venue()
    step = (("stewardStep", "0.cbBand", 160_000_000),)
    pid = v.pass_proposal(step)
    assert proposal(v, pid).lane == STEWARD and proposal(v, pid).eta_ms == v.state.time_ms
    v.ok(WHALE, "execute", pid, step)
    assert v.state.markets[0].spec.cb_band_e9 == 160_000_000


def test_E01_E02_E08_executable_from_eta_until_before_eta_plus_grace_at_the_exact_ms() -> None:
    v = venue()
    pid = v.pass_proposal(OI)
    p = proposal(v, pid)
    assert "timelock" in v.at(p.eta_ms - 1, WHALE, "execute", pid, OI).error
    late = v.fork()
    assert v.at(p.eta_ms, WHALE, "execute", pid, OI).ok
    assert v.state.markets[0].spec.oi_cap_musdc == 50_000_000_000_000
    last = late.fork()
    assert last.at(p.eta_ms + p.rules.grace_ms - 1, WHALE, "execute", pid, OI).ok
    assert "not queued" in late.at(p.eta_ms + p.rules.grace_ms, WHALE, "execute", pid,
                                   OI).error
    assert late.state_of(pid) == "Expired"


def test_E03_E04_a_succeeded_unqueued_or_executed_proposal_cannot_execute() -> None:
    v = venue()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", pid, 1)
    v.advance(proposal(v, pid).deadline_ms - v.state.time_ms + 1)
    assert "not queued" in v.refused(WHALE, "execute", pid, OI)
    v.ok(WHALE, "queue", pid, OI)
    v.advance(2 * DAY_MS)
    v.ok(WHALE, "execute", pid, OI)
    assert "not queued" in v.refused(WHALE, "execute", pid, OI)


def test_E05_one_failing_action_reverts_the_whole_proposal_and_it_stays_queued() -> None:
    v = venue()
    actions = (("setRiskParam", "0.oiCap", 40_000_000_000_000),
               ("treasuryTransfer", EVE, 90_000), ("insuranceTransfer", -1, 0, 10**12))
    pid = v.pass_proposal(actions, voters=(WHALE, ALICE, BOB))
    v.advance(3 * DAY_MS)
    before = v.digest()
    error = v.refused(WHALE, "execute", pid, actions)  # the fee pool holds no $1M
    assert "holds too little" in error
    assert v.state_of(pid) == "Queued" and v.state.markets[0].spec.oi_cap_musdc == 0
    assert v.gov.token.balances.get(EVE, 0) == 0
    assert before != v.digest()  # only the refusing block's clock and nonce moved


def test_E06_actions_run_in_order() -> None:
    v = venue()
    actions = (("setRiskParam", "0.tier1.maxLeverage", 8),
               ("setRiskParam", "0.tier0.maxLeverage", 10))
    pid = v.enact(actions)
    log = [c for c in v.gov.table.log if c.source == f"proposal {pid}"]
    assert [c.key for c in log] == ["0.tier1.maxLeverage", "0.tier0.maxLeverage"]
    assert v.state.markets[0].max_leverage == 10


def test_E09_a_content_swap_fails_the_hash_at_queue_and_execute() -> None:
    v = venue()
    pid = propose(v)
    v.advance(proposal(v, pid).voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", pid, 1)
    v.advance(proposal(v, pid).deadline_ms - v.state.time_ms + 1)
    swapped = (("treasuryTransfer", EVE, 100_000),)
    assert "content hash" in v.refused(WHALE, "queue", pid, swapped)
    v.ok(WHALE, "queue", pid, OI)
    v.advance(2 * DAY_MS)
    assert "content hash" in v.refused(WHALE, "execute", pid, swapped)
    assert v.gov.token.balances.get(EVE, 0) == 0


# ----- cancel ------------------------------------------------------------------------------------

def test_C01_C03_C05_C06_the_proposer_cancels_until_execution_once() -> None:
    v = venue()
    pid = v.pass_proposal(OI)
    v.ok(WHALE, "cancel", pid)  # even while Queued
    assert "Canceled" in v.refused(WHALE, "cancel", pid)
    v.advance(2 * DAY_MS)
    assert "not queued" in v.refused(WHALE, "execute", pid, OI)
    done = v.enact(CB, proposer=ALICE, voters=(WHALE, ALICE))
    assert "Executed" in v.refused(ALICE, "cancel", done)


def test_C04_guardians_veto_a_queued_proposal_whatever_the_proposer_holds() -> None:
    v = venue()
    pid = v.pass_proposal(OI)
    assert "no guardian seat" in v.refused(BOB, "guardianSign", 1, "veto", (pid,))
    v.ok(G1, "guardianSign", 1, "veto", (pid,))
    v.ok(G2, "guardianSign", 1, "veto", (pid,))
    assert v.state_of(pid) == "Vetoed"


# ----- parameters and roles ----------------------------------------------------------------------

def test_P01_a_governed_value_moves_only_through_its_lanes() -> None:
    v = venue()
    # no transaction sets a risk parameter directly: the wire knows no such action
    with pytest.raises(WireError, match="Unknown action type"):
        parse_action({"type": "setRiskParam", "key": "0.oiCap", "value": 5})
    assert "not a risk steward" in v.refused(WHALE, "stewardUpdate", "0.cbBand", 160_000_000)
    v.enact(CB)
    assert v.state.markets[0].spec.cb_band_e9 == 120_000_000


def test_P02_lane_bounds_refuse_a_zero_voting_period_and_the_proposal_stays_queued() -> None:
    v = venue()
    bad = (("setLaneParams", STANDARD, 50, 200, 50, DAY_MS, 0, 2 * DAY_MS, 7 * DAY_MS),)
    pid = v.pass_proposal(bad, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "outside" in v.refused(WHALE, "execute", pid, bad)
    assert "outside" in v.refused(WHALE, "execute", pid, bad)
    quorum = (("setLaneParams", STANDARD, 50, 10_001, 50, DAY_MS, DAY_MS, DAY_MS, DAY_MS),)
    pid = v.pass_proposal(quorum, proposer=ALICE, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "outside" in v.refused(ALICE, "execute", pid, quorum)


def test_P04_the_delay_is_the_lanes_and_a_queued_operation_cannot_be_overwritten() -> None:
    v = venue()
    pid = v.pass_proposal(OI)
    p = proposal(v, pid)
    assert p.eta_ms == v.state.time_ms - 200 + p.rules.timelock_ms + 200 - 200 or \
        p.eta_ms - p.rules.timelock_ms <= v.state.time_ms
    eta = p.eta_ms
    assert "not succeeded" in v.refused(WHALE, "queue", pid, OI)
    assert proposal(v, pid).eta_ms == eta


def test_P05_R02_guardians_pause_but_only_governance_unpauses_and_pauses_expire() -> None:
    v = venue()
    assert "no guardian seat" in v.refused(EVE, "guardianSign", 1, "pauseMarket", (0,))
    assert "only tighten" in v.refused(G1, "guardianSign", 1, "unpauseMarket", (0,))
    v.ok(G1, "guardianSign", 1, "pauseMarket", (0,))
    v.ok(G2, "guardianSign", 1, "pauseMarket", (0,))
    assert v.state.markets[0].status == MARKET_PAUSED
    v.ok(G3, "incidentReport", 1, "paused BTC: the oracle diverged from every venue")
    assert "already paused" in v.refused(G1, "guardianSign", 2, "pauseMarket", (0,))
    expires = v.gov.guardians.actions[1].expires_ms
    v.advance_to(expires - 1)
    assert v.state.markets[0].status == MARKET_PAUSED
    v.advance_to(expires)
    assert v.state.markets[0].status == MARKET_ACTIVE  # lapsed: undone at its expiry
    v.ok(G1, "guardianSign", 2, "pauseMarket", (0,))
    v.ok(G2, "guardianSign", 2, "pauseMarket", (0,))
    v.enact((("setMarketStatus", 0, MARKET_ACTIVE),))  # governance lifts it
    assert v.state.markets[0].status == MARKET_ACTIVE


def test_R04_a_council_with_a_duplicate_seat_is_refused() -> None:
    v = venue()
    dup = (("setGuardians", (G1, G2, G2), 2),)
    pid = v.pass_proposal(dup, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "distinct" in v.refused(WHALE, "execute", pid, dup)


def test_R06_a_silent_seat_is_removable_after_the_liveness_interval() -> None:
    v = venue()
    v.ok(G1, "guardianSign", 1, "reduceOnly", (1,))
    v.ok(G2, "guardianSign", 1, "reduceOnly", (1,))
    v.ok(G1, "incidentReport", 1, "ETH reduce-only during the oracle outage")
    liveness = v.gov.guardians.liveness_ms
    assert "active within" in v.refused(EVE, "guardianRemove", G3)  # genesis counts as active
    v.advance(liveness + 1)
    v.ok(EVE, "guardianRemove", G3)
    assert v.gov.guardians.members == (G1, G2) and v.gov.guardians.threshold == 2


# ----- slashing ----------------------------------------------------------------------------------

def bonded(v: GovVenue) -> None:
    for op in (OP1, OP2, OP3):
        v.ok(ALICE, "transfer", op, 5_000)
        v.ok(op, "operatorBond", "oracle", 2_000)


def test_S01_two_prices_for_one_round_slash_identical_or_other_rounds_do_not() -> None:
    v = venue()
    bonded(v)
    from l2perp.engine.state import OracleEvidence
    v.state.oracle_evidence.append(OracleEvidence(OP1, 0, 7, 100, 101, v.state.time_ms))
    assert "no oracle evidence" in v.refused(EVE, "submitEvidence", "oracleEquivocation", 1)
    v.ok(EVE, "submitEvidence", "oracleEquivocation", 0)
    op = v.gov.registry.operators[OP1]
    assert op.tombstoned and op.slashed_total == 100  # 5% of 2,000
    assert v.gov.token.balances[EVE] == 10  # the whistleblower's 10%
    assert "already used" in v.refused(EVE, "submitEvidence", "oracleEquivocation", 0)
    assert v.gov.incidents[-1].kind == "slash" and v.gov.incidents[-1].responsible == OP1


def test_S04_a_slash_burns_tokens_and_voting_power_follows() -> None:
    v = venue()
    bonded(v)
    supply = v.gov.token.supply
    from l2perp.engine.state import OracleEvidence
    v.state.oracle_evidence.append(OracleEvidence(OP2, 1, 3, 5, 6, v.state.time_ms))
    v.ok(BOB, "submitEvidence", "oracleEquivocation", 0)
    assert v.gov.token.supply == supply - 90  # 100 slashed, 10 to the reporter
    assert "evidence arrives from L1" in v.refused(BOB, "submitEvidence", "fraudulentBatch", 0)


def test_S05_a_subjective_slash_is_vetoable_strictly_before_its_window_ends() -> None:
    v = venue()
    bonded(v)
    slash = (("slashOperator", OP3, 1_000, "missed 40% of rounds in a week"),)
    v.enact(slash)
    pending = v.gov.registry.pending[1]
    window = v.gov.registry.veto_window_ms
    assert "veto window is still open" in v.at(pending.requested_ms + window - 1, EVE,
                                               "executeSlash", 1).error
    fork = v.fork()
    assert v.at(pending.requested_ms + window, EVE, "executeSlash", 1).ok
    assert v.gov.registry.operators[OP3].bond == 1_800
    # the fork's next block lands after the window's end: the veto is refused at once
    assert "veto window has closed" in fork.refused(G1, "guardianSign", 1, "vetoSlash", (1,))
    early = v.fork()
    assert early.gov.registry.pending[1].executed


def test_S06_unbonding_stake_stays_slashable_and_tombstones_stay() -> None:
    v = venue()
    bonded(v)
    v.ok(OP1, "operatorUnbond", 1_000)
    from l2perp.engine.state import OracleEvidence
    v.state.oracle_evidence.append(OracleEvidence(OP1, 0, 9, 1, 2, v.state.time_ms))
    v.ok(EVE, "submitEvidence", "oracleEquivocation", 0)
    op = v.gov.registry.operators[OP1]
    assert op.slashed_total == 100 and op.bond + sum(a for a, _ in op.unbonding) == 1_900
    assert "tombstoned" in v.refused(OP1, "operatorBond", "oracle", 1_000)


# ----- protocol upgrades -------------------------------------------------------------------------

def test_an_upgrade_activates_no_earlier_than_an_exit_window_after_execution() -> None:
    v = venue()
    v.deposit(DAVE, 1_000)
    window = v.gov.upgrade_exit_blocks
    soon = (("scheduleUpgrade", 2, v.state.height + window),)  # too close once executed
    pid = v.pass_proposal(soon, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "exit window" in v.refused(WHALE, "execute", pid, soon)
    at = v.state.height + 100 + window
    later = (("scheduleUpgrade", 2, at),)
    pid = v.pass_proposal(later, proposer=ALICE, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    v.ok(ALICE, "execute", pid, later)
    executed = v.state.height
    assert at >= executed + window and v.gov.rule_version == 1
    # users can leave meanwhile: the normal withdrawal path works under the old rules
    receipt = v.one(DAVE, {"type": "withdraw3", "destination": DAVE, "amount": "100",
                           "time": v.nonce + 1, "hyperliquidChain": "Testnet"})
    assert receipt.ok, receipt
    while v.state.height < at - 1:
        v.block()
    assert v.gov.rule_version == 1
    v.block()
    assert v.state.height == at and v.gov.rule_version == 2


def test_every_action_kind_applies_in_one_constitutional_proposal() -> None:
    v = venue()
    v.ok(G1, "guardianSign", 1, "reduceOnly", (2,))
    v.ok(G2, "guardianSign", 1, "reduceOnly", (2,))
    v.ok(G1, "incidentReport", 1, "SOL reduce-only while the steward bounds are reviewed")
    v.state.fee_pool_musdc += 5_000_000  # fees the venue has earned
    v.state.credits_musdc += 5_000_000
    oracles = ((addr(0x91), 1), (addr(0x92), 1), (addr(0x93), 2))
    actions = (
        ("listMarket", "DOGE", 0, ((0, 10), (1_000_000_000_000, 5)), 2_000_000_000_000, False),
        ("insuranceTransfer", -1, 0, 5_000_000),
        ("setOracleSet", oracles),
        ("setStewardBounds", "1.cbBand", 100_000_000, 200_000_000, 1_000, DAY_MS),
        ("setStewards", (EVE,)),
        ("setOperatorSet", "oracle", 3_000),
        ("setGuardians", (G1, G2, G3, EVE), 3),
        ("treasuryTransfer", DAVE, 1_000),
        ("setGovernanceRule", "activityEpochs", 8),
    )
    v.enact((("ratifyGuardianAction", 1),))  # the standard lane: inside the 14-day expiry
    fund = v.state.accounts.get("0x" + "ff" * 18 + "0000")
    before = fund.cash_musdc if fund else 0
    pid = v.enact(actions, voters=(WHALE, ALICE, BOB))
    assert proposal(v, pid).lane == 3
    state, gov = v.state, v.gov
    doge = state.markets[-1]
    assert doge.name == "DOGE" and doge.max_leverage == 10 and doge.spec.oi_cap_musdc > 0
    assert gov.table.values[f"{doge.asset}.tier0.maxLeverage"] == 10
    assert state.accounts["0x" + "ff" * 18 + "0000"].cash_musdc == before + 5_000_000
    assert state.oracle_stakes == dict(oracles)
    assert gov.table.bounds["1.cbBand"].max_step_bps == 1_000
    assert gov.table.stewards == (EVE,)
    assert gov.registry.min_bond["oracle"] == 3_000
    assert gov.guardians.actions[1].ratified
    assert gov.guardians.members == (G1, G2, G3, EVE) and gov.guardians.threshold == 3
    assert gov.token.balances[DAVE] == 10_000 + 1_000
    assert gov.governor.activity_epochs == 8
    v.advance(30 * DAY_MS)  # ratified: the guardian's reduce-only outlives its expiry
    assert state.markets[2].status == 1
    v.ok(EVE, "stewardUpdate", "1.cbBand", 160_000_000)


def test_an_insurance_transfer_out_of_a_fund_logs_its_proposal_and_commits() -> None:
    """A transfer from the shared fund back to the fee pool: the change log names the proposal
    (not the fund's account), and the state still hashes (a block with it can commit)."""
    from l2perp.engine.encoding import state_digest
    from l2perp.engine.state import fund_address

    v = venue()
    v.state.fee_pool_musdc += 5_000_000
    v.state.credits_musdc += 5_000_000
    v.enact((("insuranceTransfer", -1, 0, 5_000_000),), voters=(WHALE, ALICE, BOB))
    pool = v.state.fee_pool_musdc
    pid = v.enact((("insuranceTransfer", 0, -1, 2_000_000),), voters=(WHALE, ALICE, BOB))
    change = v.gov.table.log[-1]
    assert change.key == "insurance.0->-1" and change.new == 2_000_000
    assert change.source == f"proposal {pid}"
    assert v.state.fee_pool_musdc == pool + 2_000_000
    assert v.state.accounts[fund_address(0)].cash_musdc >= 3_000_000
    assert len(state_digest(v.state)) == 32
