"""The unmodified hyperliquid-python-sdk against a real server on 127.0.0.1."""

from __future__ import annotations

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

from l2perp.units import format_price, format_size
from tests.support.server import DevnetServer


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet")) as server:
        yield server


def test_info_meta_and_mids(devnet) -> None:
    info = Info(devnet.url, skip_ws=True, timeout=10)
    names = [u["name"] for u in info.meta()["universe"]]
    assert names[:4] == ["BTC", "ETH", "SOL", "OP"]
    mids = info.all_mids()
    assert mids["ETH"] == "3500"


def test_order_rest_cancel_market_open_close(devnet) -> None:
    maker = Exchange(Account.from_key(devnet.keys[1].private_key), devnet.url, timeout=10)
    trader_wallet = Account.from_key(devnet.keys[2].private_key)
    trader = Exchange(trader_wallet, devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)
    me = trader_wallet.address

    assert trader.update_leverage(10, "ETH")["status"] == "ok"
    resting = trader.order("ETH", True, 0.5, 3400, {"limit": {"tif": "Gtc"}})
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [o["oid"] for o in info.open_orders(me)] == [oid]
    assert trader.cancel("ETH", oid)["response"]["data"]["statuses"] == ["success"]
    assert info.open_orders(me) == []

    cloid = Cloid.from_str("0x" + "00" * 15 + "2a")
    trader.order("ETH", True, 0.1, 3300, {"limit": {"tif": "Gtc"}}, cloid=cloid)
    assert trader.cancel_by_cloid("ETH", cloid)["response"]["data"]["statuses"] == ["success"]

    maker.order("ETH", False, 2, 3501, {"limit": {"tif": "Gtc"}})
    opened = trader.market_open("ETH", True, 1)
    filled = opened["response"]["data"]["statuses"][0]["filled"]
    assert filled["totalSz"] == "1" and filled["avgPx"] == "3501"
    state = info.user_state(me)
    assert state["assetPositions"][0]["position"]["szi"] == "1"
    assert state["assetPositions"][0]["position"]["leverage"]["value"] == 10

    maker.order("ETH", True, 2, 3499, {"limit": {"tif": "Gtc"}})
    closed = trader.market_close("ETH")
    assert closed["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "1"
    assert info.user_state(me)["assetPositions"] == []
    fills = info.user_fills(me)
    assert [f["dir"] for f in fills] == ["Close Long", "Open Long"]


def test_alo_crossing_and_unknown_wallet_errors(devnet) -> None:
    maker = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url, timeout=10)
    maker.order("SOL", False, 10, 151, {"limit": {"tif": "Gtc"}})
    crossing = maker.order("SOL", True, 1, 152, {"limit": {"tif": "Alo"}})
    error = crossing["response"]["data"]["statuses"][0]["error"]
    assert error.startswith("Post only order would have immediately matched")
    stranger = Account.create()
    reply = Exchange(stranger, devnet.url, timeout=10).order(
        "SOL", True, 1, 140, {"limit": {"tif": "Gtc"}})
    assert reply == {"status": "err", "response":
                     f"User or API Wallet {stranger.address.lower()} does not exist."}


def test_modify_isolated_margin_schedule_cancel_transfer_withdraw_agent(devnet) -> None:
    wallet = Account.from_key(devnet.keys[4].private_key)
    me = wallet.address
    ex = Exchange(wallet, devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)

    oid = ex.order("BTC", True, 0.01, 90000, {"limit": {"tif": "Gtc"}})[
        "response"]["data"]["statuses"][0]["resting"]["oid"]
    modified = ex.modify_order(oid, "BTC", True, 0.02, 90500, {"limit": {"tif": "Gtc"}})
    new_oid = modified["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [(o["oid"], o["limitPx"], o["sz"]) for o in info.open_orders(me)] == [
        (new_oid, "90500", "0.02")]
    bulk = ex.bulk_modify_orders_new([{"oid": new_oid, "order": {
        "coin": "BTC", "is_buy": True, "sz": 0.03, "limit_px": 90400,
        "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False}}])
    assert "resting" in bulk["response"]["data"]["statuses"][0]
    assert ex.schedule_cancel(devnet.node.state.time_ms + 60_000)[
        "status"] == "ok"

    # An isolated position and its margin.
    assert ex.update_leverage(5, "OP", is_cross=False)["status"] == "ok"
    Exchange(Account.from_key(devnet.keys[5].private_key), devnet.url, timeout=10).order(
        "OP", False, 100, 1.5, {"limit": {"tif": "Gtc"}})
    assert "filled" in ex.market_open("OP", True, 100, px=1.6)["response"]["data"][
        "statuses"][0]
    assert ex.update_isolated_margin(10, "OP")["status"] == "ok"
    position = info.user_state(me)["assetPositions"][0]["position"]
    assert position["leverage"]["type"] == "isolated"

    # Money out: a transfer and a withdrawal.
    other = devnet.keys[6].address
    before = float(info.user_state(other)["marginSummary"]["accountValue"])
    assert ex.usd_transfer(25.5, other)["status"] == "ok"
    assert float(info.user_state(other)["marginSummary"]["accountValue"]) == before + 25.5
    assert ex.withdraw_from_bridge(10, me)["status"] == "ok"

    # An API wallet trades for its master.
    result, agent_key = ex.approve_agent("bot")
    assert result["status"] == "ok"
    agent = Exchange(Account.from_key(agent_key), devnet.url, account_address=me, timeout=10)
    placed = agent.order("ETH", True, 0.1, 3000, {"limit": {"tif": "Gtc"}})
    agent_oid = placed["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert agent_oid in [o["oid"] for o in info.open_orders(me)]


def test_info_agrees_with_the_state(devnet) -> None:
    import requests

    state = devnet.node.state
    meta, ctxs = Info(devnet.url, skip_ws=True, timeout=10).meta_and_asset_ctxs()
    for market, ctx in zip(state.markets, ctxs):
        d = market.sz_decimals
        assert ctx["markPx"] == format_price(market.mark_pips, d)
        assert ctx["oraclePx"] == format_price(market.oracle_pips, d)
        assert ctx["openInterest"] == format_size(market.open_interest_lots, d)
    status = requests.post(devnet.url + "/info", json={"type": "l2perpStatus"}, timeout=5).json()
    assert status["markets"][:2] == ["BTC", "ETH"] and status["logBytes"] > 0
    too_many = [{"a": 0, "b": True, "p": "1", "s": "1", "r": False,
                 "t": {"limit": {"tif": "Gtc"}}}] * 1_001
    wallet = Account.from_key(devnet.keys[1].private_key)
    from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

    action = {"type": "order", "orders": too_many, "grouping": "na"}
    nonce = get_timestamp_ms()
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "vaultAddress": None, "expiresAfter": None,
        "signature": sign_l1_action(wallet, action, None, nonce, None, False)}, timeout=10).json()
    assert reply == {"status": "err", "response": "Too many orders in one action: 1001 > 1000."}


def test_other_info_types_answer(devnet) -> None:
    import requests

    me = devnet.keys[2].address
    # its own history (xdist may run this test on a worker where the others did not run)
    mine = Exchange(Account.from_key(devnet.keys[2].private_key), devnet.url, timeout=10)
    maker = Exchange(Account.from_key(devnet.keys[4].private_key), devnet.url, timeout=10)
    rest = mine.order("SOL", True, 1, 100, {"limit": {"tif": "Alo"}})
    mine.cancel("SOL", rest["response"]["data"]["statuses"][0]["resting"]["oid"])
    maker.order("SOL", False, 1, 151, {"limit": {"tif": "Gtc"}})
    assert "filled" in mine.order("SOL", True, 1, 152, {"limit": {"tif": "Ioc"}})[
        "response"]["data"]["statuses"][0]
    for kind in ("userFees", "userRole", "extraAgents", "historicalOrders", "userRateLimit",
                 "subAccounts", "userVaultEquities", "referral", "delegatorSummary",
                 "userNonFundingLedgerUpdates", "spotClearinghouseState", "perpDexs"):
        reply = requests.post(devnet.url + "/info", json={"type": kind, "user": me}, timeout=5)
        assert reply.status_code == 200, (kind, reply.text)
    assert requests.post(devnet.url + "/info", json={"type": "userRole", "user": me},
                         timeout=5).json() == {"role": "user"}
    history = requests.post(devnet.url + "/info", json={"type": "historicalOrders", "user": me},
                            timeout=5).json()
    assert {h["status"] for h in history} >= {"canceled", "filled"}


def test_noop_burns_a_nonce(devnet) -> None:
    """`Exchange.noop` as a bot uses it: to spend a nonce it signed something else with."""
    import time

    exchange = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url, timeout=10)
    nonce = int(time.time() * 1000)
    assert exchange.noop(nonce) == {"status": "ok", "response": {"type": "default"}}
    replay = exchange.noop(nonce)
    assert replay["status"] == "err" and "nonce" in replay["response"], replay


def test_the_non_funding_ledger_lists_deposits_transfers_and_withdrawals(devnet) -> None:
    """`Info.user_non_funding_ledger_updates` after the devnet's deposit, a usdSend each way
    and a withdrawal: one entry per movement, on both sides of a transfer, and together they
    account for the account's value exactly (nothing else moved its money)."""
    sender, receiver = devnet.keys[7], devnet.keys[8]
    ex = Exchange(Account.from_key(sender.private_key), devnet.url, timeout=10)
    back = Exchange(Account.from_key(receiver.private_key), devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)
    assert ex.usd_transfer(25.5, receiver.address)["status"] == "ok"
    assert back.usd_transfer(0.25, sender.address)["status"] == "ok"
    assert ex.withdraw_from_bridge(10, sender.address)["status"] == "ok"

    mine = info.user_non_funding_ledger_updates(sender.address, 0)
    assert [e["delta"]["type"] for e in mine] == [
        "deposit", "internalTransfer", "internalTransfer", "withdraw"]
    assert mine[0]["delta"] == {"type": "deposit", "usdc": "1000000"}
    assert mine[1]["delta"] == {"type": "internalTransfer", "usdc": "25.5",
                                "user": sender.address.lower(),
                                "destination": receiver.address.lower(), "fee": "0"}
    assert mine[2]["delta"]["user"] == receiver.address.lower()
    assert mine[3]["delta"] == {"type": "withdraw", "usdc": "10", "fee": "1"}
    assert [e["time"] for e in mine] == sorted(e["time"] for e in mine)
    assert len({e["hash"] for e in mine}) == 4
    theirs = info.user_non_funding_ledger_updates(receiver.address, 0)
    assert [e["delta"] for e in theirs[1:]] == [mine[1]["delta"], mine[2]["delta"]]

    signed = {"deposit": 1, "withdraw": -1}
    total = 0.0
    for entry in mine:
        delta = entry["delta"]
        sign = signed.get(delta["type"]) or (
            -1 if delta["user"] == sender.address.lower() else 1)
        total += sign * float(delta["usdc"])
    value = float(info.user_state(sender.address)["marginSummary"]["accountValue"])
    assert abs(value - total) < 1e-9
    since = info.user_non_funding_ledger_updates(sender.address, mine[3]["time"])
    assert [e["delta"]["type"] for e in since] == ["withdraw"]
