"""The rows of the API's answers, one function per shape Hyperliquid shows: fills, trades, open
and recorded orders, positions, funding records, ledger entries, candles, best bid and offer.
/info and the websocket build their answers from these; numbers are exact decimal strings of
the engine's integers (sizes in base units, prices in USD, amounts in USDC, rates as plain
fractions).
"""

from __future__ import annotations

import hashlib

from ..engine.book import TIF_ALO, TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_TP
from ..engine.state import State
from ..engine.tx import FillEvent
from ..units import MAX_DECIMALS, format_fixed, format_price, format_size, format_usdc

TIF_NAMES = {TIF_GTC: "Gtc", TIF_IOC: "Ioc", TIF_ALO: "Alo"}
NO_HASH = "0x" + "00" * 32  # l2perp names no transaction hash on fills and funding records


def format_rate(rate_e9: int) -> str:
    """A rate in parts per 10^9 as a plain fraction ("0.0000125")."""
    return format_fixed(rate_e9, 9)


def fill_direction(start_lots: int, is_buy: bool) -> str:
    """Hyperliquid's `dir` of a fill from the position it started from."""
    if start_lots == 0 or (start_lots > 0) == is_buy:
        return "Open Long" if is_buy else "Open Short"
    return "Close Short" if is_buy else "Close Long"


def fill_row(state: State, fill: FillEvent, is_taker: bool) -> dict:
    """One fill as userFills shows it, from the taker's or the maker's side."""
    market = state.markets[fill.asset]
    d = market.sz_decimals
    is_buy = fill.taker_is_buy == is_taker
    start = fill.taker_start_lots if is_taker else fill.maker_start_lots
    return {
        "coin": market.name, "px": format_price(fill.px_pips, d),
        "sz": format_size(fill.sz_lots, d), "side": "B" if is_buy else "A",
        "time": fill.time_ms, "startPosition": format_size(start, d),
        "dir": fill_direction(start, is_buy),
        "closedPnl": format_usdc(fill.taker_closed_pnl_musdc if is_taker
                                 else fill.maker_closed_pnl_musdc),
        "hash": NO_HASH, "oid": fill.taker_oid if is_taker else fill.maker_oid,
        "crossed": is_taker,
        "fee": format_usdc(fill.taker_fee_musdc if is_taker else fill.maker_fee_musdc),
        "tid": fill.tid, "feeToken": "USDC",
    }


def trade_row(state: State, fill: FillEvent) -> dict:
    """One fill as the `trades` channel shows it: the taker's side, users [buyer, seller]."""
    market = state.markets[fill.asset]
    d = market.sz_decimals
    buyer, seller = (fill.taker, fill.maker) if fill.taker_is_buy else (fill.maker, fill.taker)
    return {"coin": market.name, "side": "B" if fill.taker_is_buy else "A",
            "px": format_price(fill.px_pips, d), "sz": format_size(fill.sz_lots, d),
            "hash": NO_HASH, "time": fill.time_ms, "tid": fill.tid,
            "users": [buyer, seller]}


def order_row(state: State, order, frontend: bool) -> dict:
    """An open order (resting or untriggered) as openOrders shows it; with `frontend`, as
    frontendOpenOrders does (type, trigger, original size...)."""
    m = state.markets[order.asset]
    d = m.sz_decimals
    row = {"coin": m.name, "limitPx": format_price(order.limit_pips, d), "oid": order.oid,
           "side": "B" if order.is_buy else "A", "sz": format_size(order.size_lots, d),
           "timestamp": order.timestamp_ms}
    if frontend:
        trigger = order.tif == TIF_TRIGGER
        if trigger:
            kind = ("Take Profit" if order.tpsl == TPSL_TP else "Stop") + (
                " Market" if order.trigger_is_market else " Limit")
        else:
            kind = "Limit"
        row.update({
            "origSz": format_size(order.orig_lots, d), "orderType": kind,
            "tif": None if trigger else TIF_NAMES.get(order.tif),
            "reduceOnly": order.reduce_only, "isTrigger": trigger,
            "triggerPx": format_price(order.trigger_pips, d) if trigger else "0.0",
            "triggerCondition": (("Price below " if (order.is_buy == (order.tpsl == TPSL_TP))
                                  else "Price above ") + format_price(order.trigger_pips, d))
            if trigger else "N/A",
            "isPositionTpsl": order.is_position_tpsl, "children": [], "cloid": order.cloid,
        })
    return row


def open_order_status(state: State, order) -> dict:
    """An open order as orderStatus and historicalOrders show it."""
    return {"order": order_row(state, order, frontend=True), "status": "open",
            "statusTimestamp": order.timestamp_ms}


def recorded_order_status(state: State, record: tuple) -> dict:
    """An order the indexer recorded (node/indexer.py `order_record`), as orderStatus and
    historicalOrders show it: its latest status, size 0 once it left the book."""
    oid, _, asset, is_buy, px, orig, tif, reduce_only, cloid, ts, status, status_ms = record
    market = state.markets[asset]
    d = market.sz_decimals
    row = {"coin": market.name, "side": "B" if is_buy else "A",
           "limitPx": format_price(px, d), "sz": "0", "oid": oid, "timestamp": ts,
           "origSz": format_size(orig, d), "orderType": "Limit",
           "tif": TIF_NAMES.get(tif), "reduceOnly": bool(reduce_only), "isTrigger": False,
           "triggerPx": "0.0", "triggerCondition": "N/A", "isPositionTpsl": False,
           "children": [], "cloid": cloid}
    return {"order": row, "status": status or "open", "statusTimestamp": status_ms or ts}


def position_row(state: State, p) -> dict:
    """One position of clearinghouseState (`p` from engine/views.py `account_view`). Carries
    the l2perp extension `adlRank`: its 1-based place in the auto-deleveraging queue of its
    side (1 is closed first), 0 when it is not ranked (no positive account value)."""
    m = state.markets[p.asset]
    d = m.sz_decimals
    size = abs(p.size_lots)
    leverage = {"type": "cross" if p.is_cross else "isolated", "value": p.leverage}
    if not p.is_cross:
        leverage["rawUsd"] = format_usdc(p.raw_usd_musdc)
    num, den = p.return_on_equity
    return {"type": "oneWay", "position": {
        "coin": m.name, "szi": format_size(p.size_lots, d),
        "leverage": leverage,
        "entryPx": format_fixed((p.entry_ntl_musdc * 10 ** 4) // size,
                                MAX_DECIMALS - d + 4) if size else None,
        "positionValue": format_usdc(p.position_value_musdc),
        "unrealizedPnl": format_usdc(p.unrealized_pnl_musdc),
        "returnOnEquity": format_fixed(num * 10**9 // den, 9),
        "liquidationPx": format_price(p.liquidation_pips, d) if p.liquidation_pips else None,
        "marginUsed": format_usdc(p.margin_used_musdc),
        "maxLeverage": p.max_leverage,
        "cumFunding": {"allTime": format_usdc(-p.cum_funding_musdc),
                       "sinceOpen": format_usdc(-p.cum_funding_musdc),
                       "sinceChange": format_usdc(-p.cum_funding_musdc)},
        "adlRank": p.adl_rank,  # l2perp: 1 = deleveraged first on its side, 0 = unranked
    }}


def funding_row(coin: str, time_ms: int, rate_e9: int, premium_e9: int) -> dict:
    """One market's funding at one funding time (fundingHistory)."""
    return {"coin": coin, "fundingRate": format_rate(rate_e9), "premium": format_rate(premium_e9),
            "time": time_ms}


def user_funding_row(market, time_ms: int, amount_musdc: int, size_lots: int,
                     rate_e9: int) -> dict:
    """One position's funding payment at one funding time (userFunding); `usdc` < 0 paid."""
    return {"time": time_ms, "hash": NO_HASH, "delta": {
        "type": "funding", "coin": market.name, "usdc": format_usdc(amount_musdc),
        "szi": format_size(size_lots, market.sz_decimals), "fundingRate": format_rate(rate_e9)}}


def candle_row(market, interval: str, row: tuple) -> dict:
    """One candle (node/indexer.py `candles` row) as candleSnapshot and the candle channel
    show it: t/T open and close times in ms, o/c/h/l prices, v base volume, n trades."""
    start, end, o, c, h, low, v, n = row
    d = market.sz_decimals
    return {"t": start, "T": end, "s": market.name, "i": interval,
            "o": format_price(o, d), "c": format_price(c, d), "h": format_price(h, d),
            "l": format_price(low, d), "v": format_size(v, d), "n": n}


def bbo_row(book: dict) -> dict:
    """The bbo channel's data from an l2Book answer: [best bid level, best ask level], each
    null when its side is empty."""
    bids, asks = book["levels"]
    return {"coin": book["coin"], "time": book["time"],
            "bbo": [bids[:1] and bids[0] or None, asks[:1] and asks[0] or None]}


def _out_in(user: str, counterparty: str | None, amount_musdc: int) -> tuple:
    """(where the money left, where it arrived) of a ledger entry seen from `user`."""
    return (user, counterparty) if amount_musdc < 0 else (counterparty, user)


def ledger_row(user: str, time_ms: int, height: int, seq: int, kind: str, amount_musdc: int,
               counterparty: str | None, withdraw_fee_musdc: int) -> dict:
    """One cash movement other than trading and funding (userNonFundingLedgerUpdates), in
    Hyperliquid's shapes: `deposit` {usdc}; `withdraw` {usdc (what was debited), fee};
    `internalTransfer` {usdc, user (the sender), destination, fee} for a usdSend, on both
    sides' ledgers alike; `subAccountTransfer` {usdc, user (the sender), destination};
    `vaultCreate` {vault, usdc, fee}, `vaultDeposit` {vault, usdc}, `vaultWithdraw` {vault, user,
    requestedUsd, usdc}, on the holder's and the vault's ledgers; l2perp's
    `vaultLeaderCommission` {usdc (signed), user (the follower), leader} and `builderFee` {usdc
    (signed), user (the trader), builder}; and l2perp's own `backstopLiquidation` {usdc (< 0:
    taken), fund}, `settlement` {usdc (signed)} of a delisted market and `l1DataCost` {usdc}, a
    batch poster's L1 cost paid out of the fee pool. `hash` names the entry: blake2b-256 of
    its block height and its place among the block's events."""
    usdc = format_usdc(abs(amount_musdc))
    if kind == "deposit":
        delta: dict = {"type": "deposit", "usdc": usdc}
    elif kind == "withdraw":
        delta = {"type": "withdraw", "usdc": usdc, "fee": format_usdc(withdraw_fee_musdc)}
    elif kind == "send":
        sender, receiver = _out_in(user, counterparty, amount_musdc)
        delta = {"type": "internalTransfer", "usdc": usdc, "user": sender,
                 "destination": receiver, "fee": "0"}
    elif kind == "subAccountTransfer":
        sender, receiver = _out_in(user, counterparty, amount_musdc)
        delta = {"type": kind, "usdc": usdc, "user": sender, "destination": receiver}
    elif kind in ("vaultCreate", "vaultDeposit"):  # money in: the vault receives (> 0)
        vault = user if amount_musdc > 0 else counterparty
        delta = {"type": kind, "vault": vault, "usdc": usdc}
        if kind == "vaultCreate":
            delta["fee"] = "0"
    elif kind == "vaultWithdraw":  # money out: the vault pays (< 0)
        vault, holder = _out_in(user, counterparty, amount_musdc)
        delta = {"type": kind, "vault": vault, "user": holder, "requestedUsd": usdc,
                 "usdc": usdc}
    elif kind == "vaultLeaderCommission":  # the follower pays (< 0), the leader receives
        follower, leader = _out_in(user, counterparty, amount_musdc)
        delta = {"type": kind, "usdc": format_usdc(amount_musdc), "user": follower,
                 "leader": leader}
    elif kind == "builderFee":  # the trader pays (< 0), the builder receives
        payer, builder = _out_in(user, counterparty, amount_musdc)
        delta = {"type": kind, "usdc": format_usdc(amount_musdc), "user": payer,
                 "builder": builder}
    elif kind == "backstopLiquidation":
        delta = {"type": kind, "usdc": format_usdc(amount_musdc), "fund": counterparty}
    else:
        delta = {"type": kind, "usdc": format_usdc(amount_musdc)}
    entry = hashlib.blake2b(b"l2perp/ledger" + height.to_bytes(8, "big") + seq.to_bytes(4, "big"),
                            digest_size=32).hexdigest()
    return {"time": time_ms, "hash": "0x" + entry, "delta": delta}
