"""Margin alerts against a real node: the `marginHealth` info type and websocket channel. In a
stepped crash, a leveraged long is told it crossed 50% and 80% of its maintenance margin before
the block that liquidates it, and the lead time is measured in block time."""

from __future__ import annotations

import json
import time

import pytest
import websocket
from eth_account import Account
from hyperliquid.exchange import Exchange

from tests.support.server import DevnetServer, info


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-alerts")) as server:
        yield server


def fresh_trader(devnet, usd: int):
    """A new wallet holding `usd` USDC (sent from a devnet key), and its SDK Exchange."""
    wallet = Account.create()
    sender = Exchange(Account.from_key(devnet.keys[9].private_key), devnet.url, timeout=10)
    assert sender.usd_transfer(usd, wallet.address)["status"] == "ok"
    return wallet.address.lower(), Exchange(wallet, devnet.url, timeout=10)


def test_health_names_the_waterfalls_stages_in_order(devnet) -> None:
    me, trader = fresh_trader(devnet, 1_000)
    maker = Exchange(Account.from_key(devnet.keys[6].private_key), devnet.url, timeout=10)
    assert trader.update_leverage(10, "ETH")["status"] == "ok"
    maker.order("ETH", False, 2, 3500, {"limit": {"tif": "Gtc"}})
    assert "filled" in str(trader.order("ETH", True, 2, 3500, {"limit": {"tif": "Ioc"}}))
    # $7,000 of ETH on $1,000: liquidation about 13% below
    health = info(devnet, {"type": "marginHealth", "user": me})
    assert [u["unit"] for u in health["units"]] == ["cross"]
    position = health["positions"][0]
    stages = {k: float(v) for k, v in position["stages"].items()}
    mark = float(position["markPx"])
    # a long: the book takes it first, the backstop lower, bankruptcy lower still
    assert mark > stages["liquidation"] > stages["backstop"] > stages["bankruptcy"] > 0
    assert float(position["distanceToLiquidationPct"]) > 0
    assert info(devnet, {"type": "marginHealth", "user": "0x" + "12" * 20})["positions"] == []


def test_alerts_arrive_before_the_liquidation(devnet) -> None:
    me, trader = fresh_trader(devnet, 500)
    maker = Exchange(Account.from_key(devnet.keys[8].private_key), devnet.url, timeout=10)
    # isolated SOL at 20x: $7,500 on $375 of margin, liquidated after a fall of about 3%
    assert trader.update_leverage(20, "SOL", is_cross=False)["status"] == "ok"
    maker.order("SOL", False, 50, 150, {"limit": {"tif": "Gtc"}})
    assert "filled" in str(trader.order("SOL", True, 50, 150, {"limit": {"tif": "Ioc"}}))
    ws = websocket.create_connection(devnet.url.replace("http", "ws") + "/ws", timeout=10)
    alerts: list = []
    liquidated_at = None
    try:
        ws.send(json.dumps({"method": "subscribe", "subscription": {
            "type": "marginHealth", "user": me, "thresholds": [50, 80, 100]}}))
        ws.send(json.dumps({"method": "subscribe", "subscription": {
            "type": "userEvents", "user": me}}))
        price = 150.0
        deadline = time.time() + 40
        while liquidated_at is None and time.time() < deadline:
            price = round(price * 0.997, 3)  # -0.3% a step
            devnet.admin({"type": "devSetOracle", "coin": "SOL", "px": f"{price:g}"})
            until = time.time() + 0.3
            while time.time() < until:
                ws.settimeout(max(0.01, until - time.time()))
                try:
                    message = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    break
                channel = message.get("channel")
                if channel == "marginHealth":
                    alerts.extend(message["data"]["alerts"])
                elif channel == "user" and "liquidation" in message["data"]:
                    liquidated_at = message["data"]["liquidation"].get("time", time.time())
            if liquidated_at is None and not info(devnet, {
                    "type": "clearinghouseState", "user": me})["assetPositions"]:
                liquidated_at = "seen through /info"
    finally:
        ws.close()
    assert liquidated_at is not None, "the crash never liquidated the long"
    ups = [a for a in alerts if a["direction"] == "up"]
    assert [a["threshold"] for a in ups][:2] == [50, 80], alerts
    assert all(a["unit"] == "SOL" for a in ups)
    # the liquidation: a book liquidation is a fill after the opening one, a backstop
    # takeover a `backstopLiquidation` ledger row
    fills = info(devnet, {"type": "userFills", "user": me})
    ledger = info(devnet, {"type": "userNonFundingLedgerUpdates", "user": me, "startTime": 0})
    times = [f["time"] for f in fills[:-1]] + [
        r["time"] for r in ledger if r["delta"]["type"] == "backstopLiquidation"]
    assert times, (fills, ledger)
    liquidation_ms = min(times)
    lead_ms = liquidation_ms - ups[0]["time"]
    assert ups[1]["time"] < liquidation_ms and lead_ms > 0, (ups, liquidation_ms)
