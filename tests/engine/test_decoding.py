"""decode_state is the inverse of the encoding: decoding a committed state and running the same
blocks on both copies gives the same receipts and digests block after block (books, groups,
triggers, cloids and agents are rebuilt exactly); malformed data is refused."""

from __future__ import annotations

import pytest

from l2perp.codec import canonical
from l2perp.engine.decoding import DecodeError, decode_account, decode_state
from l2perp.engine.encoding import encode_account, shared_leaf, state_digest
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.genesis import genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block
from tests.support.flow import record, to_tx
from tests.support.venue import ADMIN, T0


def committed(state) -> tuple[bytes, list[bytes]]:
    return (canonical(shared_leaf(state)),
            [encode_account(state.accounts[a]) for a in sorted(state.accounts, reverse=True)])


def copy_of(state):
    shared, leaves = committed(state)
    return decode_state(state.config, shared, leaves)


@pytest.mark.parametrize("seed", [3, 11])
def test_decoded_state_executes_like_the_original(seed: int) -> None:
    config = EngineConfig(admin=ADMIN)
    state = genesis_state(Genesis(config=config, time_ms=T0))
    blocks = [Block(h, t, tuple(to_tx(x) for x in raw))
              for h, t, raw in record(400, seed=seed, crash_every=40)]
    twin = None
    for block in blocks:
        if block.height % 90 == 0:
            twin = copy_of(state)
            assert state_digest(twin) == state_digest(state)
        receipts = apply_block(state, block)
        if twin is not None:
            twin_receipts = apply_block(twin, block)
            assert twin_receipts.receipts == receipts.receipts
            assert twin_receipts.events == receipts.events
            assert state_digest(twin) == state_digest(state)
    assert any(o.on_book for a in state.accounts.values() for o in a.orders.values())


def test_foreign_config_and_garbage_are_refused() -> None:
    state = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    shared, leaves = committed(state)
    with pytest.raises(DecodeError):
        decode_state(EngineConfig(admin=ADMIN, devnet=True), shared, leaves)
    with pytest.raises(DecodeError):
        decode_state(state.config, b"\x93\x01\x02\x03", leaves)
    with pytest.raises(DecodeError):
        decode_account(b"\xc0")
