"""Operators: bonds and unbonding, the published rotation, evidence slashing with the
correlation penalty and the whistleblower's share, the vetoable slash (S05), tombstones and the
largest infraction per period (S06), correlation cases (S03)."""

from __future__ import annotations

import pytest

from l2perp.engine.governance.operators import OperatorError, Registry

DAY = 86_400_000
A, B, C, W = "0xa", "0xb", "0xc", "0xwhistle"


def registry() -> Registry:
    r = Registry()
    for who in (A, B, C):
        r.bond(who, "oracle", 10_000)
    return r


def test_unbonding_must_outlast_the_evidence_window() -> None:
    with pytest.raises(OperatorError):
        Registry(evidence_window_ms=14 * DAY, unbonding_ms=14 * DAY)


def test_minimum_bond_and_roles() -> None:
    r = Registry()
    with pytest.raises(OperatorError, match="at least"):
        r.bond(A, "sequencer", 999)
    r.bond(A, "sequencer", 1_000)
    r.bond(A, "sequencer", 1)  # topping up needs no minimum
    with pytest.raises(OperatorError, match="already operates"):
        r.bond(A, "oracle", 5_000)
    with pytest.raises(OperatorError, match="unknown role"):
        r.bond(B, "priest", 5_000)


def test_unbonding_stake_stays_slashable_and_releases_at_its_time() -> None:
    r = registry()
    release = r.unbond(A, 4_000, now_ms=0)
    assert release == r.unbonding_ms
    op = r.operators[A]
    assert (op.bond, op.slashable()) == (6_000, 10_000)
    sid = r.request_slash(A, 8_000, "a day of bad prices", 0)
    assert r.execute_slash(sid, r.veto_window_ms) == 8_000  # 80% of bond + unbonding
    assert op.bond == 0 and op.unbonding == [(2_000, release)]  # the bond went first
    assert r.release(A, release - 1) == 0
    assert r.release(A, release) == 2_000 and op.unbonding == []


def test_evidence_window_is_inclusive() -> None:
    r = registry()
    with pytest.raises(OperatorError, match="window"):
        r.submit_evidence(W, "oracleEquivocation", A, 0, r.evidence_window_ms + 1)
    slashed, _ = r.submit_evidence(W, "oracleEquivocation", A, 0, r.evidence_window_ms)
    assert slashed > 0


def test_S03_correlation_penalty_grows_with_what_the_role_lost() -> None:
    r = registry()
    first, reward = r.submit_evidence(W, "oracleEquivocation", A, 10, 10)
    assert first == 500  # 5% of 10,000, nothing slashed before: no correlation
    assert reward == 50 and r.burned == 450
    # now 500 of 29,500 oracle stake was slashed: 3 x 500 / 29,500 = 508 bps extra
    assert r.correlation_bps("oracle", 20) == 3 * 500 * 10_000 // 29_500
    second, _ = r.submit_evidence(W, "oracleEquivocation", B, 20, 20)
    assert second == 10_000 * (500 + 508) // 10_000
    assert r.correlation_bps("oracle", 20 + r.correlation_window_ms) == 0  # out of the window


def test_S06_only_the_largest_infraction_per_period_counts_and_tombstones_stay() -> None:
    r = registry()
    r.correlation_window_ms = 1  # isolate the period rule from the correlation penalty
    small = r.submit_evidence(W, "ignoredForcedRequest", C, 100, 200)[0]
    big = r.submit_evidence(W, "fraudulentBatch", C, 300, 400)[0]  # same day: only the extra
    assert small == 300 and big == (10_000 - 300) * 700 // 10_000
    again = r.submit_evidence(W, "ignoredForcedRequest", C, 500, 600)[0]
    assert again == 0
    r.submit_evidence(W, "oracleEquivocation", A, DAY, DAY)
    assert r.operators[A].tombstoned and A not in [o.address for o in r.active("oracle")]
    with pytest.raises(OperatorError, match="tombstoned"):
        r.bond(A, "oracle", 50_000)


def test_S05_veto_strictly_before_the_window_ends_execute_from_its_end() -> None:
    r = registry()
    sid = r.request_slash(B, 2_000, "stale prices for a day", 1_000)
    end = 1_000 + r.veto_window_ms
    with pytest.raises(OperatorError, match="still open"):
        r.execute_slash(sid, end - 1)
    r.veto_slash(sid, end - 1)
    with pytest.raises(OperatorError):
        r.execute_slash(sid, end)  # vetoed
    sid2 = r.request_slash(B, 2_000, "again", 1_000)
    with pytest.raises(OperatorError, match="closed"):
        r.veto_slash(sid2, end)
    assert r.execute_slash(sid2, end) == 2_000
    with pytest.raises(OperatorError):
        r.execute_slash(sid2, end)  # once


def test_rotation_is_round_robin_over_active_operators_by_address() -> None:
    r = Registry()
    for who in (C, A, B):
        r.bond(who, "sequencer", 1_000)
    slot = 60_000
    assert [r.on_duty("sequencer", slot, i * slot) for i in range(4)] == [A, B, C, A]
    r.unbond(B, 1, 0)  # below the minimum: off the schedule
    assert [r.on_duty("sequencer", slot, i * slot) for i in range(3)] == [A, C, A]
    assert r.on_duty("relayer", slot, 0) is None
