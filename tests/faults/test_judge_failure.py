"""Issue 14: the fraud judge counts as fraud only what the poster did. An exception inside the
engine while it re-executes a well-formed batch (injected here by patching an engine function
the re-execution calls) is a judge failure: no revert, no slash, the challenger's bond back, a
public incident on the contract, and the batch finalizes in its time. A body the poster crafted
with a wrongly typed field is still fraud, however the engine would have failed on it."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from l2perp.codec import CodecError, canonical, h256
from l2perp.engine.decoding import copy_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block, Tx, UpdateLeverage
from l2perp.engine.txcodec import RECORDS
from l2perp.rollup.contract import FINALIZED, POSTED, REVERTED, JudgeFailure
from l2perp.rollup.judge import rejudge, witness_of
from l2perp.rollup.l1 import KIND_OFFENCE, L1Error
from l2perp.rollup.params import TEST
from l2perp.rollup.verifier import replay_standing
from tests.support.flow import USERS
from tests.support.trees import R
from tests.support.rollup_rig import OUTSIDER, POSTER, UNSIGNED, VERIFIER, flow_txs, funded
from tests.rollup.test_invariants_fraud import bonds_balance

# Where the injected bug strikes: the engine entry point as the rollup's re-execution calls it (a
# name in an interpreted module, so the patch holds on the compiled core too).
ENGINE_STEP = "l2perp.rollup.batch.apply_block"
REWARD = TEST.proposer_bond_musdc * TEST.slash_reward_e9 // 10**9


def engine_bug(error: type[BaseException]):
    def apply_block(state, block):
        raise error("injected engine bug")
    return apply_block


def honest_posted(blocks: int = 12):
    """A system with honest batches posted and verified, and the newest one in its window."""
    s = funded()
    for txs in flow_txs(blocks, seed=5):
        s.step(txs)
    record = next(r for r in reversed(s.l1.batches) if r.status == POSTED)
    return s, record, witness_of(replay_standing(s.l1, record.parent))


def wallets(s) -> tuple[int, int, int]:
    return s.l1.wallets[POSTER], s.l1.wallets[OUTSIDER], s.l1.bridge_balance_musdc


def poster_whole(s) -> bool:
    """The poster lost nothing: what it was minted is in its wallet or bonds still held."""
    return s.l1.wallets[POSTER] + s.l1.bonds_held_musdc() == 100 * TEST.proposer_bond_musdc


@pytest.mark.parametrize("error", [RuntimeError, AttributeError, ZeroDivisionError,
                                   AssertionError, RecursionError, TypeError, KeyError,
                                   ValueError])
def test_an_engine_error_in_a_challenge_is_a_judge_failure_and_the_batch_stands(
        monkeypatch, error: type[BaseException]) -> None:
    s, record, witness = honest_posted()
    number = record.header.batch_no
    before, messages, cursor = wallets(s), len(s.l1.messages), s.l1.cursor
    with monkeypatch.context() as patch:
        patch.setattr(ENGINE_STEP, engine_bug(error))
        verdict = s.l1.challenge(OUTSIDER, number, witness)
    assert not verdict.fraud and verdict.failure is not None
    assert verdict.failure.kind == error.__name__
    assert "injected engine bug" in verdict.failure.message
    assert verdict.reason.startswith("judge failure during re-execution")
    # nothing happened to the batch, its poster or the challenger
    assert record.status == POSTED and record.reverted_by == 0
    assert wallets(s) == before  # the challenger's bond came back; nothing slashed or burned
    assert (s.l1.slash_reward_musdc, s.l1.burned_musdc) == (0, 0)
    assert record.bond_musdc == TEST.proposer_bond_musdc and poster_whole(s)
    assert (len(s.l1.messages), s.l1.cursor) == (messages, cursor)  # no offence, no rewind
    bonds_balance(s.l1)
    # the public record
    assert s.l1.judge_failures == [JudgeFailure(number, error.__name__, verdict.failure.message,
                                                OUTSIDER, s.l1.height, s.l1.time_ms)]
    assert s.l1.judge_failed(number)
    time_ms, kind, details = s.l1.events[-1]
    assert (kind, details["batch"], details["error"]) == ("judgeFailure", number, error.__name__)
    # the same witness would fail the same way: no second (free) challenge
    with pytest.raises(L1Error, match="already failed the judge"):
        s.l1.challenge(OUTSIDER, number, witness)
    assert wallets(s) == before
    # the batch finalizes in its time and its poster gets the bond back
    s.idle(TEST.challenge_window_ms + 4_000)
    assert record.status == FINALIZED
    assert poster_whole(s)
    assert not s.verifier.findings and not s.verifier.failures and not s.reconciler.mismatches
    bonds_balance(s.l1)


def test_a_wrong_witness_still_loses_its_bond_whatever_the_engine_does(monkeypatch) -> None:
    s, record, witness = honest_posted()
    stale = witness_of(replay_standing(s.l1, max(0, record.parent - 1)))
    before = s.l1.wallets[OUTSIDER]
    with monkeypatch.context() as patch:
        patch.setattr(ENGINE_STEP, engine_bug(RuntimeError))
        verdict = s.l1.challenge(OUTSIDER, record.header.batch_no, stale)
    assert not verdict.fraud and verdict.failure is None and "witness refused" in verdict.reason
    assert s.l1.wallets[OUTSIDER] == before - TEST.challenger_bond_musdc
    assert not s.l1.judge_failures and record.status == POSTED


def test_the_honest_case_is_unchanged() -> None:
    s, record, witness = honest_posted()
    before = s.l1.wallets[OUTSIDER]
    verdict = s.l1.challenge(OUTSIDER, record.header.batch_no, witness)
    assert not verdict.fraud and verdict.failure is None
    assert verdict.reason == "batch re-executes to its claimed results"
    assert s.l1.wallets[OUTSIDER] == before - TEST.challenger_bond_musdc  # burned, as before
    assert not s.l1.judge_failures and record.status == POSTED
    bonds_balance(s.l1)


@pytest.mark.parametrize("fault", ["root", "balance", "withdrawals"])
def test_real_fraud_is_still_proven_reverted_and_slashed(fault: str) -> None:
    s = funded()
    s.poster.fault = fault
    s.verifier_poll_ms = 10**9  # the verifier looks once the bad batch is posted
    for _ in range(6):
        s.step()
    s.verifier.poll()
    number, verdict = s.verifier.challenges[0]
    assert verdict.fraud and verdict.failure is None
    assert s.l1.batch(number).status == REVERTED
    assert s.l1.slash_reward_musdc == REWARD
    assert s.l1.messages[-1].kind == KIND_OFFENCE  # and L2 slashes the governance bond
    assert not s.l1.judge_failures and not s.verifier.failures
    bonds_balance(s.l1)


def test_the_honest_verifier_logs_a_judge_failure_and_does_not_challenge(monkeypatch,
                                                                         caplog) -> None:
    s = funded()
    s.verifier_poll_ms = 10**9  # the verifier looks when the test says
    for txs in flow_txs(12, seed=5):
        s.step(txs)
    unseen = [r for r in s.l1.batches if r.header.batch_no > s.verifier.seen]
    assert len(unseen) >= 2
    before = wallets(s)
    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR):
        patch.setattr(ENGINE_STEP, engine_bug(ZeroDivisionError))
        assert s.verifier.poll() == []
    first = unseen[0].header.batch_no
    assert [n for n, _ in s.verifier.failures] == [first]
    assert "ZeroDivisionError" in s.verifier.failures[0][1]
    assert {r.header.batch_no for r in unseen} <= s.verifier.unverifiable  # built on it
    assert not s.verifier.challenges and not s.verifier.findings
    assert any(f"batch {first} cannot be judged" in r.getMessage() for r in caplog.records
               if r.levelno == logging.ERROR)
    assert wallets(s) == before and not s.l1.judge_failures
    s.idle(TEST.challenge_window_ms + 4_000)
    assert all(r.status == FINALIZED for r in unseen) and poster_whole(s)


def test_a_judge_failure_decides_nothing_even_on_a_wrong_batch(monkeypatch, caplog) -> None:
    """The price of not punishing an honest poster for an engine bug: while the engine fails on
    a batch, no one can prove it wrong. The incident is the public alarm; the honest verifier,
    which finds the batch wrong, reports it and does not retry a challenge L1 would refuse."""
    s = funded()
    s.poster.fault = "root"
    s.verifier_poll_ms = 10**9
    for _ in range(6):
        s.step()
    bad = next(r for r in s.l1.batches if r.header.batch_no > s.verifier.seen)
    witness = witness_of(replay_standing(s.l1, bad.parent))
    with monkeypatch.context() as patch:
        patch.setattr(ENGINE_STEP, engine_bug(RuntimeError))
        verdict = s.l1.challenge(OUTSIDER, bad.header.batch_no, witness)
    assert verdict.failure is not None and bad.status == POSTED
    with caplog.at_level(logging.ERROR):
        s.verifier.poll()
        s.verifier.poll()
    assert not s.verifier.challenges
    assert [n for n, _ in s.verifier.findings] == [bad.header.batch_no]
    assert s.verifier.failures[0][0] == bad.header.batch_no
    assert "already failed" in s.verifier.failures[0][1]
    assert len(s.l1.judge_failures) == 1 and bad.status == POSTED


def crafted_batch(s):
    """A batch the poster crafted: one block whose transaction has a string where the engine
    counts with an int (the engine would raise a TypeError on it); its tree, header and body,
    and a well-typed look-alike block (the leverage an int)."""
    s.poster.post_due = lambda force=False: []
    s.step(flow_txs(3, seed=5)[1])
    batch = s.poster.next_batch()
    height, now = batch.header.first_height, s.state.time_ms
    tree = R(Block, height, now, (R(Tx, USERS[0], now, R(UpdateLeverage, 0, True, "5")),))
    body = canonical([tree])
    header = replace(batch.header, data_hash=h256(body), n_txs=1, last_height=height,
                     system_time=now, l1_msg_end=batch.header.l1_msg_start,
                     post_root=h256(b"whatever the poster likes"))
    look_alike = Block(height, now, (Tx(USERS[0], now, UpdateLeverage(0, True, 5)),))
    return tree, header, body, look_alike


def test_a_wrongly_typed_field_is_refused_at_commit_and_the_engine_would_have_crashed() -> None:
    s = funded()
    tree, header, body, _ = crafted_batch(s)
    with pytest.raises(L1Error, match="UpdateLeverage.leverage: expected int, got str"):
        s.l1.commit_batch(POSTER, header, body, ())
    pre = copy_state(replay_standing(s.l1))
    try:
        block = RECORDS.unpack(tree)
    except CodecError:  # the compiled core: the record refuses the string at construction
        return
    with pytest.raises(TypeError):  # what the judge would have met without the type check
        apply_block(pre, block)


def test_a_wrongly_typed_field_that_got_past_the_commit_is_fraud_reverted_and_slashed(
        monkeypatch) -> None:
    s = funded()
    _, header, body, look_alike = crafted_batch(s)
    with monkeypatch.context() as patch:  # a commit check that let it through
        patch.setattr("l2perp.rollup.contract.decoded_body", lambda data: (look_alike,))
        record = s.l1.commit_batch(POSTER, header, body, ())
    witness = witness_of(replay_standing(s.l1, record.parent))
    verdict = rejudge(s.l1.config, header, body, (), witness, UNSIGNED.authenticate)
    assert verdict.fraud and verdict.failure is None
    assert "malformed body" in verdict.reason and "expected int, got str" in verdict.reason
    s.verifier.poll()
    number, challenged = s.verifier.challenges[-1]
    assert number == record.header.batch_no and challenged.fraud
    assert record.status == REVERTED
    assert s.l1.slash_reward_musdc == REWARD
    assert s.l1.burned_musdc == TEST.proposer_bond_musdc - REWARD
    assert s.l1.wallets[VERIFIER] == 100 * TEST.proposer_bond_musdc + REWARD
    assert not s.l1.judge_failures
    bonds_balance(s.l1)
