"""The hyperliquid-python-sdk's example flows, written for l2perp's devnet: each runs the
unmodified SDK against a base URL and checks what the venue answers.

    python examples/sdk_flows.py [--url http://127.0.0.1:3001] [--key 0x...] FLOW [FLOW ...]

FLOWs: basic_order, market_order, leverage, modify, cloid, cancel_all, tpsl, rounding,
transfer, withdraw, schedule_cancel, agent, all. The default key is the first devnet trader
(`l2perp keys`). The market and TP/SL flows need liquidity: run `l2perp up` with its demo makers.
"""

from __future__ import annotations

import argparse
import sys
import time

from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.types import Cloid

DEFAULT_KEY = None  # filled from l2perp.node.devnet when the package is installed


def mid(info: Info, coin: str) -> float:
    return float(info.all_mids()[coin])


def rounded_px(px: float, sz_decimals: int) -> float:
    """5 significant figures and at most 6 - szDecimals decimals (integers above 100k)."""
    if px > 100_000:
        return float(round(px))
    return round(float(f"{px:.5g}"), 6 - sz_decimals)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")


def status(reply: dict) -> dict:
    check(reply.get("status") == "ok", f"reply not ok: {reply}")
    return reply["response"]["data"]["statuses"][0]


def basic_order(info, ex, me):
    px = rounded_px(mid(info, "ETH") * 0.9, 4)
    oid = status(ex.order("ETH", True, 0.2, px, {"limit": {"tif": "Gtc"}}))["resting"]["oid"]
    check(info.query_order_by_oid(me, oid)["order"]["status"] == "open", "order is open")
    check(status(ex.cancel("ETH", oid)) == "success", "cancelled")


def market_order(info, ex, me):
    check("filled" in status(ex.market_open("ETH", True, 0.05, None, 0.01)), "market open")
    check("filled" in status(ex.market_close("ETH")), "market close")


def leverage(info, ex, me):
    check(ex.update_leverage(21, "ETH")["status"] == "ok", "cross 21x")
    check(ex.update_leverage(5, "ETH", False)["status"] == "ok", "isolated 5x")
    check(ex.update_leverage(10, "ETH")["status"] == "ok", "back to cross 10x")


def modify(info, ex, me):
    px = rounded_px(mid(info, "ETH") * 0.9, 4)
    oid = status(ex.order("ETH", True, 0.2, px, {"limit": {"tif": "Gtc"}}))["resting"]["oid"]
    new = status(ex.modify_order(oid, "ETH", True, 0.1, rounded_px(px * 0.99, 4),
                                 {"limit": {"tif": "Gtc"}}))["resting"]["oid"]
    check(status(ex.cancel("ETH", new)) == "success", "cancel the modified order")


def cloid(info, ex, me):
    c = Cloid.from_int(int(time.time()))
    px = rounded_px(mid(info, "ETH") * 0.9, 4)
    status(ex.order("ETH", True, 0.2, px, {"limit": {"tif": "Gtc"}}, cloid=c))
    check(info.query_order_by_cloid(me, c)["status"] == "order", "found by cloid")
    check(status(ex.cancel_by_cloid("ETH", c)) == "success", "cancel by cloid")


def cancel_all(info, ex, me):
    for i in range(3):
        px = rounded_px(mid(info, "ETH") * (0.85 - i * 0.01), 4)
        status(ex.order("ETH", True, 0.1, px, {"limit": {"tif": "Gtc"}}))
    for order in info.open_orders(me):
        check(status(ex.cancel(order["coin"], order["oid"])) == "success", "cancel")
    check(info.open_orders(me) == [], "nothing left open")


def tpsl(info, ex, me):
    px = rounded_px(mid(info, "SOL") * 1.01, 2)
    tp, sl = rounded_px(px * 1.05, 2), rounded_px(px * 0.95, 2)
    orders = [{"coin": "SOL", "is_buy": True, "sz": 1, "limit_px": px,
               "order_type": {"limit": {"tif": "Ioc"}}, "reduce_only": False},
              {"coin": "SOL", "is_buy": False, "sz": 1, "limit_px": tp,
               "order_type": {"trigger": {"isMarket": True, "triggerPx": tp, "tpsl": "tp"}},
               "reduce_only": True},
              {"coin": "SOL", "is_buy": False, "sz": 1, "limit_px": sl,
               "order_type": {"trigger": {"isMarket": True, "triggerPx": sl, "tpsl": "sl"}},
               "reduce_only": True}]
    reply = ex.bulk_orders(orders, grouping="normalTpsl")
    check(reply["status"] == "ok" and len(reply["response"]["data"]["statuses"]) == 3, "tpsl")
    for order in info.frontend_open_orders(me):
        if order["coin"] == "SOL":
            ex.cancel("SOL", order["oid"])
    ex.market_close("SOL")


def rounding(info, ex, me):
    sz_decimals = {u["name"]: u["szDecimals"] for u in info.meta()["universe"]}
    px = rounded_px(mid(info, "OP") * 0.8, sz_decimals["OP"])
    sz = round(12.345678, sz_decimals["OP"])
    oid = status(ex.order("OP", True, sz, px, {"limit": {"tif": "Gtc"}}))["resting"]["oid"]
    check(status(ex.cancel("OP", oid)) == "success", "cancelled")


def transfer(info, ex, me):
    other = Account.create().address
    check(ex.usd_transfer(1.5, other)["status"] == "ok", "usd transfer")
    check(info.user_state(other)["marginSummary"]["accountValue"] == "1.5", "received")


def withdraw(info, ex, me):
    check(ex.withdraw_from_bridge(2, me)["status"] == "ok", "withdraw")


def schedule_cancel(info, ex, me):
    check(ex.schedule_cancel(int(time.time() * 1000) + 60_000)["status"] == "ok", "schedule")
    check(ex.schedule_cancel(None)["status"] == "ok", "unschedule")


def agent(info, ex, me):
    result, key = ex.approve_agent()
    check(result["status"] == "ok", "approve agent")
    as_agent = Exchange(Account.from_key(key), ex.base_url, account_address=me, timeout=10)
    px = rounded_px(mid(info, "ETH") * 0.9, 4)
    oid = status(as_agent.order("ETH", True, 0.2, px, {"limit": {"tif": "Gtc"}}))["resting"][
        "oid"]
    check(status(as_agent.cancel("ETH", oid)) == "success", "the agent cancels")


FLOWS = {f.__name__: f for f in (basic_order, market_order, leverage, modify, cloid, cancel_all,
                                 tpsl, rounding, transfer, withdraw, schedule_cancel, agent)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3001")
    parser.add_argument("--key", default=None)
    parser.add_argument("flows", nargs="+")
    args = parser.parse_args(argv)
    key = args.key
    if key is None:
        from l2perp.node.devnet import dev_keys

        key = next(k for k in dev_keys() if k.role == "trader").private_key
    wallet = Account.from_key(key)
    info = Info(args.url, skip_ws=True, timeout=10)
    exchange = Exchange(wallet, args.url, timeout=10)
    names = list(FLOWS) if args.flows == ["all"] else args.flows
    for name in names:
        FLOWS[name](info, exchange, wallet.address)
        print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
