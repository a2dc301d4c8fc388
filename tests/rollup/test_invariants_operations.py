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
from l2perp.engine.tx import Tx
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


def test_the_posters_item_budget_cuts_batches_and_one_post_per_call_drains_a_backlog() -> None:
    """A bulk action weighs its orders; with an item budget the poster closes batches below
    L1's transaction budget, and posting one batch per call spreads a backlog over blocks with
    every block posted once, in order."""
    from l2perp.rollup.poster import tx_items
    from tests.support.venue import limit
    from l2perp.wire.actions import parse_action

    s = funded(verifier=False)
    s.poster.max_batch_items = 30
    s.poster.batches_per_call = 1
    trader = USERS[0]
    before = len(s.l1.batches)
    bulk = parse_action({"type": "order", "grouping": "na",
                         "orders": [limit(0, True, "1", "0.01") for _ in range(10)]})
    nonce = 10**12
    for _ in range(12):  # 12 blocks of one 10-order action: 120 items, 4+ batches
        nonce += 1
        s.step((Tx(trader, nonce, bulk),), dt_ms=10)
    records = [r for r in s.poster.records.values() if r.block.txs]
    assert {tx_items(tx) for r in records for tx in r.block.txs if tx.signer == trader} == {10}
    for _ in range(40):
        posted = s.poster.post_due()
        assert len(posted) <= 1
        s.step(dt_ms=10)
    batches = s.l1.batches[before:]
    assert len(batches) >= 4
    for record in batches:  # each within the budget (a lone heavier block would still go)
        items = sum(tx_items(tx) for b in decode_body(record.body) for tx in b.txs)
        assert items <= 30
    heights = [h for r in s.l1.batches for h in range(r.header.first_height,
                                                      r.header.last_height + 1)]
    assert heights == list(range(1, len(heights) + 1))
