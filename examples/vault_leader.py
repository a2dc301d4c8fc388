"""A vault leader on l2perp's devnet: ccxt creates a vault (the SDK has no createVault), a
follower deposits with the SDK, the leader trades the vault through `vaultAddress`, and both
read the vault's books: shares, equity, the leader's fraction and the lockup.

    python examples/vault_leader.py [--url http://127.0.0.1:3001] [--leader-key 0x...]
                                    [--follower-key 0x...] [--coin ETH]

Defaults: the third and fourth devnet traders (`l2perp keys`). Run `l2perp up` (or `make up`)
first. Followers' deposits are locked for a day; the leader keeps at least 5% of the shares and
takes 10% of a follower's profit when the follower withdraws.
"""

from __future__ import annotations

import argparse
import sys

import ccxt
import requests
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def ccxt_client(url: str, address: str, key: str) -> ccxt.hyperliquid:
    exchange = ccxt.hyperliquid({"walletAddress": address, "privateKey": key, "timeout": 10_000})
    exchange.set_sandbox_mode(True)  # the devnet verifies testnet signatures
    exchange.urls["api"]["public"] = url
    exchange.urls["api"]["private"] = url
    exchange.options["fetchMarkets"] = {"types": ["swap"]}
    return exchange


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3001")
    parser.add_argument("--leader-key", default=None)
    parser.add_argument("--follower-key", default=None)
    parser.add_argument("--coin", default="ETH")
    args = parser.parse_args(argv)
    leader_key, follower_key = args.leader_key, args.follower_key
    if leader_key is None or follower_key is None:
        from l2perp.node.devnet import dev_keys

        traders = [k.private_key for k in dev_keys() if k.role == "trader"]
        leader_key = leader_key or traders[2]
        follower_key = follower_key or traders[3]
    leader = Account.from_key(leader_key)
    follower = Account.from_key(follower_key)
    info = Info(args.url, skip_ws=True, timeout=10)

    creator = ccxt_client(args.url, leader.address, leader_key)
    creator.load_markets()
    created = creator.create_vault("Example vault", "Made by examples/vault_leader.py", 1_000)
    check(created.get("status") == "ok", f"createVault: {created}")
    vault = created["response"]["data"]
    print(f"vault {vault} led by {leader.address.lower()}")

    deposit = Exchange(follower, args.url, timeout=10).vault_usd_transfer(vault, True,
                                                                         500_000_000)
    check(deposit.get("status") == "ok", f"follower deposit: {deposit}")
    equities = info.user_vault_equities(follower.address)
    check(any(e["vaultAddress"] == vault and e["equity"] == "500" for e in equities),
          f"the follower holds 500 USDC of the vault: {equities}")

    trader = Exchange(leader, args.url, vault_address=vault, timeout=10)
    sz_decimals = next(u["szDecimals"] for u in info.meta()["universe"] if u["name"] == args.coin)
    size = round(300 / float(info.all_mids()[args.coin]), sz_decimals)
    opened = trader.market_open(args.coin, True, size, None, 0.02)
    check(opened.get("status") == "ok", f"the leader trades the vault: {opened}")
    statuses = opened["response"]["data"]["statuses"]
    print(f"vault bought {args.coin}: {statuses[0]}")
    positions = info.user_state(vault)["assetPositions"]
    check(bool(positions) or "error" in statuses[0], "the position is the vault's")

    details = requests.post(args.url + "/info", json={
        "type": "vaultDetails", "vaultAddress": vault, "user": follower.address.lower()},
        timeout=10).json()
    print(f"tvl {details['tvl']}, leader fraction {details['leaderFraction']}, "
          f"commission {details['leaderCommission']}")
    for holder in details["followers"]:
        print(f"  {holder['user']}: {holder['shares']} shares = {holder['vaultEquity']} USDC "
              f"(pnl {holder['pnl']}, locked until {holder['lockupUntil']})")
    check(details["followerState"] is not None, "the follower is listed")
    if positions:
        closed = trader.market_close(args.coin, None, None, 0.02)
        check(closed.get("status") == "ok", f"close the vault's position: {closed}")
    print("ok vault_leader")
    return 0


if __name__ == "__main__":
    sys.exit(main())
