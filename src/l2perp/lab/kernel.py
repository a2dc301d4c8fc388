"""The lab's discrete-event kernel: simulated time in ms, agents that act only by sending
transactions, and the node's own `Sequencer` and `Mempool` building blocks from them.

Events sit in a heap ordered by (time, sequence number): the sequence number is per
simulation, so ties resolve the same way in every process. A transaction reaches the mempool
after the agent's latency; the sequencer builds a block every `block_ms` tick when its mempool
holds anything (no block when nothing happens), at most `capacity` transactions per block, so
congestion delays inclusion; during an outage it builds nothing and the backlog waits.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from ..engine.params import Genesis
from ..engine.genesis import genesis_state
from ..engine.state import State
from ..engine.stf import tx_priority
from ..engine.tx import Block, BlockReceipts, Receipt, Tx
from ..node.log import BlockLog
from ..node.sequencer import Mempool, MempoolFull, Sequencer

# (time, sequence number, callback, its arguments)
Event = tuple[int, int, Callable[..., object], tuple[object, ...]]
BlockHook = Callable[[BlockReceipts, Block], object]
# the oldest generation's threshold during a run: in effect, no full collection
FULL_COLLECTIONS_OFF = 1 << 30


class Owner(Protocol):
    """Who is told the receipt of a transaction it sent (governance attackers, drills)."""

    def on_receipt(self, tx: Tx, receipt: Receipt) -> None: ...


class MemoryLog:
    """The sequencer's log for a simulation: nothing durable, nothing digested per block (the
    run's root is computed once at the end); blocks are kept for a replay when asked."""

    def __init__(self, keep_blocks: bool = False) -> None:
        self.keep_blocks = keep_blocks
        self.blocks: list[Block] = []

    def recover(self, genesis: Genesis) -> State:
        """The genesis state: a simulation starts from nothing."""
        return genesis_state(genesis)

    def append(self, block: Block) -> None:
        """Keep the block if asked to."""
        if self.keep_blocks:
            self.blocks.append(block)


class LabMempool(Mempool):
    """The node's mempool (same classes, same order, same capacity) with its size kept as a
    count: the node's own sums its four queues at every push, a million times in a lab day."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def push(self, tx: Tx, ticket: object = None) -> None:
        """Queue a transaction in its priority class; MempoolFull at capacity."""
        if self.size >= self.capacity:
            raise MempoolFull("mempool full")
        self.queues[tx_priority(tx)].append((tx, ticket))
        self.size += 1

    def take(self, limit: int) -> list[tuple[Tx, object]]:
        """Up to `limit` transactions, the higher classes first."""
        out = super().take(limit)
        self.size -= len(out)
        return out


class LabSequencer(Sequencer):
    """The node's sequencer with an in-memory log: same mempool classes, same block building;
    committing only appends the block (no digest, no snapshots)."""

    durable = False

    def commit(self, block: Block, receipts: BlockReceipts, txs: bytes | None = None) -> None:
        """Append the block to the in-memory log."""
        cast(MemoryLog, self.log).append(block)


@dataclass
class Window:
    start_ms: int
    end_ms: int

    def covers(self, t_ms: int) -> bool:
        """Whether `t_ms` falls in [start, end)."""
        return self.start_ms <= t_ms < self.end_ms


def _never_halted() -> bool:
    return False


class Kernel:
    """Time, the event heap, the sequencer, and who sent which transaction."""

    def __init__(self, genesis: Genesis, block_ms: int, capacity: int,
                 keep_blocks: bool = False) -> None:
        # the log is duck-typed: the sequencer calls recover() and, through commit(), append()
        self.sequencer = LabSequencer(cast(BlockLog, MemoryLog(keep_blocks)), genesis,
                                      max_block_txs=capacity)
        self.mempool = LabMempool()
        self.sequencer.mempool = self.mempool
        self.block_ms = block_ms
        self.capacity = capacity
        self.now_ms: int = genesis.time_ms
        self.start_ms: int = genesis.time_ms
        self._heap: list[Event] = []
        self._seq = 0
        self._owners: dict[int, Owner] = {}  # id(tx) -> the agent to tell its receipt
        self.outages: list[Window] = []
        self.congestion: list[tuple[Window, int]] = []
        self.on_block: list[BlockHook] = []  # callbacks(receipts, block)
        # callbacks(now_ms) at every tick, outages included (what metrics watch between blocks)
        self.on_tick: list[Callable[[int], object]] = []
        # now_ms -> system transactions (the rollup's L1 messages)
        self.before_block: Callable[[int], tuple[Tx, ...]] | None = None
        # the rollup's reconciler can stop the sequencer
        self.is_halted: Callable[[], bool] = _never_halted
        self.backlog: list[tuple[int, int]] = []  # (time, mempool size) at each tick
        self.refused = 0  # transactions the full mempool refused
        self.blocks = 0
        self.transactions = 0
        self._arrive_cb: Callable[..., object] = self._arrive

    @property
    def state(self) -> State:
        """The sequencer's state (the venue as the engine sees it)."""
        return self.sequencer.state

    # ----- scheduling -----------------------------------------------------------------------
    def at(self, t_ms: int, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` at simulated time `t_ms`."""
        self._seq += 1
        heapq.heappush(self._heap, (t_ms, self._seq, callback, args))

    def send(self, tx: Tx, latency_ms: int, owner: Owner | None = None) -> None:
        """An agent's transaction, arriving at the mempool `latency_ms` from now."""
        self._seq += 1
        heapq.heappush(self._heap, (self.now_ms + latency_ms, self._seq, self._arrive_cb,
                                    (tx, owner)))

    def _arrive(self, tx: Tx, owner: Owner | None) -> None:
        try:
            self.mempool.push(tx)
        except MempoolFull:
            self.refused += 1
            return
        if owner is not None:
            self._owners[id(tx)] = owner

    # ----- blocks ---------------------------------------------------------------------------
    def _tick(self) -> None:
        now = self.now_ms
        self.at(now + self.block_ms, self._tick)
        pending = len(self.mempool)
        self.backlog.append((now, pending))
        for watch in self.on_tick:
            watch(now)
        for window in self.outages:
            if window.covers(now):
                return
        system_txs = self.before_block(now) if self.before_block is not None else ()
        if (pending == 0 and not system_txs) or self.is_halted():
            return
        capacity = self.capacity
        for window, limit in self.congestion:
            if window.covers(now):
                capacity = min(capacity, limit)
        sequencer = self.sequencer
        sequencer.max_block_txs = capacity
        receipts, _ = sequencer.produce_block(now, system_txs)
        block = cast(Block, sequencer.last_block)
        self.blocks += 1
        self.transactions += len(block.txs)
        owners = self._owners
        if owners:
            for tx, receipt in zip(block.txs, receipts.receipts):
                owner = owners.pop(id(tx), None)
                if owner is not None:
                    owner.on_receipt(tx, receipt)
        for callback in self.on_block:
            callback(receipts, block)

    def run(self, until_ms: int, progress: Callable[[int], object] | None = None) -> None:
        """Process events up to `until_ms`; `progress(now_ms)` is called about once a minute.

        While it runs, the cyclic garbage collector skips its full collections (the young
        generations are still collected; the thresholds are restored at the end): the state
        and the kept blocks are long-lived and acyclic, and with `keep_blocks` a lab day keeps
        about a million transactions, which each full collection would traverse again."""
        thresholds = gc.get_threshold()
        gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], FULL_COLLECTIONS_OFF))
        try:
            self._loop(until_ms, progress)
        finally:
            gc.set_threshold(*thresholds)
        self.now_ms = until_ms

    def _loop(self, until_ms: int, progress: Callable[[int], object] | None) -> None:
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
