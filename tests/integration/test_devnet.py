"""Devnet cheat codes through the API, signed by the admin key as L1 actions."""

from __future__ import annotations

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.engine.tx import FundingEvent
from tests.support.server import DevnetServer


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-cheats")) as server:
        yield server



def post(devnet, action: dict) -> dict:
    from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

    wallet = Account.from_key(devnet.keys[0].private_key)
    nonce = get_timestamp_ms()
    sig = sign_l1_action(wallet, action, None, nonce, None, False)
    import requests

    return requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "signature": sig, "vaultAddress": None,
        "expiresAfter": None}, timeout=10).json()


def test_faucet_oracle_pin_and_time_advance(devnet) -> None:
    info = Info(devnet.url, skip_ws=True, timeout=10)
    newcomer = Account.create().address
    assert post(devnet, {"type": "devFaucet", "user": newcomer, "usd": "1234.5"})["status"] == "ok"
    assert info.user_state(newcomer)["marginSummary"]["accountValue"] == "1234.5"

    assert post(devnet, {"type": "devSetOracle", "coin": "SOL", "px": "160.00005"})[
        "status"] == "ok"
    assert info.meta_and_asset_ctxs()[1][2]["oraclePx"] == "160"  # ties to even at the pip

    trader = Exchange(Account.from_key(devnet.keys[9].private_key), devnet.url, timeout=10)
    maker = Exchange(Account.from_key(devnet.keys[10].private_key), devnet.url, timeout=10)
    maker.order("SOL", False, 10, 160, {"limit": {"tif": "Gtc"}})
    trader.market_open("SOL", True, 10, px=161)
    before = devnet.node.state.grace_until_ms
    funding: list = []
    devnet.node.listeners.append(
        lambda r: funding.extend(e for e in r.events if isinstance(e, FundingEvent)))
    assert post(devnet, {"type": "devAdvanceTime", "ms": 2 * 3_600_000})["status"] == "ok"
    import time

    time.sleep(0.5)
    assert devnet.node.state.grace_until_ms == before  # time passed, no outage
    assert len({e.time_ms for e in funding}) >= 2  # two funding hours were paid
    assert not devnet.node.state.markets[2].stale
    history = info.funding_history("SOL", 0)
    assert len(history) >= 2 and history[-1]["coin"] == "SOL"
    paid = info.user_funding_history(trader.wallet.address, 0)
    assert paid and paid[-1]["delta"]["coin"] == "SOL" and paid[-1]["delta"]["szi"] == "10"


def test_cheat_codes_need_the_admin(devnet) -> None:
    from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action
    import requests

    wallet = Account.from_key(devnet.keys[3].private_key)
    action = {"type": "devFaucet", "user": wallet.address, "usd": "1"}
    nonce = get_timestamp_ms()
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "vaultAddress": None, "expiresAfter": None,
        "signature": sign_l1_action(wallet, action, None, nonce, None, False)}, timeout=10).json()
    assert reply == {"status": "err", "response": "Only the admin key may send this action."}
