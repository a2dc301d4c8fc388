"""`POST /info` answers computed from the engine state, shaped as Hyperliquid's (client-api.md
§1.2): meta, spotMeta, allMids, l2Book, clearinghouseState, openOrders, frontendOpenOrders,
metaAndAssetCtxs, exchangeStatus, perpDexs, userAbstraction. History-backed types (fills,
funding history, candles, order status) come from the indexer. Numbers are exact decimal strings
of the engine's integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.book import TIF_ALO, TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_TP
from ..engine.funding import impact_price
from ..engine.state import MARKET_DELISTED, State
from ..engine.views import account_view
from ..units import MAX_DECIMALS, format_fixed, format_price, format_size, format_usdc

TIF_NAMES = {TIF_GTC: "Gtc", TIF_IOC: "Ioc", TIF_ALO: "Alo"}


def format_rate(rate_e9: int) -> str:
    return format_fixed(rate_e9, 9)


def asset_by_name(state: State, coin: object) -> int | None:
    """A coin's asset id (its position in meta.universe), None when it is not listed."""
    for market in state.markets:
        if market.name == coin:
            return market.asset
    return None


def meta(state: State) -> dict:
    """{universe: [...]}: the list position is the asset id, delisted markets stay in place."""
    universe = []
    for m in state.markets:
        entry = {"name": m.name, "szDecimals": m.sz_decimals, "maxLeverage": m.max_leverage}
        if m.spec.only_isolated:
            entry["onlyIsolated"] = True
        if m.status == MARKET_DELISTED:
            entry["isDelisted"] = True
        universe.append(entry)
    return {"universe": universe}


def spot_meta(state: State) -> dict:
    return {"tokens": [], "universe": []}


def mid_text(state: State, asset: int) -> str:
    """The book mid (exact, half a pip allowed), else the mark, else the oracle."""
    market = state.markets[asset]
    book = state.books[asset]
    bid, ask = book.best_bid(), book.best_ask()
    decimals = MAX_DECIMALS - market.sz_decimals
    if bid and ask:
        return format_fixed(bid + ask, decimals + 1) if (bid + ask) % 2 else format_fixed(
            (bid + ask) // 2, decimals)
    return format_price(market.mark_pips or market.oracle_pips, market.sz_decimals)


def all_mids(state: State) -> dict:
    """Every listed, priced market (the SDK fails on a missing coin)."""
    return {m.name: mid_text(state, m.asset) for m in state.markets
            if m.status != MARKET_DELISTED and (m.mark_pips or m.oracle_pips)}


def l2_book(state: State, asset: int, depth: int = 20) -> dict:
    market = state.markets[asset]
    book = state.books[asset]
    d = market.sz_decimals

    def side(is_buy: bool) -> list:
        return [{"px": format_price(p, d), "sz": format_size(lots, d), "n": n}
                for p, lots, n in book.levels(is_buy, depth)]

    return {"coin": market.name, "time": state.time_ms, "levels": [side(True), side(False)]}


def clearinghouse_state(state: State, user: str) -> dict:
    """Positions and margin summary of one user (an unknown user gets an empty account).
    Amounts are USDC, sizes base units, prices USD. Each position carries the l2perp extension
    `adlRank`: its 1-based place in the auto-deleveraging queue of its side (1 is closed
    first), 0 when it is not ranked (no positive account value)."""
    account = state.accounts.get(user)
    if account is None:
        zero = {"accountValue": "0", "totalNtlPos": "0", "totalRawUsd": "0",
                "totalMarginUsed": "0"}
        return {"assetPositions": [], "marginSummary": zero, "crossMarginSummary": dict(zero),
                "crossMaintenanceMarginUsed": "0", "withdrawable": "0", "time": state.time_ms}
    view = account_view(state, account)
    positions = []
    cross_ntl = cross_used = 0
    for p in view.positions:
        m = state.markets[p.asset]
        d = m.sz_decimals
        size = abs(p.size_lots)
        leverage = {"type": "cross" if p.is_cross else "isolated", "value": p.leverage}
        if not p.is_cross:
            leverage["rawUsd"] = format_usdc(p.raw_usd_musdc)
        else:
            cross_ntl += p.position_value_musdc
            cross_used += p.margin_used_musdc
        num, den = p.return_on_equity
        positions.append({"type": "oneWay", "position": {
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
        }})
    summary = {"accountValue": format_usdc(view.account_value_musdc),
               "totalNtlPos": format_usdc(view.total_ntl_pos_musdc),
               "totalRawUsd": format_usdc(view.total_raw_usd_musdc),
               "totalMarginUsed": format_usdc(view.total_margin_used_musdc)}
    cross = {"accountValue": format_usdc(view.cross_account_value_musdc),
             "totalNtlPos": format_usdc(cross_ntl),
             "totalRawUsd": format_usdc(view.total_raw_usd_musdc),
             "totalMarginUsed": format_usdc(cross_used)}
    return {"assetPositions": positions, "marginSummary": summary, "crossMarginSummary": cross,
            "crossMaintenanceMarginUsed": format_usdc(view.cross_maintenance_margin_musdc),
            "withdrawable": format_usdc(view.withdrawable_musdc), "time": state.time_ms}


def order_row(state: State, order, frontend: bool) -> dict:
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


def open_orders(state: State, user: str, frontend: bool = False) -> list:
    """The user's open orders, newest first (resting and untriggered)."""
    account = state.accounts.get(user)
    if account is None:
        return []
    return [order_row(state, account.orders[oid], frontend)
            for oid in sorted(account.orders, reverse=True)]


@dataclass(frozen=True, slots=True)
class DayStats:
    """One market's last 24 hours of block time, from the indexer's fills."""

    prev_day_pips: int | None  # the reference fill's price (None: no fills at all)
    ntl_musdc: int  # Σ px x sz over fills in (now - 24h, now]
    base_lots: int  # Σ sz over the same fills


def asset_ctx(state: State, asset: int, day: DayStats | None = None) -> dict:
    """A market's context as metaAndAssetCtxs shows it: prices in USD, sizes in base units,
    funding and premium as plain fractions (funding per hour). `prevDayPx` is the price of
    the last fill at or before now - 24h (else the first fill since; else the oracle price),
    `dayNtlVlm` the USDC notional and `dayBaseVlm` the base size traded in (now - 24h, now],
    when `day` is given; without it (no indexer) the oracle price and "0"."""
    m = state.markets[asset]
    d = m.sz_decimals
    book = state.books[asset]
    impact = m.spec.impact_notional_musdc
    bid, ask = impact_price(book, True, impact), impact_price(book, False, impact)
    has_mid = book.best_bid() and book.best_ask()
    prev = day.prev_day_pips if day is not None else None
    return {
        "funding": format_rate(m.funding_rate_e9),
        "openInterest": format_size(m.open_interest_lots, d),
        "prevDayPx": format_price(m.oracle_pips if prev is None else prev, d),
        "dayNtlVlm": format_usdc(day.ntl_musdc) if day is not None else "0",
        "premium": format_rate(m.premium_sum_e9 // 720),
        "oraclePx": format_price(m.oracle_pips, d),
        "markPx": format_price(m.mark_pips, d),
        "midPx": mid_text(state, asset) if has_mid else None,
        "impactPxs": [format_price(bid, d), format_price(ask, d)] if bid and ask else None,
        "dayBaseVlm": format_size(day.base_lots, d) if day is not None else "0",
    }


def meta_and_asset_ctxs(state: State, days: dict[int, DayStats] | None = None) -> list:
    """[meta, one asset_ctx per market]; `days` (asset -> DayStats) from the indexer."""
    days = days or {}
    return [meta(state), [asset_ctx(state, m.asset, days.get(m.asset)) for m in state.markets]]


def exchange_status(state: State) -> dict:
    return {"time": state.time_ms, "specialStatuses": None}
