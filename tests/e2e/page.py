"""What the e2e tests do with a page and a node besides the flow under test: pick a devnet key
in the wallet menu (or paste a fresh account's key), read the node's best prices and open
orders, wait for the order form's answer, fund a fresh account, and send an action as the SDK
would (the test's own client, not the page)."""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hyperliquid.exchange import Exchange

from tests.support.server import Signer


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def pick_key(page, key) -> None:
    """The wallet panel: choose a devnet key from the list the node offers, then use it."""
    page.locator("#wallet summary").click()
    page.locator(f'#devkey option[value="{key.private_key}"]').wait_for(state="attached")
    page.select_option("#devkey", value=key.private_key)
    page.locator("#key-use").click()
    page.wait_for_function("a => document.getElementById('wallet-address').textContent === a",
                           arg=short(key.address))


def use_key(page, account: LocalAccount) -> None:
    """The wallet panel: paste a private key (a fresh account's) and use it."""
    page.locator("#wallet summary").click()
    page.fill("#key", account.key.hex())
    page.locator("#key-use").click()
    page.wait_for_function("a => document.getElementById('wallet-address').textContent === a",
                           arg=short(account.address.lower()))


def fresh_account(node, usd: str) -> tuple[LocalAccount, Exchange]:
    """A new account credited `usd` USDC by the devnet faucet, and an SDK client for it."""
    account = Account.create()
    reply = node.admin({"type": "devFaucet", "user": account.address.lower(), "usd": usd})
    assert reply["status"] == "ok", reply
    return account, Exchange(account, node.url, timeout=10)


def best_prices(node, coin: str) -> tuple[float, float]:
    bids, asks = node.info({"type": "l2Book", "coin": coin})["levels"]
    return float(bids[0]["px"]), float(asks[0]["px"])


def open_orders(node, user: str) -> list:
    return node.info({"type": "openOrders", "user": user})


def reply_text(page) -> str:
    """The order form's answer once it arrives (the node's own words)."""
    page.wait_for_function("() => document.getElementById('order-reply').textContent !== ''")
    return page.locator("#order-reply").inner_text()


SIGNERS: dict[tuple[str, str], Signer] = {}


def send_as(node, key, action: dict) -> dict:
    """An L1 action signed as the SDK signs it (the test's own client, not the page); one
    signer per node and key, so its nonces keep rising."""
    signer = SIGNERS.setdefault((node.url, key.address), Signer(node, key))
    return signer.send(action)
