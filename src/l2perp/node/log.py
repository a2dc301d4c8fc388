"""The durable block log: every block's transactions and post-state digest in SQLite (WAL,
synchronous=FULL), plus periodic state snapshots and the genesis.

A block is committed (and its transactions may be acknowledged) only after `append` returns.
Recovery loads the newest snapshot, replays the blocks after it and checks each recomputed digest
against the logged one; any difference stops the node with the first mismatching height.
"""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

from ..engine.encoding import state_digest
from ..engine.params import Genesis
from ..engine.state import State, genesis_state
from ..engine.stf import apply_block
from ..engine.tx import Block
from . import indexer
from ..engine.txcodec import decode_txs, encode_txs

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, txs BLOB NOT NULL,
    digest BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (height INTEGER PRIMARY KEY, state BLOB NOT NULL);
"""


class RecoveryError(RuntimeError):
    """The log does not replay to the digests it recorded: the node must not start."""


class BlockLog:
    """One SQLite file holding the genesis, the blocks and the snapshots."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        indexer.create(self.db)

    def close(self) -> None:
        self.db.close()

    # ----- genesis ----------------------------------------------------------------------
    def genesis(self) -> Genesis | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'genesis'").fetchone()
        return pickle.loads(row[0]) if row else None

    def set_genesis(self, genesis: Genesis) -> None:
        existing = self.genesis()
        if existing is not None and existing != genesis:
            raise RecoveryError("this data directory holds a different genesis")
        if existing is None:
            self.db.execute("INSERT INTO meta VALUES ('genesis', ?)", (pickle.dumps(genesis),))

    # ----- blocks -----------------------------------------------------------------------
    def append(self, block: Block, digest: bytes, state: State | None = None,
               receipts=None) -> None:
        """Commit one block, and its index rows, durably in one transaction (fsync'd)."""
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)",
                       (block.height, block.time_ms, encode_txs(block.txs), digest))
            if receipts is not None:
                indexer.index_block(db, state, receipts)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def head(self) -> int:
        row = self.db.execute("SELECT MAX(height) FROM blocks").fetchone()
        return row[0] or 0

    def blocks_after(self, height: int):
        """(block, logged digest) in height order."""
        rows = self.db.execute(
            "SELECT height, time_ms, txs, digest FROM blocks WHERE height > ? ORDER BY height",
            (height,))
        for h, t, txs, digest in rows:
            yield Block(h, t, decode_txs(txs)), digest

    # ----- snapshots --------------------------------------------------------------------
    def snapshot(self, state: State) -> None:
        self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)",
                        (state.height, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)))
        self.db.execute("DELETE FROM snapshots WHERE height < ?", (state.height,))

    def latest_snapshot(self) -> State | None:
        row = self.db.execute(
            "SELECT state FROM snapshots ORDER BY height DESC LIMIT 1").fetchone()
        return pickle.loads(row[0]) if row else None

    # ----- recovery ---------------------------------------------------------------------
    def recover(self, genesis: Genesis) -> State:
        """The state at the log's head: newest snapshot + replay, every digest verified."""
        self.set_genesis(genesis)
        state = self.latest_snapshot() or genesis_state(genesis)
        for block, logged in self.blocks_after(state.height):
            apply_block(state, block)
            digest = state_digest(state)
            if digest != logged:
                raise RecoveryError(
                    f"block {block.height}: replay gives digest {digest.hex()[:16]}..., "
                    f"the log recorded {logged.hex()[:16]}...; refusing to start")
        return state

    def verify_all(self, genesis: Genesis) -> int:
        """Replay the whole log from genesis and check every digest; returns the head."""
        state = genesis_state(genesis)
        for block, logged in self.blocks_after(0):
            apply_block(state, block)
            if state_digest(state) != logged:
                raise RecoveryError(f"block {block.height}: digest mismatch")
        return state.height
