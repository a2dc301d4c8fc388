"""The durable block log: every block's transactions and post-state digest in SQLite (WAL,
synchronous=FULL), plus periodic state snapshots and the genesis.

A block is committed (and its transactions may be acknowledged) only after `append` returns.
Every row carries a checksum over all its bytes (node/files.py) and is checked when read back.
Recovery loads the newest snapshot (checked against its digest and the log's), replays the
blocks after it and checks each recomputed digest against the logged one; any damage or
difference stops the node with one line naming the height and the way to recover.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..codec import CodecError
from ..engine.encoding import state_digest
from ..engine.params import Genesis
from ..engine.genesis import genesis_state
from ..engine.leafcache import LeafCache
from ..engine.state import State
from ..engine.stf import apply_block
from ..engine.tx import Block
from ..engine.txcodec import decode_txs, encode_txs
from . import indexer, value_samples
from .files import (
    FileDamage, decode_genesis, decode_snapshot, encode_genesis, encode_snapshot, row_checksum,
)

FORMAT = 2  # 1: pickled genesis and snapshots, name-tagged transactions (no longer read)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, txs BLOB NOT NULL,
    digest BLOB NOT NULL, checksum BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (height INTEGER PRIMARY KEY, state BLOB NOT NULL);
"""


class RecoveryError(RuntimeError):
    """The log cannot be used as it is (damaged, another genesis, or it does not replay to the
    digests it recorded): the node must not start. The message is one line."""


class BlockLog:
    """One SQLite file holding the genesis, the blocks and the snapshots."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None,
                                      check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            pages = os.environ.get("L2PERP_LOG_MAX_PAGES")
            if pages:  # a cap on the log's size: writes beyond it fail as on a full disk
                self.db.execute(f"PRAGMA max_page_count = {int(pages)}")
            self._check_format()
            self.db.executescript(SCHEMA)
            indexer.create(self.db)
            value_samples.create(self.db)
            self.sampler = value_samples.ValueSampler()  # portfolio's account values
        except sqlite3.DatabaseError as exc:
            raise RecoveryError(self._damaged(exc)) from None

    def _damaged(self, exc: Exception) -> str:
        return (f"{self.path} is damaged ({exc}); restore it from a backup, or start a new data "
                "directory (a rollup node's posted batches stay on L1)")

    def _check_format(self) -> None:
        tables = {row[0] for row in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            return
        row = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        has_genesis = self.db.execute(
            "SELECT 1 FROM meta WHERE key = 'genesis'").fetchone() is not None
        if has_genesis and (row is None or row[0] != FORMAT):
            raise RecoveryError(f"{self.path} was written by an older l2perp (format "
                                f"{row[0] if row else 1}); start a new data directory")

    def check_integrity(self) -> None:
        """SQLite's own page check (RecoveryError with one line if the file is damaged)."""
        try:
            result = self.db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise RecoveryError(self._damaged(exc)) from None
        if result != "ok":
            raise RecoveryError(self._damaged(result.splitlines()[0]))

    def close(self) -> None:
        self.db.close()

    # ----- genesis ----------------------------------------------------------------------
    def genesis(self) -> Genesis | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'genesis'").fetchone()
        if row is None:
            return None
        try:
            return decode_genesis(row[0], str(self.path))
        except FileDamage as exc:
            raise RecoveryError(str(exc)) from None

    def set_genesis(self, genesis: Genesis) -> None:
        existing = self.genesis()
        if existing is not None and existing != genesis:
            raise RecoveryError(f"{self.path} holds a different genesis; start with its own "
                                "genesis or use a new data directory")
        if existing is None:
            with self._transaction():
                self.db.execute("INSERT INTO meta VALUES ('genesis', ?)",
                                (encode_genesis(genesis),))
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))

    # ----- blocks -----------------------------------------------------------------------
    def append(self, block: Block, digest: bytes, state: State | None = None,
               receipts=None, txs: bytes | None = None) -> None:
        """Commit one block durably in one transaction (fsync'd), with its index rows when
        `receipts` are given (else `index` writes them later). `txs` is the block's
        transactions already encoded (`encode_txs`), when the caller has them."""
        if txs is None:
            txs = encode_txs(block.txs)
        checksum = row_checksum(block.height, block.time_ms, txs, digest)
        with self._transaction():
            self.db.execute("INSERT INTO blocks VALUES (?, ?, ?, ?, ?)",
                            (block.height, block.time_ms, txs, digest, checksum))
            if receipts is not None:
                self._index_rows(state, receipts)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, rolled back if anything in it fails."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def index(self, state: State, receipts) -> None:
        """Write the index rows of the block just appended without them (`state` as that block
        left it). Not fsync'd on its own: the next block's commit syncs it, and rows a crash
        loses are written again when `recover` replays their block."""
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._transaction():
                self._index_rows(state, receipts)
        finally:
            self.db.execute("PRAGMA synchronous=FULL")

    def _index_rows(self, state: State, receipts) -> None:
        indexer.index_block(self.db, state, receipts)
        self.sampler.on_block(self.db, state, receipts.touched)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('indexed', ?)", (receipts.height,))

    def indexed_height(self) -> int:
        """The last block whose index rows are written (a log from before the index could
        lag its blocks had every block indexed with it: its head)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'indexed'").fetchone()
        return row[0] if row is not None else self.head()

    def head(self) -> int:
        row = self.db.execute("SELECT MAX(height) FROM blocks").fetchone()
        return row[0] or 0

    def digest_at(self, height: int) -> bytes | None:
        row = self.db.execute("SELECT digest FROM blocks WHERE height = ?",
                              (height,)).fetchone()
        return row[0] if row else None

    def blocks_after(self, height: int):
        """(block, logged digest) in height order, each row's checksum verified (RecoveryError
        naming the first damaged height)."""
        try:
            rows = self.db.execute(
                "SELECT height, time_ms, txs, digest, checksum FROM blocks WHERE height > ? "
                "ORDER BY height", (height,))
            for h, t, txs, digest, checksum in rows:
                if type(txs) is not bytes or type(digest) is not bytes or \
                        row_checksum(h, t, txs, digest) != checksum:
                    raise RecoveryError(self._row_damaged(h, "its checksum does not match"))
                try:
                    decoded = decode_txs(txs)
                except CodecError as exc:
                    raise RecoveryError(self._row_damaged(h, str(exc))) from None
                yield Block(h, t, decoded), digest
        except sqlite3.DatabaseError as exc:
            raise RecoveryError(self._damaged(exc)) from None

    def _row_damaged(self, height: int, why: str) -> str:
        return (f"{self.path}: block {height} is damaged ({why}); restore the file from a "
                "backup (a rollup node's posted batches stay on L1)")

    # ----- snapshots --------------------------------------------------------------------
    def snapshot(self, state: State, digest: bytes | None = None,
                 leaves: list[bytes] | None = None) -> None:
        """Store a checked snapshot of `state` (at its height) and drop the older ones
        (`leaves`: its encoded account leaves in address order, when already at hand)."""
        data = encode_snapshot(state, digest if digest is not None else state_digest(state),
                               leaves)
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)",
                            (state.height, data))
            self.db.execute("DELETE FROM snapshots WHERE height < ?", (state.height,))

    def latest_snapshot(self, genesis: Genesis) -> State | None:
        """The newest snapshot, checked against its digest and the log's (RecoveryError if it
        is damaged)."""
        row = self.db.execute(
            "SELECT height, state FROM snapshots ORDER BY height DESC LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            return decode_snapshot(row[1], genesis.config, self.digest_at(row[0]),
                                   str(self.path.parent))
        except FileDamage as exc:
            raise RecoveryError(str(exc)) from None

    def drop_snapshots(self) -> None:
        self.db.execute("DELETE FROM snapshots")

    # ----- recovery ---------------------------------------------------------------------
    def recover(self, genesis: Genesis) -> State:
        """The state at the log's head: newest snapshot + replay, every digest verified."""
        self.check_integrity()
        self.set_genesis(genesis)
        indexed = self.indexed_height()
        state = self.latest_snapshot(genesis)
        if state is None or state.height > indexed:  # (never written so: `snapshot` needs
            state = genesis_state(genesis)           # the index at its height)
        for block, logged, receipts, digest in self._replayed(state):
            if digest != logged:
                raise RecoveryError(
                    f"block {block.height}: replay gives digest {digest.hex()[:16]}..., "
                    f"the log recorded {logged.hex()[:16]}...; refusing to start")
            if block.height > indexed:  # acknowledged, but its index rows were lost
                self.index(state, receipts)
        return state

    def _replayed(self, state: State) -> Iterator[tuple[Block, bytes, object, bytes]]:
        """Apply the logged blocks above `state`'s height to it, one at a time: (block, logged
        digest, receipts, the digest the replay gives), the digest kept by a leaf cache."""
        leaves = LeafCache()
        leaves.refresh(state, None)
        for block, logged in self.blocks_after(state.height):
            receipts = apply_block(state, block)
            leaves.refresh(state, receipts.touched)
            yield block, logged, receipts, leaves.digest(state)

    def verify_all(self, genesis: Genesis) -> int:
        """Replay the whole log from genesis and check every digest; returns the head."""
        self.check_integrity()
        return self._replay_all(genesis).height

    def repair(self, genesis: Genesis) -> int:
        """Drop the snapshots, replay the whole log from genesis checking every digest, and
        write a fresh snapshot at the head (the remedy for a damaged snapshot); returns the
        head."""
        self.check_integrity()
        self.drop_snapshots()
        state = self._replay_all(genesis)
        if state.height:
            self.snapshot(state)
        return state.height

    def _replay_all(self, genesis: Genesis) -> State:
        """The state at the head, replayed from genesis with every logged digest checked."""
        state = genesis_state(genesis)
        for block, logged, _, digest in self._replayed(state):
            if digest != logged:
                raise RecoveryError(f"block {block.height}: digest mismatch")
        return state
