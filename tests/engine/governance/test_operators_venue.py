"""Operators on the running engine: the governance-set fee share paid daily out of the fee pool
(money conserved), the published sequencer rotation with its duty record, oracle rounds missed,
bond and unbond moving tokens through escrow, and incident records opened by the engine's own
circuit breaker."""

from __future__ import annotations

from l2perp.engine.governance.gov_state import BOND_ESCROW, DAY_MS
from l2perp.engine.tx import OperatorOffence, OracleReport
from tests.support.gov_rig import (
    ALICE, OP1, OP2, OP3, STEWARD, WHALE, GovVenue, gov_genesis,
)
from tests.support.venue import limit

OPERATORS = ((OP1, "sequencer", 5_000), (OP2, "sequencer", 5_000), (OP3, "oracle", 5_000))


def money(v: GovVenue) -> int:
    return v.state.fee_pool_musdc + sum(a.cash_musdc for a in v.state.accounts.values())


def test_operators_are_paid_their_fee_share_once_a_day_and_money_is_conserved() -> None:
    v = GovVenue(gov_genesis(operators=OPERATORS))
    v.enact((("setGovernanceRule", "operatorFeeShareBps", 1_000),))
    v.deposit(WHALE, 100_000)
    v.deposit(ALICE, 100_000)
    v.set_price(0, 500_000)
    v.order(ALICE, limit(0, False, "50000", "1"))
    v.order(WHALE, limit(0, True, "50000", "1", tif="Ioc"))
    pool, total = v.state.fee_pool_musdc, money(v)
    assert pool > 0
    v.advance(DAY_MS)
    each = pool * 1_000 // 10_000 // 3
    for op in (OP1, OP2, OP3):
        assert v.state.accounts[op].cash_musdc == each
        assert v.gov.registry.operators[op].fees_earned == each
    assert v.state.fee_pool_musdc == pool - 3 * each and money(v) == total


def test_sequencer_duty_follows_the_published_rotation_and_records_missed_slots() -> None:
    v = GovVenue(gov_genesis(operators=OPERATORS))
    slot = v.gov.slot_ms
    v.block(dt_ms=slot - v.state.time_ms % slot)  # the start of a slot
    first = v.gov.registry.on_duty("sequencer", slot, v.state.time_ms)
    v.block(dt_ms=slot)
    assert v.gov.registry.on_duty("sequencer", slot, v.state.time_ms) != first  # round robin
    before = {op: v.gov.registry.operators[op].blocks_missed for op in (OP1, OP2)}
    v.advance(3 * slot)  # a gap: the slots in between saw no block
    missed = {op: v.gov.registry.operators[op].blocks_missed - before[op] for op in (OP1, OP2)}
    assert sum(missed.values()) >= 2
    assert all(v.gov.registry.operators[op].blocks_on_duty > 0 for op in (OP1, OP2))


def test_oracle_rounds_skipped_by_an_operator_are_counted() -> None:
    operators = (("0x" + "01" * 20, 1), ("0x" + "02" * 20, 1), ("0x" + "03" * 20, 1))
    v = GovVenue()
    v.state.oracle_stakes = dict(operators)
    t = v.state.time_ms
    for rnd in (1, 2):
        for op, _ in operators[:2]:
            assert v.one(op, OracleReport(0, rnd, 500_000, t)).ok
    assert v.gov.oracle_rounds_missed == {"0x" + "03" * 20: 1}


def test_bonds_move_through_escrow_and_unbonding_releases_after_its_time() -> None:
    v = GovVenue()
    v.ok(ALICE, "transfer", OP1, 3_000)
    assert "outside" not in v.refused(OP1, "operatorBond", "oracle", 999)  # below the minimum
    v.ok(OP1, "operatorBond", "oracle", 2_000)
    assert v.gov.token.balances[BOND_ESCROW] == 2_000 and v.gov.token.balances[OP1] == 1_000
    v.ok(OP1, "operatorUnbond", 500)
    assert "nothing has finished" in v.refused(OP1, "operatorRelease")
    v.advance(v.gov.registry.unbonding_ms)
    v.ok(OP1, "operatorRelease")
    assert v.gov.token.balances[OP1] == 1_500


def test_a_circuit_breaker_opens_an_incident_the_stewards_must_explain() -> None:
    v = GovVenue()
    v.set_price(1, 300_000)
    v.set_price(1, 200_000)  # -33% inside the window
    record = v.gov.incidents[-1]
    assert record.kind == "circuitBreaker" and record.asset == 1 and record.filed_ms < 0
    assert "may not file" in v.refused(WHALE, "incidentReport", record.iid, "not mine")
    v.ok(STEWARD, "incidentReport", record.iid, "a real move; the band held")
    assert record.filed_ms == v.state.time_ms and not record.late


def test_an_offence_proven_on_l1_is_taken_in_queue_order_and_slashes_the_operator() -> None:
    v = GovVenue(gov_genesis(operators=OPERATORS))
    v.block()
    early = v.one(None, OperatorOffence("fraudulentBatch", OP1, ALICE, 0, 2))
    assert early.error == "L1 message 2 out of order: the next one is 1."
    assert v.state.l1_cursor == 0 and v.gov.registry.operators[OP1].bond == 5_000
    assert v.one(None, OperatorOffence("fraudulentBatch", OP1, ALICE, 0, 1)).ok
    assert v.state.l1_cursor == 1
    assert v.gov.registry.operators[OP1].bond == 4_500  # 10% of the bond
    assert v.gov.incidents[-1].kind == "slash" and v.gov.incidents[-1].subject == OP1
    not_l1 = v.one(None, OperatorOffence("oracleEquivocation", OP3, ALICE, 0, 2))
    assert not_l1.error == "Governance: not an L1 offence" and v.state.l1_cursor == 2
