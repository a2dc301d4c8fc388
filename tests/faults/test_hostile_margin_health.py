"""Hostile marginHealth queries and subscriptions against a real `l2perp up`: malformed users
and thresholds are refused with a clear text, and the venue goes on producing blocks."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from tests.faults.test_hostile_requests import normal_order_is_acknowledged
from tests.support.node_proc import TRADERS, UpProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile-health")).start()
    yield up
    up.stop()


@pytest.mark.parametrize("body", [
    {"type": "marginHealth"}, {"type": "marginHealth", "user": 12},
    {"type": "marginHealth", "user": "0x" + "1" * 100_000},
    {"type": "marginHealth", "user": ["0x" + "11" * 20]},
])
def test_malformed_health_queries_get_422(node, body) -> None:
    reply = node.post_info(body)
    assert reply.status_code == 422, reply.text[:200]
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("thresholds", [
    [], [0], [1001], [-5], [50.5], ["80"], list(range(1, 12)), "50", {"a": 1}, [True],
    [2**70],
])
def test_malformed_thresholds_are_refused_at_subscribe(node, thresholds) -> None:
    url = node.url.replace("http", "ws") + "/ws"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"method": "subscribe", "subscription": {
            "type": "marginHealth", "user": TRADERS[0].address, "thresholds": thresholds}}))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["channel"] == "error", answer
        assert "thresholds" in answer["data"]
        ws.send(json.dumps({"method": "subscribe", "subscription": {
            "type": "marginHealth", "user": TRADERS[0].address}}))
        assert json.loads(ws.recv(timeout=10))["channel"] == "subscriptionResponse"
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["channel"] == "marginHealth" and snapshot["data"]["isSnapshot"]
    normal_order_is_acknowledged(node)
