"""Positions and fills: moving cash, cost basis, isolated margin, fees and open interest.

A fill of q lots at p pips moves exactly p x q micro-USDC of cash from buyer to seller (into or
out of the isolated margin of an isolated position); fees move cash to the fee pool. The cost
basis is exact: closing q of |size| lots releases floor(basis x q / |size|), so the basis left
with the position is never below its share.
"""

from __future__ import annotations

from ..units import MS_PER_DAY
from .fees import fee_for, record_volume, refresh_fee_rates
from .margin import (
    cross_requirements, initial_margin, is_cross_position, leverage_of, maintenance_margin,
)
from .state import Account, Market, Position, State, get_or_create_account
from .tx import FillEvent, LedgerEvent


def apply_position_delta(
    state: State, account: Account, market: Market, delta_lots: int, px_pips: int,
) -> int:
    """Apply a signed size change at a price; returns the closed PnL (micro-USDC, display)."""
    asset = market.asset
    pos = account.positions.get(asset)
    if pos is None:
        pos = account.positions[asset] = Position()
    setting = leverage_of(state.config, account, market)
    isolated = not setting.is_cross
    old = pos.size_lots
    buying = delta_lots > 0
    amount = delta_lots if buying else -delta_lots
    closed_pnl = 0
    if old != 0 and (old > 0) != buying:
        old_abs = old if old > 0 else -old
        close = amount if amount < old_abs else old_abs
        released = pos.entry_ntl_musdc * close // old_abs  # floor: basis stays with the rest
        proceeds = close * px_pips
        if old > 0:  # selling out of a long
            closed_pnl = proceeds - released
            flow = proceeds
            new_size = old - close
        else:  # buying back a short
            closed_pnl = released - proceeds
            flow = -proceeds
            new_size = old + close
        pos.entry_ntl_musdc -= released
        if isolated:
            equity_at_px = pos.iso_raw_musdc + old * px_pips
            pos.iso_raw_musdc += flow
            if new_size == 0:
                account.cash_musdc += pos.iso_raw_musdc
                pos.iso_raw_musdc = 0
            elif equity_at_px > 0:
                # Pro rata (floor), but never below the remaining position's initial margin.
                release = equity_at_px * close // old_abs
                new_abs = new_size if new_size > 0 else -new_size
                mark = market.mark_pips
                excess = pos.iso_raw_musdc + new_size * mark - initial_margin(
                    market, new_abs * mark, setting.leverage)
                if excess < release:
                    release = excess
                if release > 0:
                    pos.iso_raw_musdc -= release
                    account.cash_musdc += release
        else:
            account.cash_musdc += flow
        pos.size_lots = new_size
        amount -= close
    if amount:
        cost = amount * px_pips
        if isolated:
            held = pos.size_lots if pos.size_lots >= 0 else -pos.size_lots
            move = added_initial_margin(market, held, amount, px_pips, setting.leverage)
            account.cash_musdc -= move
            pos.iso_raw_musdc += move - cost if buying else move + cost
        else:
            account.cash_musdc += -cost if buying else cost
        pos.entry_ntl_musdc += cost
        pos.size_lots += amount if buying else -amount
    if pos.size_lots == 0:
        del account.positions[asset]
    return closed_pnl


def added_initial_margin(
    market: Market, held_lots: int, added_lots: int, px_pips: int, leverage: int,
) -> int:
    """Initial margin that growing a position from `held_lots` by `added_lots` at a price adds:
    IM(whole) - IM(held), so the tier is the whole position's, however it was built."""
    whole = initial_margin(market, (held_lots + added_lots) * px_pips, leverage)
    return whole - initial_margin(market, held_lots * px_pips, leverage) if held_lots else whole


def charge_fee(account: Account, market: Market, fee_musdc: int, state: State) -> None:
    """Debit a fee (or credit a rebate) from the bucket that holds the position (`debit`) into
    the fee pool."""
    debit(account, market, fee_musdc)
    state.fee_pool_musdc += fee_musdc


def debit(account: Account, market: Market, amount_musdc: int) -> None:
    """Take `amount_musdc` from the bucket that holds the market's position: the isolated margin
    of an isolated position, else cross cash."""
    if is_cross_position(account, market):
        account.cash_musdc -= amount_musdc
    else:
        pos = account.positions.get(market.asset)
        if pos is None:
            pos = account.positions[market.asset] = Position()
        pos.iso_raw_musdc -= amount_musdc


def builder_fee_for(notional_musdc: int, fee_tenths_bp: int) -> int:
    """ceil(notional x fee / 10^5) micro-USDC: a builder's charge rounds up, like the venue's
    fees (fee in tenths of a basis point)."""
    return -((-notional_musdc * fee_tenths_bp) // 100_000)


def pay_builder(state: State, payer: Account, market: Market, builder: str, fee_musdc: int,
                events: list) -> None:
    """Move a builder fee from the payer (the bucket that holds the market's position, as the
    venue's fee) to the builder's cross cash (the builder's account is created if new)."""
    if fee_musdc <= 0:
        return
    receiver = get_or_create_account(state, builder)
    debit(payer, market, fee_musdc)
    receiver.cash_musdc += fee_musdc
    time_ms = state.time_ms
    events.append(LedgerEvent(payer.address, "builderFee", -fee_musdc, builder, time_ms))
    events.append(LedgerEvent(builder, "builderFee", fee_musdc, payer.address, time_ms))


def fee_rates(state: State, account: Account) -> tuple[int, int]:
    """(taker, maker) rates in e9 for the account today."""
    today = state.time_ms // MS_PER_DAY
    if account.fee_day != today:
        refresh_fee_rates(state, account, today)
    return account.taker_rate_e9, account.maker_rate_e9


def fill_keeps_margin(
    state: State, account: Account, market: Market, delta_lots: int, px_pips: int, fee_musdc: int,
) -> bool:
    """True when the account may take this fill (dYdX's collateral check on Hyperliquid margin).

    Allowed when, after the fill, value >= initial margin; otherwise only when the fill makes the
    account no riskier: maintenance margin does not grow and value / maintenance does not fall
    (compared by cross-multiplication). Cross positions are judged on the cross account; an
    isolated position on its own equity, after the cross side has funded the margin moved in
    (initial margin at the fill price), with its maintenance margin as the requirement for an
    increase (its margin is posted at the fill price, not the mark).
    """
    pos = account.positions.get(market.asset)
    old = pos.size_lots if pos is not None else 0
    new = old + delta_lots
    old_abs = old if old >= 0 else -old
    new_abs = new if new >= 0 else -new
    mark = market.mark_pips
    setting = leverage_of(state.config, account, market)
    lev = setting.leverage
    value, im, mm, _ = cross_requirements(state, account)
    old_ntl = old_abs * mark
    new_ntl = new_abs * mark
    if setting.is_cross:
        value_after = value - delta_lots * px_pips + delta_lots * mark - fee_musdc
        im_after = im - initial_margin(market, old_ntl, lev) + initial_margin(market, new_ntl, lev)
        if value_after >= im_after:
            return True
        mm_after = mm - maintenance_margin(market, old_ntl) + maintenance_margin(market, new_ntl)
        return mm_after <= mm and value_after * mm >= value * mm_after
    same_side = old == 0 or new == 0 or (old > 0) == (new > 0)
    raw = pos.iso_raw_musdc if pos is not None else 0
    equity = raw + old * mark
    mm_old = maintenance_margin(market, old_ntl)
    mm_new = maintenance_margin(market, new_ntl)
    if same_side and new_abs <= old_abs:  # a reduction: no margin moves in
        equity_after = equity - delta_lots * px_pips + delta_lots * mark - fee_musdc
        if equity_after >= initial_margin(market, new_ntl, lev):
            return True
        return mm_new <= mm_old and equity_after * mm_old >= equity * mm_new
    if same_side:
        move = added_initial_margin(market, old_abs, new_abs - old_abs, px_pips, lev)
        if value - im - move < 0:
            return False
        raw_after = raw + move - delta_lots * px_pips
        return raw_after + new * mark - fee_musdc >= mm_new
    # A flip: the old position closes at the fill price (its equity goes back to cross cash; it
    # may not be negative), then the cross side funds the new position's margin.
    returned = raw + old * px_pips - fee_musdc
    if returned < 0:
        return False
    move = initial_margin(market, new_abs * px_pips, lev)
    if value + returned - im - move < 0:
        return False
    return move - new * px_pips + new * mark >= mm_new


def execute_fill(
    state: State, taker: Account, maker: Account, market: Market, px_pips: int, lots: int,
    taker_is_buy: bool, taker_oid: int, maker_oid: int, tx_index: int, events: list,
    liquidation: bool = False, fee_free: bool = False,
    taker_builder: str | None = None, taker_builder_fee: int = 0,
    maker_builder: str | None = None, maker_builder_fee: int = 0,
) -> FillEvent:
    """Move cash and positions for one fill at the maker's price, charge fees, count volume.

    A liquidation taker pays no taker fee, and its makers get no rebate (dYdX); a `fee_free`
    fill (an L1 forced trade) charges neither side. Any other taker pays the L1 data fee's
    hourly rate with its own (engine/l1fee.py), in its taker fee. A side whose order names a
    builder pays it `builder_fee_for(notional, fee)` (tenths of a bp) with the venue's fee,
    from the same bucket, before the position changes (a closing fill's isolated margin is
    still there)."""
    notional = px_pips * lots
    taker_rate, _ = fee_rates(state, taker)
    _, maker_rate = fee_rates(state, maker)
    if fee_free:
        taker_rate = maker_rate = 0
    elif liquidation:
        taker_rate = 0
        if maker_rate < 0:
            maker_rate = 0
    taker_fee = fee_for(notional, taker_rate)
    book = state.l1_fee
    if book is not None and not fee_free and not liquidation:  # the L1 data fee's part
        with_l1 = fee_for(notional, taker_rate + book.rate_e9)
        book.charged_musdc += with_l1 - taker_fee
        taker_fee = with_l1
    maker_fee = fee_for(notional, maker_rate)
    delta = lots if taker_is_buy else -lots
    asset = market.asset
    tpos = taker.positions.get(asset)
    mpos = maker.positions.get(asset)
    taker_start = tpos.size_lots if tpos is not None else 0
    maker_start = mpos.size_lots if mpos is not None else 0
    charge_fee(taker, market, taker_fee, state)
    charge_fee(maker, market, maker_fee, state)
    if taker_builder is not None:
        pay_builder(state, taker, market, taker_builder,
                    builder_fee_for(notional, taker_builder_fee), events)
    if maker_builder is not None:
        pay_builder(state, maker, market, maker_builder,
                    builder_fee_for(notional, maker_builder_fee), events)
    taker_pnl = apply_position_delta(state, taker, market, delta, px_pips)
    maker_pnl = apply_position_delta(state, maker, market, -delta, px_pips)
    record_volume(state, taker, maker, notional)
    taker_end = taker_start + delta
    maker_end = maker_start - delta
    market.open_interest_lots += (
        abs(taker_end) - abs(taker_start) + abs(maker_end) - abs(maker_start)
    ) // 2
    market.last_trade_pips = px_pips
    tid = state.next_tid
    state.next_tid = tid + 1
    event = FillEvent(
        tid, state.time_ms, asset, px_pips, lots, taker.address, maker.address, taker_oid,
        maker_oid, taker_is_buy, taker_fee, maker_fee, taker_start, maker_start, taker_pnl,
        maker_pnl, tx_index,
    )
    events.append(event)
    return event
