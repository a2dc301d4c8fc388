"""A market-making bot that trades from a sub-account, with the unmodified SDK against l2perp's
devnet: the master key creates (or reuses) a sub-account named "mm-bot", funds it, quotes both
sides of a market around the mid through `vaultAddress` for a few rounds, then cancels, reads
the sub-account's state and sends its free cash back to the master.

    python examples/sub_account_bot.py [--url http://127.0.0.1:3001] [--key 0x...]
                                       [--coin SOL] [--rounds 5] [--usd 2000]

The default key is the second devnet trader (`l2perp keys`); run `l2perp up` (or `make up`)
first. Each step checks what the venue answered and stops with "FAILED: ..." when it is wrong.
"""

from __future__ import annotations

import argparse
import sys
import time

from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

NAME = "mm-bot"


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def rounded_px(px: float, sz_decimals: int) -> float:
    """5 significant figures and at most 6 - szDecimals decimals (integers above 100k)."""
    if px > 100_000:
        return float(round(px))
    return round(float(f"{px:.5g}"), 6 - sz_decimals)


def the_sub_account(info: Info, master: Exchange, me: str) -> str:
    """The master's "mm-bot" sub-account, created on the first run."""
    for sub in info.query_sub_accounts(me) or []:
        if sub["name"] == NAME:
            return sub["subAccountUser"]
    reply = master.create_sub_account(NAME)
    check(reply.get("status") == "ok", f"createSubAccount: {reply}")
    return reply["response"]["data"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3001")
    parser.add_argument("--key", default=None)
    parser.add_argument("--coin", default="SOL")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--usd", type=int, default=2_000)
    args = parser.parse_args(argv)
    key = args.key
    if key is None:
        from l2perp.node.devnet import dev_keys

        key = [k for k in dev_keys() if k.role == "trader"][1].private_key
    wallet = Account.from_key(key)
    me = wallet.address.lower()
    info = Info(args.url, skip_ws=True, timeout=10)
    master = Exchange(wallet, args.url, timeout=10)

    sub = the_sub_account(info, master, me)
    print(f"sub-account {NAME}: {sub}")
    funded = master.sub_account_transfer(sub, True, args.usd * 1_000_000)
    check(funded.get("status") == "ok", f"fund the sub-account: {funded}")
    value = float(info.user_state(sub)["marginSummary"]["accountValue"])
    check(value >= args.usd, f"the sub-account holds {value}")

    bot = Exchange(wallet, args.url, vault_address=sub, timeout=10)  # signed by the master
    sz_decimals = next(u["szDecimals"] for u in info.meta()["universe"] if u["name"] == args.coin)
    size = round(args.usd / 20 / float(info.all_mids()[args.coin]), sz_decimals)
    for n in range(args.rounds):
        mid = float(info.all_mids()[args.coin])
        bid, ask = rounded_px(mid * 0.995, sz_decimals), rounded_px(mid * 1.005, sz_decimals)
        reply = bot.bulk_orders([
            {"coin": args.coin, "is_buy": True, "sz": size, "limit_px": bid,
             "order_type": {"limit": {"tif": "Alo"}}, "reduce_only": False},
            {"coin": args.coin, "is_buy": False, "sz": size, "limit_px": ask,
             "order_type": {"limit": {"tif": "Alo"}}, "reduce_only": False}])
        check(reply.get("status") == "ok", f"quote: {reply}")
        resting = [s["resting"]["oid"] for s in reply["response"]["data"]["statuses"]
                   if "resting" in s]
        live = {o["oid"] for o in info.open_orders(sub)}
        check(set(resting) <= live, "the quotes rest on the sub-account")
        check(not {o["oid"] for o in info.open_orders(me)} & live, "not on the master")
        print(f"round {n + 1}: bid {bid} / ask {ask} x {size} ({len(resting)} resting)")
        time.sleep(0.5)
        for oid in resting:
            bot.cancel(args.coin, oid)

    check(info.open_orders(sub) == [], "every quote cancelled")
    state = info.user_state(sub)
    free = float(state["withdrawable"])
    print(f"sub-account value {state['marginSummary']['accountValue']}, withdrawable {free}")
    back = int(free * 1_000_000) // 2
    if back > 0:
        returned = master.sub_account_transfer(sub, False, back)
        check(returned.get("status") == "ok", f"return cash to the master: {returned}")
    print("ok sub_account_bot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
