"""The sequencer: a bounded mempool in Hyperliquid's priority classes, block production, and the
commit that must precede every acknowledgement.

Single writer: only `produce_block` changes the state. Block time comes from the caller (the
node's clock, never earlier than the previous block); the engine itself never reads a clock.
The digest logged with each block is `encoding.state_digest`, kept incrementally by a leaf cache
(only the accounts the block touched, and their changed orders, are encoded again).
A block is encoded before `apply_block` touches the state (a transaction that cannot be encoded
is refused on its own and never enters the block), and if the commit then fails, the state is
rebuilt from the log: what is in memory is never ahead of what is durable.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..engine.leafcache import LeafCache
from ..engine.params import Genesis
from ..engine.state import State
from ..engine.stf import apply_block, tx_priority
from ..engine.tx import Block, BlockReceipts, Tx
from ..engine.txcodec import join_packed, pack_tx
from ..rollup.txcheck import check_tx
from .log import BlockLog

NOT_ENCODABLE = "Invalid request body"  # the answer to a transaction the log cannot hold


class MempoolFull(RuntimeError):
    """The mempool is at capacity: the request is refused, nothing was accepted."""


@dataclass
class Mempool:
    """Pending transactions per priority class (price, non-order/Alo, cancels, takers), FIFO
    within a class: under congestion the higher classes go first."""

    capacity: int = 100_000
    queues: list[deque] = field(default_factory=lambda: [deque() for _ in range(4)])

    def __len__(self) -> int:
        return sum(len(q) for q in self.queues)

    def push(self, tx: Tx, ticket: object = None) -> None:
        if len(self) >= self.capacity:
            raise MempoolFull("mempool full")
        self.queues[tx_priority(tx)].append((tx, ticket))

    def take(self, limit: int) -> list[tuple[Tx, object]]:
        out: list = []
        for queue in self.queues:
            while queue and len(out) < limit:
                out.append(queue.popleft())
        return out


class Sequencer:
    """Turns the mempool into committed blocks."""

    durable = True  # False (the lab's in-memory log): no encoding, no rebuild from the log

    def __init__(self, log: BlockLog, genesis: Genesis, max_block_txs: int = 20_000,
                 snapshot_every: int = 1_000, verify_leaves: bool = False,
                 defer_writes: bool = False) -> None:
        self.log = log
        self.genesis = genesis
        self.state: State = log.recover(genesis)
        self.mempool = Mempool()
        self.max_block_txs = max_block_txs
        self.snapshot_every = snapshot_every
        self.last_block: Block | None = None
        self.refused: list[tuple[object, str]] = []  # (ticket, why) of the last block's refusals
        self.in_flight: list[object] = []  # tickets of the block being produced (or that failed)
        self.snapshot_error: str | None = None  # why the last snapshot could not be written
        # the logged digest, kept incrementally (verify_leaves: checked against a full encoding
        # after every block; L2PERP_VERIFY_LEAVES=1 in the node, always in the test suite)
        self.leaves = LeafCache(verify=verify_leaves)
        self.last_digest = b""  # the digest logged with the last block
        self.last_txs: bytes | None = None  # its transactions as logged (`encode_txs`)
        # True: `commit` leaves the block's index rows to `index_if_pending` and snapshots to
        # `snapshot_if_due`, called once the block's replies are out (the node)
        self.defer_writes = defer_writes
        self.unindexed: BlockReceipts | None = None  # a committed block's, not yet indexed

    def produce_block(self, now_ms: int, system_txs: tuple[Tx, ...] = ()
                      ) -> tuple[BlockReceipts, list[object]]:
        """Apply the next block at `now_ms` (clamped to never go backwards) opening with
        `system_txs` (L1 messages), commit it, and return its receipts with the tickets of its
        transactions in block order (None for the system ones). Transactions that cannot be
        encoded are left out, their tickets in `self.refused`.

        If the commit fails, the state is rebuilt from the log and the error propagates: unless
        the log holds the block after all (then it counts as committed)."""
        self.index_if_pending()  # a stage a fault cut short: before the state moves on
        taken = [(tx, None) for tx in system_txs]
        taken += self.mempool.take(self.max_block_txs - len(system_txs))
        self.in_flight = [ticket for _, ticket in taken if ticket is not None]
        self.refused = []
        kept, packed = self._encode(taken) if self.durable else (taken, [])
        time_ms = max(now_ms, self.state.time_ms)
        block = Block(self.state.height + 1, time_ms, tuple(tx for tx, _ in kept))
        self.last_block = block
        self.last_txs = None
        if not self.durable:
            receipts = apply_block(self.state, block)
            self.commit(block, receipts)
            return receipts, [ticket for _, ticket in kept]
        try:
            receipts = apply_block(self.state, block)
        except BaseException:
            self.state = self.log.recover(self.genesis)
            raise
        self.last_txs = join_packed(packed)
        try:
            self.commit(block, receipts, self.last_txs)
        except BaseException:
            self.state = self.log.recover(self.genesis)
            if self.state.height != block.height:
                raise
            # the log holds the block after all (the error came after its commit): it stands,
            # and so do the receipts its one execution gave
        return receipts, [ticket for _, ticket in kept]

    def _encode(self, taken: list[tuple[Tx, object]]
                ) -> tuple[list[tuple[Tx, object]], list[bytes]]:
        """The transactions that encode, with their bytes; the others go to `refused`."""
        packed: list[bytes] = []
        kept: list[tuple[Tx, object]] = []
        for tx, ticket in taken:
            # a transaction L1 would refuse in a batch body never enters a block
            wrong = check_tx(tx)
            try:
                if wrong is not None:
                    raise TypeError(wrong)
                packed.append(pack_tx(tx))
            except (TypeError, ValueError, OverflowError):
                if ticket is None:  # a system transaction the node built itself: a bug
                    raise
                self.refused.append((ticket, NOT_ENCODABLE))
                continue
            kept.append((tx, ticket))
        return kept, packed

    def commit(self, block: Block, receipts: BlockReceipts, txs: bytes | None = None) -> None:
        """Make the block durable (log with its digest) before any ack, with its index rows and
        a snapshot if one is due (unless `defer_writes`: the node writes both after the
        replies left)."""
        self.leaves.refresh(self.state, receipts.touched)
        digest = self.leaves.digest(self.state)
        deferred = self.defer_writes
        self.log.append(block, digest, self.state, None if deferred else receipts, txs)
        self.last_digest = digest
        if deferred:
            self.unindexed = receipts
        else:
            self.snapshot_if_due()

    def index_if_pending(self) -> None:
        """Write the index rows of the last block if `commit` left them for later (the node's
        stage after the replies; an /info read that needs them calls it first)."""
        receipts = self.unindexed
        if receipts is not None and receipts.height == self.state.height:
            self.log.index(self.state, receipts)
        self.unindexed = None

    def snapshot_if_due(self) -> None:
        """Every `snapshot_every` blocks (and after a failed one), store a snapshot of the state
        just committed, its leaves from the leaf cache. A snapshot that cannot be written is only
        reported (`snapshot_error`): the block is already durable, and the next one retries."""
        state = self.state
        if state.height % self.snapshot_every != 0 and self.snapshot_error is None:
            return
        if self.unindexed is not None:
            return  # a snapshot stands for its height's index rows too
        leaves = self.leaves
        if leaves.state is not state or leaves.height != state.height:
            return  # the state moved on (or was rebuilt): the next due block takes one
        try:
            self.log.snapshot(state, self.last_digest,
                              [leaves.leaves[a] for a in leaves.sorted_addresses])
            self.snapshot_error = None
        except Exception as exc:  # noqa: BLE001 - an optimisation; the block is durable
            self.snapshot_error = f"{type(exc).__name__}: {exc}"
