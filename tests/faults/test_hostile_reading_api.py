"""Hostile requests against the reading API and the devnet fault cheats, on a real `l2perp up`:
portfolio and activeAssetData with missing, mistyped, huge and foreign fields; webData2 and
activeAssetData subscriptions with bad fields; fault actions replayed, unbounded, mistyped or
signed by a trader; a 429 fault aimed at one address. Each is refused with its text (or
answered as the rules say), changes nothing, and the venue goes on producing blocks and
acknowledging another trader's order."""

from __future__ import annotations

import json

import pytest
import requests
from websocket import create_connection

from tests.faults.test_hostile_requests import normal_order_is_acknowledged
from tests.support.node_proc import KEYS, TRADERS, UpProcess

PREFIX = "Failed to deserialize the JSON body into the target type: "


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile-reading")).start()
    yield up
    up.stop()


def info_status(node: UpProcess, body: object) -> tuple[int, object]:
    reply = requests.post(node.url + "/info", json=body, timeout=10)
    return reply.status_code, reply.json()


@pytest.mark.parametrize("body, reason", [
    ({"type": "portfolio"}, "missing user"),
    ({"type": "portfolio", "user": 12345}, "missing user"),
    ({"type": "portfolio", "user": "0x" + "1" * 10_000}, "missing user"),
    ({"type": "portfolio", "user": ["0x" + "11" * 20]}, "missing user"),
    ({"type": "activeAssetData", "user": "0x" + "11" * 20}, "unknown coin None"),
    ({"type": "activeAssetData", "user": "0x" + "11" * 20, "coin": "X" * 10_000}, None),
    ({"type": "activeAssetData", "user": "0x" + "11" * 20, "coin": 0}, "unknown coin 0"),
    ({"type": "activeAssetData", "coin": "BTC"}, "missing user"),
])
def test_bad_reading_requests_get_422_and_the_venue_goes_on(node, body, reason) -> None:
    status, answer = info_status(node, body)
    assert status == 422 and set(answer) == {"code", "msg"}
    assert answer["msg"].startswith(PREFIX)
    if reason is not None:
        assert answer["msg"] == PREFIX + reason
    node.wait_blocks(2)
    normal_order_is_acknowledged(node)


def test_another_users_reading_is_public_and_read_only(node) -> None:
    """As on Hyperliquid, anyone may read any address's portfolio; reading changes nothing."""
    victim = TRADERS[2].address
    before = node.account(victim)
    status, answer = info_status(node, {"type": "portfolio", "user": victim.upper().replace(
        "0X", "0x")})
    assert status == 200 and [name for name, _ in answer][:4] == ["day", "week", "month",
                                                                  "allTime"]
    assert answer[0][1]["accountValueHistory"][-1][1] == "1000000"
    status, data = info_status(node, {"type": "activeAssetData", "user": victim, "coin": "BTC"})
    assert status == 200 and data["user"] == victim.lower()
    assert node.account(victim) == before


@pytest.mark.parametrize("subscription, error", [
    ({"type": "webData2"}, "unsupported subscription: user must be a string"),
    ({"type": "webData2", "user": 7}, "unsupported subscription: user must be a string"),
    ({"type": "webData2", "user": "0x" + "a" * 200},
     "unsupported subscription: user must be a string"),
    ({"type": "activeAssetData", "user": "0x" + "11" * 20},
     "unsupported subscription: coin must be a string"),
    ({"type": "activeAssetData", "coin": "BTC", "user": None},
     "unsupported subscription: user must be a string"),
])
def test_bad_user_data_subscriptions_are_answered_on_the_error_channel(node, subscription,
                                                                        error) -> None:
    ws = create_connection(node.url.replace("http", "ws") + "/ws", timeout=10)
    try:
        ws.send(json.dumps({"method": "subscribe", "subscription": subscription}))
        assert json.loads(ws.recv()) == {"channel": "error", "data": error}
        ws.send(json.dumps({"method": "ping"}))
        assert json.loads(ws.recv()) == {"channel": "pong"}  # the connection still serves
    finally:
        ws.close()
    node.wait_blocks(2)


def test_an_unknown_coin_subscription_sends_nothing_but_its_acknowledgement(node) -> None:
    ws = create_connection(node.url.replace("http", "ws") + "/ws", timeout=10)
    try:
        sub = {"type": "activeAssetData", "user": TRADERS[0].address, "coin": "NOPE"}
        ws.send(json.dumps({"method": "subscribe", "subscription": sub}))
        assert json.loads(ws.recv())["channel"] == "subscriptionResponse"
        node.wait_blocks(3)
        ws.send(json.dumps({"method": "ping"}))
        assert json.loads(ws.recv()) == {"channel": "pong"}  # no activeAssetData came first
    finally:
        ws.close()


@pytest.mark.parametrize("action", [
    {"type": "devPostOnly", "seconds": 0},
    {"type": "devPostOnly", "seconds": -1},
    {"type": "devPostOnly", "seconds": 2**64 - 1},  # the largest a signed client can send
    {"type": "devPostOnly", "seconds": "10"},
    {"type": "devPostOnly", "seconds": None},
    {"type": "devDelayAcks", "ms": 2**63 - 1, "seconds": 10},
    {"type": "devDelayAcks", "ms": -100, "seconds": 10},
    {"type": "devDelayAcks", "ms": 100},
    {"type": "devRateLimitUser", "user": TRADERS[1].address, "seconds": 86_400},
    {"type": "devRateLimitUser", "user": "not an address", "seconds": 10},
    {"type": "devRateLimitUser", "seconds": 10},
])
def test_unbounded_or_mistyped_faults_are_refused(node, action) -> None:
    answer = node.send(KEYS["admin"], action)
    assert answer["status"] == "err", answer
    normal_order_is_acknowledged(node)  # no post-only mode, no 429, no delay followed


@pytest.mark.parametrize("action", [
    {"type": "devDropWebsockets"},
    {"type": "devPostOnly", "seconds": 60},
    {"type": "devDelayAcks", "ms": 5_000, "seconds": 60},
    {"type": "devRateLimitUser", "user": TRADERS[1].address, "seconds": 60},
])
def test_a_trader_cannot_switch_a_fault_on(node, action) -> None:
    answer = node.send(TRADERS[0], action)
    assert answer == {"status": "err", "response": "Only the admin key may send this action."}
    normal_order_is_acknowledged(node)  # TRADERS[1] is not limited, nothing is post-only


def test_a_replayed_fault_is_refused(node) -> None:
    body = node.l1_body(KEYS["admin"], {"type": "devDropWebsockets"})
    assert node.post(body).json() == {"status": "ok", "response": {"type": "default"}}
    again = node.post(body).json()
    assert again["status"] == "err" and "nonce" in again["response"], again
    node.wait_blocks(2)


def test_a_429_fault_on_one_address_leaves_everyone_else_served(node) -> None:
    target = TRADERS[3]
    assert node.send(KEYS["admin"], {"type": "devRateLimitUser", "user": target.address,
                                     "seconds": 2})["status"] == "ok"
    before = node.account(target.address)
    refused = node.post(node.l1_body(target, {"type": "order", "orders": [
        {"a": 0, "b": True, "p": "90000", "s": "0.001", "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}))
    assert refused.status_code == 429
    assert refused.json() == {"code": 429, "msg": "Too many requests: rate limited by IP "
                                                  "weight (1200 per minute)"}
    garbage = node.post({"action": {"type": "order"}, "nonce": 1, "signature": {}})
    assert garbage.status_code == 200  # unsigned junk is refused as junk, not as the target
    status, _ = info_status(node, {"type": "clearinghouseState", "user": target.address})
    assert status == 200  # reading is not the fault's business
    assert node.account(target.address) == before
    normal_order_is_acknowledged(node)
