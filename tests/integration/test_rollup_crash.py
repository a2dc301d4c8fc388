"""The sequencer is SIGKILLed between acknowledging transactions and posting them: after each
restart every acknowledged order reaches a posted batch, in the order it was acknowledged, the
L1 carries every block exactly once, and no batch number was ever signed with two contents
(the poster's journal agrees with L1 on every number)."""

from __future__ import annotations

import random
import threading
import time


from l2perp.engine.tx import PlaceOrders
from l2perp.node.l1host import L1Host
from l2perp.node.rollup_node import DurableJournal
from l2perp.rollup.batch import decode_body
from tests.support.rollup_proc import TRADERS, RollupNode
from tests.support.server import bid_ladder

META = {"universe": [{"name": "BTC", "szDecimals": 5}]}


def test_acknowledged_transactions_reach_l1_in_order_across_sigkills(tmp_path) -> None:
    node = RollupNode(tmp_path / "node", tmp_path / "l1.sqlite").start()
    keys = TRADERS[6:9]
    acked: dict[str, list[int]] = {k.address: [] for k in keys}
    stop = threading.Event()

    def trade(key, index: int) -> None:
        def ack(price: int, status: dict) -> None:
            if "resting" in status:
                acked[key.address].append(price)
        bid_ladder(node.url, key.private_key, index, stop, ack)

    threads = [threading.Thread(target=trade, args=(k, i), daemon=True)
               for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    rng = random.Random(11)
    try:
        for _ in range(4):
            time.sleep(rng.uniform(0.5, 2.5))
            node.kill()
            node.start()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        height = node.status()["l2Height"]
        node.wait(lambda: node.status()["postedHeight"] >= height, what="posting to catch up")
    finally:
        stop.set()
        node.kill()
    chain = L1Host(tmp_path / "l1.sqlite", readonly=True).l1
    blocks = [b for r in chain.canonical_chain() for b in decode_body(r.body)]
    assert [b.height for b in blocks] == list(range(1, len(blocks) + 1))
    posted: dict[str, list[int]] = {k.address: [] for k in keys}
    for block in blocks:
        for tx in block.txs:
            if tx.signer in posted and isinstance(tx.action, PlaceOrders):
                px = tx.action.orders[0].px  # an exact decimal; these prices are integers
                posted[tx.signer].append(px.coeff * 10 ** px.exp)
    for key in keys:
        assert len(acked[key.address]) > 10
        order = posted[key.address]
        positions = [order.index(px) for px in acked[key.address]]  # each one is on L1 ...
        assert positions == sorted(positions)  # ... in the order it was acknowledged
        assert len(order) == len(set(order))  # and executed once
    journal = DurableJournal(tmp_path / "node" / "poster.sqlite")
    for record in chain.batches:
        signed = journal.get(record.header.batch_no)
        assert signed is not None and signed.header.digest() == record.header.digest()
    assert not chain.frozen and all(r.status != "reverted" for r in chain.batches)
