"""A fault that strikes after a block is committed but before the rollup took it (the poster's
or the L1's file failing): the block's transactions are answered (they are durable), the
sequencer halts loudly, and on the retry the rollup is rebuilt from its files and the log, so
the next batches carry every block in order and the reconciler stays in agreement."""

from __future__ import annotations

import time

from tests.support.server import wait_for_blocks
from tests.support.server import Signer


def test_a_storage_fault_after_the_commit_resyncs_the_rollup(served, monkeypatch) -> None:
    devnet = served()
    node = devnet.node
    trader = Signer(devnet, devnet.keys[1])
    wait_for_blocks(devnet, 3)
    original = type(node.rollup).after_block
    failures = []

    def failing_once(self, state, block, receipts, txs=None):
        if not failures and any(tx.signer == trader.address for tx in block.txs):
            failures.append(block.height)
            raise OSError(28, "No space left on device")
        return original(self, state, block, receipts, txs)

    monkeypatch.setattr(type(node.rollup), "after_block", failing_once)
    answer = trader.send({"type": "order", "orders": [
        {"a": 0, "b": True, "p": "80000", "s": "0.001", "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"})
    # the fault strikes after the commit of the block holding the order: it is acknowledged
    assert "resting" in answer["response"]["data"]["statuses"][0], answer
    deadline = time.time() + 5
    while not failures:
        assert time.time() < deadline
        time.sleep(0.01)
    deadline = time.time() + 15  # halted, then retried after RETRY_MS with a rebuilt rollup
    while node.fault is not None or node.state.height <= failures[0] + 3:
        assert time.time() < deadline, node.fault
        time.sleep(0.05)
    assert node.rollup.halted is None
    height = node.state.height
    deadline = time.time() + 20  # a batch past the faulted block is posted and agrees with L1
    while node.rollup.l1.tip() is None or node.rollup.l1.tip().header.last_height < height:
        assert time.time() < deadline, "no batch past the faulted block"
        assert node.rollup.halted is None, node.rollup.halted
        time.sleep(0.05)
    heights = [h for record in node.rollup.l1.canonical_chain()
               for h in range(record.header.first_height, record.header.last_height + 1)]
    assert heights == list(range(1, len(heights) + 1))  # every block, once, in order
    assert failures[0] in heights
