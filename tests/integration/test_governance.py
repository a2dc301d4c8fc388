"""Governance end to end through the node: SDK-signed L1 actions over HTTP drive a margin-tier
proposal from creation to execution (the next order meets the new requirement), and a guardian
pause that takes effect at exactly M of N signatures and stops new orders on its market."""

from __future__ import annotations

import time

import pytest
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.server import DevnetServer, Signer

DAY_MS = 86_400_000
TIERS = [["setRiskParam", "0.tier1.maxLeverage", 5], ["setRiskParam", "0.tier0.maxLeverage", 10]]


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-gov")) as server:
        yield server


def info(devnet, kind: str, **kw) -> object:
    reply = requests.post(devnet.url + "/info", json={"type": kind, **kw}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def settle(devnet) -> None:
    """Let the node build the next blocks."""
    height = devnet.node.state.height
    deadline = time.time() + 10
    while devnet.node.state.height < height + 2 and time.time() < deadline:
        time.sleep(0.02)


def big_bid(exchange: Exchange) -> dict:
    """A resting BTC bid of $20M notional: $500k of margin at 40x, $2M at 10x."""
    return exchange.order("BTC", True, 400, 50_000, {"limit": {"tif": "Alo"}})


def test_a_margin_tier_proposal_runs_its_lifecycle_and_binds_the_next_order(devnet) -> None:
    traders = [k for k in devnet.keys if k.role == "trader"]
    admin = Signer(devnet, devnet.keys[0])
    proposer, second, trader = (Signer(devnet, k) for k in traders[:3])
    sdk_info = Info(devnet.url, skip_ws=True, timeout=10)
    assert trader.exchange.update_leverage(40, "BTC")["status"] == "ok"
    before = big_bid(trader.exchange)
    status = before["response"]["data"]["statuses"][0]
    assert "resting" in status, before  # fits at 40x
    trader.exchange.cancel("BTC", status["resting"]["oid"])

    assert proposer.send({"type": "govPropose", "actions": TIERS})["status"] == "ok"
    settle(devnet)
    row = info(devnet, "govProposals")[0]
    pid = row["id"]
    assert row["state"] == "Pending" and row["lane"] == "standard"
    assert admin.send({"type": "devAdvanceTime", "ms": DAY_MS + 1_000})["status"] == "ok"
    settle(devnet)
    assert info(devnet, "govProposal", proposal=pid)["state"] == "Active"
    for voter in (proposer, second):
        assert voter.send({"type": "govVote", "proposal": pid, "support": 1})["status"] == "ok"
    settle(devnet)
    tally = info(devnet, "govProposal", proposal=pid)["votes"]
    assert tally == {"against": 0, "for": 200_000, "abstain": 0}
    assert {v["voter"] for v in info(devnet, "govVotes", proposal=pid)} == {
        proposer.address.lower(), second.address.lower()}
    early = second.send({"type": "govQueue", "proposal": pid, "actions": TIERS})
    assert early["status"] == "err" and "has not succeeded" in early["response"]
    assert admin.send({"type": "devAdvanceTime", "ms": 4 * DAY_MS})["status"] == "ok"
    settle(devnet)
    assert info(devnet, "govProposal", proposal=pid)["state"] == "Succeeded"
    assert second.send({"type": "govQueue", "proposal": pid, "actions": TIERS})["status"] == "ok"
    settle(devnet)
    queued = info(devnet, "govProposal", proposal=pid)
    assert queued["state"] == "Queued" and queued["eta"] > devnet.node.state.time_ms
    too_soon = second.send({"type": "govExecute", "proposal": pid, "actions": TIERS})
    assert too_soon["status"] == "err" and "timelock" in too_soon["response"]
    assert sdk_info.meta()["universe"][0]["maxLeverage"] == 40
    assert admin.send({"type": "devAdvanceTime", "ms": 2 * DAY_MS})["status"] == "ok"
    settle(devnet)
    assert second.send({"type": "govExecute", "proposal": pid,
                        "actions": TIERS})["status"] == "ok"
    settle(devnet)
    assert info(devnet, "govProposal", proposal=pid)["state"] == "Executed"
    assert sdk_info.meta()["universe"][0]["maxLeverage"] == 10
    after = big_bid(trader.exchange)["response"]["data"]["statuses"][0]
    assert "error" in after and "margin" in after["error"].lower(), after
    params = info(devnet, "govParams")["params"]
    assert params["0.tier0.maxLeverage"] == 10 and params["0.tier1.maxLeverage"] == 5


def test_a_guardian_pause_takes_m_of_n_signatures_and_stops_orders(devnet) -> None:
    traders = [k for k in devnet.keys if k.role == "trader"]
    g1, g2 = Signer(devnet, traders[7]), Signer(devnet, traders[8])
    trader = Signer(devnet, traders[4])
    guardians = info(devnet, "guardians")
    assert guardians["threshold"] == 2 and len(guardians["members"]) == 3
    nonce = guardians["nextNonce"]
    pause = {"type": "guardianSign", "nonce": nonce, "kind": "pauseMarket", "args": [1]}
    assert g1.send(pause)["status"] == "ok"
    settle(devnet)
    one = trader.exchange.order("ETH", True, 1, 3_000, {"limit": {"tif": "Alo"}})
    assert "resting" in one["response"]["data"]["statuses"][0]  # one signature: no effect
    stranger = Signer(devnet, traders[5]).send(pause)
    assert stranger["status"] == "err" and "no guardian seat" in stranger["response"]
    assert g2.send(pause)["status"] == "ok"
    settle(devnet)
    refused = trader.exchange.order("ETH", True, 1, 3_000, {"limit": {"tif": "Alo"}})
    assert "error" in refused["response"]["data"]["statuses"][0], refused
    action = info(devnet, "guardians")["actions"][0]
    assert action["inForce"] and action["signers"] == [g1.address.lower(), g2.address.lower()]
    incident = info(devnet, "incidents")[0]
    assert incident["kind"] == "guardianAction" and incident["filed"] is None
    assert g1.send({"type": "incidentReport", "incident": incident["id"],
                    "text": "ETH paused: drill"})["status"] == "ok"
    settle(devnet)
    assert info(devnet, "incidents")[0]["filedBy"] == g1.address.lower()
