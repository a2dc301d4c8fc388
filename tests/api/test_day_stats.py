"""metaAndAssetCtxs' prevDayPx, dayNtlVlm and dayBaseVlm from the indexer's fills over the last
24 hours of block time, on a real devnet (and the same values on the activeAssetCtx channel)."""

from __future__ import annotations

import threading

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.node import indexer
from tests.support.nodes import Signer, StillNode, info, settle
from tests.support.server import DevnetServer

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-day")) as server:
        yield server


def ctx_of(devnet, coin: str) -> dict:
    meta, ctxs = info(devnet, "metaAndAssetCtxs")
    names = [u["name"] for u in meta["universe"]]
    return ctxs[names.index(coin)]


def day_fields(ctx: dict) -> tuple:
    return ctx["prevDayPx"], ctx["dayNtlVlm"], ctx["dayBaseVlm"]


def test_prev_day_price_and_volumes_follow_the_24h_window(devnet) -> None:
    maker = Exchange(Account.from_key(devnet.keys[1].private_key), devnet.url, timeout=10)
    taker = Exchange(Account.from_key(devnet.keys[2].private_key), devnet.url, timeout=10)
    admin = Signer(devnet, devnet.keys[0])
    # no fills yet: the oracle price and no volume
    assert day_fields(ctx_of(devnet, "ETH")) == ("3500", "0", "0")

    maker.order("ETH", False, 2, 3501, {"limit": {"tif": "Gtc"}})
    maker.order("ETH", False, 1, 3510, {"limit": {"tif": "Gtc"}})
    assert taker.order("ETH", True, 1.5, 3501, {"limit": {"tif": "Ioc"}})["status"] == "ok"
    filled = taker.order("ETH", True, 1, 3510, {"limit": {"tif": "Ioc"}})
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "1"
    # fills 1.5 @ 3501, 0.5 @ 3501, 0.5 @ 3510: nothing before the window, so prevDayPx is the
    # first fill inside it; notional 5251.5 + 1750.5 + 1755
    assert day_fields(ctx_of(devnet, "ETH")) == ("3501", "8757", "2.5")

    assert admin.send({"type": "devAdvanceTime", "ms": DAY_MS + 60_000})["status"] == "ok"
    settle(devnet)
    # every fill is now older than 24h: the last of them (3510) is the previous day's price
    assert day_fields(ctx_of(devnet, "ETH")) == ("3510", "0", "0")

    maker.order("ETH", True, 1, 3490, {"limit": {"tif": "Gtc"}})
    sold = taker.order("ETH", False, 0.5, 3490, {"limit": {"tif": "Ioc"}})
    assert sold["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.5", sold
    ctx = ctx_of(devnet, "ETH")
    assert day_fields(ctx) == ("3510", "1745", "0.5")
    assert ctx["oraclePx"] == "3500"  # the other fields are untouched


def test_active_asset_ctx_carries_the_same_day_values(devnet) -> None:
    maker = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url, timeout=10)
    taker = Exchange(Account.from_key(devnet.keys[4].private_key), devnet.url, timeout=10)
    maker.order("BTC", False, 0.02, 95_100, {"limit": {"tif": "Gtc"}})
    filled = taker.order("BTC", True, 0.02, 95_100, {"limit": {"tif": "Ioc"}})
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.02"
    expected = day_fields(ctx_of(devnet, "BTC"))
    assert expected == ("95100", "1902", "0.02")
    seen: list = []
    arrived = threading.Event()

    def record(message) -> None:
        seen.append(message)
        arrived.set()

    ws = Info(devnet.url, timeout=10)
    try:
        ws.subscribe({"type": "activeAssetCtx", "coin": "BTC"}, record)
        assert arrived.wait(5), "no activeAssetCtx message"
    finally:
        ws.disconnect_websocket()
    assert day_fields(seen[-1]["data"]["ctx"]) == expected


def test_one_query_set_per_height(tmp_path, monkeypatch) -> None:
    still = StillNode(tmp_path)
    calls: list = []
    real = indexer.day_stats

    def counting(db, asset, now_ms, *rest):
        calls.append((asset, now_ms))
        return real(db, asset, now_ms, *rest)

    monkeypatch.setattr(indexer, "day_stats", counting)
    try:
        markets = len(still.node.state.markets)
        for _ in range(5):
            assert still.info("metaAndAssetCtxs")[1][1]["dayNtlVlm"] == "0"
        assert len(calls) == markets  # one query per market for the whole burst
        assert {t for _, t in calls} == {still.node.state.time_ms}  # block time, not wall time
        still.step()
        still.info("metaAndAssetCtxs")
        assert len(calls) == 2 * markets
    finally:
        still.close()
