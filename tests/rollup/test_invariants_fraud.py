"""Finality and fraud proofs: I-5 to I-9 of docs/mechanics.md, and the acceptance's
completeness (every corrupted effect is caught and reverted inside the window, the chain goes on
from the last valid root) and soundness (no challenge against an honest batch ever wins)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2perp.codec import h256
from l2perp.rollup.batch import encode_body
from l2perp.rollup.commitment import Commitment
from l2perp.rollup.contract import FINALIZED, POSTED, REVERTED
from l2perp.rollup.judge import Witness, witness_of
from l2perp.rollup.l1 import L1Error
from l2perp.rollup.params import TEST
from l2perp.rollup.poster import FAULTS
from l2perp.rollup.verifier import replay_standing
from l2perp.units import ONE_USDC
from tests.support.rollup_rig import OUTSIDER, POSTER, VERIFIER, flow_txs, funded

SLOW = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


def bonds_balance(l1) -> None:
    """I-8: every bond taken is held, returned, paid as a reward or burned."""
    assert l1.bonds_in_musdc == (l1.bonds_returned_musdc + l1.slash_reward_musdc
                                 + l1.burned_musdc + l1.bonds_held_musdc())


def finality_monotone(l1, seen: dict) -> None:
    """I-5: a finalized batch stays finalized; its parent was final first; its window ran."""
    for record in l1.batches:
        number = record.header.batch_no
        if seen.get(number) == FINALIZED:
            assert record.status == FINALIZED
        if record.status == FINALIZED:
            assert record.finalized_ms >= record.deadline_ms
            assert record.parent == 0 or l1.batch(record.parent).status == FINALIZED
        if seen.get(number) == REVERTED:
            assert record.status == REVERTED
        seen[number] = record.status


def run_with_fault(fault: str, seed: int, at: int):
    s = funded()
    s.verifier_poll_ms = 10_000  # the verifier looks every 10 ticks: descendants get posted
    blocks = flow_txs(60 + at, seed=seed, crash_every=25)
    seen: dict = {}
    poster_before = None
    for i, txs in enumerate(blocks):
        if i == at:
            s.poster.fault = fault  # drop-deposit waits for a batch that carries a deposit
            if fault == "drop-deposit":
                s.fund(OUTSIDER, 777 * ONE_USDC)
        if not s.poster.faults_injected:
            s._verified_ms = s.now_ms  # the verifier looks 10 ticks after the bad batch
        elif poster_before is None:
            poster_before = s.l1.wallets[POSTER]
        s.step(txs)
        finality_monotone(s.l1, seen)
        bonds_balance(s.l1)
    s.idle(TEST.challenge_window_ms + 10_000)
    finality_monotone(s.l1, seen)
    bonds_balance(s.l1)
    return s, poster_before


@pytest.mark.parametrize("fault", FAULTS)
def test_I6_completeness_every_corrupted_effect_is_caught_and_reverted(fault: str) -> None:
    check_completeness(fault, seed=13, at=20)


@SLOW
@given(seed=st.integers(0, 10_000), fault=st.sampled_from(FAULTS), at=st.integers(5, 40))
def test_I6_completeness_over_random_flows(seed: int, fault: str, at: int) -> None:
    check_completeness(fault, seed, at)


def check_completeness(fault: str, seed: int, at: int) -> None:
    s, poster_before = run_with_fault(fault, seed, at)
    l1 = s.l1
    assert len(s.verifier.challenges) == 1
    bad_no, verdict = s.verifier.challenges[0]
    assert verdict.fraud
    bad = l1.batch(bad_no)
    assert bad.status == REVERTED
    reverted = [r for r in l1.batches if r.status == REVERTED]
    assert [r.header.batch_no for r in reverted] == list(range(bad_no, bad_no + len(reverted)))
    if fault == "withdrawals":
        # the reconciler sees the list disagree with L2's books (R2) and halts the sequencer
        # until the challenge reverts the batch; then it resumes
        assert [m.rule for m in s.reconciler.mismatches] == ["R2"]
    else:
        assert len(reverted) >= 2  # descendants were posted before the challenge, and went too
        assert not s.reconciler.mismatches
    assert all(r.reverted_by == bad_no for r in reverted)
    challenged_at = next(t for t, kind, d in l1.events if kind == "batchReverted")
    assert challenged_at < bad.deadline_ms
    # slashed: the poster lost its bond, the challenger got its share, the rest burned
    reward = TEST.proposer_bond_musdc * TEST.slash_reward_e9 // 10**9
    assert l1.slash_reward_musdc == reward
    assert l1.burned_musdc == TEST.proposer_bond_musdc - reward
    assert l1.wallets[VERIFIER] == 100 * TEST.proposer_bond_musdc + reward
    # the chain went on from the last valid root and finalized everything, with true roots
    chain = l1.canonical_chain()
    first_repost = next(r for r in chain if r.header.batch_no > bad_no)
    assert first_repost.header.prev_root == (l1.batch(bad.parent).header.post_root
                                             if bad.parent else l1.genesis_root)
    assert first_repost.header.first_height == bad.header.first_height
    assert chain[-1].header.last_height >= s.state.height - 4  # all but the newest interval
    final = l1.batch(l1.finalized_no)
    assert final.header.last_height > bad.header.last_height + 20  # finality moved past it
    assert l1.finalized_root() == Commitment().refresh(replay_standing(l1, l1.finalized_no))
    assert not s.reconciler.current and not s.halted


def honest_posted(seed: int = 5):
    s = funded()
    for txs in flow_txs(30, seed=seed):
        s.step(txs)
    record = next(r for r in reversed(s.l1.batches) if r.status == POSTED)
    pre = replay_standing(s.l1, record.parent)
    return s, record, witness_of(pre)


def test_I7_soundness_the_right_witness_against_an_honest_batch_loses_its_bond() -> None:
    s, record, witness = honest_posted()
    before = s.l1.wallets[OUTSIDER]
    verdict = s.l1.challenge(OUTSIDER, record.header.batch_no, witness)
    assert not verdict.fraud and record.status == POSTED
    assert s.l1.wallets[OUTSIDER] == before - TEST.challenger_bond_musdc
    bonds_balance(s.l1)


def _bent(witness: Witness, kind: str, older: Witness) -> Witness:
    leaves = list(witness.leaves)
    if kind == "dropped leaf":
        return Witness(witness.shared, tuple(leaves[:-1]))
    if kind == "extra leaf":
        return Witness(witness.shared, tuple(leaves + [leaves[-1]]))
    if kind == "swapped leaves":
        return Witness(witness.shared, tuple([leaves[1], leaves[0]] + leaves[2:]))
    if kind == "stale root":
        return older
    if kind == "wrong shared":
        return Witness(older.shared, witness.leaves)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["dropped leaf", "extra leaf", "swapped leaves", "stale root",
                                  "wrong shared"])
def test_I7_soundness_wrong_leaves_and_stale_roots_never_win(kind: str) -> None:
    s, record, witness = honest_posted()
    older = witness_of(replay_standing(s.l1, max(0, record.parent - 1)))
    verdict = s.l1.challenge(OUTSIDER, record.header.batch_no, _bent(witness, kind, older))
    assert not verdict.fraud and "witness refused" in verdict.reason
    assert record.status == POSTED
    bonds_balance(s.l1)


@SLOW
@given(data=st.data())
def test_I7_soundness_over_fuzzed_witnesses(data) -> None:
    s, record, witness = honest_posted(seed=data.draw(st.integers(0, 50)))
    leaves = list(witness.leaves)
    target = data.draw(st.integers(-1, len(leaves) - 1))
    blob = bytearray(witness.shared if target < 0 else leaves[target])
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] ^= data.draw(st.integers(1, 255))
    if target < 0:
        bent = Witness(bytes(blob), witness.leaves)
    else:
        leaves[target] = bytes(blob)
        bent = Witness(witness.shared, tuple(leaves))
    verdict = s.l1.challenge(OUTSIDER, record.header.batch_no, bent)
    assert not verdict.fraud
    assert record.status == POSTED
    s.idle(TEST.challenge_window_ms + 4_000)
    assert record.status == FINALIZED
    bonds_balance(s.l1)


def test_I5_no_challenge_after_the_window_and_finality_waits_for_the_parent() -> None:
    s, record, witness = honest_posted()
    s.idle(TEST.challenge_window_ms + 2_000)
    assert record.status == FINALIZED
    with pytest.raises(L1Error, match="not open to challenge"):
        s.l1.challenge(OUTSIDER, record.header.batch_no, witness)
    seen: dict = {}
    finality_monotone(s.l1, seen)


def test_I9_every_batch_fits_the_judge_budget_and_l1_refuses_a_bigger_one() -> None:
    s = funded()
    big = [tx for txs in flow_txs(120, seed=8) for tx in txs]
    assert len(big) > 2 * TEST.max_batch_txs
    s.step(tuple(big[:TEST.max_batch_txs]))
    s.step(tuple(big[TEST.max_batch_txs:2 * TEST.max_batch_txs]))
    s.idle(3_000)
    assert all(r.header.n_txs <= TEST.max_batch_txs for r in s.l1.batches)
    s.poster.post_due = lambda force=False: []  # hold the next blocks back
    s.step(tuple(big[:40]))
    s.step(tuple(big[40:80]))
    batch = s.poster.next_batch()
    records = s.poster.unposted()
    body = encode_body(tuple(r.block for r in records))
    header = replace(batch.header, n_txs=sum(r.n_txs for r in records), data_hash=h256(body),
                     last_height=records[-1].block.height)
    assert header.n_txs > TEST.max_batch_txs
    with pytest.raises(L1Error, match="budget"):
        s.l1.commit_batch(POSTER, header, body, batch.withdrawals)


def test_I8_bonds_in_equal_bonds_returned_plus_slashed_and_l1_money_is_conserved() -> None:
    s = funded()
    minted = sum(s.l1.wallets.values()) + s.l1.bridge_balance_musdc  # nothing else mints
    s.verifier_poll_ms = 3_000
    for i, txs in enumerate(flow_txs(160, seed=19)):
        if i in (20, 90):
            s.poster.fault = "price"
            s.poster.faults_injected = 0
        if i == 50:  # a challenge against an honest batch: the challenger's bond burns
            record = next(r for r in reversed(s.l1.batches) if r.status == POSTED)
            s.l1.challenge(OUTSIDER, record.header.batch_no,
                           witness_of(replay_standing(s.l1, record.parent)))
        s.step(txs)
        bonds_balance(s.l1)
        assert sum(s.l1.wallets.values()) + s.l1.bridge_balance_musdc + s.l1.burned_musdc \
            == minted
    s.idle(TEST.challenge_window_ms + 4_000)
    bonds_balance(s.l1)
    assert s.l1.bonds_held_musdc() <= TEST.proposer_bond_musdc * 30
    assert s.l1.slash_reward_musdc == 2 * TEST.proposer_bond_musdc * TEST.slash_reward_e9 // 10**9
    assert s.l1.burned_musdc == 2 * (TEST.proposer_bond_musdc - s.l1.slash_reward_musdc // 2) \
        + TEST.challenger_bond_musdc
