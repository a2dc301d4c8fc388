"""TWAP orders through ccxt's create_twap_order and cancel_twap_order against a real devnet node
(uvicorn, the real sequencer, indexer and rollup), block time moved 30 s at a time with the
admin's devAdvanceTime; state read back through /info (twapStates, userTwapSliceFills,
twapHistory, clearinghouseState) and the userTwapSliceFills / userTwapHistory websocket
channels."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import ccxt
import pytest
import websocket
from hyperliquid.info import Info

from l2perp.node.demo import LEVELS, QUOTE_USD, STEP_E6, valid_pips
from l2perp.node.devnet import START_PRICES_PIPS
from l2perp.units import format_price
from tests.integration.test_ccxt import client
from tests.support.nodes import Signer, info, settle
from tests.support.server import DevnetServer

ETH = "ETH/USDC:USDC"
SOL = "SOL/USDC:USDC"
SLICE_MS = 30_000


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-twap")) as server:
        yield server


def demo_asks(devnet, maker_key, coin: str = "ETH", asset: int = 1, d: int = 4) -> list[int]:
    """The demo market maker's ask ladder (node/demo.py: 5 levels 0.05% apart, $5,000 each)
    around the devnet's start price; its prices in pips."""
    price = START_PRICES_PIPS[coin]
    lots = QUOTE_USD * 10**6 // price
    asks = [valid_pips(price + price * STEP_E6 * level // 1_000_000)
            for level in range(1, LEVELS + 1)]
    orders = [{"a": asset, "b": False, "p": format_price(px, d), "s": str(Decimal(lots) / 10**d),
               "r": False, "t": {"limit": {"tif": "Gtc"}}} for px in asks]
    answer = Signer(devnet, maker_key).send({"type": "order", "orders": orders,
                                             "grouping": "na"})
    assert all("resting" in s for s in answer["response"]["data"]["statuses"]), answer
    return asks


def wait_for(predicate, timeout_s: float = 10.0):
    deadline = time.time() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def slice_oids(devnet, user: str) -> set[int]:
    return {row["fill"]["oid"] for row in info(devnet, "userTwapSliceFills", user=user)}


def test_a_ten_minute_twap_fills_in_twenty_slices_within_its_slippage_bound(devnet) -> None:
    maker, trader_key = devnet.keys[14], devnet.keys[1]
    user = trader_key.address
    asks = demo_asks(devnet, maker)
    admin = Signer(devnet, devnet.keys[0])
    trader = client(devnet, trader_key)
    trader.load_markets()
    order = trader.create_twap_order(ETH, "buy", 2, 10 * 60 * 1000)
    twap_id = int(order["id"])
    states = info(devnet, "twapStates", user=user)
    assert [s[0] for s in states] == [twap_id]
    state = states[0][1]
    assert (state["coin"], state["side"], state["sz"], state["minutes"], state["reduceOnly"],
            state["randomize"], state["user"]) == ("ETH", "B", "2", 10, False, False, user)
    wait_for(lambda: len(slice_oids(devnet, user)) == 1)  # the first slice is due at once
    for k in range(2, 21):
        assert admin.send({"type": "devAdvanceTime", "ms": SLICE_MS})["status"] == "ok"
        wait_for(lambda: len(slice_oids(devnet, user)) == k)
    settle(devnet)
    assert info(devnet, "twapStates", user=user) == []
    rows = info(devnet, "userTwapSliceFills", user=user)
    assert Info(devnet.url, skip_ws=True, timeout=10).user_twap_slice_fills(user) == rows
    assert {r["twapId"] for r in rows} == {twap_id} and all(
        r["fill"]["twapId"] == twap_id for r in rows)
    assert [r["fill"]["tid"] for r in rows] == sorted((r["fill"]["tid"] for r in rows),
                                                      reverse=True)  # newest first
    by_slice: dict[int, list] = {}
    for r in rows:
        by_slice.setdefault(r["fill"]["oid"], []).append(r["fill"])
    assert len(by_slice) == 20
    assert sum(Decimal(r["fill"]["sz"]) for r in rows) == 2
    # the normal slice is 2 / 20 = 0.1 ETH: every slice filled exactly that
    assert all(sum(Decimal(f["sz"]) for f in fills) == Decimal("0.1")
               for fills in by_slice.values())
    reference = Decimal(START_PRICES_PIPS["ETH"]) / 100  # the pinned mark, $3,500
    assert all(Decimal(r["fill"]["px"]) <= reference * Decimal("1.03") for r in rows)
    assert {Decimal(r["fill"]["px"]) for r in rows} <= {Decimal(px) / 100 for px in asks[:2]}
    starts = sorted(min(f["time"] for f in fills) for fills in by_slice.values())
    assert all(b - a >= SLICE_MS for a, b in zip(starts, starts[1:]))
    history = info(devnet, "twapHistory", user=user)
    assert [(h["status"]["status"], h["status"]["description"]) for h in history] == [
        ("finished", "Filled."), ("activated", "")]
    assert history[0]["state"]["executedSz"] == "2" and history[0]["twapId"] == twap_id
    notional = sum(Decimal(r["fill"]["px"]) * Decimal(r["fill"]["sz"]) for r in rows)
    assert Decimal(history[0]["state"]["executedNtl"]) == notional
    position = info(devnet, "clearinghouseState", user=user)["assetPositions"][0]["position"]
    assert (position["coin"], position["szi"]) == ("ETH", "2")


def test_cancel_twap_order_stops_it_and_a_second_cancel_is_not_found(devnet) -> None:
    trader_key = devnet.keys[2]
    user = trader_key.address
    trader = client(devnet, trader_key)
    trader.load_markets()
    order = trader.create_twap_order(SOL, "sell", 20, 30 * 60 * 1000, {"randomize": True})
    twap_id = int(order["id"])
    state = info(devnet, "twapStates", user=user)[0]
    assert state[0] == twap_id and state[1]["randomize"] is True and state[1]["side"] == "A"
    assert info(devnet, "twapStates", user=devnet.keys[3].address) == []
    canceled = trader.cancel_twap_order(order["id"], SOL)
    assert canceled["id"] == order["id"]
    assert info(devnet, "twapStates", user=user) == []
    with pytest.raises(ccxt.OrderNotFound, match="TWAP was never placed"):
        trader.cancel_twap_order(order["id"], SOL)
    history = info(devnet, "twapHistory", user=user)
    assert [h["status"]["status"] for h in history] == ["terminated", "activated"]
    assert history[0]["status"]["description"] == "Canceled by user."
    # nothing traded (the SOL book is empty): no slice fills, no position
    assert info(devnet, "userTwapSliceFills", user=user) == []
    assert info(devnet, "clearinghouseState", user=user)["assetPositions"] == []


def test_a_too_small_twap_is_refused_with_hyperliquids_text(devnet) -> None:
    trader = client(devnet, devnet.keys[3])
    trader.load_markets()
    # ccxt knows the text for 120 minutes ($1200) and maps it to InvalidOrder
    with pytest.raises(ccxt.InvalidOrder, match=r"Min is \$1200, which is \$10 per minute"):
        trader.create_twap_order(ETH, "buy", 0.34, 120 * 60 * 1000)  # $1,190
    with pytest.raises(ccxt.ExchangeError, match=r"Min is \$50, which is \$10 per minute"):
        trader.create_twap_order(ETH, "buy", 0.0142, 5 * 60 * 1000)  # $49.70
    assert info(devnet, "twapStates", user=devnet.keys[3].address) == []


def test_websocket_channels_send_slice_fills_and_history(devnet) -> None:
    maker, trader_key = devnet.keys[15], devnet.keys[4]
    user = trader_key.address
    demo_asks(devnet, maker, "OP", 3, 1)
    ws = websocket.create_connection(devnet.url.replace("http", "ws") + "/ws", timeout=10)
    try:
        for kind in ("userTwapSliceFills", "userTwapHistory"):
            ws.send(json.dumps({"method": "subscribe",
                                "subscription": {"type": kind, "user": user}}))
        seen: dict[str, list] = {"userTwapSliceFills": [], "userTwapHistory": []}
        trader = client(devnet, trader_key)
        trader.load_markets()
        order = trader.create_twap_order("OP/USDC:USDC", "buy", 100, 5 * 60 * 1000)
        deadline = time.time() + 10
        while not all(any(not d["isSnapshot"] for d in got) for got in seen.values()):
            assert time.time() < deadline, seen
            message = json.loads(ws.recv())
            if message["channel"] in seen:
                seen[message["channel"]].append(message["data"])
        assert [d for d in seen["userTwapSliceFills"] if d["isSnapshot"]] == [
            {"isSnapshot": True, "user": user, "twapSliceFills": []}]
        snapshots = [d for d in seen["userTwapHistory"] if d["isSnapshot"]]
        assert snapshots == [{"isSnapshot": True, "user": user, "history": []}]
        live = [h for d in seen["userTwapHistory"] if not d["isSnapshot"] for h in d["history"]]
        assert live[0]["status"]["status"] == "activated"
        assert live[0]["twapId"] == int(order["id"]) and live[0]["state"]["sz"] == "100"
        fills = [f for d in seen["userTwapSliceFills"] if not d["isSnapshot"]
                 for f in d["twapSliceFills"]]
        assert fills and all(f["twapId"] == int(order["id"]) for f in fills)
        assert sum(Decimal(f["fill"]["sz"]) for f in fills) == 10  # the first slice: 100 / 10
    finally:
        ws.close()
