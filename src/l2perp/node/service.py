"""The running node: the sequencer on an asyncio loop, one block every `block_ms`, and the
acknowledgement of each transaction after its block is committed to the log.

Block times come from the wall clock here (the node's business); the engine sees only the block
header. `submit` returns once the transaction's block is durable; its receipt is the reply.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ..engine.params import Genesis
from ..engine.tx import BridgeCredit, Receipt, SetPrice, Tx
from .log import BlockLog
from .sequencer import MempoolFull, Sequencer


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Node:
    """One sequencer, its log, and the futures of transactions waiting for their block."""

    def __init__(self, data_dir: str | Path, genesis: Genesis, block_ms: int = 200) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sequencer = Sequencer(BlockLog(self.data_dir / "node.sqlite"), genesis)
        self.block_ms = block_ms
        self.listeners: list = []  # called with each block's receipts (the websocket hub)
        self._task: asyncio.Task | None = None
        self.demo = None  # node.demo.DemoActors on a demo devnet
        self._next_demo_ms = 0
        self.ready = asyncio.Event()

    @property
    def state(self):
        return self.sequencer.state

    async def start(self) -> None:
        self.ready.set()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.sequencer.log.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.block_ms / 1000)
            if self.demo is not None and wall_ms() >= self._next_demo_ms:
                self._next_demo_ms = wall_ms() + 1_000
                self.demo.tick(wall_ms() + self.state.dev_time_offset_ms)
            self.produce()

    def produce(self) -> None:
        # devAdvanceTime moves block time ahead of the wall clock by the advanced total.
        receipts, tickets = self.sequencer.produce_block(
            wall_ms() + self.state.dev_time_offset_ms)
        for receipt, future in zip(receipts.receipts, tickets):
            if future is not None and not future.done():
                future.set_result(receipt)
        for listener in self.listeners:
            listener(receipts)

    async def submit(self, tx: Tx) -> Receipt:
        """Queue a verified transaction; resolves with its receipt once its block is durable."""
        future = asyncio.get_running_loop().create_future()
        try:
            self.sequencer.mempool.push(tx, future)
        except MempoolFull:
            return Receipt(False, error="Too many pending requests; try again shortly.")
        return await future

    def seed_devnet(self, funded: list[str], prices: dict[int, int], admin: str,
                    pin: bool = True) -> None:
        """On an empty devnet log: credit the dev accounts and (without demo operators) pin the
        start prices."""
        if self.state.height:
            return
        for address in funded:
            self.sequencer.mempool.push(Tx(None, 0, BridgeCredit(address, 10**6 * 10**6)))
        nonce = wall_ms()
        for asset, pips in sorted(prices.items()):
            nonce += 1
            if pin:
                self.sequencer.mempool.push(Tx(admin, nonce, SetPrice(asset, pips)))
        self.produce()
