"""Account views computed by the engine so the API only formats them (Hyperliquid's
clearinghouseState fields), and the solvency view. Amounts in micro-USDC, prices in pips; ratios
come as (numerator, denominator) pairs so the API renders them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..units import E9
from .adl import adl_rank
from .margin import (
    cross_requirements, initial_margin, isolated_equity, leverage_of, maintenance_margin,
    tier_index, withdrawable,
)
from .state import Account, State, fund_address, is_fund


@dataclass(slots=True)
class PositionView:
    asset: int
    size_lots: int
    entry_ntl_musdc: int  # entryPx = entry_ntl / |size| (pips)
    position_value_musdc: int
    unrealized_pnl_musdc: int
    return_on_equity: tuple[int, int]  # upnl / (entry notional / leverage)
    liquidation_pips: int | None
    margin_used_musdc: int
    cum_funding_musdc: int  # since open, received > 0 (Hyperliquid reports paid > 0)
    is_cross: bool
    leverage: int
    raw_usd_musdc: int | None  # isolated: the position's margin cash
    max_leverage: int
    adl_rank: int


@dataclass(slots=True)
class AccountView:
    account_value_musdc: int
    total_ntl_pos_musdc: int
    total_raw_usd_musdc: int
    total_margin_used_musdc: int
    cross_account_value_musdc: int
    cross_maintenance_margin_musdc: int
    withdrawable_musdc: int
    positions: list[PositionView]


def liquidation_price(mark: int, size_lots: int, margin_available: int, mm_rate_e9: int) -> int:
    """Hyperliquid: liq = mark - side x margin_available / |size| / (1 - side x mm_rate), in pips
    rounded toward the mark (0 when the formula gives no positive price)."""
    side = 1 if size_lots > 0 else -1
    size = abs(size_lots)
    denominator = size * (E9 - side * mm_rate_e9)
    if denominator <= 0:
        return 0
    shift = margin_available * E9 // denominator if margin_available >= 0 else -(
        (-margin_available * E9) // denominator)
    price = mark - side * shift
    return price if price > 0 else 0


def account_value(state: State, account: Account) -> int:
    """accountValue alone (micro-USDC): cross value plus each isolated position's equity, without
    the per-position views (whose ADL ranks scan every account)."""
    value = cross_requirements(state, account)[0]
    for asset, pos in account.positions.items():
        market = state.markets[asset]
        if not leverage_of(state.config, account, market).is_cross:
            value += isolated_equity(market, pos)
    return value


def account_view(state: State, account: Account) -> AccountView:
    """Everything clearinghouseState shows for one account."""
    config = state.config
    cross_value, cross_im, cross_mm, _ = cross_requirements(state, account)
    total_value = cross_value
    total_ntl = 0
    margin_used = 0
    views = []
    for asset in sorted(account.positions):
        market = state.markets[asset]
        pos = account.positions[asset]
        setting = leverage_of(config, account, market)
        mark = market.mark_pips
        size = abs(pos.size_lots)
        ntl = size * mark
        total_ntl += ntl
        sign = 1 if pos.size_lots > 0 else -1
        upnl = pos.size_lots * mark - sign * pos.entry_ntl_musdc
        mm = maintenance_margin(market, ntl)
        rate = market.mm_rates_e9[tier_index(market, ntl)]
        if setting.is_cross:
            used = initial_margin(market, ntl, setting.leverage)
            available = cross_value - cross_mm
            raw = None
        else:
            used = pos.iso_raw_musdc + pos.size_lots * mark
            total_value += used
            available = used - mm
            raw = pos.iso_raw_musdc
        margin_used += used
        liq = liquidation_price(mark, pos.size_lots, available, rate) if size else 0
        views.append(PositionView(
            asset=asset, size_lots=pos.size_lots, entry_ntl_musdc=pos.entry_ntl_musdc,
            position_value_musdc=ntl, unrealized_pnl_musdc=upnl,
            return_on_equity=(upnl * setting.leverage, pos.entry_ntl_musdc or 1),
            liquidation_pips=liq or None, margin_used_musdc=used,
            cum_funding_musdc=pos.funding_musdc, is_cross=setting.is_cross,
            leverage=setting.leverage, raw_usd_musdc=raw, max_leverage=market.max_leverage,
            adl_rank=adl_rank(state, account, asset),
        ))
    return AccountView(
        account_value_musdc=total_value, total_ntl_pos_musdc=total_ntl,
        total_raw_usd_musdc=account.cash_musdc, total_margin_used_musdc=margin_used,
        cross_account_value_musdc=cross_value, cross_maintenance_margin_musdc=cross_mm,
        withdrawable_musdc=withdrawable(state, account), positions=views,
    )


@dataclass(slots=True)
class SolvencyView:
    fee_pool_musdc: int
    funds: list[tuple[int, str, int, list[tuple[int, int]]]]  # partition, address, cash, positions
    negative_accounts: list[tuple[str, int]]  # (address, account value)
    l2_total_musdc: int  # Σ cash of everything: what the bridge must hold
    credits_musdc: int
    withdrawn_musdc: int


def solvency_view(state: State) -> SolvencyView:
    """The venue's solvency: funds, the fee pool, accounts under water, the L2 total."""
    funds = []
    negative = []
    total = state.fee_pool_musdc
    for address in sorted(state.accounts):
        account = state.accounts[address]
        total += account.cash_musdc + sum(p.iso_raw_musdc for p in account.positions.values())
        if is_fund(address):
            partition = int(address[-4:], 16)
            funds.append((partition, address, account.cash_musdc,
                          [(a, p.size_lots) for a, p in sorted(account.positions.items())]))
            continue
        value = account_value(state, account)
        if value < 0:
            negative.append((address, value))
    if not any(f[1] == fund_address(0) for f in funds):
        funds.insert(0, (0, fund_address(0), 0, []))
    return SolvencyView(state.fee_pool_musdc, funds, negative, total, state.credits_musdc,
                        state.withdrawn_musdc)
