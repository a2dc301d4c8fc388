"""The SDK's Info with its websocket on: subscriptions deliver within a block of the event."""

from __future__ import annotations

import threading
import time

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.server import DevnetServer


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-ws")) as server:
        yield server


def test_subscriptions_fire(devnet) -> None:
    maker_wallet = Account.from_key(devnet.keys[1].private_key)
    taker_wallet = Account.from_key(devnet.keys[2].private_key)
    info = Info(devnet.url, timeout=10)
    seen: dict[str, list] = {}
    events = {name: threading.Event() for name in (
        "l2Book", "trades", "allMids", "user", "userFills", "orderUpdates", "candle",
        "activeAssetCtx")}

    def record(name):
        def callback(message):
            seen.setdefault(name, []).append(message)
            events[name].set()
        return callback

    try:
        info.subscribe({"type": "l2Book", "coin": "ETH"}, record("l2Book"))
        info.subscribe({"type": "trades", "coin": "ETH"}, record("trades"))
        info.subscribe({"type": "allMids"}, record("allMids"))
        info.subscribe({"type": "userEvents", "user": taker_wallet.address}, record("user"))
        info.subscribe({"type": "userFills", "user": taker_wallet.address}, record("userFills"))
        info.subscribe({"type": "orderUpdates", "user": taker_wallet.address},
                       record("orderUpdates"))
        info.subscribe({"type": "candle", "coin": "ETH", "interval": "1m"}, record("candle"))
        info.subscribe({"type": "activeAssetCtx", "coin": "ETH"}, record("activeAssetCtx"))
        time.sleep(0.5)
        Exchange(maker_wallet, devnet.url, timeout=10).order(
            "ETH", False, 1, 3502, {"limit": {"tif": "Gtc"}})
        Exchange(taker_wallet, devnet.url, timeout=10).order(
            "ETH", True, 0.5, 3502, {"limit": {"tif": "Ioc"}})
        for name, event in events.items():
            assert event.wait(5), f"no {name} message"
        trade = seen["trades"][-1]["data"][0]
        assert trade["coin"] == "ETH" and trade["px"] == "3502" and trade["sz"] == "0.5"
        assert seen["user"][-1]["data"]["fills"][0]["side"] == "B"
        assert seen["orderUpdates"][-1]["data"][0]["status"] == "filled"
        assert seen["l2Book"][-1]["data"]["levels"][1][0] == {"px": "3502", "sz": "0.5", "n": 1}
        assert seen["candle"][-1]["data"]["c"] == "3502"
        assert seen["activeAssetCtx"][-1]["data"]["ctx"]["oraclePx"] == "3500"
    finally:
        info.disconnect_websocket()


def test_trades_snapshot_on_subscribe(devnet) -> None:
    """A new `trades` subscriber gets the coin's recent trades at once, oldest first, as
    Hyperliquid sends them (the web app's Trades panel is filled on load)."""
    maker = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url, timeout=10)
    taker = Exchange(Account.from_key(devnet.keys[4].private_key), devnet.url, timeout=10)
    maker.order("SOL", False, 3, 151, {"limit": {"tif": "Gtc"}})
    taker.order("SOL", True, 1, 151, {"limit": {"tif": "Ioc"}})
    taker.order("SOL", True, 2, 151, {"limit": {"tif": "Ioc"}})
    info = Info(devnet.url, timeout=10)
    got: list = []
    arrived = threading.Event()

    def callback(message):
        got.append(message)
        arrived.set()

    try:
        info.subscribe({"type": "trades", "coin": "SOL"}, callback)
        assert arrived.wait(5), "no trades snapshot"
        trades = got[0]["data"]
        assert [t["sz"] for t in trades[-2:]] == ["1", "2"]  # oldest first
        assert all(t["coin"] == "SOL" for t in trades)
        assert trades == sorted(trades, key=lambda t: t["tid"])
    finally:
        info.disconnect_websocket()
