"""The rollup side of a running node: the durable L1 (its own file), the batch poster with a
durable signing journal, and the reconciler that halts the sequencer on a mismatch. The honest
verifier runs in its own process (`l2perp verify`) and reaches the L1 through the API.

Per block: the L1 clock follows the block time, confirmed L1 messages open the block; after the
block, the poster records its root and posts what is due, then R1-R5 are checked.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..engine.encoding import state_digest
from ..engine.params import Genesis
from ..engine.genesis import genesis_state
from ..engine.state import State
from ..engine.stf import apply_block
from ..engine.tx import Block, BlockReceipts, Tx
from ..rollup.accounting import tvl_musdc
from ..rollup.batch import decode_body, run_block
from ..rollup.contract import FINALIZED, POSTED
from ..rollup.l1 import L1Error
from ..rollup.params import RollupParams
from ..rollup.poster import Poster, SignedBatch, SigningJournal, due_messages
from ..rollup.reconciler import Reconciler
from ..rollup.system import message_tx
from .l1host import L1Host, decode_args, encode_args

POSTER_FUNDS_MUSDC = 10**12  # the devnet poster's L1 money for bonds
# the node's poster closes a batch at this many orders/cancels/modifies and posts at most one
# batch per block: posting (encoding, L1's checks of the body, storing it) stays a few ms
# behind each block instead of half a second after a burst of bulk orders
POSTER_MAX_BATCH_ITEMS = 5_000


class DurableJournal(SigningJournal):
    """The poster's signatures in SQLite (synchronous=FULL) before any batch leaves."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS signed (batch_no INTEGER PRIMARY KEY, "
                        "batch BLOB NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS l1_nonces (sender TEXT PRIMARY KEY, "
                        "nonce INTEGER NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS faucet_nonces (nonce INTEGER PRIMARY KEY)")
        for number, blob in self.db.execute("SELECT batch_no, batch FROM signed"):
            header, body, withdrawals = decode_args(blob)
            self.signed[number] = SignedBatch(header, body, tuple(withdrawals))

    def sign(self, batch: SignedBatch) -> None:
        super().sign(batch)
        self.db.execute("INSERT OR IGNORE INTO signed VALUES (?, ?)", (
            batch.header.batch_no, encode_args((batch.header, batch.body, batch.withdrawals))))

    def last_l1_nonce(self, sender: str) -> int:
        """The highest nonce of an L1 request this node ran for `sender` (0: none)."""
        row = self.db.execute("SELECT nonce FROM l1_nonces WHERE sender = ?",
                              (sender,)).fetchone()
        return row[0] if row else 0

    def record_l1_nonce(self, sender: str, nonce: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO l1_nonces VALUES (?, ?)", (sender, nonce))

    def claim_faucet_nonce(self, nonce: int) -> bool:
        """Record an admin faucet request's nonce durably before it runs; False when it was
        used before (a replay, also after a restart)."""
        cursor = self.db.execute("INSERT OR IGNORE INTO faucet_nonces VALUES (?)", (nonce,))
        return cursor.rowcount == 1

    def close(self) -> None:
        self.db.close()


class NodeRollup:
    """L1 host + poster + reconciler for one node."""

    def __init__(self, data_dir: Path, l1_path: Path, genesis: Genesis, params: RollupParams,
                 poster_address: str, fault: str | None = None,
                 l1_funded: tuple[str, ...] = ()) -> None:
        self.host = L1Host(l1_path)
        if not self.host.deployed:
            self.host.deploy(params, genesis, (poster_address,))
            for address in (poster_address, *l1_funded):
                self.host.call("mint", address, POSTER_FUNDS_MUSDC)
        self.l1 = self.host.l1
        if state_digest(genesis_state(self.l1.genesis)) != state_digest(genesis_state(genesis)):
            raise L1Error(f"{l1_path} holds the L1 of another genesis")
        self.params = self.l1.params
        self.journal = DurableJournal(Path(data_dir) / "poster.sqlite")
        self.poster = Poster(poster_address, self.l1, journal=self.journal, fault=fault,
                             submit=lambda *a: self.host.call("commit_batch", *a),
                             max_batch_items=POSTER_MAX_BATCH_ITEMS, batches_per_call=1)
        self.reconciler = Reconciler(self.l1, tvl_musdc(genesis_state(genesis)))
        self.post_errors: list[str] = []
        self.foreign: str | None = None
        self._foreign_checked = 0
        self.listeners: list = []  # called with (kind, details) for L1 events
        self._seen_events = len(self.l1.events)

    @property
    def halted(self) -> str | None:
        """Why the sequencer must stop: a broken identity, or L1 blocks it did not produce."""
        if self.foreign is not None:
            return self.foreign
        current = self.reconciler.current
        return "; ".join(f"{m.rule}: {m.detail}" for m in current) if current else None

    def _check_foreign(self) -> None:
        """A standing batch someone else posted (the permissionless path) replaced blocks this
        sequencer produced: its unposted blocks are orphaned and it must resync from L1."""
        for record in self.l1.batches[self._foreign_checked:]:
            if record.poster != self.poster.address and record.status != "reverted":
                self.foreign = (f"L1 batch {record.header.batch_no} was posted by "
                                f"{record.poster}: this sequencer's blocks from height "
                                f"{record.header.first_height} are orphaned; resync from L1")
        self._foreign_checked = len(self.l1.batches)

    def recover(self, state: State, blocks) -> None:
        """Rebuild the poster's view: L1's standing batches, then the node's blocks above them
        (`blocks` yields the node log's blocks in height order)."""
        replay = genesis_state(self.l1.genesis)
        for record in self.l1.canonical_chain():  # the L2 totals R1 and R2 compare against
            for block in decode_body(record.body):
                run_block(replay, block, self.params.authenticate)
            self.reconciler.note(record.header.last_height, tvl_musdc(replay),
                                 None if replay.l1_fee is None else replay.l1_fee.costs_musdc)
        if replay.height > state.height:
            raise L1Error(f"L1 holds batches up to height {replay.height}, the node's log "
                          f"only {state.height}: this node is not the chain's sequencer")
        self.poster.start(replay)
        for block in blocks:
            if block.height <= replay.height:
                continue
            receipts = apply_block(replay, block)
            record = self.poster.on_block(replay, block, receipts)
            self.reconciler.note(block.height, record.tvl_musdc, record.l1_costs_musdc)
        if state_digest(replay) != state_digest(state):
            raise L1Error("the node's log and L1 disagree about the state")

    def before_block(self, state: State, time_ms: int,
                     congestion=None) -> tuple[Tx, ...]:
        """Let L1 catch up with the block time (`congestion(base_fee_gwei, time_ms)`: other
        users' gas per L1 block, a devnet gas spike); the L1 messages the block must carry."""
        if time_ms >= self.l1.time_ms + self.params.l1_block_ms:
            gas = congestion(self.l1.base_fee_gwei, time_ms) if congestion is not None else 0
            if gas:
                self.host.call("advance_to", time_ms, gas)
            else:
                self.host.call("advance_to", time_ms)
            self._announce()
        if self.halted:
            return ()
        limit = self.params.max_batch_txs // 2
        return tuple(message_tx(m) for m in due_messages(self.l1, state.l1_cursor, limit))

    def after_block(self, state: State, block: Block, receipts: BlockReceipts,
                    txs: bytes | None = None) -> None:
        """The poster's record of the block (`txs`: its encoded transactions, as logged), the
        batches due, then the reconciliation."""
        record = self.poster.on_block(state, block, receipts, txs=txs)
        self.reconciler.note(block.height, record.tvl_musdc, record.l1_costs_musdc)
        if block.height % 1_000 == 0 and self.l1.finalized_no:  # keep the finalized one on
            self.reconciler.prune(self.l1.batch(self.l1.finalized_no).header.last_height)
        if not self.halted:
            try:
                self.poster.post_due()
            except L1Error as exc:
                self.post_errors.append(str(exc))
        self.reconcile()

    def reconcile(self) -> None:
        self.reconciler.check()
        self._check_foreign()
        self._announce()

    def _announce(self) -> None:
        events = self.l1.events
        for _, kind, details in events[self._seen_events:]:
            for listener in self.listeners:
                listener(kind, details)
        self._seen_events = len(events)

    # ----- reads for the API (api/rollup_rows.py formats the rollup's JSON) --------------------
    def finality(self, height: int) -> str:
        """pending (not on L1), posted (in a standing batch in its window) or finalized."""
        l1 = self.l1
        if l1.finalized_no and height <= l1.batch(l1.finalized_no).header.last_height:
            return FINALIZED
        tip = l1.tip()
        if tip is not None and height <= tip.header.last_height:
            return POSTED
        return "pending"

    def batch_of(self, height: int) -> int | None:
        """The standing batch that carries block `height`, if posted."""
        for record in reversed(self.l1.canonical_chain()):
            if record.header.first_height <= height <= record.header.last_height:
                return record.header.batch_no
            if record.header.last_height < height:
                return None
        return None

    def close(self) -> None:
        self.journal.close()
        self.host.close()

