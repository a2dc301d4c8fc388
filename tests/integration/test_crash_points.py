"""The node dies at the two points an acknowledgement depends on: right after the block holding
a request is committed to the log (before any reply), and right after the replies left (before
the rollup took the block: its root, batch and checks, and before its index rows). After a
restart the block is in the log, its order in the index, and it reaches a posted batch: an
acknowledged order is never lost, and a committed one that was not acknowledged is kept too
(durable before answered, never the other way round)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange

from l2perp.engine.tx import PlaceOrders
from l2perp.node.l1host import L1Host
from l2perp.node.log import BlockLog
from l2perp.rollup.batch import decode_body
from tests.support.rollup_proc import TRADERS, RollupNode
from tests.support.server import free_port, wait_until_serving

# `l2perp up`, with the process killed (os._exit) at CRASH_POINT in the first block holding a
# transaction of CRASH_SIGNER
RUNNER = """
import os, sys
from l2perp.node import sequencer, service
signer, point = os.environ["CRASH_SIGNER"], os.environ["CRASH_POINT"]

def holds(block):
    return block is not None and any(tx.signer == signer for tx in block.txs)

if point == "after_commit":  # durable, not answered
    commit = sequencer.Sequencer.commit
    def crash_after_commit(self, block, receipts, txs=None):
        commit(self, block, receipts, txs)
        if holds(block):
            os._exit(9)
    sequencer.Sequencer.commit = crash_after_commit
else:  # answered, not yet taken by the rollup
    after_commit = service.Node.after_commit
    def crash_after_reply(self, receipts):
        if holds(self.sequencer.last_block):
            os._exit(9)
        after_commit(self, receipts)
    service.Node.after_commit = crash_after_reply
from l2perp.cli import app
sys.argv = ["l2perp", *sys.argv[1:]]
app()
"""
PRICE = 31_234  # recognisable on L1 and in the log


def prices_of(blocks, signer: str) -> list[int]:
    """The prices of `signer`'s order actions in `blocks`, in block order."""
    out = []
    for block in blocks:
        for tx in block.txs:
            if tx.signer == signer and isinstance(tx.action, PlaceOrders):
                px = tx.action.orders[0].px
                out.append(px.coeff * 10 ** px.exp)
    return out


@pytest.mark.parametrize("point", ["after_commit", "after_reply"])
def test_a_kill_around_the_reply_loses_no_committed_order(tmp_path, point) -> None:
    data, l1 = tmp_path / "node", tmp_path / "l1.sqlite"
    key = TRADERS[3]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "up", "--no-demo", "--no-verifier", "--port", str(port),
         "--data", str(data), "--l1", str(l1), "--block-ms", "50", "--rate-limits", "off"],
        env={**__import__("os").environ, "CRASH_SIGNER": key.address, "CRASH_POINT": point},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(url, proc)
        exchange = Exchange(Account.from_key(key.private_key), url, timeout=10,
                            meta={"universe": [{"name": "BTC", "szDecimals": 5}]},
                            spot_meta={"universe": [], "tokens": []})
        try:
            reply = exchange.order("BTC", True, 0.001, PRICE, {"limit": {"tif": "Gtc"}})
        except Exception:  # noqa: BLE001 - the process died before answering
            reply = None
        assert proc.wait(timeout=30) == 9  # it died at the crash point
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if point == "after_reply":  # the reply left before the rollup's work
        assert reply is not None and "resting" in reply["response"]["data"]["statuses"][0]
    else:
        assert reply is None
    node = RollupNode(data, l1).start()
    try:
        height = node.status()["l2Height"]
        node.wait(lambda: node.status()["postedHeight"] >= height, what="a batch past the kill")
    finally:
        node.kill()
    chain = L1Host(l1, readonly=True).l1
    posted = [b for r in chain.canonical_chain() for b in decode_body(r.body)]
    assert [b.height for b in posted] == list(range(1, len(posted) + 1))
    assert prices_of(posted, key.address) == [PRICE]  # on L1, once
    log = BlockLog(Path(data) / "node.sqlite")
    try:
        logged = [block for block, _ in log.blocks_after(0)]
    finally:
        log.close()
    assert prices_of(logged, key.address) == [PRICE]  # in the log, once
    db = sqlite3.connect(str(Path(data) / "node.sqlite"))
    try:  # its index row (written after the replies: the restart wrote it again)
        rows = db.execute("SELECT status FROM orders WHERE user = ?", (key.address,)).fetchall()
    finally:
        db.close()
    assert rows == [("open",)]
