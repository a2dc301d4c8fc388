"""A TWAP order through ccxt against l2perp's devnet (`make up`, with its demo makers): buy a
size over a few minutes in slices every 30 s, watch the slices fill, then place a second TWAP
and cancel it.

    python examples/twap.py [--url http://127.0.0.1:3001] [--key 0x...] [--coin ETH]
                            [--size 0.5] [--minutes 5] [--fast]

`--fast` has the devnet's admin key move block time 30 s at a time (`devAdvanceTime`) so the
TWAP runs in seconds instead of minutes. The default key is the first devnet trader and the
admin key the devnet's (`l2perp keys`).
"""

from __future__ import annotations

import argparse
import sys
import time

import ccxt

SLICE_S = 30  # Hyperliquid: a slice every 30 seconds


def connect(url: str, key: str, address: str) -> ccxt.hyperliquid:
    """ccxt's hyperliquid class pointed at the devnet (testnet signing, perpetuals only)."""
    exchange = ccxt.hyperliquid({"walletAddress": address, "privateKey": key,
                                 "timeout": 10_000})
    exchange.set_sandbox_mode(True)
    exchange.urls["api"]["public"] = url
    exchange.urls["api"]["private"] = url
    exchange.options["fetchMarkets"] = {"types": ["swap"]}
    exchange.load_markets()
    return exchange


def info(exchange: ccxt.hyperliquid, kind: str, user: str) -> list:
    return exchange.publicPostInfo({"type": kind, "user": user})


def advance_time(admin: ccxt.hyperliquid, ms: int) -> None:
    """devAdvanceTime, signed by the admin as any L1 action (ccxt's own signer)."""
    action = {"type": "devAdvanceTime", "ms": ms}
    nonce = admin.milliseconds()
    reply = admin.privatePostExchange({"action": action, "nonce": nonce,
                                       "signature": admin.sign_l1_action(action, nonce)})
    if reply.get("status") != "ok":
        raise SystemExit(f"FAILED: devAdvanceTime answered {reply}")


def run_twap(trader, admin, user: str, symbol: str, size: float, minutes: int) -> None:
    order = trader.create_twap_order(symbol, "buy", size, minutes * 60_000)
    twap_id = int(order["id"])
    print(f"TWAP {twap_id}: buy {size} {symbol} over {minutes} minutes")
    seen: set[int] = set()

    def print_new_fills() -> None:
        for row in reversed(info(trader, "userTwapSliceFills", user)):  # oldest first
            fill = row["fill"]
            if row["twapId"] == twap_id and fill["tid"] not in seen:
                seen.add(fill["tid"])
                print(f"  slice order {fill['oid']}: {fill['sz']} at {fill['px']}")

    deadline = time.time() + (30 if admin is not None else minutes * 60 + 60)
    while any(s[0] == twap_id for s in info(trader, "twapStates", user)):
        if time.time() > deadline:
            raise SystemExit(f"FAILED: TWAP {twap_id} did not end in time")
        print_new_fills()
        if admin is not None:
            advance_time(admin, SLICE_S * 1_000)
            time.sleep(0.3)
        else:
            time.sleep(1)
    print_new_fills()
    ended = next(h for h in info(trader, "twapHistory", user) if h["twapId"] == twap_id)
    state = ended["state"]
    executed = float(state["executedSz"])
    average = float(state["executedNtl"]) / executed if executed else 0.0
    print(f"TWAP {twap_id} {ended['status']['status']} ({ended['status']['description']}): "
          f"{state['executedSz']} of {state['sz']}, average price {average:.2f}")
    if ended["status"]["status"] != "finished" or executed <= 0:
        raise SystemExit(f"FAILED: TWAP {twap_id} ended as {ended['status']}")
    print("ok twap")


def cancel_twap(trader, user: str, symbol: str, size: float) -> None:
    order = trader.create_twap_order(symbol, "buy", size, 60 * 60_000, {"randomize": True})
    trader.cancel_twap_order(order["id"], symbol)
    if any(s[0] == int(order["id"]) for s in info(trader, "twapStates", user)):
        raise SystemExit("FAILED: the cancelled TWAP still runs")
    print(f"TWAP {order['id']} placed and cancelled")
    print("ok cancel")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3001")
    parser.add_argument("--key", default=None, help="the trader's private key")
    parser.add_argument("--admin-key", default=None, help="the devnet admin's private key")
    parser.add_argument("--coin", default="ETH")
    parser.add_argument("--size", type=float, default=0.5)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--fast", action="store_true", help="advance block time 30 s a step")
    args = parser.parse_args(argv)
    from eth_account import Account
    from l2perp.node.devnet import dev_keys

    keys = dev_keys()
    trader_key = args.key or next(k for k in keys if k.role == "trader").private_key
    user = Account.from_key(trader_key).address.lower()
    symbol = f"{args.coin}/USDC:USDC"
    trader = connect(args.url, trader_key, user)
    admin = None
    if args.fast:
        admin_key = args.admin_key or next(k for k in keys if k.role == "admin").private_key
        admin = connect(args.url, admin_key, Account.from_key(admin_key).address.lower())
    run_twap(trader, admin, user, symbol, args.size, args.minutes)
    cancel_twap(trader, user, symbol, args.size * 4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
