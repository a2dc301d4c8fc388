"""Hostile twapOrder and twapCancel requests against a real `l2perp up`: durations, sizes and
assets out of range or of the wrong type, another user's TWAP id, unknown ids, a replayed nonce.
Each is refused with Hyperliquid's text (a whole-request `err` when the body is malformed, the
TWAP status's `error` when the order breaks a rule), leaves the sender's account and TWAPs
unchanged, and the venue keeps producing blocks and acknowledging orders."""

from __future__ import annotations

import pytest

from tests.faults.test_hostile_requests import HUGE, normal_order_is_acknowledged
from tests.support.node_proc import TRADERS, UpProcess

ETH = 1  # szDecimals 4; start price $3,500 pinned; no ETH asks, so slices never fill here
TOO_SMALL = "TWAP order value too small. Min is ${}, which is $10 per minute."
NOT_FOUND = "TWAP was never placed, already canceled, or filled."
DURATION = "TWAP duration must be between 5 and 1440 minutes."


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile-twap")).start()
    yield up
    up.stop()


def twap(sz: object = "1", minutes: object = 5, asset: object = ETH, **fields) -> dict:
    return {"type": "twapOrder", "twap": {"a": asset, "b": True, "s": sz, "r": False,
                                          "m": minutes, "t": False, **fields}}


def status_error(text: str) -> dict:
    return {"status": "ok", "response": {"type": "twapOrder", "data": {"status": {
        "error": text}}}}


def running(node: UpProcess, key) -> list:
    return node.info({"type": "twapStates", "user": key.address})


def refused_and_the_venue_goes_on(node: UpProcess, action: dict, expected: dict,
                                  key=TRADERS[0]) -> None:
    before = node.account(key.address), running(node, key)
    assert node.send(key, action) == expected
    assert (node.account(key.address), running(node, key)) == before
    node.wait_blocks()
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("minutes, expected", [
    (0, status_error(DURATION)),
    (4, status_error(DURATION)),
    (1441, status_error(DURATION)),
    (2**64 - 1, {"status": "err", "response": "Invalid minutes: out of range"}),
    (-5, {"status": "err", "response": "Invalid minutes: out of range"}),
    (5.5, {"status": "err", "response": "Invalid minutes: 5.5"}),
    ("5", {"status": "err", "response": "Invalid minutes: '5'"}),
    (True, {"status": "err", "response": "Invalid minutes: True"}),
])
def test_a_duration_out_of_range_or_of_the_wrong_type_is_refused(node, minutes, expected) -> None:
    refused_and_the_venue_goes_on(node, twap(minutes=minutes), expected)


@pytest.mark.parametrize("sz, expected", [
    ("0", status_error("Order has zero size.")),
    ("-1", status_error("Order has invalid size.")),
    ("0.00001", status_error("Order has invalid size.")),  # ETH has 4 size decimals
    ("0.0142", status_error(TOO_SMALL.format(50))),  # $49.70 over 5 minutes
    (HUGE, {"status": "err", "response": "Order has invalid size."}),
    ("1e5", {"status": "err", "response": "Order has invalid size."}),
    ("0." + "1" * 40, {"status": "err", "response": "Order has invalid size."}),
    (1.5, {"status": "err", "response": "Order has invalid size."}),
    (None, {"status": "err", "response": "Order has invalid size."}),
])
def test_a_size_out_of_range_or_of_the_wrong_type_is_refused(node, sz, expected) -> None:
    refused_and_the_venue_goes_on(node, twap(sz=sz), expected)


@pytest.mark.parametrize("action, expected", [
    (twap(asset=99), status_error("Unknown asset 99.")),
    (twap(asset=2**63), {"status": "err", "response": "Invalid asset: out of range"}),
    (twap(asset=-1), {"status": "err", "response": "Invalid asset: out of range"}),
    (twap(b="yes"), {"status": "err", "response": "Invalid side: 'yes'"}),
    (twap(t=1), {"status": "err", "response": "Invalid randomize: 1"}),
    (twap(r=None), {"status": "err", "response": "Invalid reduceOnly: None"}),
    ({"type": "twapOrder", "twap": [1, True]}, {"status": "err", "response": "Invalid twap"}),
    ({"type": "twapOrder"}, {"status": "err",
                             "response": "Invalid twapOrder action: 'twap'"}),
    (twap(r=True), status_error("Reduce-only TWAP order would increase position.")),
])
def test_other_malformed_twap_orders_are_refused(node, action, expected) -> None:
    refused_and_the_venue_goes_on(node, action, expected)


def test_cancels_of_other_users_unknown_and_huge_ids_are_refused(node) -> None:
    owner, other = TRADERS[2], TRADERS[3]
    placed = node.send(owner, twap(sz="1", minutes=30))
    twap_id = placed["response"]["data"]["status"]["running"]["twapId"]
    assert [s[0] for s in running(node, owner)] == [twap_id]
    not_found = {"status": "ok", "response": {"type": "twapCancel", "data": {"status": {
        "error": NOT_FOUND}}}}
    for action, expected in [
        ({"type": "twapCancel", "a": ETH, "t": twap_id}, not_found),  # another user's TWAP
        ({"type": "twapCancel", "a": ETH, "t": twap_id + 1_000}, not_found),  # never placed
        ({"type": "twapCancel", "a": 0, "t": twap_id}, not_found),  # another asset
        ({"type": "twapCancel", "a": ETH, "t": 2**63},
         {"status": "err", "response": "Invalid twapId: out of range"}),
        ({"type": "twapCancel", "a": ETH, "t": -1},
         {"status": "err", "response": "Invalid twapId: out of range"}),
        ({"type": "twapCancel", "a": ETH, "t": "1"},
         {"status": "err", "response": "Invalid twapId: '1'"}),
    ]:
        refused_and_the_venue_goes_on(node, action, expected, key=other)
        assert [s[0] for s in running(node, owner)] == [twap_id]  # still running
    done = node.send(owner, {"type": "twapCancel", "a": ETH, "t": twap_id})
    assert done == {"status": "ok", "response": {"type": "twapCancel",
                                                 "data": {"status": "success"}}}
    assert running(node, owner) == []


def test_a_replayed_twap_order_is_refused_and_places_nothing(node) -> None:
    key = TRADERS[4]
    nonce = node.nonce()
    body = node.l1_body(key, twap(sz="1", minutes=10), nonce)
    placed = node.post(body).json()
    twap_id = placed["response"]["data"]["status"]["running"]["twapId"]
    replayed = node.post(body).json()
    assert replayed == {"status": "err",
                        "response": f"Invalid nonce: duplicate nonce {nonce}"}
    assert [s[0] for s in running(node, key)] == [twap_id]
    cancel = node.l1_body(key, {"type": "twapCancel", "a": ETH, "t": twap_id}, nonce)
    assert node.post(cancel).json()["status"] == "err"  # its nonce is used up too
    assert [s[0] for s in running(node, key)] == [twap_id]
    node.wait_blocks()
    normal_order_is_acknowledged(node)
