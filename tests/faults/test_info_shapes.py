"""/info with bodies of any shape, against a real node behind a real uvicorn: every refusal is a
4xx JSON {code, msg} (the SDK's ClientError), nothing is a 5xx or plain text, and the node keeps
building blocks; an unexpected failure is a 500 JSON whose errorId names the logged traceback."""

from __future__ import annotations

import logging

import pytest
import requests
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError

from l2perp.api.info_types import INFO_TYPES
from tests.support.server import wait_for_blocks

CORE_INFO = ["meta", "spotMeta", "allMids", "l2Book", "clearinghouseState",
             "spotClearinghouseState", "openOrders", "frontendOpenOrders", "metaAndAssetCtxs",
             "spotMetaAndAssetCtxs", "exchangeStatus", "perpDexs", "userAbstraction",
             "userFills", "userFillsByTime", "fundingHistory", "userFunding", "candleSnapshot",
             "l2perpStatus", "orderStatus"]
ALL_INFO = list(INFO_TYPES)
NUMERIC_FIELDS = ["oid", "startTime", "endTime", "from", "batchNo", "batch", "height",
                  "proposal", "id"]


def _deep(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


HOSTILE = [{"a": 1}, [1, 2], _deep(900), 10**40, 2**63, 2**64 - 1, -1, 1.5, True, None,
           "1700000000000", "x" * 10_000, {"$gt": 0}]


def _assert_refused_as_json(reply: requests.Response, what: object) -> None:
    assert reply.status_code in (200, 422), (what, reply.status_code, reply.text[:300])
    assert reply.headers["content-type"] == "application/json", (what, reply.text[:300])
    if reply.status_code == 422:
        body = reply.json()
        assert set(body) == {"code", "msg"} and body["code"] == 422, (what, body)
        assert body["msg"].startswith("Failed to deserialize the JSON body into the target type")


def test_bodies_that_are_not_info_requests_get_422_json(served) -> None:
    devnet = served()
    session = requests.Session()
    raw_bodies = [b"", b"not json", b"[1, 2]", b'"allMids"', b"12", b"null", b"true",
                  b'{"type": 1e400}', b"[" * 5_000 + b"]" * 5_000,
                  b'{"type":' + b"[" * 900 + b"]" * 900 + b"}", b"\xff\xfe"]
    for raw in raw_bodies:
        reply = session.post(devnet.url + "/info", data=raw, timeout=10)
        assert reply.status_code == 422, (raw[:40], reply.text)
        _assert_refused_as_json(reply, raw[:40])
    for kind in [{"a": 1}, ["allMids"], 7, 10**40, True, None, _deep(900)]:
        reply = session.post(devnet.url + "/info", json={"type": kind}, timeout=10)
        assert reply.status_code == 422, (kind, reply.text)
        _assert_refused_as_json(reply, kind)
    wait_for_blocks(devnet)


def test_times_out_of_int64_or_of_the_wrong_type_are_refused(served) -> None:
    devnet = served()
    user = devnet.keys[1].address
    bad_times = [2**63, 2**63 - 1, 2**64 - 1, 10**40, -1, 1.5, "0", [0], {"t": 0}, True]
    for t in bad_times:
        for key in ("startTime", "endTime"):
            for body in ({"type": "candleSnapshot",
                          "req": {"coin": "BTC", "interval": "1m", "startTime": 0, key: t}},
                         {"type": "userFillsByTime", "user": user, key: t},
                         {"type": "fundingHistory", "coin": "BTC", "startTime": 0, key: t},
                         {"type": "userFunding", "user": user, key: t},
                         {"type": "userNonFundingLedgerUpdates", "user": user, "startTime": 0,
                          key: t}):
                reply = requests.post(devnet.url + "/info", json=body, timeout=10)
                assert reply.status_code == 422, (body, reply.text)
                assert f"invalid {key}" in reply.json()["msg"]
    reply = requests.post(devnet.url + "/info", json={
        "type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": 0,
                                          "endTime": 2**63 - 2}}, timeout=10)
    assert reply.status_code == 200 and reply.json() == []  # the largest time accepted
    wait_for_blocks(devnet)


def test_every_info_type_survives_hostile_fields(served, caplog) -> None:
    devnet = served()
    session = requests.Session()
    user = devnet.keys[1].address
    for kind in ALL_INFO:
        for value in HOSTILE:
            everything = {"type": kind, "coin": value, "user": value, "req": value,
                          "interval": value, **{k: value for k in NUMERIC_FIELDS}}
            numbers = {"type": kind, "coin": "BTC", "user": user,
                       "req": {"coin": "BTC", "interval": "1m", "startTime": value,
                               "endTime": value}, **{k: value for k in NUMERIC_FIELDS}}
            for body in (everything, numbers):
                _assert_refused_as_json(session.post(devnet.url + "/info", json=body,
                                                     timeout=10), (kind, value))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    wait_for_blocks(devnet)


def test_the_sdk_reads_a_refusal_as_a_client_error(served) -> None:
    devnet = served()
    info = Info(devnet.url, skip_ws=True, timeout=5)
    with pytest.raises(ClientError) as refused:
        info.post("/info", {"type": "candleSnapshot", "req": {
            "coin": "BTC", "interval": "1m", "startTime": 0, "endTime": 2**63}})
    assert refused.value.status_code == 422 and refused.value.error_code == 422
    assert "invalid endTime" in refused.value.error_message


def test_an_unexpected_failure_is_a_logged_500_with_an_error_id(served, caplog) -> None:
    def add_failing_route(app) -> None:
        @app.post("/faults/divide")
        async def divide() -> None:
            return 1 // 0  # a genuine bug in a handler

    devnet = served(on_app=add_failing_route)
    with caplog.at_level(logging.ERROR, logger="l2perp.api"):
        reply = requests.post(devnet.url + "/faults/divide", json={}, timeout=10)
    assert reply.status_code == 500 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) == {"code", "msg", "errorId"} and body["code"] == 500
    assert body["msg"] == "internal error" and len(body["errorId"]) == 16
    logged = [r for r in caplog.records if body["errorId"] in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info[0] is ZeroDivisionError
    assert "/faults/divide" in logged[0].getMessage()
    wait_for_blocks(devnet)  # the node never noticed
    assert requests.post(devnet.url + "/info", json={"type": "allMids"},
                         timeout=5).status_code == 200


def test_the_registry_serves_every_core_hyperliquid_type() -> None:
    assert set(CORE_INFO) <= set(INFO_TYPES)
