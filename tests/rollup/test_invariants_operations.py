"""Reconciliation and operations: I-19 to I-22 of the rollup (docs/mechanics.md)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from l2perp.engine.stf import apply_block
from l2perp.rollup.batch import decode_body, withdrawal_proof
from l2perp.rollup.contract import FINALIZED
from l2perp.rollup.l1 import L1Error
from l2perp.rollup.params import TEST, TICK_MS
from l2perp.rollup.poster import Poster, SignedBatch
from l2perp.rollup.verifier import replay_standing
from l2perp.units import ONE_USDC
from tests.support.flow import USERS
from tests.support.rollup_rig import POSTER, flow_txs, funded


def test_I19_r1_to_r5_hold_after_every_l1_block_of_a_busy_run() -> None:
    s = funded()
    rng = random.Random(5)
    for i, txs in enumerate(flow_txs(300, seed=17, crash_every=40)):
        roll = rng.random()
        if roll < 0.05:
            s.fund(rng.choice(USERS), rng.randint(1, 3_000) * ONE_USDC)
        elif roll < 0.08:
            s.l1.force_withdrawal(rng.choice(USERS), rng.randint(1, 50) * ONE_USDC)
        if i == 150:
            s.poster.fault = "balance"  # a revert in the middle of it
        for record in s.l1.batches:  # users claim what finalized batches owe them
            if record.status == FINALIZED:
                for k, w in enumerate(record.withdrawals):
                    if (record.header.batch_no, k) not in s.l1.claimed:
                        s.l1.claim(record.header.batch_no, k, w,
                                   withdrawal_proof(list(record.withdrawals), k))
        s.step(txs)
        assert not s.reconciler.current, s.reconciler.current
    assert not s.reconciler.mismatches
    assert s.l1.claimed and any(r.status == "reverted" for r in s.l1.batches)
    assert s.reconciler.checked_l1_blocks >= set(range(1, s.l1.height + 1))


def _until_batch(s, limit: int = 12) -> None:
    posted = len(s.l1.batches)
    for _ in range(limit):
        s.step()
        if len(s.l1.batches) > posted and s.halted:
            return


@pytest.mark.parametrize("divergence", ["dropped deposit", "double-credited withdrawal",
                                        "skewed balance"])
def test_I20_an_injected_divergence_is_caught_within_one_batch_and_halts(divergence) -> None:
    s = funded()
    for txs in flow_txs(40, seed=6):
        s.step(txs)
    user = USERS[3]
    if divergence == "dropped deposit":
        s.fund(user, 250 * ONE_USDC)
        while s.state.l1_cursor < len(s.l1.messages):
            s.step()
        s.state.accounts[user].cash_musdc -= 250 * ONE_USDC  # L2's books lose the credit
    elif divergence == "skewed balance":
        s.state.accounts[user].cash_musdc += 1
    else:
        s.l1.force_withdrawal(user, 40 * ONE_USDC)
        s.idle(TEST.challenge_window_ms + 6 * TICK_MS)
        record = next(r for r in s.l1.batches if r.withdrawals and r.status == FINALIZED)
        w = record.withdrawals[0]
        s.l1.claim(record.header.batch_no, 0, w, withdrawal_proof(list(record.withdrawals), 0))
        s.l1.pay(w.destination, w.amount_musdc)  # a buggy bridge pays the claim again
        s.l1.paid_claims_musdc += w.amount_musdc
    assert not s.halted
    _until_batch(s)
    assert s.halted and s.reconciler.current
    rules = {m.rule for m in s.reconciler.current}
    assert rules & ({"R5", "R1"} if divergence.startswith("double") else {"R2"})
    height = s.state.height
    s.idle(5_000)
    assert s.state.height == height  # the sequencer stays halted


def test_I21_blocks_acknowledged_before_a_poster_crash_are_all_posted_in_order() -> None:
    s = funded()
    log = []  # the sequencer's durable block log
    original = s.poster.on_block

    def logged(state, block, receipts, measure_tvl=True):
        log.append(block)
        return original(state, block, receipts, measure_tvl)

    s.poster.on_block = logged
    s.poster.post_due = lambda force=False: []  # it crashes before posting these
    acked = [txs for txs in flow_txs(30, seed=12)]
    for txs in acked:
        s.step(txs)
    unposted_from = s.l1.tip().header.last_height + 1 if s.l1.tip() else 1
    # restart: L1's standing batches, then the durable log past them; the journal survives
    restarted = Poster(POSTER, s.l1, journal=s.poster.journal)
    replay = replay_standing(s.l1)
    restarted.start(replay)
    for block in log:
        if block.height > replay.height:
            restarted.on_block(replay, block, apply_block(replay, block))
    assert replay.height == s.state.height
    s.poster = restarted
    posted = restarted.post_due(force=True)
    assert posted
    blocks = [b for r in s.l1.canonical_chain() for b in decode_body(r.body)]
    assert [b.height for b in blocks] == list(range(1, s.state.height + 1))
    logged_by_height = {b.height: b for b in log}
    for block in blocks:
        if block.height >= unposted_from:
            assert block == logged_by_height[block.height]  # the same transactions, in order


def test_I22_one_batch_number_is_never_signed_with_two_contents() -> None:
    s = funded()
    for txs in flow_txs(6, seed=3):
        s.step(txs)
    s.poster.post_due = lambda force=False: []
    s.step(flow_txs(8, seed=3)[7])
    batch = Poster.next_batch(s.poster)
    s.poster.journal.sign(batch)  # signed, then the poster dies before L1 sees it
    for txs in flow_txs(4, seed=4):
        s.step(txs)  # more blocks: a fresh cut would now differ
    other = SignedBatch(replace(batch.header, post_root=b"\x07" * 32), batch.body,
                        batch.withdrawals)
    with pytest.raises(L1Error, match="already signed"):
        s.poster.journal.sign(other)
    restarted = Poster(POSTER, s.l1, s.poster.commitment, dict(s.poster.records),
                       s.poster.journal)
    posted = restarted.post_due(force=True)
    assert posted[0].digest() == batch.header.digest()  # re-posted exactly as signed
    numbers = [h.batch_no for h in posted]
    assert len(numbers) == len(set(numbers))
