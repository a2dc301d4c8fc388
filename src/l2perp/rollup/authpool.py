"""Parallel authentication of a batch's user transactions (rollup/auth.py) in a process pool.

Authenticating a transaction (decoding its signed request again, recovering the signer) is a
pure function of the transaction and the market table (`auth.market_table`), and it is most of
the judge's and the verifier's work on a full batch. `PendingVerdicts` hands chunks of the
transactions, with the table and nothing else of the state, to a persistent pool of worker
processes and reads the answers back by transaction index, so the booleans, and so every
verdict built on them, are the same for any worker count, including none.

A worker gets the transactions either as objects (pickled) or, when the batch body is at hand
(the judge, the verifier), as each transaction's bytes cut from the body (`body_tx_slices`),
which it decodes with the same codec the body is decoded with: the pool can then start before
this process has decoded the body, and the bytes cost nothing to send. A slice a worker cannot
decode to a transaction gets no answer from it (None) and is authenticated here.

The pool only ever computes those booleans. It is created lazily (start method "forkserver",
or "spawn" where there is none: never a plain fork of a process that runs threads), kept for
the life of the process and shut down at exit. Worker count: `workers` when given, else the
environment's `L2PERP_AUTH_WORKERS`, else `os.cpu_count()`; that setting decides how the work
is spread, never a result, which is why this one module of the rollup reads the environment.
One worker, or fewer than `MIN_POOLED_TXS` transactions, runs in this process without a pool.
This process never waits idle on the pool: when an answer it needs is not ready, it takes back
the last chunk no worker has started and computes it itself. A pool that fails (a worker
killed, BrokenProcessPool, anything) is dropped and the transactions it owed are authenticated
here, with a warning in the log. As with any program using multiprocessing, a script that
judges batches needs the `if __name__ == "__main__":` guard (the workers import the main
module); without it the pool fails and the work is done here.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import msgpack

from ..engine.state import State
from ..engine.tx import Block, Tx
from ..engine.txcodec import RECORDS
from ..wire.requests import Network
from .auth import (
    MarketLookups, MarketTable, authentic_with, authenticate_serial, keep_authentic,
    market_table,
)

LOG = logging.getLogger(__name__)

ENV_WORKERS = "L2PERP_AUTH_WORKERS"
MIN_POOLED_TXS = 256  # user transactions: fewer are authenticated in this process
CHUNKS_PER_WORKER = 8  # chunks per worker and batch: early first answers, fine stealing


@dataclass
class PoolCounters:
    """What the pool did in this process (counts since start; for tests and benchmarks)."""

    pooled_batches: int = 0  # transaction lists handed to the pool
    pooled_txs: int = 0  # transactions handed to the pool
    from_body: int = 0  # of those lists, the ones started from a body's bytes
    serial_batches: int = 0  # transaction lists authenticated here from the start
    fallbacks: int = 0  # pool failures answered by authenticating here
    taken_back: int = 0  # chunks no worker had started, computed here instead of waiting
    pools_started: int = 0


COUNTERS = PoolCounters()

_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None
_POOL_WORKERS = 0
_POOL_PID = 0  # the process that started the pool (a forked child must not use it)
_ATEXIT_REGISTERED = False


def configured_workers() -> int:
    """Worker processes to use: `L2PERP_AUTH_WORKERS` when it is a positive integer, else
    `os.cpu_count()` (at least 1). A malformed value is logged and ignored."""
    text = os.environ.get(ENV_WORKERS, "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value >= 1:
            return value
        LOG.warning("%s=%r is not a positive integer: using the CPU count", ENV_WORKERS, text)
    return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def get_pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of `workers` worker processes, created on first use (a pool of
    another size is shut down and replaced; batches still reading from it fall back)."""
    global _POOL, _POOL_WORKERS, _POOL_PID, _ATEXIT_REGISTERED
    with _LOCK:
        if _POOL is not None and _POOL_PID != os.getpid():
            _POOL = None  # inherited through a fork: its workers belong to the parent
        if _POOL is not None and _POOL_WORKERS == workers:
            return _POOL
        old = _POOL
        method = _start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":  # workers fork from a server that imported this module once
            context.set_forkserver_preload(["__main__", __name__])
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        _POOL, _POOL_WORKERS, _POOL_PID = pool, workers, os.getpid()
        COUNTERS.pools_started += 1
        if not _ATEXIT_REGISTERED:
            atexit.register(shutdown_pool)
            _ATEXIT_REGISTERED = True
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)
    return pool


def current_pool() -> ProcessPoolExecutor | None:
    """The pool if one is running (None before the first pooled batch or after a failure)."""
    return _POOL if _POOL_PID == os.getpid() else None


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    """Forget `pool` (if it is still the current one) and shut it down without waiting."""
    global _POOL, _POOL_WORKERS
    with _LOCK:
        if _POOL is pool:
            _POOL = None
            _POOL_WORKERS = 0
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - a broken pool may fail to shut down: it is gone anyway
        pass


def shutdown_pool() -> None:
    """Stop the worker processes (at interpreter exit, or when a caller wants them gone)."""
    global _POOL, _POOL_WORKERS
    with _LOCK:
        pool, _POOL, _POOL_WORKERS = _POOL, None, 0
    if pool is not None and _POOL_PID == os.getpid():
        pool.shutdown(wait=True, cancel_futures=True)


def warm_pool(workers: int | None = None) -> int:
    """Start the pool's worker processes now rather than inside the first batch; the number of
    workers (1: no pool is used, none is started). Raises when the pool cannot start."""
    count = configured_workers() if workers is None else workers
    if count > 1:
        pool = get_pool(count)
        for future in [pool.submit(_auth_txs, (), False, ()) for _ in range(count)]:
            future.result()
    return count


def _auth_txs(table: MarketTable, is_mainnet: bool, txs: tuple[Tx, ...]) -> list[bool | None]:
    """A worker's task: one verdict per transaction of the chunk, in order."""
    return list(authenticate_serial(table, txs, Network(is_mainnet)))


def _auth_encoded(table: MarketTable, is_mainnet: bool,
                  encoded: tuple[bytes, ...]) -> list[bool | None]:
    """A worker's task: one verdict per encoded transaction of the chunk, in order; None for
    bytes that do not decode to a transaction here (the caller decides those itself)."""
    lookups = MarketLookups(table)
    network = Network(is_mainnet)
    out: list[bool | None] = []
    for data in encoded:
        try:
            tx = RECORDS.decode(data)
        except Exception:  # noqa: BLE001 - not ours to judge: the caller decides
            out.append(None)
            continue
        out.append(authentic_with(lookups, tx, network) if type(tx) is Tx else None)
    return out


def body_tx_slices(body: bytes) -> list[list[bytes]] | None:
    """The bytes of every transaction of a batch body, per block, cut without decoding them
    (the codec's format: a list of `Block` records, each the map {tag: [fields]} whose `txs`
    field is a list of transactions); None when the body does not have that shape."""
    block_tag = RECORDS.tag_of[Block]
    names = RECORDS.fields[Block]
    try:
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                    max_buffer_size=max(1, len(body)))
        unpacker.feed(body)
        out: list[list[bytes]] = []
        for _ in range(unpacker.read_array_header()):
            if unpacker.read_map_header() != 1 or unpacker.unpack() != block_tag or \
                    unpacker.read_array_header() != len(names):
                return None
            txs: list[bytes] = []
            for name in names:
                if name != "txs":
                    unpacker.skip()
                    continue
                for _ in range(unpacker.read_array_header()):
                    start = unpacker.tell()
                    unpacker.skip()
                    txs.append(body[start:unpacker.tell()])
            out.append(txs)
        if unpacker.tell() != len(body):
            return None
        return out
    except Exception:  # noqa: BLE001 - not a body of that shape: the caller decodes it
        return None


Task = Callable[[MarketTable, bool, tuple], list]


class _Chunk:
    """Transactions handed to the pool as one task: their indices and the task's future."""

    __slots__ = ("indices", "future", "taken")

    def __init__(self, indices: list[int], future: Future[list[bool | None]]) -> None:
        self.indices = indices
        self.future = future
        self.taken = False  # taken back: computed in this process


class PendingVerdicts:
    """The authentication verdicts of a list of transactions, one bool each, computed in the
    pool in chunks (when there are enough and more than one worker) or in this process, and
    read in order with `get`. Never raises for the pool's sake: whatever the pool does not
    deliver is computed here, from `txs` (which a list started from encoded transactions gets
    by `attach` before it is read)."""

    def __init__(self, table: MarketTable, count: int, network: Network = Network()) -> None:
        self.table = table
        self.network = network
        self.verdicts: list[bool | None] = [None] * count
        self.txs: tuple[Tx, ...] | None = None
        self.chunks: list[_Chunk] = []  # the pool's, in order, until answered or taken back
        self.pool: ProcessPoolExecutor | None = None
        self.failed = False  # the pool failed this list: what it owed is computed here

    @classmethod
    def of_txs(cls, table: MarketTable, txs: tuple[Tx, ...], network: Network = Network(),
               workers: int | None = None) -> PendingVerdicts:
        """Verdicts of `txs` (system transactions are True without asking anyone)."""
        pending = cls(table, len(txs), network)
        pending.txs = txs
        users = []
        for index, tx in enumerate(txs):
            if tx.signer is None:
                pending.verdicts[index] = True
            else:
                users.append(index)
        count = configured_workers() if workers is None else workers
        if count > 1 and len(users) >= MIN_POOLED_TXS:
            pending._submit(count, users, [txs[i] for i in users], _auth_txs)
        else:
            COUNTERS.serial_batches += 1
        return pending

    @classmethod
    def of_encoded(cls, table: MarketTable, encoded: Sequence[bytes],
                   network: Network = Network(),
                   workers: int | None = None) -> PendingVerdicts | None:
        """Verdicts of encoded transactions, started in the pool; None when the pool would not
        be used (one worker, a small batch). If the pool fails at once, the list comes back
        `failed` and without work: its owner must then decode and authenticate here."""
        count = configured_workers() if workers is None else workers
        if count <= 1 or len(encoded) < MIN_POOLED_TXS:
            return None
        pending = cls(table, len(encoded), network)
        pending._submit(count, list(range(len(encoded))), encoded, _auth_encoded)
        return pending

    def _submit(self, workers: int, indices: list[int], items: Sequence[object],
                task: Task) -> None:
        """Hand `items` (whose verdicts go to `indices`) to the pool in chunks, in order."""
        n = len(indices)
        size = -(-n // (workers * CHUNKS_PER_WORKER))  # ceiling: at most that many chunks
        try:
            self.pool = get_pool(workers)
            for lo in range(0, n, size):
                chunk = tuple(items[lo:lo + size])
                future = self.pool.submit(task, self.table, self.network.is_mainnet, chunk)
                self.chunks.append(_Chunk(indices[lo:lo + size], future))
        except Exception as exc:  # noqa: BLE001 - no pool today: authenticate here
            self._fail(exc)
            return
        COUNTERS.pooled_batches += 1
        COUNTERS.pooled_txs += n

    def attach(self, txs: tuple[Tx, ...]) -> None:
        """The transactions themselves, in order, for whatever must be computed here."""
        self.txs = txs

    def _fail(self, exc: BaseException) -> None:
        """Give up on the pool for this list (and drop it for later ones): every chunk it
        still owes is computed here."""
        COUNTERS.fallbacks += 1
        self.failed = True
        LOG.warning("authentication pool failed (%s: %s): authenticating in this process",
                    type(exc).__name__, exc)
        self.close()
        if self.pool is not None:
            _drop_pool(self.pool)
            self.pool = None

    def _collect(self, start: int, stop: int) -> None:
        """Take the pool's answers for every chunk that holds a transaction in start..stop-1.
        Rather than wait for a chunk, this process takes back the last chunk no worker has
        started and computes it itself (workers may be behind, as on a busy machine)."""
        for chunk in [c for c in self.chunks if c.indices[0] < stop and c.indices[-1] >= start]:
            while self.txs is not None and not chunk.taken and not chunk.future.done():
                if not self._take_back_one():
                    break
            if chunk.taken:
                continue
            try:
                answers = chunk.future.result()
                if len(answers) != len(chunk.indices):
                    raise RuntimeError(f"a chunk of {len(chunk.indices)} came back with "
                                       f"{len(answers)} answers")
            except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, cancelled, anything
                self._fail(exc)  # what was collected stays; the rest is computed here
                return
            for index, ok in zip(chunk.indices, answers):
                self.verdicts[index] = None if ok is None else ok is True
            self.chunks.remove(chunk)

    def _take_back_one(self) -> bool:
        """Compute here the last chunk that no worker has started; False when there is none."""
        txs = self.txs
        for chunk in reversed(self.chunks):
            if txs is not None and chunk.future.cancel():
                chunk.taken = True
                self.chunks.remove(chunk)
                COUNTERS.taken_back += 1
                answers = authenticate_serial(self.table, [txs[i] for i in chunk.indices],
                                              self.network)
                for index, ok in zip(chunk.indices, answers):
                    self.verdicts[index] = ok
                return True
        return False

    def get(self, start: int, stop: int) -> list[bool]:
        """The verdicts of transactions start..stop-1 (waits for the pool's answers)."""
        if self.chunks:
            self._collect(start, stop)
        missing = [i for i in range(start, stop) if self.verdicts[i] is None]
        if missing:
            if self.txs is None:
                raise RuntimeError("verdicts to compute here, but no transactions attached")
            answers = authenticate_serial(self.table, [self.txs[i] for i in missing],
                                          self.network)
            for index, ok in zip(missing, answers):
                self.verdicts[index] = ok
        return [v is True for v in self.verdicts[start:stop]]

    def close(self) -> None:
        """Cancel what the pool has not started (the rest is left to finish and ignored)."""
        for chunk in self.chunks:
            chunk.future.cancel()
        self.chunks = []


def authenticate_all(table: MarketTable, txs: Sequence[Tx], network: Network = Network(),
                     workers: int | None = None) -> list[bool]:
    """One bool per transaction of `txs`, in order: `auth.authentic_with` against the markets of
    `table` (system transactions: True), in the pool when it pays (module docstring)."""
    pending = PendingVerdicts.of_txs(table, tuple(txs), network, workers)
    try:
        return pending.get(0, len(txs))
    finally:
        pending.close()


class BatchAuthenticator:
    """Authentication of a batch's blocks, started for all of them at once and read block by
    block, so the pool works ahead while the caller executes the earlier blocks.

    Start it with the pre-state of the batch (and, with `start_body`, from the body's bytes
    before the body is decoded), `bind` the decoded blocks, then read `block(state, i)` just
    before block i executes. Each block is authenticated against the markets as they stand
    before it: the verdicts are computed against the pre-batch table, and when a block finds
    the table changed (a market listed by an earlier block), the verdicts of it and every later
    block are computed again against the new one."""

    def __init__(self, state: State, network: Network = Network(),
                 workers: int | None = None) -> None:
        self.table = market_table(state)
        self.network = network
        self.workers = configured_workers() if workers is None else workers
        self.blocks: tuple[Block, ...] = ()
        self.starts: list[int] = []  # index of each block's first transaction
        self.base = 0  # index (in the batch) of the first transaction of self.pending
        self.pending: PendingVerdicts | None = None
        self.early_counts: list[int] | None = None  # transactions per block, from the bytes

    def start_body(self, body: bytes) -> None:
        """Start the pool on the transactions' bytes cut from `body` (nothing if the body has
        not the shape of one, or the pool would not be used)."""
        if self.workers <= 1 or self.pending is not None:
            return
        slices = body_tx_slices(body)
        if slices is None:
            return
        flat = [data for block in slices for data in block]
        pending = PendingVerdicts.of_encoded(self.table, flat, self.network, self.workers)
        if pending is None:
            return
        if pending.failed:
            self.workers = 1  # the pool failed this batch: the rest of it is done here
            return
        self.pending = pending
        self.early_counts = [len(block) for block in slices]
        COUNTERS.from_body += 1

    def bind(self, blocks: tuple[Block, ...]) -> None:
        """The batch's decoded blocks; starts the work on them unless it started from their
        bytes (which must then hold as many transactions per block)."""
        self.blocks = blocks
        self.starts = []
        count = 0
        for block in blocks:
            self.starts.append(count)
            count += len(block.txs)
        txs = tuple(tx for block in blocks for tx in block.txs)
        if self.pending is not None and \
                self.early_counts == [len(block.txs) for block in blocks]:
            self.pending.attach(txs)
            return
        self.close()
        self.pending = PendingVerdicts.of_txs(self.table, txs, self.network, self._workers())

    def _workers(self) -> int:
        """Workers for new work on this batch: none once the pool has failed it."""
        if self.pending is not None and self.pending.failed:
            self.workers = 1
        return self.workers

    def block(self, state: State, index: int) -> Block:
        """Block `index` without its unauthentic transactions, judged against the markets of
        `state` (the state the block is about to execute on)."""
        if self.pending is None:
            raise RuntimeError("bind the blocks before reading them")
        table = market_table(state)
        if table != self.table:
            self.close()
            self.table = table
            self.base = self.starts[index]
            later = tuple(tx for block in self.blocks[index:] for tx in block.txs)
            self.pending = PendingVerdicts.of_txs(table, later, self.network, self._workers())
        block = self.blocks[index]
        start = self.starts[index] - self.base
        return keep_authentic(block, self.pending.get(start, start + len(block.txs)))

    def close(self) -> None:
        """Stop the pool's work nobody will read (an invalid block ended the batch)."""
        if self.pending is not None:
            self.pending.close()
