"""Refusals found by review: malformed bodies (wrongly typed fields included) are refused at
commit (tests/faults/test_judge_failure.py: and proven fraud should one get past it), claims
cannot reuse an index modulo the tree, a refused commit keeps no bond, a challenge that could
not be sent is sent again, and a frozen exchange takes no new money."""

from __future__ import annotations

from dataclasses import replace

import pytest

from l2perp.codec import canonical, h256
from l2perp.engine.tx import Block, OrderSpec, PlaceOrders, Tx
from l2perp.rollup.batch import encode_body, withdrawal_proof
from l2perp.rollup.contract import FINALIZED
from l2perp.rollup.l1 import L1Error
from l2perp.rollup.params import TEST, TICK_MS
from l2perp.units import ONE_USDC, dec_from_int
from tests.support.trees import R
from tests.support.rollup_rig import OUTSIDER, POSTER, flow_txs, funded


def held(s):
    s.poster.post_due = lambda force=False: []
    s.step(flow_txs(3, seed=5)[1])
    return s.poster.next_batch()


def test_a_block_with_a_time_that_is_no_integer_is_refused_and_changes_nothing() -> None:
    s = funded()
    batch = held(s)
    height = batch.header.first_height
    body = canonical([R(Block, height, None, ())])  # no Block record holds a None time
    header = replace(batch.header, data_hash=h256(body), n_txs=0,
                     last_height=height, l1_msg_end=batch.header.l1_msg_start)
    bond_before, wallet_before = s.l1.bonds_in_musdc, s.l1.wallets[POSTER]
    with pytest.raises(L1Error, match="malformed"):
        s.l1.commit_batch(POSTER, header, body, ())
    assert (s.l1.bonds_in_musdc, s.l1.wallets[POSTER]) == (bond_before, wallet_before)


def test_a_body_with_a_wrongly_typed_field_is_refused_at_commit() -> None:
    s = funded()
    batch = held(s)
    junk = OrderSpec(0, True, dec_from_int(1, 0), dec_from_int(1, 0), False, 0)
    refused = Block(batch.header.first_height, s.state.time_ms, (junk,))  # no transaction
    broken = Tx(flow_user(), 1, PlaceOrders((5,)))  # an int where an OrderSpec belongs
    for block, problem in ((refused, "Block.txs: [0]: expected Tx, got OrderSpec"),
                           (Block(refused.height, refused.time_ms, (broken,)),
                            "PlaceOrders.orders: [0]: expected OrderSpec, got int")):
        body = encode_body((block,))
        header = replace(batch.header, data_hash=h256(body), n_txs=1, last_height=block.height,
                         system_time=block.time_ms, l1_msg_end=batch.header.l1_msg_start)
        bond_before, wallet_before = s.l1.bonds_in_musdc, s.l1.wallets[POSTER]
        with pytest.raises(L1Error, match="batch body is malformed") as refusal:
            s.l1.commit_batch(POSTER, header, body, ())
        assert problem in str(refusal.value)
        assert (s.l1.bonds_in_musdc, s.l1.wallets[POSTER]) == (bond_before, wallet_before)
    assert len(s.l1.batches) == batch.header.batch_no - 1


def test_a_commit_refused_for_an_overdue_message_keeps_no_bond() -> None:
    s = funded()
    s.censor = True
    s.fund(OUTSIDER, ONE_USDC)
    s.poster.post_due = lambda force=False: []
    for _ in range(2 * TEST.force_inclusion_delay_ms // 500):
        s.step()
    batch = s.poster.next_batch()
    before = (s.l1.bonds_in_musdc, s.l1.wallets[POSTER], s.l1.bridge_balance_musdc,
              s.l1.gas_this_block)
    with pytest.raises(L1Error, match="force-inclusion"):
        s.l1.commit_batch(POSTER, batch.header, batch.body, batch.withdrawals)
    after = (s.l1.bonds_in_musdc, s.l1.wallets[POSTER], s.l1.bridge_balance_musdc,
             s.l1.gas_this_block)
    assert after == before


def test_a_withdrawal_index_outside_the_list_is_refused() -> None:
    s = funded()
    s.l1.force_withdrawal(flow_user(), 20 * ONE_USDC)
    s.idle(TEST.challenge_window_ms + 8 * TICK_MS)
    record = next(r for r in s.l1.batches if r.withdrawals and r.status == FINALIZED)
    entry = record.withdrawals[0]
    proof = withdrawal_proof(list(record.withdrawals), 0)
    for k in (1 << 16, -(1 << 16), 1):  # the same leaf under another name, or none at all
        with pytest.raises(L1Error, match="no withdrawal"):
            s.l1.claim(record.header.batch_no, k, entry, proof)
    s.l1.claim(record.header.batch_no, 0, entry, proof)
    with pytest.raises(L1Error, match="already claimed"):
        s.l1.claim(record.header.batch_no, 0, entry, proof)


def flow_user() -> str:
    from tests.support.flow import USERS
    return USERS[0]


def test_a_challenge_that_could_not_be_sent_is_sent_on_the_next_look() -> None:
    s = funded()
    s.poster.fault = "balance"
    s.verifier_poll_ms = 10**9
    for _ in range(6):
        s.step()
    calls = []

    def flaky(challenger, number, witness):
        calls.append(number)
        if len(calls) == 1:
            raise L1Error("block gas limit reached: wait for the next L1 block")
        return s.l1.challenge(challenger, number, witness)

    s.verifier.submit = flaky
    s.verifier.poll()
    assert not s.verifier.challenges  # the first attempt did not go out
    s.verifier.poll()
    assert len(calls) == 2 and calls[0] == calls[1]
    assert s.verifier.challenges[0][1].fraud


def test_a_frozen_exchange_takes_no_deposit_or_request() -> None:
    s = funded()
    s.sequencer_live = False
    request = s.l1.force_withdrawal(flow_user(), ONE_USDC)
    s.l1.advance_to(request.time_ms + TEST.freeze_grace_ms)
    s.l1.freeze(OUTSIDER, request.index)
    with pytest.raises(L1Error, match="frozen"):
        s.l1.deposit(OUTSIDER, OUTSIDER, ONE_USDC)
    with pytest.raises(L1Error, match="frozen"):
        s.l1.force_withdrawal(flow_user(), ONE_USDC)


def test_batches_respect_the_block_budget_too() -> None:
    s = funded()
    s.poster.post_due = lambda force=False: []
    tip = s.l1.tip().header.last_height
    for _ in range(TEST.max_batch_blocks + 5):
        s.step(dt_ms=10)  # empty blocks cost the judge too
    batch = s.poster.next_batch()
    assert batch.header.last_height - batch.header.first_height + 1 == TEST.max_batch_blocks
    records = s.poster.unposted()[:TEST.max_batch_blocks + 1]
    body = encode_body(tuple(r.block for r in records))
    header = replace(batch.header, data_hash=h256(body), last_height=records[-1].block.height,
                     system_time=records[-1].block.time_ms)
    assert header.first_height == tip + 1
    with pytest.raises(L1Error, match="blocks, at most"):
        s.l1.commit_batch(POSTER, header, body, batch.withdrawals)
    s.l1.commit_batch(POSTER, batch.header, batch.body, batch.withdrawals)
