"""The sequencer: a bounded mempool in Hyperliquid's priority classes, block production, and the
commit that must precede every acknowledgement.

Single writer: only `produce_block` changes the state. Block time comes from the caller (the
node's clock, never earlier than the previous block); the engine itself never reads a clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..engine.encoding import state_digest
from ..engine.params import Genesis
from ..engine.state import State
from ..engine.stf import apply_block, tx_priority
from ..engine.tx import Block, BlockReceipts, Tx
from .log import BlockLog


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

    def __init__(self, log: BlockLog, genesis: Genesis, max_block_txs: int = 20_000,
                 snapshot_every: int = 1_000) -> None:
        self.log = log
        self.genesis = genesis
        self.state: State = log.recover(genesis)
        self.mempool = Mempool()
        self.max_block_txs = max_block_txs
        self.snapshot_every = snapshot_every
        self.last_block: Block | None = None

    def produce_block(self, now_ms: int, system_txs: tuple[Tx, ...] = ()
                      ) -> tuple[BlockReceipts, list[object]]:
        """Apply the next block at `now_ms` (clamped to never go backwards) opening with
        `system_txs` (L1 messages), commit it, and return its receipts with the tickets of its
        transactions in block order (None for the system ones)."""
        taken = [(tx, None) for tx in system_txs]
        taken += self.mempool.take(self.max_block_txs - len(system_txs))
        time_ms = max(now_ms, self.state.time_ms)
        block = Block(self.state.height + 1, time_ms, tuple(tx for tx, _ in taken))
        self.last_block = block
        receipts = apply_block(self.state, block)
        self.commit(block, receipts)
        return receipts, [ticket for _, ticket in taken]

    def commit(self, block: Block, receipts: BlockReceipts) -> None:
        """Make the block durable (log with its digest, periodic snapshots) before any ack."""
        self.log.append(block, state_digest(self.state), self.state, receipts)
        if self.state.height % self.snapshot_every == 0:
            self.log.snapshot(self.state)
