"""Order validation: Hyperliquid's tick, lot, price-band and minimum-notional rules (one set of
helpers for limit and trigger prices), the market-status rule, and the checks against the account
(cloid, open-order count, reduce-only, post-only, initial margin). Pure reads: nothing changes."""

from __future__ import annotations

from typing import Final

from ..units import E9, Dec, format_price
from . import errors as E
from .book import TIF_ALO, TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_SL, TPSL_TP, Order
from .devfaults import post_only_refusal
from .margin import cross_free_margin, leverage_of
from .positions import added_initial_margin
from .state import (
    MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, Account, Market, State,
)
from .tx import OrderSpec

MAX_PRICE_SIG_FIGS: Final = 5  # Hyperliquid: at most 5 significant figures (integers always valid)
MAX_PRICE_DECIMALS: Final = 6  # Hyperliquid: at most 6 - szDecimals decimals
# a normalized coefficient below this has <= 5 digits
MAX_SIG_FIG_COEFF: Final = 10**MAX_PRICE_SIG_FIGS
POW10: Final = tuple(10**i for i in range(64))

OrderTerms = tuple[str | None, int, int, int]  # (error, price_pips, size_lots, trigger_pips)


def price_to_pips(px: Dec, sz_decimals: int) -> int | None:
    """A positive wire price in pips (1 pip = 10^(szDecimals-6) USD), exactly; None when it is
    not positive or breaks the tick rule: a fractional price has at most 5 significant figures
    and at most 6 - szDecimals decimals (integer prices are always valid). Never rounds."""
    coeff, exp = px
    if coeff <= 0:
        return None
    if exp < 0 and (-exp > MAX_PRICE_DECIMALS - sz_decimals or coeff >= MAX_SIG_FIG_COEFF):
        return None
    shift = exp + MAX_PRICE_DECIMALS - sz_decimals
    return coeff * (POW10[shift] if shift < 64 else 10**shift)


def size_to_lots(sz: Dec, sz_decimals: int) -> int | None:
    """A wire size in lots (1 lot = 10^-szDecimals base units, >= 0), exactly; None when it is
    negative or has more than szDecimals decimals (the lot rule). Never rounds."""
    coeff, exp = sz
    if coeff < 0:
        return None
    shift = exp + sz_decimals
    if shift >= 0:
        return coeff * (POW10[shift] if shift < 64 else 10**shift)
    div = POW10[-shift] if -shift < 64 else 10 ** (-shift)
    return coeff // div if coeff % div == 0 else None


def is_outside_price_band(price_pips: int, reference_pips: int, max_deviation_e9: int) -> bool:
    """True when |price - reference| > max_deviation (parts per 10^9) of the reference, compared
    exactly in integers: a price exactly at the band's edge (80% by default) is inside."""
    diff = price_pips - reference_pips
    return (diff if diff >= 0 else -diff) * E9 > reference_pips * max_deviation_e9


def is_below_min_notional(price_pips: int, size_lots: int, min_notional_musdc: int) -> bool:
    """True when price x size (micro-USDC, exact) is below the minimum: exactly $10 is enough."""
    return size_lots * price_pips < min_notional_musdc


def check_market_open(market: Market, reduce_only: bool) -> str | None:
    """The market-status rule for a new order: a reduce-only market (or a circuit-breaker halt)
    takes only reduce-only orders; a paused or delisted market takes none."""
    status = market.status
    if status == MARKET_ACTIVE:
        if market.halted_reduce_only and not reduce_only:
            return E.MARKET_REDUCE_ONLY_MODE.format(asset=market.asset)
        return None
    if status == MARKET_REDUCE_ONLY:
        return None if reduce_only else E.MARKET_REDUCE_ONLY_MODE.format(asset=market.asset)
    if status == MARKET_PAUSED:
        return E.TRADING_HALTED.format(asset=market.asset)
    return E.ASSET_DELISTED.format(asset=market.asset)


def validate_order(
    state: State, account: Account, spec: OrderSpec, replacing: Order | None = None,
) -> OrderTerms:
    """Check one wire order; returns (error, price_pips, size_lots, trigger_pips), the numbers 0
    when error is set. Prices and sizes convert exactly or are refused (never rounded).

    The first failing rule names the error, in this order: a known asset with an oracle price,
    the market's status, the lot rule and a non-zero size, a positive price on the tick, the
    trigger fields (trigger price on the tick and in the band) or a known TIF, the 80% band, the
    $10 minimum (reduce-only excepted), then `check_account_rules`. `replacing` is the order a
    modify replaces: its margin counts as free and its cloid as available.
    """
    markets = state.markets
    if not (0 <= spec.asset < len(markets)):
        return E.UNKNOWN_ASSET.format(asset=spec.asset), 0, 0, 0
    market = markets[spec.asset]
    asset = market.asset
    oracle = market.oracle_pips
    if oracle == 0 and market.status != MARKET_DELISTED:
        return E.NO_ORACLE_PRICE.format(asset=asset), 0, 0, 0
    if market.status != MARKET_ACTIVE or market.halted_reduce_only:  # else open: skip the call
        error = check_market_open(market, spec.reduce_only)
        if error:
            return error, 0, 0, 0
    if state.post_only_until_ms:  # devnet post-only mode was used: is it still on?
        error = post_only_refusal(state, asset, spec.tif)
        if error:
            return error, 0, 0, 0
    d = market.sz_decimals
    lots = size_to_lots(spec.sz, d)
    if lots is None:
        return E.ORDER_HAS_INVALID_SIZE.format(asset=asset), 0, 0, 0
    if lots == 0:
        return E.ORDER_HAS_ZERO_SIZE.format(asset=asset), 0, 0, 0
    px = price_to_pips(spec.px, d)
    if px is None:
        if spec.px[0] <= 0:
            return E.ORDER_HAS_INVALID_PRICE.format(asset=asset), 0, 0, 0
        return E.PRICE_NOT_DIVISIBLE_BY_TICK.format(asset=asset), 0, 0, 0
    config = state.config
    band_e9 = config.max_price_deviation_e9
    trigger = 0
    if spec.tif == TIF_TRIGGER:
        if spec.trigger_px is None or spec.tpsl not in (TPSL_TP, TPSL_SL):
            return E.INVALID_TPSL_PRICE.format(asset=asset), 0, 0, 0
        trigger_or_none = price_to_pips(spec.trigger_px, d)
        if trigger_or_none is None:
            return E.PRICE_NOT_DIVISIBLE_BY_TICK.format(asset=asset), 0, 0, 0
        trigger = trigger_or_none
        if is_outside_price_band(trigger, oracle, band_e9):
            return E.PRICE_TOO_FAR_FROM_REFERENCE.format(asset=asset), 0, 0, 0
    elif spec.tif not in (TIF_GTC, TIF_IOC, TIF_ALO):
        return E.INVALID_TIF.format(asset=asset), 0, 0, 0
    if is_outside_price_band(px, oracle, band_e9):
        return E.PRICE_TOO_FAR_FROM_REFERENCE.format(asset=asset), 0, 0, 0
    if not spec.reduce_only and is_below_min_notional(px, lots, config.min_order_notional_musdc):
        return E.ORDER_MIN_VALUE_PERP.format(asset=asset), 0, 0, 0
    error = check_account_rules(state, account, market, spec, px, lots, replacing)
    if error is not None:
        return error, 0, 0, 0
    return None, px, lots, trigger


def check_account_rules(
    state: State, account: Account, market: Market, spec: OrderSpec, px: int, lots: int,
    replacing: Order | None,
) -> str | None:
    """The rules against the account and the book, in this order: a free cloid, the open-order
    cap (not for a modify), then for a non-trigger order: reduce-only has something to reduce,
    post-only does not cross, and the initial margin of the added exposure (rounded up, against
    the account) fits the free cross margin plus `replacing`'s reservation."""
    asset = market.asset
    config = state.config
    if spec.cloid is not None:
        holder = account.cloids.get(spec.cloid)
        if holder is not None and holder is not replacing:
            return E.DUPLICATE_CLOID.format(asset=asset)
    if len(account.orders) >= config.max_open_orders and replacing is None:
        return E.TOO_MANY_OPEN_ORDERS.format(asset=asset)
    if spec.tif == TIF_TRIGGER:
        return None
    pos = account.positions.get(asset)
    size = pos.size_lots if pos is not None else 0
    reducible = -size if spec.is_buy else size
    if spec.reduce_only and reducible <= 0:
        return E.REDUCE_ONLY_WOULD_INCREASE.format(asset=asset)
    if spec.tif == TIF_ALO and state.books[asset].would_cross(spec.is_buy, px):
        book = state.books[asset]
        d = market.sz_decimals
        return E.POST_ONLY_WOULD_MATCH.format(
            bid=format_price(book.best_bid(), d), ask=format_price(book.best_ask(), d), asset=asset,
        )
    if spec.reduce_only:
        return None
    added = lots - reducible if reducible > 0 else lots
    if added > 0:
        held = -reducible if reducible < 0 else 0
        leverage = leverage_of(config, account, market).leverage
        need = added_initial_margin(market, held, added, px, leverage)
        released = replacing.margin_musdc if replacing is not None else 0
        if cross_free_margin(state, account) + released < need:
            return E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=asset)
    return None
