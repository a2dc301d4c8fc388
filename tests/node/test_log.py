"""The durable log: blocks survive a reopen, recovery verifies every digest and refuses a log
that does not replay, snapshots shorten the replay."""

from __future__ import annotations

import sqlite3

import pytest

from l2perp.wire.actions import parse_action
from l2perp.engine.encoding import state_digest
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.tx import BridgeCredit, SetPrice, Tx
from l2perp.node.log import BlockLog, RecoveryError
from l2perp.node.sequencer import Mempool, MempoolFull, Sequencer
from l2perp.engine.txcodec import decode_txs, encode_txs
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, T0, addr, limit

A, B = addr(1), addr(2)
GENESIS = Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0)


def _drive(seq: Sequencer, blocks: int) -> None:
    nonce = T0
    seq.mempool.push(Tx(None, 0, BridgeCredit(A, 100_000 * ONE_USDC)))
    seq.mempool.push(Tx(None, 0, BridgeCredit(B, 100_000 * ONE_USDC)))
    seq.mempool.push(Tx(ADMIN, T0 + 1, SetPrice(0, 500_000)))
    seq.produce_block(T0 + 200)
    for i in range(blocks):
        nonce += 2
        seq.mempool.push(Tx(B, nonce, parse_action({"type": "order", "orders": [
            limit(0, False, "50000", "0.01")]})))
        seq.mempool.push(Tx(A, nonce + 1, parse_action({"type": "order", "orders": [
            limit(0, True, "50000", "0.01", "Ioc")]})))
        seq.produce_block(T0 + 400 + 200 * i)


def test_transactions_round_trip_through_the_codec() -> None:
    txs = (Tx(A, 5, parse_action({"type": "order", "orders": [
        limit(0, True, "1.5", "2", "Alo", cloid="0x" + "ab" * 16)], "grouping": "na"})),
        Tx(None, 0, BridgeCredit(B, 7)), Tx(ADMIN, 9, SetPrice(1, 2), None, 12))
    assert decode_txs(encode_txs(txs)) == txs


def test_reopen_recovers_the_same_state(tmp_path) -> None:
    path = tmp_path / "node.sqlite"
    seq = Sequencer(BlockLog(path), GENESIS, snapshot_every=7)
    _drive(seq, 20)
    digest, height = state_digest(seq.state), seq.state.height
    seq.log.close()
    again = Sequencer(BlockLog(path), GENESIS)
    assert (state_digest(again.state), again.state.height) == (digest, height)
    assert again.state.accounts[A].positions[0].size_lots == 20 * 1_000
    assert again.log.verify_all(GENESIS) == height


def test_a_log_that_does_not_replay_is_refused(tmp_path) -> None:
    path = tmp_path / "node.sqlite"
    seq = Sequencer(BlockLog(path), GENESIS, snapshot_every=10_000)
    _drive(seq, 5)
    seq.log.close()
    db = sqlite3.connect(str(path))
    db.execute("UPDATE blocks SET digest = ? WHERE height = 4", (b"\x00" * 32,))
    db.commit()
    db.close()
    with pytest.raises(RecoveryError, match="block 4"):
        Sequencer(BlockLog(path), GENESIS)


def test_another_genesis_is_refused(tmp_path) -> None:
    path = tmp_path / "node.sqlite"
    Sequencer(BlockLog(path), GENESIS).log.close()
    with pytest.raises(RecoveryError, match="different genesis"):
        Sequencer(BlockLog(path), Genesis(config=EngineConfig(admin=A), time_ms=T0))


def test_mempool_priority_and_capacity() -> None:
    pool = Mempool(capacity=3)
    taker = Tx(A, 1, parse_action({"type": "order", "orders": [limit(0, True, "1", "1", "Ioc")]}))
    cancel = Tx(A, 2, parse_action({"type": "cancel", "cancels": [{"a": 0, "o": 1}]}))
    price = Tx(ADMIN, 3, SetPrice(0, 1))
    for tx in (taker, cancel, price):
        pool.push(tx)
    with pytest.raises(MempoolFull):
        pool.push(taker)
    assert [tx for tx, _ in pool.take(2)] == [price, cancel]
    assert [tx for tx, _ in pool.take(5)] == [taker]


def _rows(path, query: str) -> list[tuple]:
    db = sqlite3.connect(str(path))
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def _snapshots(path) -> list[tuple[int, bytes]]:
    return _rows(path, "SELECT height, state FROM snapshots")


def _fills(path) -> list[int]:
    return [height for (height,) in _rows(path, "SELECT height FROM fills ORDER BY tid")]


def test_a_deferred_snapshot_waits_for_the_node_and_is_the_full_encoding(tmp_path) -> None:
    from l2perp.node.files import encode_snapshot

    path = tmp_path / "node.sqlite"
    seq = Sequencer(BlockLog(path), GENESIS, snapshot_every=5)
    seq.defer_writes = True
    _drive(seq, 4)  # heights 1..5: one due at 5, not taken by the commit
    assert seq.state.height == 5 and _snapshots(path) == []
    seq.snapshot_if_due()  # not before the block's index rows
    assert _snapshots(path) == []
    seq.index_if_pending()
    seq.snapshot_if_due()
    [(height, data)] = _snapshots(path)
    assert height == 5
    assert data == encode_snapshot(seq.state, state_digest(seq.state))  # leaves from the cache
    seq.mempool.push(Tx(None, 0, BridgeCredit(A, ONE_USDC)))
    seq.produce_block(T0 + 10_000)
    seq.index_if_pending()
    seq.snapshot_if_due()  # height 6: not due
    assert [h for h, _ in _snapshots(path)] == [5]
    seq.log.close()
    again = Sequencer(BlockLog(path), GENESIS)
    assert state_digest(again.state) == state_digest(seq.state)


def test_index_rows_a_crash_lost_are_written_again_at_recovery(tmp_path) -> None:
    path = tmp_path / "node.sqlite"
    seq = Sequencer(BlockLog(path), GENESIS, snapshot_every=3)
    seq.defer_writes = True
    _drive(seq, 3)  # every block but the last indexed in the node's order
    assert seq.unindexed is not None and seq.log.indexed_height() == 3
    assert _fills(path) == [2, 3]  # one fill a block from height 2; block 4's rows are pending
    seq.log.close()  # a crash between the block's reply and its index rows
    again = Sequencer(BlockLog(path), GENESIS)
    assert again.log.indexed_height() == again.state.height == 4
    assert _fills(path) == [2, 3, 4]
    assert state_digest(again.state) == state_digest(seq.state)


def test_the_next_block_writes_the_rows_a_failed_stage_left(tmp_path) -> None:
    path = tmp_path / "node.sqlite"
    seq = Sequencer(BlockLog(path), GENESIS)
    seq.defer_writes = True
    _drive(seq, 2)
    assert seq.log.indexed_height() == 2  # the stage after block 3 never ran
    seq.produce_block(T0 + 10_000)  # it runs first, with the state block 3 left
    assert seq.log.indexed_height() == 3 and _fills(path) == [2, 3]
