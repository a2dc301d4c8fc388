"""The node's file formats: the genesis record, state snapshots and block-row checksums.

No pickle: everything the node reads back is canonical msgpack under explicit tags, checked
before use. A genesis record is [magic, version, digest, body] with the body's blake2b; a
snapshot is [magic, version, height, digest, shared leaf, account leaves] whose decoded state
must hash to `digest` (the engine's `state_digest`); a block row carries a checksum over every
byte of it, the signed requests included. Anything else is a `FileDamage` with one line that
says what is damaged and how to recover.
"""

from __future__ import annotations

from ..codec import CodecError, Records, canonical, h256, uncanonical
from ..engine.decoding import DecodeError, decode_state
from ..engine.encoding import encode_account, shared_leaf, state_digest
from ..engine.governance.gov_state import GovGenesis
from ..engine.governance.proposals import Lane
from ..engine.governance.stewards import Bounds
from ..engine.params import (
    EngineConfig, FeeTier, Genesis, L1FeeConfig, MakerRebateTier, MarginTier, MarketSpec,
)
from ..engine.state import State

GENESIS_MAGIC = "l2perp/genesis"
SNAPSHOT_MAGIC = "l2perp/snapshot"
ROW_DOMAIN = b"l2perp/block-row"
VERSION = 1

GENESIS_RECORDS = Records({
    1: Genesis, 2: EngineConfig, 3: FeeTier, 4: MakerRebateTier, 5: MarginTier, 6: MarketSpec,
    7: GovGenesis, 8: Bounds, 9: Lane, 10: L1FeeConfig,
})


class FileDamage(RuntimeError):
    """A node file that is damaged or belongs elsewhere; the message is one line saying what and
    how to recover."""


def encode_genesis(genesis: Genesis) -> bytes:
    """The genesis record: tagged msgpack with the digest of its body."""
    body = GENESIS_RECORDS.encode(genesis)
    return canonical([GENESIS_MAGIC, VERSION, h256(body), body])


def decode_genesis(data: bytes, where: str) -> Genesis:
    """The genesis of a record `encode_genesis` wrote; FileDamage naming `where` otherwise."""
    try:
        magic, version, digest, body = uncanonical(data)
        if magic != GENESIS_MAGIC or version != VERSION or type(body) is not bytes:
            raise CodecError("not a genesis record")
        if h256(body) != digest:
            raise CodecError("its digest does not match its bytes")
        genesis = GENESIS_RECORDS.decode(body)
        if type(genesis) is not Genesis:
            raise CodecError("not a genesis")
    except (CodecError, ValueError, TypeError) as exc:
        raise FileDamage(f"{where}: the genesis record is damaged ({exc}); this data directory "
                         "cannot be used: start a new one, or restore it from a backup") from None
    return genesis


def encode_snapshot(state: State, digest: bytes, leaves: list[bytes] | None = None) -> bytes:
    """A snapshot of `state` (whose state_digest is `digest`); `leaves`: its accounts' encoded
    leaves in address order when the caller has them (a leaf cache), else encoded here."""
    if leaves is None:
        accounts = state.accounts
        leaves = [encode_account(accounts[a]) for a in sorted(accounts)]
    return canonical([SNAPSHOT_MAGIC, VERSION, state.height, digest,
                      canonical(shared_leaf(state)), leaves])


def decode_snapshot(data: bytes, config: EngineConfig, expected_digest: bytes | None,
                    where: str) -> State:
    """The state of a snapshot, checked: it decodes, hashes to its recorded digest, and that
    digest is the one the block log recorded at its height (`expected_digest`)."""
    fix = (f"; drop the snapshots and replay the log from genesis with "
           f"`l2perp repair --data {where}`")
    try:
        magic, version, height, digest, shared, leaves = uncanonical(data)
        if magic != SNAPSHOT_MAGIC or version != VERSION or type(leaves) is not list:
            raise CodecError("not a snapshot record")
        state = decode_state(config, shared, leaves)
    except (CodecError, DecodeError, ValueError, TypeError) as exc:
        raise FileDamage(f"{where}: a snapshot is damaged ({exc}){fix}") from None
    if state.height != height or state_digest(state) != digest:
        raise FileDamage(f"{where}: the snapshot at height {height} is damaged (its state does "
                         f"not hash to its digest){fix}")
    if expected_digest is None or expected_digest != digest:
        raise FileDamage(f"{where}: the snapshot at height {height} disagrees with the block "
                         f"log's digest at that height{fix}")
    return state


def row_checksum(height: int, time_ms: int, txs: bytes, digest: bytes) -> bytes:
    """The checksum of one block row: every byte of it, the signed requests included."""
    return h256(ROW_DOMAIN + canonical([height, time_ms, txs, digest]))
