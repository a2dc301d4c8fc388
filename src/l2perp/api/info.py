"""`POST /info` answers computed from the engine state, shaped as Hyperliquid's (docs/api.md
§1.2): meta, spotMeta, allMids, l2Book, clearinghouseState, openOrders, frontendOpenOrders,
metaAndAssetCtxs, exchangeStatus, and the per-user answers userFees, userRole, extraAgents,
userRateLimit (plus devnetKeys, an l2perp extension). History-backed types are in history.py,
the registry of every type in info_types.py. Numbers are exact decimal strings of the engine's
integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.funding import impact_price, predicted_rate
from ..engine.fees import compute_fee_rates
from ..engine.state import MARKET_DELISTED, State
from ..engine.views import account_view
from ..node.devnet import dev_keys
from ..units import (
    MAX_DECIMALS, MS_PER_DAY, MS_PER_HOUR, format_fixed, format_price, format_size, format_usdc,
)
from .rows import format_rate, order_row, position_row


def asset_by_name(state: State, coin: object) -> int | None:
    """A coin's asset id (its position in meta.universe), None when it is not listed."""
    for market in state.markets:
        if market.name == coin:
            return market.asset
    return None


def meta(state: State) -> dict:
    """{universe: [...], marginTables: [[id, {description, marginTiers}]]}: the list position
    is the asset id, delisted markets stay in place. Each market names its margin table
    (`marginTableId`): its tiers as governance keeps them, markets with the same tiers sharing
    one table, numbered from 1 in order of first use; `lowerBound` is in USDC."""
    universe = []
    tables, table_of = margin_tables(state)
    for m, table_id in zip(state.markets, table_of):
        entry = {"name": m.name, "szDecimals": m.sz_decimals, "maxLeverage": m.max_leverage,
                 "marginTableId": table_id}
        if m.spec.only_isolated:
            entry["onlyIsolated"] = True
        if m.status == MARKET_DELISTED:
            entry["isDelisted"] = True
        universe.append(entry)
    return {"universe": universe, "marginTables": [
        [table_id, margin_table(tiers)] for tiers, table_id in tables.items()]}


def margin_tables(state: State) -> tuple[dict[tuple, int], list[int]]:
    """(tiers -> table id, each market's table id): markets with the same tiers (as
    (lower bound, max leverage) pairs) share a table, numbered from 1 in order of first use."""
    tables: dict[tuple, int] = {}
    table_of = []
    for m in state.markets:
        tiers = tuple((t.lower_bound_musdc, t.max_leverage) for t in m.spec.margin_tiers)
        table_of.append(tables.setdefault(tiers, len(tables) + 1))
    return tables, table_of


def margin_table_by_id(state: State, table_id: int) -> dict:
    """marginTable: the table `meta` numbers `table_id` (ValueError: no such table)."""
    for tiers, found in margin_tables(state)[0].items():
        if found == table_id:
            return margin_table(tiers)
    raise ValueError(f"Unknown margin table {table_id}")


def margin_table(tiers: tuple) -> dict:
    """One margin table: {description ("tiered 40x" / "flat 5x"), marginTiers: [{lowerBound
    (USDC), maxLeverage}]}."""
    kind = "tiered" if len(tiers) > 1 else "flat"
    return {"description": f"{kind} {tiers[0][1]}x", "marginTiers": [
        {"lowerBound": format_usdc(bound), "maxLeverage": leverage} for bound, leverage in tiers]}


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
    Amounts are USDC, sizes base units, prices USD; the rows (with the l2perp extension
    `adlRank`) are rows.py `position_row`."""
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
        if p.is_cross:
            cross_ntl += p.position_value_musdc
            cross_used += p.margin_used_musdc
        positions.append(position_row(state, p))
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
    funding (the last hour paid) and premium as plain fractions (funding per hour), and
    l2perp's `predictedFunding`, the rate this hour would pay on its samples so far
    (engine/funding.predicted_rate). `prevDayPx` is the price of
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
        "predictedFunding": format_rate(predicted_rate(state, m)),  # l2perp
    }


def predicted_fundings(state: State) -> list:
    """predictedFundings: [[coin, [["HlPerp", {fundingRate, nextFundingTime,
    fundingIntervalHours: 1}]]]] per listed market, in asset order. Hyperliquid lists other
    venues beside its own; this venue is the only one it knows, under Hyperliquid's label for
    itself so that clients find it. The rate is engine/funding.predicted_rate's."""
    next_hour = (state.time_ms // MS_PER_HOUR + 1) * MS_PER_HOUR
    return [[m.name, [["HlPerp", {"fundingRate": format_rate(predicted_rate(state, m)),
                                  "nextFundingTime": next_hour, "fundingIntervalHours": 1}]]]
            for m in state.markets if m.status != MARKET_DELISTED]


def meta_and_asset_ctxs(state: State, days: dict[int, DayStats] | None = None) -> list:
    """[meta, one asset_ctx per market]; `days` (asset -> DayStats) from the indexer."""
    days = days or {}
    return [meta(state), [asset_ctx(state, m.asset, days.get(m.asset)) for m in state.markets]]


def exchange_status(state: State) -> dict:
    return {"time": state.time_ms, "specialStatuses": None}


def user_fee_rates(state: State, user: str) -> tuple[int, int]:
    """The user's (taker, maker) tier rates in e9 today; an unknown user pays tier 0."""
    account = state.accounts.get(user)
    if account is None:
        tier0 = state.config.fee_tiers[0]
        return tier0.taker_rate_e9, tier0.maker_rate_e9
    return compute_fee_rates(state, account, state.time_ms // MS_PER_DAY)


def user_fees(state: State, user: str) -> dict:
    """The user's daily volumes and fee rates (userFees); an unknown user pays tier 0."""
    account = state.accounts.get(user)
    taker, maker = user_fee_rates(state, user)
    tier0 = state.config.fee_tiers[0]
    days = sorted(account.volume_days.items()) if account is not None else []
    return {"dailyUserVlm": [{"date": day, "userCross": format_usdc(v), "userAdd": "0",
                              "exchange": format_usdc(state.volume_days.get(day, 0))}
                             for day, v in days],
            "userCrossRate": format_rate(taker), "userAddRate": format_rate(maker),
            "activeReferralDiscount": "0.0", "feeSchedule": {
                "cross": format_rate(tier0.taker_rate_e9), "add": format_rate(tier0.maker_rate_e9)}}


def user_role(state: State, user: str) -> dict:
    """agent (with its owner), subAccount (with its master), vault, user (holds an account) or
    missing."""
    if user in state.agent_owner:
        return {"role": "agent", "data": {"user": state.agent_owner[user]}}
    account = state.accounts.get(user)
    if account is None:
        return {"role": "missing"}
    if account.master is not None:
        return {"role": "subAccount", "data": {"master": account.master}}
    if account.vault is not None:
        return {"role": "vault"}
    return {"role": "user"}


def extra_agents(state: State, user: str) -> list:
    """The user's approved agents, by name."""
    account = state.accounts.get(user)
    if account is None:
        return []
    return [{"name": a.name, "address": a.address, "validUntil": None}
            for _, a in sorted(account.agents.items())]


def traded_musdc(state: State, user: str) -> int:
    """The user's traded notional (micro-USDC) over the days the engine keeps for fee tiers."""
    account = state.accounts.get(user)
    return sum(account.volume_days.values()) if account is not None else 0


def traded_usd(state: State, user: str) -> int:
    """`traded_musdc` in whole USDC, rounded down (the per-address budget counts whole USDC)."""
    return traded_musdc(state, user) // 1_000_000


def user_rate_limit(state: State, user: str, limiter=None) -> dict:
    """The user's traded volume, the /exchange requests the rate limiter counted for the user
    (its per-address counter, cumulative since the node started; 0 without limits) and the
    cap (Hyperliquid: 10,000 + 1 per whole USDC traded)."""
    volume = traded_musdc(state, user)
    used = limiter.sent.get(user, 0) if limiter is not None else 0
    cap = (limiter.address_cap(volume // 1_000_000) if limiter is not None
           else 10_000 + volume // 1_000_000)
    return {"cumVlm": format_usdc(volume), "nRequestsUsed": used, "nRequestsCap": cap}


def devnet_keys(state: State) -> list:
    """The deterministic devnet keys that `l2perp keys --json` prints, here as [{address,
    privateKey, role}] (camelCase, like the rest of /info), so a browser can offer them; only on
    a node whose genesis says devnet, a ValueError (422) anywhere else."""
    if not state.config.devnet:
        raise ValueError("unknown info type 'devnetKeys': this node is not a devnet")
    return [{"address": k.address, "privateKey": k.private_key, "role": k.role}
            for k in dev_keys()]
