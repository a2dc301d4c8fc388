"""Authentication in the process pool (rollup/authpool.py): one batch holding signed, forged,
altered, unsigned and malformed transactions gets the same booleans and the same judge verdict
for every worker count; a large batch really goes to the pool; a pool that breaks, before or
during a batch, leaves the verdict as it was."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

import msgpack
import pytest

from l2perp.crypto.signatures import address_of, sign_l1_action
from l2perp.engine.decoding import decode_state
from l2perp.engine.genesis import genesis_state
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.state import State
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import (
    Block, BridgeCredit, PlaceOrders, SetPrice, Tx, UsdSend,
)
from l2perp.engine.txcodec import RECORDS, pack_tx
from l2perp.rollup import authpool
from l2perp.rollup.auth import authentic, market_table
from l2perp.rollup.batch import BatchHeader, decode_body, encode_body, execute_batch, list_root
from l2perp.rollup.commitment import Commitment
from l2perp.rollup.judge import Verdict, Witness, rejudge, witness_of
from l2perp.units import ONE_USDC
from l2perp.wire.requests import decode_request
from tests.support.venue import T0, limit

ADMIN_KEY = b"\xad" * 32
KEYS = [(i + 1).to_bytes(32, "big") for i in range(6)]
USERS = [address_of(k) for k in KEYS]
BLOCK_TXS = 100
N_BLOCKS = 4  # 400 transactions: above the pool's threshold


@pytest.fixture(autouse=True)
def own_pool(monkeypatch):
    """Each test starts without a pool and leaves none behind."""
    authpool.shutdown_pool()
    monkeypatch.delenv(authpool.ENV_WORKERS, raising=False)
    yield
    authpool.shutdown_pool()


def signed(state: State, key: bytes, nonce: int, action: dict) -> Tx:
    """A request signed as the SDK signs it, decoded as the API decodes it."""
    markets = state.markets
    signature = sign_l1_action(key, action, None, nonce, None, False)
    return decode_request({"action": action, "nonce": nonce, "signature": signature},
                          sz_decimals_of=lambda a: markets[a].sz_decimals,
                          asset_of=lambda c: next((m.asset for m in markets if m.name == c),
                                                  None))


def forgeries(tx: Tx, k: int) -> Tx:
    """Transaction k's bad variant: five kinds, in turn."""
    kind = k % 5
    assert tx.signer is not None and tx.auth is not None and isinstance(tx.action, PlaceOrders)
    if kind == 0:  # nobody signed it
        return Tx(tx.signer, tx.nonce, UsdSend(USERS[0], 1_000 * ONE_USDC, tx.nonce))
    if kind == 1:  # someone else's signature
        return replace(tx, signer=USERS[(USERS.index(tx.signer) + 1) % len(USERS)])
    if kind == 2:  # altered after signing: ten times the size
        spec = tx.action.orders[0]
        return replace(tx, action=PlaceOrders((spec._replace(sz=spec.sz._replace(
            exp=spec.sz.exp + 1)),)))
    if kind == 3:  # request bytes that are not msgpack
        return replace(tx, auth=b"\xc1" + tx.auth[1:])
    return replace(tx, auth=msgpack.packb([1, 2, 3]))  # a request of the wrong shape


def batch() -> tuple[EngineConfig, State, tuple[Block, ...], list[bool]]:
    """A book with funded traders, then N_BLOCKS blocks of signed orders where every 7th
    transaction is forged or malformed, and a deposit opens each block. The expected verdict
    of each transaction comes with it."""
    config = EngineConfig(admin=address_of(ADMIN_KEY))
    state = genesis_state(Genesis(config=config, time_ms=T0))
    funding = [Tx(None, 0, BridgeCredit(u, 1_000_000 * ONE_USDC)) for u in USERS]
    apply_block(state, Block(1, T0 + 200, tuple(funding)
                             + (Tx(config.admin, T0, SetPrice(0, 500_000)),)))
    blocks, expected = [], []
    nonce = T0
    for b in range(N_BLOCKS):
        txs = [Tx(None, 0, BridgeCredit(USERS[b % len(USERS)], ONE_USDC))]
        expected.append(True)
        for k in range(BLOCK_TXS - 1):
            nonce += 1
            user = (b * BLOCK_TXS + k) % len(USERS)
            tx = signed(state, KEYS[user], nonce, {
                "type": "order", "grouping": "na",
                "orders": [limit(0, k % 2 == 0, str(49_990 + k % 20), "0.001")]})
            if k % 7 == 3:
                tx = forgeries(tx, b * BLOCK_TXS + k)
                expected.append(False)
            else:
                expected.append(True)
            txs.append(tx)
        blocks.append(Block(2 + b, T0 + 400 + 200 * b, tuple(txs)))
    return config, state, tuple(blocks), expected


@pytest.fixture(scope="module")
def made() -> tuple[EngineConfig, State, tuple[Block, ...], list[bool]]:
    return batch()


def header_for(config: EngineConfig, witness: Witness, blocks: tuple[Block, ...],
               authenticate: bool) -> tuple[BatchHeader, tuple]:
    """The header (and withdrawals) of an execution in this process: honest with
    `authenticate`, one that executed the forgeries without it."""
    state = decode_state(config, witness.shared, list(witness.leaves))
    commitment = Commitment()
    prev = commitment.refresh(state)
    os.environ[authpool.ENV_WORKERS] = "1"
    try:
        result = execute_batch(state, commitment, blocks, authenticate)
    finally:
        del os.environ[authpool.ENV_WORKERS]
    header = BatchHeader(1, prev, 0, 0, 0, b"", blocks[-1].time_ms, result.n_txs, b"",
                         result.post_root, result.trace_root,
                         list_root([w.encode() for w in result.withdrawals]),
                         blocks[0].height, blocks[-1].height)
    return header, tuple(result.withdrawals)


def judge_with(workers: int, config: EngineConfig, header: BatchHeader, body: bytes,
               withdrawals: tuple, witness: Witness) -> Verdict:
    os.environ[authpool.ENV_WORKERS] = str(workers)
    try:
        return rejudge(config, header, body, withdrawals, witness)
    finally:
        del os.environ[authpool.ENV_WORKERS]


def test_the_booleans_do_not_depend_on_the_worker_count(made) -> None:
    config, state, blocks, expected = made
    txs = [tx for block in blocks for tx in block.txs]
    table = market_table(state)
    assert [authentic(state, tx) for tx in txs] == expected
    before = authpool.COUNTERS.pooled_batches
    for workers in (1, 2, 3):
        assert authpool.authenticate_all(table, txs, workers=workers) == expected
    assert authpool.COUNTERS.pooled_batches == before + 2  # 2 and 3 workers: the pool


def test_the_judge_verdict_does_not_depend_on_the_worker_count(made) -> None:
    config, state, blocks, _ = made
    witness = witness_of(state)
    body = encode_body(blocks)
    honest, honest_w = header_for(config, witness, blocks, authenticate=True)
    forged, forged_w = header_for(config, witness, blocks, authenticate=False)
    assert honest.post_root != forged.post_root  # the forgeries change the result
    started = authpool.COUNTERS.pools_started
    for workers in (1, 2, 3):
        pooled = authpool.COUNTERS.pooled_batches
        from_body = authpool.COUNTERS.from_body
        assert judge_with(workers, config, honest, body, honest_w, witness) == \
            Verdict(False, "batch re-executes to its claimed results")
        assert judge_with(workers, config, forged, body, forged_w, witness) == \
            Verdict(True, "post_root differs from re-execution")
        assert authpool.COUNTERS.pooled_batches == pooled + (0 if workers == 1 else 2)
        assert authpool.COUNTERS.from_body == from_body + (0 if workers == 1 else 2)
    assert authpool.COUNTERS.pools_started == started + 2
    assert authpool.current_pool() is not None


def test_a_small_batch_stays_in_this_process(made) -> None:
    _, state, blocks, expected = made
    txs = blocks[0].txs[:authpool.MIN_POOLED_TXS - 10]
    pooled = authpool.COUNTERS.pooled_batches
    assert authpool.authenticate_all(market_table(state), txs, workers=3) == \
        expected[:len(txs)]
    assert authpool.COUNTERS.pooled_batches == pooled and authpool.current_pool() is None


def test_a_pool_broken_before_the_batch_falls_back_with_the_same_verdict(made,
                                                                         caplog) -> None:
    config, state, blocks, _ = made
    witness = witness_of(state)
    body = encode_body(blocks)
    header, withdrawals = header_for(config, witness, blocks, authenticate=True)
    authpool.warm_pool(2)
    pool = authpool.current_pool()
    assert pool is not None
    with pytest.raises(Exception):
        pool.submit(os._exit, 1).result()  # a worker dies: the pool is broken
    fallbacks = authpool.COUNTERS.fallbacks
    with caplog.at_level(logging.WARNING, logger=authpool.__name__):
        verdict = judge_with(2, config, header, body, withdrawals, witness)
    assert verdict == Verdict(False, "batch re-executes to its claimed results")
    assert authpool.COUNTERS.fallbacks > fallbacks
    assert "authentication pool failed" in caplog.text
    assert authpool.current_pool() is not pool  # dropped; the next batch starts a new one
    started = authpool.COUNTERS.pools_started
    assert judge_with(2, config, header, body, withdrawals, witness) == verdict
    assert authpool.COUNTERS.pools_started == started + 1


def test_a_pool_broken_during_the_batch_falls_back_with_the_same_answers(made,
                                                                         monkeypatch) -> None:
    _, state, blocks, expected = made
    txs = [tx for block in blocks for tx in block.txs]
    submit = authpool.PendingVerdicts._submit

    def kill_then_submit(self, *args) -> None:
        killer = authpool.get_pool(2).submit(os._exit, 1)  # a worker dies as the chunks arrive
        submit(self, *args)
        assert killer.exception() is not None  # the pool is broken under them

    monkeypatch.setattr(authpool.PendingVerdicts, "_submit", kill_then_submit)
    fallbacks = authpool.COUNTERS.fallbacks
    assert authpool.authenticate_all(market_table(state), txs, workers=2) == expected
    assert authpool.COUNTERS.fallbacks == fallbacks + 1


def test_a_chunk_that_fails_is_computed_here_and_the_others_are_kept(made,
                                                                     monkeypatch) -> None:
    _, state, blocks, expected = made
    txs = [tx for block in blocks for tx in block.txs]
    # a pool that an earlier test broke is dropped on its first failure and started anew on
    # the next call (its forkserver may refuse the first connection): start it before the
    # chunk failure is injected, so that the failure is the chunk's and not the pool's start
    assert authpool.authenticate_all(market_table(state), txs, workers=2) == expected
    submit = authpool.PendingVerdicts._submit
    seen = {}

    def second_chunk_fails(self, *args) -> None:
        submit(self, *args)
        failed: Future = Future()
        failed.set_exception(BrokenProcessPool("a worker was killed"))
        self.chunks[1].future = failed
        seen["pending"] = self

    monkeypatch.setattr(authpool.PendingVerdicts, "_submit", second_chunk_fails)
    fallbacks = authpool.COUNTERS.fallbacks
    assert authpool.authenticate_all(market_table(state), txs, workers=2) == expected
    assert authpool.COUNTERS.fallbacks == fallbacks + 1
    assert seen["pending"].chunks == []


def test_chunks_no_worker_has_started_are_computed_here(made) -> None:
    """Workers that are behind (here: busy with something else) do not make this process wait:
    it takes back the chunks they have not started."""
    _, state, blocks, expected = made
    txs = [tx for block in blocks for tx in block.txs]
    pool = authpool.get_pool(2)
    busy = [pool.submit(time.sleep, 0.5) for _ in range(3)]  # both workers and the queue
    taken = authpool.COUNTERS.taken_back
    assert authpool.authenticate_all(market_table(state), txs, workers=2) == expected
    assert authpool.COUNTERS.taken_back > taken
    for future in busy:
        future.result()


def test_the_body_is_cut_into_the_transactions_it_decodes_to(made) -> None:
    _, _, blocks, _ = made
    body = encode_body(blocks)
    slices = authpool.body_tx_slices(body)
    assert slices is not None
    assert [[RECORDS.decode(s) for s in block] for block in slices] == \
        [list(block.txs) for block in decode_body(body)]
    assert all(s == pack_tx(tx) for block, cut in zip(blocks, slices)
               for tx, s in zip(block.txs, cut))
    assert authpool.body_tx_slices(body[:-1]) is None
    assert authpool.body_tx_slices(body + b"\x00") is None
    assert authpool.body_tx_slices(msgpack.packb([{2: [1, 2, 3]}])) is None


def test_each_block_is_authenticated_against_the_markets_before_it(made) -> None:
    """A market renamed between blocks changes what a coin name means: the later blocks are
    judged against the markets as they are when they execute, as they always were."""
    config, state, _, _ = made
    oracle = signed(state, ADMIN_KEY, T0 + 10_000,
                    {"type": "devSetOracle", "coin": "BTC", "px": "50000"})
    blocks = (Block(50, T0, (oracle,)), Block(51, T0, (oracle,)))
    auth = authpool.BatchAuthenticator(state, workers=1)
    auth.bind(blocks)
    assert auth.block(state, 0) == blocks[0]
    renamed = decode_state(config, *_parts(witness_of(state)))
    renamed.markets[0].name = "NOTBTC"
    assert not authentic(renamed, oracle)
    assert auth.block(renamed, 1).txs == ()


def _parts(witness: Witness) -> tuple[bytes, list[bytes]]:
    return witness.shared, list(witness.leaves)
