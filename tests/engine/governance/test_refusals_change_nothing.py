"""Governance refusals change nothing, and what passes its checks cannot fail half-way:
regressions for the cases a review found (guardian effects checked before the signature,
expiry restores that no longer fit, unknown bond roles, activity after a snapshot, fund
partitions, steward debounce on a refused step, new seats' liveness, delisting checks)."""

from __future__ import annotations

from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.state import fund_address
from tests.engine.governance.rig import (
    ALICE, BOB, CAROL, DAVE, G1, G2, G3, STEWARD, WHALE, GovVenue,
)
from tests.venue import addr

EVE = addr(0xE5)


def venue() -> GovVenue:
    v = GovVenue()
    v.block()
    return v


def test_a_guardian_margin_raise_that_breaks_the_tiers_is_refused_before_any_signature() -> None:
    v = venue()
    assert "rise with notional" in v.refused(G1, "guardianSign", 1, "raiseMargin",
                                            ("0.tier0.maxLeverage", 10))  # tier 1 is 20
    assert v.gov.guardians.actions == {} and v.gov.guardians.unreported() is None
    v.ok(G1, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G2, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    assert v.state.markets[0].spec.margin_tiers[1].max_leverage == 10


def test_an_expiring_raise_that_no_longer_fits_stays_and_blocks_go_on() -> None:
    v = venue()
    v.ok(G1, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G2, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G3, "incidentReport", 1, "tier 1 down to 10x")
    v.enact((("setRiskParam", "0.tier0.maxLeverage", 15),))
    v.advance(v.gov.guardians.expiry_ms)  # restoring 20x above tier 0's 15x would break order
    assert v.state.markets[0].spec.margin_tiers[1].max_leverage == 10
    assert v.gov.guardians.actions[1].lapsed


def test_a_slash_veto_after_its_window_is_refused_before_any_signature() -> None:
    v = venue()
    v.ok(ALICE, "transfer", EVE, 5_000)
    v.ok(EVE, "operatorBond", "oracle", 2_000)
    v.enact((("slashOperator", EVE, 1_000, "missed rounds"),))
    v.advance(v.gov.registry.veto_window_ms)
    assert "veto window has closed" in v.refused(G1, "guardianSign", 1, "vetoSlash", (1,))
    assert v.gov.guardians.actions == {}


def test_an_unknown_bond_role_fails_the_plan_and_nothing_is_paid() -> None:
    v = venue()
    actions = (("treasuryTransfer", ALICE, 1_000), ("setGovernanceRule", "minBond.foo", 5))
    pid = v.pass_proposal(actions, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    before = v.gov.token.balances[ALICE]
    assert "known role" in v.refused(WHALE, "execute", pid, actions)
    assert v.state_of(pid) == "Queued" and v.gov.token.balances[ALICE] == before


def test_activity_after_the_snapshot_does_not_count_and_nothing_halts() -> None:
    v = GovVenue(None)
    v.block()
    v.advance(70 * DAY_MS)  # every genesis holder is now dormant (K = 6 weekly epochs)
    v.ok(DAVE, "delegate", DAVE)
    v.ok(CAROL, "delegate", CAROL)
    v.block()
    v.ok(CAROL, "propose", (("setRiskParam", "0.cbBand", 120_000_000),))
    p = v.gov.governor.proposals[1]
    assert p.active_supply == 100_000  # Carol and Dave only
    v.ok(WHALE, "delegate", WHALE)  # wakes up after the snapshot
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", 1, 0)
    assert p.voters[WHALE] == (0, 0) and not v.gov.halted


def test_insurance_moves_only_between_real_partitions_and_create_nothing_when_refused() -> None:
    v = venue()
    accounts = len(v.state.accounts)
    bad = (("insuranceTransfer", -1, 2, 1),)  # market 1 is cross: it has no fund of its own
    pid = v.pass_proposal(bad, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "isolated markets' funds" in v.refused(WHALE, "execute", pid, bad)
    assert len(v.state.accounts) == accounts and fund_address(2) not in v.state.accounts


def test_a_refused_steward_step_keeps_the_debounce_clock() -> None:
    v = venue()
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 30)
    v.advance(DAY_MS)
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 24)
    v.advance(DAY_MS)
    last = v.gov.table.last_steward_ms["0.tier0.maxLeverage"]
    log = len(v.gov.table.log)
    assert "rise" in v.refused(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 19)  # tier 1: 20
    assert v.gov.table.last_steward_ms["0.tier0.maxLeverage"] == last
    assert len(v.gov.table.log) == log
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 20)  # same day: the clock held


def test_newly_seated_guardians_count_as_active_from_their_seating() -> None:
    v = venue()
    v.advance(100 * DAY_MS)
    for holder in (WHALE, ALICE, BOB):
        v.ok(holder, "delegate", holder)  # active again
    v.block()
    v.enact((("setGuardians", (G1, G2, EVE), 2),), voters=(WHALE, ALICE, BOB))
    assert "active within" in v.refused(CAROL, "guardianRemove", EVE)


def test_delisting_needs_a_price_and_a_market_changes_once_per_proposal() -> None:
    v = venue()
    no_price = (("delistMarket", 3, 0),)  # OP never had an oracle price
    pid = v.pass_proposal(no_price, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "no oracle TWAP" in v.refused(WHALE, "execute", pid, no_price)
    both = (("delistMarket", 2, 1_000_000), ("setMarketStatus", 2, 0))
    pid = v.pass_proposal(both, proposer=ALICE, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "changed twice" in v.refused(ALICE, "execute", pid, both)
