"""The running node: the sequencer on an asyncio loop, one block every `block_ms`, and the
acknowledgement of each transaction after its block is committed to the log.

Block times come from the wall clock here (the node's business); the engine sees only the block
header. `submit` returns once the transaction's block is durable; its receipt is the reply. In
the block loop the replies leave before the rollup (roots, batches, reconciliation) and the
block listeners (websocket fan-out) take the block: that work is not needed for durability, and
a crash before it is caught up from the log at the restart.

Any exception in block production halts the sequencer loudly: the traceback is logged, the
reason is in `halted` (served by `l2perpStatus` and announced on the websocket), every pending
and new request is answered at once with the reason, and the halt is written to `DATA/halt.json`
so that an incident is opened when blocks resume. A storage failure (a full disk, an I/O error)
is retried every `RETRY_MS`; any other fault keeps the sequencer halted until the operator
restarts the node.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..engine.params import Genesis
from ..crypto.signatures import sign_l1_action
from ..engine.tx import BlockReceipts, BridgeCredit, Receipt, Tx
from ..units import format_price
from ..wire.requests import Network, decode_request
from ..rollup.params import RollupParams
from .devfaults import NodeFaults
from .log import BlockLog
from .rollup_node import NodeRollup
from .sequencer import MempoolFull, Sequencer

DEV_FUNDS_MUSDC = 10**6 * 10**6  # $1,000,000 per dev account
RETRY_MS = 2_000  # a storage fault is retried this often
DEFAULT_BLOCK_MS = 100  # the block interval of `l2perp up` on the devnet
# event-loop turns between a block's replies and the rollup's work on it: an answer takes two
# (its handler resumes, then writes; tests/integration/test_crash_points checks they left)
REPLY_YIELDS = 3
HALT_FILE = "halt.json"
# "1": check the incrementally kept digest against a full encoding after every block (slow;
# the test suite sets it)
VERIFY_LEAVES_ENV = "L2PERP_VERIFY_LEAVES"
LOG = logging.getLogger("l2perp.node")


def is_storage_fault(exc: BaseException) -> bool:
    """A fault of the disk rather than of the code: it may pass once space or the device
    returns."""
    return isinstance(exc, (OSError, sqlite3.OperationalError))


@dataclass(frozen=True)
class NodeRollupSettings:
    """How the node runs its rollup: the L1 file, the profile, the poster key, a fault."""

    l1_path: Path
    params: RollupParams
    poster: str
    fault: str | None = None
    l1_funded: tuple[str, ...] = ()  # L1 accounts given money at deployment (the verifier)
    operator_key: str | None = None  # the sequencer operator's L2 key: it opens the incident
    # record of each reconciliation halt once the halt is over (engine/governance)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Node:
    """One sequencer, its log, and the futures of transactions waiting for their block."""

    def __init__(self, data_dir: str | Path, genesis: Genesis, block_ms: int = DEFAULT_BLOCK_MS,
                 rollup: "NodeRollupSettings | None" = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sequencer = Sequencer(BlockLog(self.data_dir / "node.sqlite"), genesis,
                                   max_block_txs=rollup.params.max_batch_txs if rollup
                                   else 20_000,
                                   verify_leaves=os.environ.get(VERIFY_LEAVES_ENV) == "1",
                                   defer_writes=True)  # written in `after_commit`
        self.rollup: NodeRollup | None = None
        self.operator_key = rollup.operator_key if rollup is not None else None
        # (since, incident kind, why) of a halt whose incident is still to be opened
        self._halt: tuple[int, str, str] | None = None
        self.fault: str | None = None  # why block production failed (None: it did not)
        self._fault_since = 0
        self._retry_at: int | None = None  # wall ms of the next retry of a storage fault
        self.halt_listeners: list = []  # called with the reason when the sequencer halts
        self._genesis = genesis
        self._rollup_settings = rollup
        self._rollup_behind = False  # a committed block the rollup did not take (a fault)
        if rollup is not None:
            self.rollup = self._open_rollup()
        self.block_ms = block_ms
        self.listeners: list = []  # called with each block's receipts (the websocket hub)
        self.faults = NodeFaults()  # the devnet's node-level fault cheats in force
        self._task: asyncio.Task | None = None
        self.demo = None  # node.demo.DemoActors on a demo devnet
        self._next_demo_ms = 0
        self.ready = asyncio.Event()

    def _open_rollup(self) -> NodeRollup:
        """The rollup side from its files, brought up to the log's head (as at a restart)."""
        settings = self._rollup_settings
        rollup = NodeRollup(self.data_dir, settings.l1_path, self._genesis, settings.params,
                            settings.poster, settings.fault, settings.l1_funded)
        rollup.recover(self.state, (b for b, _ in self.sequencer.log.blocks_after(0)))
        # from here the poster's tree follows the live state through the sequencer's leaves
        rollup.poster.commitment.share_leaves(self.sequencer.leaves)
        return rollup

    def _reopen_rollup(self) -> None:
        """A fault struck after a block was committed but before the rollup took it: rebuild
        the rollup's view from its files and the log, keeping its listeners."""
        listeners = self.rollup.listeners
        try:
            self.rollup.close()
        except Exception:  # noqa: BLE001 - a half-broken handle is replaced either way
            LOG.exception("closing the rollup before its resync failed")
        self.rollup = self._open_rollup()
        self.rollup.listeners = listeners
        self._rollup_behind = False

    @property
    def state(self):
        return self.sequencer.state

    def clock_ms(self) -> int:
        """The node's block clock: wall time plus the devnet's advanced total (ms)."""
        return wall_ms() + self.state.dev_time_offset_ms

    async def start(self) -> None:
        self._resume_after_restart()
        self.ready.set()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._refuse_pending("the node is shutting down")
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.sequencer.log.close()
        if self.rollup is not None:
            self.rollup.close()

    async def _run(self) -> None:
        """One block every `block_ms` of wall time, on a fixed schedule: the work of a block
        does not push the next one back (when a block took longer than the interval, the next
        starts after one turn of the event loop, and the schedule restarts from there)."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += self.block_ms / 1000
            wait = due - loop.time()
            if wait < 0:  # behind: no burst of blocks to catch up, the schedule slips
                due, wait = loop.time(), 0
            await asyncio.sleep(wait)
            if self.fault is not None:
                if self._retry_at is None or wall_ms() < self._retry_at:
                    continue
                LOG.warning("retrying block production after: %s", self.fault)
            try:
                if self.fault is not None:
                    if self._rollup_behind:
                        self._reopen_rollup()
                    self.fault = None
                if self.demo is not None and wall_ms() >= self._next_demo_ms:
                    self._next_demo_ms = wall_ms() + 1_000
                    self.demo.tick(wall_ms() + self.state.dev_time_offset_ms)
                receipts = self.commit_and_reply()
                if receipts is not None:
                    # the block is durable and answered: the replies leave (the event loop
                    # runs their handlers) before the rollup and the listeners take it
                    for _ in range(REPLY_YIELDS):
                        await asyncio.sleep(0)
                    self.after_commit(receipts)
            except Exception as exc:  # noqa: BLE001 - any fault halts loudly, never silently
                self.halt_on_fault(exc)

    def halt_on_fault(self, exc: BaseException) -> None:
        """Block production failed: log it, refuse every pending request with the reason,
        announce it, and record it for the incident report (a storage fault is retried)."""
        first = self._fault_since == 0
        reason = f"block production failed: {type(exc).__name__}: {exc}"
        self.fault = reason
        if first:
            self._fault_since = wall_ms() + self.state.dev_time_offset_ms
        if self._halt is None:  # its incident opens when blocks resume
            self._halt = (self._fault_since, "sequencerOutage", reason)
        self._retry_at = wall_ms() + RETRY_MS if is_storage_fault(exc) else None
        LOG.error("sequencer halted at height %d: %s\n%s", self.state.height, reason,
                  "".join(traceback.format_exception(exc)))
        for ticket in self.sequencer.in_flight:
            if ticket is not None and not ticket.done():
                ticket.set_result(Receipt(False, error=f"Sequencer halted: {reason}"))
        self.sequencer.in_flight = []
        self._refuse_pending()
        self._write_halt_record(reason)
        if first:
            for listener in self.halt_listeners:
                try:
                    listener(reason)
                except Exception:  # noqa: BLE001 - a listener never hides the halt
                    LOG.exception("halt listener failed")

    def _write_halt_record(self, reason: str) -> None:
        try:
            (self.data_dir / HALT_FILE).write_text(json.dumps(
                {"since": self._fault_since, "reason": reason[:2_000]}))
        except OSError:  # the disk may be the fault; the log line above stands
            pass

    def _resume_after_restart(self) -> None:
        """A halt recorded before a restart: open its incident once blocks resume."""
        path = self.data_dir / HALT_FILE
        try:
            record = json.loads(path.read_text())
            self._halt = (int(record["since"]), "sequencerOutage", str(record["reason"]))
        except (OSError, ValueError, KeyError, TypeError):
            return

    @property
    def halted(self) -> str | None:
        """Why the sequencer stopped (a fault in block production or a reconciliation
        mismatch), or None."""
        if self.fault is not None:
            return self.fault
        return self.rollup.halted if self.rollup is not None else None

    def produce(self) -> None:
        """Build, commit and answer one block, then hand it to the rollup and the listeners."""
        receipts = self.commit_and_reply()
        if receipts is not None:
            self.after_commit(receipts)

    def commit_and_reply(self) -> BlockReceipts | None:
        """Build and commit the next block and resolve its transactions' futures; its receipts
        for `after_commit`, or None when a halt built no block."""
        # devAdvanceTime moves block time ahead of the wall clock by the advanced total.
        now = max(wall_ms() + self.state.dev_time_offset_ms, self.state.time_ms)
        system_txs: tuple = ()
        if self.rollup is not None:
            system_txs = self.rollup.before_block(self.state, now, self.faults.congestion_gas)
            if self.halted:
                if self._halt is None:
                    self._halt = (now, "reconciliationHalt", self.halted)
                self._refuse_pending()
                self.rollup.reconcile()
                return None
        if self._halt is not None:
            self._open_halt_incident(now)
            # its record opens before the L1 messages that queued during the halt (they follow
            # in the next block): one of them may slash the operator, who could then no longer
            # open it
            system_txs = ()
        receipts, tickets = self.sequencer.produce_block(now, system_txs)
        self._rollup_behind = self.rollup is not None
        self._fault_since = 0
        for ticket, why in self.sequencer.refused:
            if not ticket.done():
                ticket.set_result(Receipt(False, error=why))
        # the block is durable: its transactions are answered before anything else can fail
        for receipt, future in zip(receipts.receipts, tickets):
            if future is not None and not future.done():
                future.set_result(receipt)
        self.sequencer.in_flight = []
        return receipts

    def after_commit(self, receipts: BlockReceipts) -> None:
        """What a committed block owes after its replies: the rollup's root, batch and checks
        (a failure here leaves the rollup behind the log: `_reopen_rollup` on the retry), then
        the block listeners (websocket hub, rate limiter). The block's index rows and a snapshot
        due at this height are written first."""
        self.sequencer.index_if_pending()
        self.sequencer.snapshot_if_due()
        if self.rollup is not None:
            self.rollup.after_block(self.state, self.sequencer.last_block, receipts,
                                    self.sequencer.last_txs)
            self._rollup_behind = False
        self.faults.on_block(receipts)
        for listener in self.listeners:
            try:
                listener(receipts)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not halt the venue
                LOG.exception("block listener failed at height %d", receipts.height)

    def _open_halt_incident(self, now_ms: int) -> None:
        """The halt is over: the operator opens its incident record (signed like any client's
        request, so batches carry it with its signature)."""
        since, kind, why = self._halt
        self._halt = None
        try:
            (self.data_dir / HALT_FILE).unlink()
        except OSError:
            pass
        if self.operator_key is None or self.state.gov is None:
            return
        nonce = max(wall_ms(), self.state.time_ms - self.state.dev_time_offset_ms)
        end = min(now_ms, self.state.time_ms)
        subject = ("sequencer halted by the reconciler" if kind == "reconciliationHalt"
                   else "sequencer halted by a fault in block production")
        self.push_signed(self.operator_key, {
            "type": "incidentOpen", "kind": kind, "subject": subject, "start": min(since, end),
            "end": end, "detail": why[:2_000]}, nonce)

    def push_signed(self, private_key: str, action: dict, nonce: int) -> None:
        """Sign `action` as an L1 action with one of the node's own keys, verify it like an
        /exchange request and queue it for the next block (batches carry it with its
        signature)."""
        markets = self.state.markets
        signature = sign_l1_action(bytes.fromhex(private_key.removeprefix("0x")), action, None,
                                   nonce, None, False)
        self.sequencer.mempool.push(decode_request(
            {"action": action, "nonce": nonce, "signature": signature}, Network(),
            lambda a: markets[a].sz_decimals,
            lambda coin: next((m.asset for m in markets if m.name == coin), None)))

    def _refuse_pending(self, why: str | None = None) -> None:
        text = why or f"Sequencer halted: {self.halted}"
        for tx, future in self.sequencer.mempool.take(len(self.sequencer.mempool)):
            if future is not None and not future.done():
                future.set_result(Receipt(False, error=text))

    async def submit(self, tx: Tx) -> Receipt:
        """Queue a verified transaction; resolves with its receipt once its block is durable
        (and, while a devDelayAcks fault lasts, its delay later), or at once with an error
        while the sequencer is halted."""
        if self.halted:
            return Receipt(False, error=f"Sequencer halted: {self.halted}")
        future = asyncio.get_running_loop().create_future()
        try:
            self.sequencer.mempool.push(tx, future)
        except MempoolFull:
            return Receipt(False, error="Too many pending requests; try again shortly.")
        receipt = await future
        delay_ms = self.faults.ack_delay(self.clock_ms())
        if delay_ms:  # devDelayAcks: the reply is held after its block was committed
            await asyncio.sleep(delay_ms / 1000)
        return receipt

    def seed_devnet(self, funded: list[str], prices: dict[int, int], admin_key: str,
                    pin: bool = True) -> None:
        """On an empty devnet log: credit the dev accounts and (without demo operators) pin the
        start prices."""
        if self.state.height:
            return
        if self.rollup is not None:  # money enters through the L1 bridge
            for address in funded:
                self.rollup.host.call("mint", address, DEV_FUNDS_MUSDC)
                self.rollup.host.call("deposit", address, address, DEV_FUNDS_MUSDC)
        else:
            for address in funded:
                self.sequencer.mempool.push(Tx(None, 0, BridgeCredit(address, DEV_FUNDS_MUSDC)))
        nonce = wall_ms()
        markets = self.state.markets
        for asset, pips in sorted(prices.items()):
            nonce += 1
            if pin:  # signed like any admin request: batches carry it with its signature
                d = markets[asset].sz_decimals
                self.push_signed(admin_key, {"type": "devSetOracle", "coin": markets[asset].name,
                                             "px": format_price(pips, d)}, nonce)
        self.produce()
        if self.rollup is not None:
            self.wait_for_l1_messages()

    def wait_for_l1_messages(self, timeout_s: float = 10.0) -> None:
        """Produce blocks (in real time) until L2 has taken every queued L1 message."""
        deadline = time.monotonic() + timeout_s
        while self.state.l1_cursor < len(self.rollup.l1.messages):
            if time.monotonic() > deadline:
                raise RuntimeError("L1 messages were not credited in time")
            time.sleep(self.block_ms / 1000)
            self.produce()
