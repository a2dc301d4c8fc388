"""The ten drills of docs/mechanics.md, replayed against our governance through the
whole engine. Each test names the attack it imitates and asserts the rule that stops it."""

from __future__ import annotations

from l2perp.engine.governance.proposals import CONSTITUTIONAL, DAY_MS, LISTING
from l2perp.engine.governance.transactions import GovDelegate, GovTransfer, GovVote, GuardianSign
from l2perp.engine.state import MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED
from tests.support.gov_rig import (
    ALICE, BOB, CAROL, DAVE, G1, G2, G3, STEWARD, WHALE, GovVenue, gov_genesis,
)
from tests.support.venue import ADMIN, addr, limit

ATTACKER = addr(0xBAD)
LENDER = WHALE


def venue(**kw) -> GovVenue:
    v = GovVenue(gov_genesis(**kw) if kw else None)
    v.block()
    return v


def test_D1_beanstalk_flash_loaned_power_votes_zero_and_no_fast_lane_moves_funds() -> None:
    v = venue()
    steal = (("treasuryTransfer", ATTACKER, 100_000),)
    v.ok(DAVE, "propose", steal)  # the benign-looking proposal, filed a day early
    pid = v.gov.governor.next_pid - 1
    assert v.gov.governor.proposals[pid].lane == LISTING  # treasury never rides a fast lane
    p = v.gov.governor.proposals[pid]
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    # one block: borrow 70% of the supply, delegate, vote, repay
    receipts = v.block(v.tx(LENDER, GovTransfer(ATTACKER, 400_000)),
                       v.tx(ALICE, GovTransfer(ATTACKER, 300_000)),
                       v.tx(ATTACKER, GovDelegate(ATTACKER)),
                       v.tx(ATTACKER, GovVote(pid, 1)),
                       v.tx(ATTACKER, GovTransfer(LENDER, 400_000)),
                       v.tx(ATTACKER, GovTransfer(ALICE, 300_000))).receipts
    assert all(r.ok for r in receipts)
    assert p.voters[ATTACKER] == (1, 0)  # power read at the block before creation: zero
    assert "only tighten" in v.refused(G1, "guardianSign", 1, "treasuryTransfer",
                                       (ATTACKER, 100_000))
    v.advance(p.deadline_ms - v.state.time_ms + 1)
    assert v.state_of(pid) == "Defeated"
    assert v.gov.token.balances.get(ATTACKER, 0) == 0


def test_D2_compound_62_guardians_pause_within_a_block_and_the_fix_only_tightens() -> None:
    v = venue()
    v.enact((("setRiskParam", "0.tier0.maxLeverage", 50),))  # the faulty change passes
    assert v.state.markets[0].max_leverage == 50
    receipts = v.block(v.tx(G1, GuardianSign(1, "pauseMarket", (0,))),
                       v.tx(G2, GuardianSign(1, "pauseMarket", (0,)))).receipts
    assert all(r.ok for r in receipts) and v.state.markets[0].status == MARKET_PAUSED
    v.ok(G3, "incidentReport", 1, "BTC paused: proposal 1 allowed 50x")
    v.ok(G1, "guardianSign", 2, "raiseMargin", ("0.tier0.maxLeverage", 40))  # the quick fix
    v.ok(G2, "guardianSign", 2, "raiseMargin", ("0.tier0.maxLeverage", 40))
    assert v.state.markets[0].max_leverage == 40
    v.ok(G2, "incidentReport", 2, "max leverage back to 40x until governance decides")
    error = v.refused(G1, "guardianSign", 3, "raiseMargin", ("0.tier0.maxLeverage", 45))
    assert "must raise the requirement" in error  # loosening through the fast lane fails
    error = v.refused(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 60)
    assert "outside" in error


def test_D3_tornado_a_swapped_payload_fails_the_content_hash() -> None:
    v = venue()
    voted = (("setRiskParam", "1.oiCap", 10_000_000_000_000),)
    pid = v.pass_proposal(voted)
    v.advance(2 * DAY_MS)
    swapped = (("setGuardians", (ATTACKER,), 1),)
    assert "content hash" in v.refused(WHALE, "execute", pid, swapped)
    assert v.gov.guardians.members == (G1, G2, G3)
    v.ok(WHALE, "execute", pid, voted)


def test_D4_build_finance_an_admin_grab_needs_the_constitutional_lane_and_is_vetoed() -> None:
    v = venue()
    v.ok(CAROL, "transfer", ATTACKER, 60_000)  # 6% of the active supply
    v.ok(ATTACKER, "delegate", ATTACKER)
    v.block()
    grab = (("setGuardians", (ATTACKER,), 1),)
    v.ok(ATTACKER, "propose", grab)
    pid = v.gov.governor.next_pid - 1
    p = v.gov.governor.proposals[pid]
    assert p.lane == CONSTITUTIONAL and p.rules.quorum_bps == 1_000
    assert p.voting_start_ms - p.created_ms == DAY_MS  # a review epoch before any vote
    v.ok(G1, "guardianSign", 1, "veto", (pid,))  # inside the review window
    v.ok(G2, "guardianSign", 1, "veto", (pid,))
    assert v.state_of(pid) == "Vetoed"
    # without the veto, low turnout alone fails: 6% for < the 10% quorum
    v.ok(G1, "incidentReport", 1, "vetoed a hostile admin change")
    v.ok(ATTACKER, "propose", (("setStewards", (ATTACKER,)),))
    pid = v.gov.governor.next_pid - 1
    p = v.gov.governor.proposals[pid]
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    v.ok(ATTACKER, "vote", pid, 1)
    v.advance(p.deadline_ms - v.state.time_ms + 1)
    assert v.state_of(pid) == "Defeated"


def test_D5_mango_a_20x_oracle_jump_turns_the_market_reduce_only_and_the_proposal_dies() -> None:
    v = venue()
    v.set_price(3, 150_000)
    v.deposit(ATTACKER, 100_000)
    v.ok(CAROL, "transfer", ATTACKER, 10_000)
    v.ok(ATTACKER, "delegate", ATTACKER)
    v.block()
    v.set_price(3, 3_000_000)  # 20x inside one oracle interval
    market = v.state.markets[3]
    assert market.halted_reduce_only  # the circuit breaker
    incident = v.gov.incidents[-1]
    assert incident.kind == "circuitBreaker" and incident.asset == 3
    receipt = v.one(ATTACKER, {"type": "order", "grouping": "na",
                               "orders": [limit(3, True, "3.0", "10")]})
    assert "reduce only" in str(receipt).lower() or "reduce-only" in str(receipt).lower()
    v.ok(ATTACKER, "propose", (("insuranceTransfer", 0, 4, 1_000_000),))
    pid = v.gov.governor.next_pid - 1
    v.ok(G1, "guardianSign", 1, "veto", (pid,))
    v.ok(G2, "guardianSign", 1, "veto", (pid,))
    assert v.state_of(pid) == "Vetoed"


def test_D6_humpy_a_whale_cannot_take_more_than_the_epoch_cap_and_goes_constitutional() -> None:
    v = venue(outflow_cap_per_epoch=10_000)
    take = (("treasuryTransfer", WHALE, 50_000),)  # 5% of the treasury to itself
    v.ok(WHALE, "propose", take)
    pid = v.gov.governor.next_pid - 1
    assert v.gov.governor.proposals[pid].lane == CONSTITUTIONAL
    p = v.gov.governor.proposals[pid]
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", pid, 1)  # 40% of the active supply
    v.advance(p.deadline_ms - v.state.time_ms + 1)
    v.ok(WHALE, "queue", pid, take)
    v.advance(p.rules.timelock_ms)
    assert "outflow cap" in v.refused(WHALE, "execute", pid, take)
    assert v.gov.token.balances[WHALE] == 400_000


def test_D7_b_protocol_lock_vote_unlock_in_one_block_weighs_nothing() -> None:
    v = venue()
    v.ok(BOB, "propose", (("setRiskParam", "2.cbBand", 100_000_000),))
    pid = v.gov.governor.next_pid - 1
    p = v.gov.governor.proposals[pid]
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    receipts = v.block(v.tx(WHALE, GovTransfer(ATTACKER, 400_000)),
                       v.tx(ATTACKER, GovVote(pid, 0)),
                       v.tx(ATTACKER, GovTransfer(WHALE, 400_000))).receipts
    assert all(r.ok for r in receipts)
    assert p.votes == [0, 0, 0]


def test_D8_audius_voting_power_above_the_supply_halts_governance() -> None:
    v = venue()
    v.ok(DAVE, "propose", (("setRiskParam", "0.cbBand", 100_000_000),))
    # a bug like Audius's re-initialised delegation: votes appear from nowhere
    cp = v.gov.token.checkpoints[ATTACKER] = type(v.gov.token.checkpoints[WHALE])()
    cp.write(v.state.height, 10**9)
    v.ok(DAVE, "transfer", CAROL, 1)  # the next governance transaction checks the invariant
    assert v.gov.halted and v.gov.incidents[-1].kind == "governanceHalt"
    assert "halted" in v.refused(WHALE, "propose", (("setRiskParam", "1.cbBand", 1),))
    assert "halted" in v.refused(ATTACKER, "vote", 1, 1)
    v.ok(G1, "guardianSign", 1, "pauseMarket", (0,))  # the guardians still act


def test_D9_dydx_yfi_a_steward_moves_one_step_per_debounce_and_never_loosens_fast() -> None:
    v = venue()
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 30)  # IMF up by the max step
    assert v.state.markets[0].max_leverage == 30
    error = v.refused(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 23)
    assert "next steward update" in error  # inside the debounce
    error = v.refused(G1, "guardianSign", 1, "raiseMargin", ("0.tier0.maxLeverage", 40))
    assert "must raise" in error  # lowering the IMF through the fast lane
    v.advance(DAY_MS)
    assert "exceeds" in v.refused(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 22)
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 23)


def test_D10_jelly_settlement_follows_the_rule_and_unlisting_waits_for_the_report() -> None:
    v = venue()
    v.set_price(2, 1_500_000)
    for _ in range(15):
        v.block(dt_ms=20_000)
    v.ok(G1, "guardianSign", 1, "pauseMarket", (2,))  # operators halt the market
    v.ok(G2, "guardianSign", 1, "pauseMarket", (2,))
    delist = (("delistMarket", 2, 0),)  # 0: the rule's price, the oracle TWAP
    pid = v.pass_proposal(delist, voters=(WHALE, ALICE, BOB))
    v.advance(v.gov.governor.proposals[pid].rules.timelock_ms)
    assert "without a report" in v.refused(WHALE, "execute", pid, delist)
    assert v.state.markets[2].status == MARKET_PAUSED
    record = next(r for r in v.gov.incidents if r.guardian_nonce == 1)
    assert record.asset == 2 and record.kind == "guardianAction"
    v.ok(G3, "incidentReport", record.iid, "SOL halted: a thin-book squeeze; settle at TWAP")
    from l2perp.engine.oracle import oracle_twap
    expected = oracle_twap(v.state.markets[2], v.state.time_ms + 200)
    v.ok(WHALE, "execute", pid, delist)
    assert v.state.markets[2].status == MARKET_DELISTED
    assert v.state.markets[2].settlement_pips == expected
    assert v.state.markets[0].status == MARKET_ACTIVE
    assert ADMIN
