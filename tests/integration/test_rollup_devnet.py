"""The rollup in a running devnet: a wrong root posted by a faulty poster is challenged by the
verifier process and reverted (announced on the websocket), fills carry their finality, and a
user withdraws through the CLI and claims on L1 after finality."""

from __future__ import annotations

import json
import threading

import pytest
import websocket
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.node.devnet import dev_keys
from l2perp.node.l1host import L1Host
from tests.support.rollup_proc import TRADERS, RollupNode, cli


@pytest.fixture
def node(tmp_path, request):
    extra = ("--fault", "root") if "wrong_root" in request.node.name else (
        ("--fault", "withdrawals") if "halt" in request.node.name else ())
    n = RollupNode(tmp_path / "data", tmp_path / "l1.sqlite", *extra).start()
    yield n
    n.kill()


def test_a_wrong_root_is_challenged_reverted_and_announced(node) -> None:
    notices: list = []
    ws = websocket.create_connection(f"ws://127.0.0.1:{node.port}/ws", timeout=10)
    ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "l2perpRollup"}}))

    def listen() -> None:
        try:
            while True:
                notices.append(json.loads(ws.recv()))
        except Exception:  # noqa: BLE001 - closed at the end of the test
            pass
    threading.Thread(target=listen, daemon=True).start()
    maker = Exchange(Account.from_key(TRADERS[0].private_key), node.url, timeout=10)
    taker = Exchange(Account.from_key(TRADERS[1].private_key), node.url, timeout=10)
    maker.order("ETH", False, 1, 3000, {"limit": {"tif": "Gtc"}})
    taker.order("ETH", True, 1, 3000, {"limit": {"tif": "Ioc"}})
    status = node.wait(lambda: (s := node.status())["revertedBatches"] and s, what="a revert")
    reverted = node.info({"type": "batch", "batchNo": 1})
    assert reverted["status"] == "reverted" and reverted["revertedBy"] == 1
    assert not status["halted"]
    node.wait(lambda: any(n.get("channel") == "l2perpRollup" and
                          n["data"]["kind"] == "batchReverted" for n in notices),
              what="the websocket notice")
    fills = Info(node.url, skip_ws=True).user_fills(TRADERS[1].address)
    assert fills and fills[0]["finality"] in ("pending", "posted")
    # the chain went on: the same blocks were re-posted with the right root
    node.wait(lambda: node.status()["postedHeight"] >= reverted["lastHeight"], what="repost")
    node.advance(60_000)  # the L1 clock follows block time: windows run out
    node.wait(lambda: node.status()["lastFinalizedBatch"] > 1, what="finality")
    height = node.status()["finalizedHeight"]
    block = node.info({"type": "block", "height": height})
    assert block["finality"] == "finalized"
    fills = Info(node.url, skip_ws=True).user_fills(TRADERS[1].address)
    assert fills[0]["finality"] == "finalized"
    ws.close()



def test_a_reconciliation_halt_opens_an_incident_and_the_fraud_a_slash(node) -> None:
    """The poster lists a withdrawal L2 never made: the reconciler halts the sequencer (R2)
    until the verifier's challenge reverts the batch; then the node's operator key opens the
    halt's incident record, and the proven fraud slashes the poster's governance bond."""
    poster = next(k.address for k in dev_keys() if k.role == "poster")
    node.wait(lambda: node.status()["revertedBatches"], timeout=60, what="a revert")
    node.wait(lambda: not node.status()["halted"], timeout=60, what="the resume")
    halts = node.wait(lambda: [i for i in node.info({"type": "incidents"})
                               if i["kind"] == "reconciliationHalt"], what="the halt incident")
    assert halts[0]["responsible"] == poster and halts[0]["filed"] is None
    assert "R2" in halts[0]["timeline"][1]["event"]
    slashes = node.wait(lambda: [i for i in node.info({"type": "incidents"})
                                 if i["kind"] == "slash"], what="the slash")
    assert slashes[0]["subject"] == poster and "fraudulentBatch" in str(slashes[0]["timeline"])
    operators = node.info({"type": "operators"})["operators"]
    assert next(o for o in operators if o["address"] == poster)["slashedTotal"] == 1_000

def test_withdraw_on_l2_then_claim_on_l1_with_the_cli(node) -> None:
    key = TRADERS[2]
    url = ["--url", node.url]
    out = cli("l1", "withdraw", "--amount", "101", "--key", key.private_key, *url)
    assert out.returncode == 0, out.stdout + out.stderr

    def carrying() -> int:
        for n in range(1, node.status()["batches"] + 1):
            b = node.info({"type": "batch", "batchNo": n})
            if b["status"] != "reverted" and b["withdrawals"]:
                return n
        return 0
    number = node.wait(carrying, what="the withdrawal to be posted")
    early = cli("l1", "claim", "--key", key.private_key, *url)
    assert "claimed 0 USDC" in early.stdout, early.stdout  # not final yet
    node.advance(60_000)  # the L1 clock follows block time: the window runs out
    node.wait(lambda: node.status()["lastFinalizedBatch"] >= number, what="finality")
    out = cli("l1", "claim", "--key", key.private_key, *url)
    assert out.returncode == 0 and "claimed 100" in out.stdout, out.stdout + out.stderr
    again = cli("l1", "claim", "--key", key.private_key, *url)
    assert "claimed 0" in again.stdout  # nullified: nothing left to claim
    l1 = L1Host(node.l1, readonly=True).l1
    assert l1.wallets[key.address] == 100 * 10**6
    status = node.status()
    assert status["incidents"] == [] and status["revertedBatches"] == 0
