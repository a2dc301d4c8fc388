"""The lab's discrete-event kernel: simulated time in ms, agents that act only by sending
transactions, and the node's own `Sequencer` and `Mempool` building blocks from them.

Events sit in a heap ordered by (time, sequence number): the sequence number is per
simulation, so ties resolve the same way in every process. A transaction reaches the mempool
after the agent's latency; the sequencer builds a block every `block_ms` tick when its mempool
holds anything (no block when nothing happens), at most `capacity` transactions per block, so
congestion delays inclusion; during an outage it builds nothing and the backlog waits.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from ..engine.params import Genesis
from ..engine.genesis import genesis_state
from ..engine.state import State
from ..engine.tx import Block, BlockReceipts, Tx
from ..node.sequencer import MempoolFull, Sequencer


class MemoryLog:
    """The sequencer's log for a simulation: nothing durable, nothing digested per block (the
    run's root is computed once at the end); blocks are kept for a replay when asked."""

    def __init__(self, keep_blocks: bool = False) -> None:
        self.keep_blocks = keep_blocks
        self.blocks: list[Block] = []

    def recover(self, genesis: Genesis) -> State:
        return genesis_state(genesis)

    def append(self, block: Block) -> None:
        if self.keep_blocks:
            self.blocks.append(block)


class LabSequencer(Sequencer):
    """The node's sequencer with an in-memory log: same mempool classes, same block building;
    committing only appends the block (no digest, no snapshots)."""

    durable = False

    def commit(self, block: Block, receipts: BlockReceipts, txs: bytes | None = None) -> None:
        self.log.append(block)


@dataclass
class Window:
    start_ms: int
    end_ms: int

    def covers(self, t_ms: int) -> bool:
        return self.start_ms <= t_ms < self.end_ms


class Kernel:
    """Time, the event heap, the sequencer, and who sent which transaction."""

    def __init__(self, genesis: Genesis, block_ms: int, capacity: int,
                 keep_blocks: bool = False) -> None:
        self.sequencer = LabSequencer(MemoryLog(keep_blocks), genesis, max_block_txs=capacity)
        self.block_ms = block_ms
        self.capacity = capacity
        self.now_ms = genesis.time_ms
        self.start_ms = genesis.time_ms
        self._heap: list = []
        self._seq = 0
        self._owners: dict[int, object] = {}  # id(tx) -> the agent to tell its receipt
        self.outages: list[Window] = []
        self.congestion: list[tuple[Window, int]] = []
        self.on_block: list = []  # callbacks(receipts, block)
        self.before_block = None  # now_ms -> system transactions (the rollup's L1 messages)
        self.is_halted = lambda: False  # the rollup's reconciler can stop the sequencer
        self.backlog: list[tuple[int, int]] = []  # (time, mempool size) at each tick
        self.refused = 0  # transactions the full mempool refused
        self.blocks = 0
        self.transactions = 0

    @property
    def state(self) -> State:
        return self.sequencer.state

    # ----- scheduling -----------------------------------------------------------------------
    def at(self, t_ms: int, callback, *args) -> None:
        """Run `callback(*args)` at simulated time `t_ms`."""
        self._seq += 1
        heapq.heappush(self._heap, (t_ms, self._seq, callback, args))

    def send(self, tx: Tx, latency_ms: int, owner=None) -> None:
        """An agent's transaction, arriving at the mempool `latency_ms` from now."""
        self.at(self.now_ms + latency_ms, self._arrive, tx, owner)

    def _arrive(self, tx: Tx, owner) -> None:
        try:
            self.sequencer.mempool.push(tx)
        except MempoolFull:
            self.refused += 1
            return
        if owner is not None:
            self._owners[id(tx)] = owner

    # ----- blocks ---------------------------------------------------------------------------
    def _tick(self) -> None:
        now = self.now_ms
        self.at(now + self.block_ms, self._tick)
        pending = len(self.sequencer.mempool)
        self.backlog.append((now, pending))
        if any(w.covers(now) for w in self.outages):
            return
        system_txs = self.before_block(now) if self.before_block is not None else ()
        if (pending == 0 and not system_txs) or self.is_halted():
            return
        capacity = self.capacity
        for window, limit in self.congestion:
            if window.covers(now):
                capacity = min(capacity, limit)
        self.sequencer.max_block_txs = capacity
        receipts, _ = self.sequencer.produce_block(now, system_txs)
        block = self.sequencer.last_block
        self.blocks += 1
        self.transactions += len(block.txs)
        owners = self._owners
        for tx, receipt in zip(block.txs, receipts.receipts):
            owner = owners.pop(id(tx), None)
            if owner is not None:
                owner.on_receipt(tx, receipt)
        for callback in self.on_block:
            callback(receipts, block)

    def run(self, until_ms: int, progress=None) -> None:
        """Process events up to `until_ms`; `progress(now_ms)` is called about once a minute."""
        self.at(self.now_ms + self.block_ms, self._tick)
        next_report = self.now_ms
        heap = self._heap
        while heap and heap[0][0] <= until_ms:
            t, _, callback, args = heapq.heappop(heap)
            self.now_ms = t
            callback(*args)
            if progress is not None and t >= next_report:
                progress(t)
                next_report = t + 60_000
        self.now_ms = until_ms
