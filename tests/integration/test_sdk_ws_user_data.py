"""webData2 and activeAssetData through the unmodified SDK's websocket (Info.subscribe) and
/info, against a real node: the messages route to the SDK's callbacks, and what they say agrees
with clearinghouseState, frontendOpenOrders and the user's leverage."""

from __future__ import annotations

import threading
from decimal import ROUND_DOWN, Decimal

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from tests.support.server import DevnetServer, Signer


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-ws-user")) as server:
        yield server


def newcomer(devnet, usd: str) -> Exchange:
    """A fresh account credited `usd` by the admin's faucet."""
    wallet = Account.create()
    reply = Signer(devnet, devnet.keys[0]).send({"type": "devFaucet", "user": wallet.address,
                                                 "usd": usd})
    assert reply["status"] == "ok", reply
    return Exchange(wallet, devnet.url, timeout=10)


class Inbox:
    """The messages of one subscription, with a wait for one that satisfies a test."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.arrived = threading.Condition()

    def __call__(self, message: dict) -> None:
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()

    def wait_for(self, check, timeout_s: float = 10.0) -> dict:
        with self.arrived:
            found = self.arrived.wait_for(
                lambda: next((m for m in self.messages if check(m)), None), timeout_s)
        assert found, self.messages[-3:]
        return found


def test_active_asset_data_by_websocket_and_info(devnet) -> None:
    trader = newcomer(devnet, "1000")
    user = trader.wallet.address
    info = Info(devnet.url, timeout=10)
    inbox = Inbox()
    try:
        info.subscribe({"type": "activeAssetData", "user": user, "coin": "ETH"}, inbox)
        first = inbox.wait_for(lambda m: True)["data"]
        assert first["user"] == user.lower() and first["coin"] == "ETH"
        assert first["leverage"] == {"type": "cross", "value": 20}  # ETH's default
        mark = Decimal(first["markPx"])
        assert first["availableToTrade"] == ["20000", "20000"]  # $1,000 free x 20
        max_size = (Decimal(20000) / mark).quantize(Decimal("0.0001"), ROUND_DOWN)
        assert [Decimal(s) for s in first["maxTradeSzs"]] == [max_size, max_size]
        assert trader.update_leverage(5, "ETH")["status"] == "ok"
        later = inbox.wait_for(lambda m: m["data"]["leverage"]["value"] == 5)["data"]
        assert later["availableToTrade"] == ["5000", "5000"]
    finally:
        info.disconnect_websocket()
    answer = info.post("/info", {"type": "activeAssetData", "user": user, "coin": "ETH"})
    assert answer["leverage"] == {"type": "cross", "value": 5}
    assert answer["availableToTrade"] == ["5000", "5000"]
    assert trader.update_leverage(4, "ETH", is_cross=False)["status"] == "ok"
    isolated = info.post("/info", {"type": "activeAssetData", "user": user, "coin": "ETH"})
    assert isolated["leverage"] == {"type": "isolated", "value": 4, "rawUsd": "0"}
    assert isolated["availableToTrade"] == ["4000", "4000"]


def test_a_position_adds_its_closing_side_to_what_can_be_traded(devnet) -> None:
    trader = newcomer(devnet, "1000")
    maker = Exchange(Account.from_key(devnet.keys[4].private_key), devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)
    maker.order("ETH", False, 0.1, 3_100, {"limit": {"tif": "Gtc"}})
    filled = trader.order("ETH", True, 0.1, 3_100, {"limit": {"tif": "Ioc"}})
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.1"
    data = info.post("/info", {"type": "activeAssetData", "user": trader.wallet.address,
                               "coin": "ETH"})
    state = info.user_state(trader.wallet.address)
    position = state["assetPositions"][0]["position"]
    mark = Decimal(data["markPx"])
    # free cross margin: account value less the position's initial margin at 20x
    free = Decimal(state["marginSummary"]["accountValue"]) - Decimal("0.1") * mark / 20
    buy, sell = (Decimal(a) for a in data["availableToTrade"])
    assert buy == free * 20  # opening more long needs margin
    assert sell == buy + Decimal("0.1") * mark  # selling closes the long first
    assert position["szi"] == "0.1"


def test_web_data2_carries_the_account_orders_and_markets(devnet) -> None:
    trader = newcomer(devnet, "2500")
    user = trader.wallet.address
    info = Info(devnet.url, timeout=10)
    inbox = Inbox()
    try:
        info.subscribe({"type": "webData2", "user": user}, inbox)
        placed = trader.order("ETH", True, 0.01, 2_000, {"limit": {"tif": "Gtc"}})
        oid = placed["response"]["data"]["statuses"][0]["resting"]["oid"]
        data = inbox.wait_for(lambda m: [o["oid"] for o in m["data"]["openOrders"]] == [oid])[
            "data"]
    finally:
        info.disconnect_websocket()
    assert data["user"] == user.lower()
    state = info.user_state(user)
    assert data["clearinghouseState"]["marginSummary"]["accountValue"] == \
        state["marginSummary"]["accountValue"] == "2500"
    assert data["openOrders"][0]["orderType"] == "Limit" and data["openOrders"][0]["tif"] == "Gtc"
    meta, ctxs = info.meta_and_asset_ctxs()
    assert data["meta"] == meta and len(data["assetCtxs"]) == len(ctxs) == len(meta["universe"])
    assert isinstance(data["serverTime"], int) and data["serverTime"] > 0
    assert data["isVault"] is False and data["leadingVaults"] == []


def test_web_data2_comes_once_a_second_while_the_user_is_idle(devnet) -> None:
    """Blocks are 50 ms apart: an idle user's aggregate comes with the first block of each
    second of block time, not with every block."""
    import time

    trader = newcomer(devnet, "100")
    info = Info(devnet.url, timeout=10)
    inbox = Inbox()
    try:
        info.subscribe({"type": "webData2", "user": trader.wallet.address}, inbox)
        inbox.wait_for(lambda m: True)
        height = devnet.node.state.height
        time.sleep(2.5)
        blocks = devnet.node.state.height - height
        times = [m["data"]["serverTime"] for m in inbox.messages]
    finally:
        info.disconnect_websocket()
    assert blocks >= 20  # 50 ms blocks
    assert len({t // 1_000 for t in times}) == len(times)  # one per second of block time
    assert 2 <= len(times) <= 4
