"""Margin: account value, initial and maintenance requirements, free margin, withdrawable.

Hyperliquid's model on docs/units.md's accounting: account value = cash + Σ size x mark; initial
margin = notional / leverage (leverage capped by the notional's tier); maintenance = notional x
mm_rate(tier) - deduction(tier), continuous across tiers. Every requirement rounds up (the
venue's side); amounts in micro-USDC, prices at the mark in pips.
"""

from __future__ import annotations

from ..units import E9
from .params import EngineConfig
from .state import Account, Leverage, Market, Position, State


def tier_index(market: Market, notional_musdc: int) -> int:
    """The margin tier of a notional: the last tier whose lower bound it strictly exceeds."""
    tiers = market.spec.margin_tiers
    i = len(tiers) - 1
    while i > 0 and notional_musdc <= tiers[i].lower_bound_musdc:
        i -= 1
    return i


def maintenance_margin(market: Market, notional_musdc: int) -> int:
    """notional x mm_rate(tier) - deduction(tier), rounded up."""
    if notional_musdc == 0:
        return 0
    i = tier_index(market, notional_musdc) if len(market.mm_rates_e9) > 1 else 0
    return -((market.mm_deductions[i] - notional_musdc * market.mm_rates_e9[i]) // E9)


def max_leverage_at(market: Market, notional_musdc: int) -> int:
    """The highest leverage the notional's tier allows."""
    return market.spec.margin_tiers[tier_index(market, notional_musdc)].max_leverage


def initial_margin(market: Market, notional_musdc: int, leverage: int) -> int:
    """notional / min(leverage, tier max leverage), rounded up."""
    tiers = market.spec.margin_tiers
    if len(tiers) > 1:
        cap = tiers[tier_index(market, notional_musdc)].max_leverage
        if cap < leverage:
            leverage = cap
    return -((-notional_musdc) // leverage)


def leverage_of(config: EngineConfig, account: Account, market: Market) -> Leverage:
    """The user's margin mode and leverage for a market (default: cross at min(20, max))."""
    setting = account.leverage.get(market.asset)
    if setting is None:
        setting = market.default_leverage
        assert setting is not None  # make_market sets it
    return setting


def is_cross_position(account: Account, market: Market) -> bool:
    setting = account.leverage.get(market.asset)
    if setting is None:
        return not market.spec.only_isolated
    return setting.is_cross



def cross_requirements(state: State, account: Account) -> tuple[int, int, int, int]:
    """(value, initial margin, maintenance margin, total notional) of the cross positions."""
    value = account.cash_musdc
    im = mm = ntl_total = 0
    markets = state.markets
    config = state.config
    for asset, pos in account.positions.items():
        market = markets[asset]
        setting = leverage_of(config, account, market)
        if not setting.is_cross:
            continue
        mark = market.mark_pips
        value += pos.size_lots * mark
        ntl = (pos.size_lots if pos.size_lots > 0 else -pos.size_lots) * mark
        ntl_total += ntl
        im += initial_margin(market, ntl, setting.leverage)
        mm += maintenance_margin(market, ntl)
    return value, im, mm, ntl_total


def cross_free_margin(state: State, account: Account) -> int:
    """Cross value - initial margin of cross positions - margin held by resting orders."""
    free = account.cash_musdc - account.order_margin_musdc
    if not account.positions:
        return free
    markets = state.markets
    settings = account.leverage
    for asset, pos in account.positions.items():
        market = markets[asset]
        setting = settings.get(asset) or market.default_leverage
        assert setting is not None  # make_market sets it
        if not setting.is_cross:
            continue
        size = pos.size_lots
        mark = market.mark_pips
        free += size * mark
        free -= initial_margin(market, (size if size > 0 else -size) * mark, setting.leverage)
    return free


def isolated_equity(market: Market, pos: Position) -> int:
    """An isolated position's equity: its margin cash + size x mark."""
    return pos.iso_raw_musdc + pos.size_lots * market.mark_pips


def position_notional(market: Market, pos: Position) -> int:
    size = pos.size_lots
    return (size if size > 0 else -size) * market.mark_pips



def withdrawable(state: State, account: Account) -> int:
    """What may leave the account: value - max(IM, 10% of position value) - order margin, >= 0.

    Hyperliquid margining: remaining margin >= max(initial margin, 10% of total position value).
    """
    value, im, _, ntl = cross_requirements(state, account)
    floor_value = -((-ntl * state.config.withdraw_position_value_e9) // E9)
    keep = im if im > floor_value else floor_value
    free = value - keep - account.order_margin_musdc
    return free if free > 0 else 0
