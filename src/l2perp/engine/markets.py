"""Markets joining and leaving the venue: listing a new market (its asset id is the next index,
reserved forever) and status changes, with delisting's final settlement of every position at
one price. Admin transactions (stf) and executed proposals (governance) both come here.

Prices in pips, cash in micro-USDC, times in ms of block time.
"""

from __future__ import annotations

from ..units import MS_PER_HOUR
from . import errors as E
from .book import Book
from .oracle import oracle_twap
from .open_orders import Ctx, cancel_open_order
from .params import MarketSpec
from .positions import apply_position_delta
from .state import MARKET_DELISTED, Leverage, Market, State, is_fund, make_market
from .tx import LedgerEvent, SetMarketStatus


def list_market(state: State, spec: MarketSpec) -> Market:
    """Append a market; its asset id is the next index, reserved forever."""
    market = make_market(len(state.markets), spec, state.config)
    market.funding_hour = state.time_ms // MS_PER_HOUR
    market.premium_slot = state.time_ms // state.config.funding_sample_ms
    state.markets.append(market)
    state.books.append(Book(market.asset))
    state.triggers.append({})
    for address in sorted(state.accounts):
        if is_fund(address):
            state.accounts[address].leverage[market.asset] = Leverage(True, market.max_leverage)
    return market


def set_market_status(ctx: Ctx, action: SetMarketStatus) -> str | None:
    """Admin: change a market's status; delisting settles every position at the final price,
    cancels every order and keeps the asset id reserved forever."""
    state = ctx.state
    if not (0 <= action.asset < len(state.markets)):
        return E.UNKNOWN_ASSET.format(asset=action.asset)
    market = state.markets[action.asset]
    if market.status == MARKET_DELISTED:
        return E.ASSET_DELISTED.format(asset=market.asset)
    if not (0 <= action.status <= MARKET_DELISTED):
        return E.INVALID_MARKET_STATUS
    if action.status != MARKET_DELISTED:
        market.status = action.status
        return None
    price = action.settlement_pips or oracle_twap(market, state.time_ms)
    if price <= 0:
        return E.INVALID_MARKET_STATUS
    market.status = MARKET_DELISTED
    market.settlement_pips = price
    market.oracle_pips = market.mark_pips = price
    for address in sorted(state.accounts):
        account = state.accounts[address]
        for order in sorted((o for o in account.orders.values() if o.asset == market.asset),
                            key=lambda o: o.oid):
            if order.oid in account.orders:  # a group cancel may have taken it already
                cancel_open_order(ctx, account, order, "delistedCanceled")
        pos = account.positions.get(market.asset)
        if pos is not None:
            pnl = apply_position_delta(state, account, market, -pos.size_lots, price)
            ctx.events.append(LedgerEvent(address, "settlement", pnl, None, state.time_ms))
    market.open_interest_lots = 0
    return None


def delist_market(state: State, asset: int, settlement_pips: int, events: list) -> str | None:
    """Delist by governance at `settlement_pips` (0: the oracle TWAP); what it emits is
    block-level work (transaction index -1)."""
    return set_market_status(Ctx(state, events, -1),
                             SetMarketStatus(asset, MARKET_DELISTED, settlement_pips))
