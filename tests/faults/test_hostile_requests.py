"""One signed request from a funded user must never halt the venue: numbers beyond the API's
ranges are refused before they reach a block, the sender's account is unchanged, and another
trader's order is acknowledged right after (against a real `l2perp up`)."""

from __future__ import annotations

import time

import pytest

from tests.support.node_proc import TRADERS, UpProcess

HUGE = "1" + "0" * 29  # a 30-digit number


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile")).start()
    yield up
    up.stop()


def normal_order_is_acknowledged(node: UpProcess) -> None:
    """Another trader's resting bid is acknowledged at once and shows in openOrders."""
    began = time.time()
    answer = node.order(TRADERS[1], 0, True, "90000", "0.001")
    assert answer["status"] == "ok", answer
    oid = answer["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert time.time() - began < 5.0  # acknowledged, not left hanging (a block is 50 ms)
    assert oid in [o["oid"] for o in node.info({"type": "openOrders",
                                                "user": TRADERS[1].address})]
    assert node.send(TRADERS[1], {"type": "cancel", "cancels": [{"a": 0, "o": oid}]})[
        "status"] == "ok"


@pytest.mark.parametrize("order, error", [
    ({"p": HUGE, "s": "0.001"}, "Order has invalid price."),
    ({"p": "90000", "s": HUGE}, "Order has invalid size."),
    ({"p": "0." + "1" * 40, "s": "0.001"}, "Order has invalid price."),
    ({"p": "-" + HUGE, "s": "0.001"}, "Order has invalid price."),
    ({"p": "90000", "s": "1e5"}, "Order has invalid size."),
    ({"p": "1000000000001", "s": "0.001"}, "Order has invalid price."),
    ({"p": "90000", "s": "999999999999999999"}, "Order has invalid size."),
])
def test_an_order_beyond_the_ranges_is_refused_and_the_venue_goes_on(node, order, error) -> None:
    before = node.account(TRADERS[0].address)
    answer = node.send(TRADERS[0], {"type": "order", "orders": [
        {"a": 0, "b": True, "p": order["p"], "s": order["s"], "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"})
    assert answer == {"status": "err", "response": error}
    assert node.account(TRADERS[0].address) == before
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("amount", [HUGE, "1000000000000000000000", "-5", "1.0000001"])
def test_a_usd_send_beyond_the_ranges_is_refused(node, amount) -> None:
    before = node.account(TRADERS[0].address)
    receiver = node.account(TRADERS[2].address)
    answer = node.post(node.usd_send_body(TRADERS[0], TRADERS[2].address, amount)).json()
    assert answer == {"status": "err", "response": "Invalid amount."}
    assert node.account(TRADERS[0].address) == before
    assert node.account(TRADERS[2].address) == receiver
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("action", [
    {"type": "cancel", "cancels": [{"a": 0, "o": 2**63}]},
    {"type": "cancel", "cancels": [{"a": -1, "o": 1}]},
    {"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 2**64 - 1},
    {"type": "updateIsolatedMargin", "asset": 0, "isBuy": True, "ntli": -(2**63)},
    {"type": "scheduleCancel", "time": 2**63},
    {"type": "order", "orders": [{"a": 2**63, "b": True, "p": "1", "s": "1", "r": False,
                                  "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"},
    {"type": "approveAgent", "agentAddress": "0x" + "11" * 20, "agentName": "x" * 10_000,
     "nonce": 1},
])
def test_ids_times_and_leverage_beyond_the_ranges_are_refused(node, action) -> None:
    before = node.account(TRADERS[0].address)
    answer = node.send(TRADERS[0], action)
    assert answer["status"] == "err", answer
    assert node.account(TRADERS[0].address) == before
    normal_order_is_acknowledged(node)


def test_a_nonce_beyond_int64_is_refused(node) -> None:
    body = node.l1_body(TRADERS[0], {"type": "cancel", "cancels": [{"a": 0, "o": 1}]},
                        nonce=2**63)
    answer = node.post(body).json()
    assert answer["status"] == "err"
    normal_order_is_acknowledged(node)


def test_a_noop_uses_its_nonce_once_and_changes_nothing_else(node) -> None:
    """`noop` (the SDK's `Exchange.noop`) burns a nonce: a replay of it, or of any request
    signed with that nonce, is refused; from an unknown key, or beyond the nonce window, it is
    refused too; the account is unchanged and the venue goes on."""
    before = node.account(TRADERS[0].address)
    nonce = node.nonce()
    body = node.l1_body(TRADERS[0], {"type": "noop"}, nonce)
    assert node.post(body).json() == {"status": "ok", "response": {"type": "default"}}
    again = node.post(body).json()
    assert again["status"] == "err" and "nonce" in again["response"], again
    order = node.l1_body(TRADERS[0], {"type": "order", "orders": [
        {"a": 0, "b": True, "p": "90000", "s": "0.001", "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}, nonce)
    refused = node.post(order).json()
    assert refused["status"] == "err" and "nonce" in refused["response"], refused
    far = node.post(node.l1_body(TRADERS[0], {"type": "noop"}, nonce + 10**12)).json()
    assert far["status"] == "err" and "nonce" in far["response"], far
    from types import SimpleNamespace

    from eth_account import Account
    stranger = SimpleNamespace(private_key=Account.create().key.hex())
    unknown = node.post(node.l1_body(stranger, {"type": "noop"})).json()
    assert unknown["status"] == "err" and "does not exist" in unknown["response"], unknown
    assert node.account(TRADERS[0].address) == before
    normal_order_is_acknowledged(node)
