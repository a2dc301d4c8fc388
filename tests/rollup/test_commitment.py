"""The state root follows the state incrementally: touching only the changed accounts gives the
same root as hashing every account; any account change moves the root."""

from __future__ import annotations

from l2perp.engine.encoding import encode_account
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.genesis import genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block
from l2perp.engine.txcodec import decode_txs, encode_txs
from l2perp.rollup.commitment import Commitment
from l2perp.rollup.merkle import verify_proof
from tests.support.flow import record, to_tx
from tests.support.venue import ADMIN, T0


def test_incremental_root_equals_the_full_root() -> None:
    state = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    incremental = Commitment()
    for height, time_ms, raw in record(300, seed=5, crash_every=60):
        txs = decode_txs(encode_txs(tuple(to_tx(t) for t in raw)))
        receipts = apply_block(state, Block(height, time_ms, txs))
        root = incremental.refresh(state, receipts.touched)
        if height % 50 == 0:
            assert root == Commitment().refresh(state)
    some = next(iter(sorted(state.accounts)))
    account = state.accounts[some]
    proof = incremental.tree.proof(account.index)
    assert verify_proof(incremental.tree.root, account.index, encode_account(account), proof)
