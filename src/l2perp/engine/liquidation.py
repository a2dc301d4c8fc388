"""The liquidation waterfall (docs/mechanics.md): book, then backstop, then ADL for what the insurance
fund cannot cover.

Units: a cross account is liquidated as a whole, an isolated position alone. A unit is
liquidatable when its value is below its maintenance margin. At most `max_liquidations_per_block`
units per block, most underwater (lowest value / maintenance) first, ties by address. Nothing is
liquidated while a unit's market is stale or during the post-outage grace.

1. Book: IOC orders never filling worse than dYdX's fillable price; a position over $100k sends
   20% of itself, and for 30 s after a partial liquidation the whole position; the liquidated
   account pays no taker fee, and out of each fill's surplus above the bankruptcy price a fee of
   at most 1.5% of the filled notional into the insurance fund; a fill below the bankruptcy price
   is paid for by the fund.
2. Backstop: below 2/3 of maintenance, or when the book took nothing, the partition's insurance
   fund account takes over the unit's positions at the mark and its margin.
3. ADL: only for the part of a negative unit value the fund's equity cannot cover; ranked
   opposite positions are closed at the bankrupt position's bankruptcy price, only as many lots
   as the shortfall needs.

Amounts in micro-USDC, prices in pips, rates in parts per 10^9.
"""

from __future__ import annotations

from ..units import E9
from .adl import deleverage
from .book import STOP, TIF_IOC, Order
from .fees import fee_for
from .margin import leverage_of, maintenance_margin
from .open_orders import Ctx, cancel_open_order
from .placement import Taker
from .positions import apply_position_delta
from .state import (
    Account, Market, State, fund_account, fund_address, is_fund, partition_of,
)
from .liqindex import LiquidationIndex, unit_figures
from .tx import BackstopEvent, FillEvent, FundingEvent, LedgerEvent, LiquidationCheck


def liquidatable_units(state: State, events: list) -> list[tuple]:
    """(value x 10^9 // mm, address, unit, held by a stale market, a market of the unit) of
    every unit below maintenance, most underwater first (ties by address). The index narrows
    the search; the check of each candidate is exact, so the result equals a full scan."""
    if state.liq_index is None:
        state.liq_index = LiquidationIndex(len(state.markets))
    index: LiquidationIndex = state.liq_index
    touched = touched_accounts(events)
    units = []
    markets = state.markets
    for address, unit in index.candidates(state, touched):
        account = state.accounts.get(address)
        if account is None or is_fund(address):  # a fund is the venue's equity: never
            continue  # liquidated (it would take its own positions over, block after block)
        value, mm, assets = unit_figures(state, account, unit)
        index.file(state, account, unit, value, mm, assets)
        if assets and mm > 0 and value < mm:
            held = any(markets[a].stale for a in assets)
            units.append((value * E9 // mm, address, unit, held, markets[assets[0]]))
    units.sort(key=lambda u: (u[0], u[1], u[2]))
    return units


def touched_accounts(events: list) -> list[str]:
    """Accounts whose cash or positions this block's events changed."""
    out: dict[str, None] = {}
    for event in events:
        kind = type(event)
        if kind is FillEvent:
            out[event.taker] = None
            out[event.maker] = None
        elif kind is LedgerEvent or kind is FundingEvent:
            out[event.user] = None
            if kind is LedgerEvent and event.counterparty:
                out[event.counterparty] = None
    return list(out)


def process_liquidations(state: State, events: list) -> None:
    """End of block: run the waterfall on the most underwater units, then let the funds unwind."""
    ctx = Ctx(state, events, -1)
    units = liquidatable_units(state, events)
    first = len(events)
    cap = state.config.max_liquidations_per_block
    if state.time_ms < state.grace_until_ms:
        cap = 0  # after an outage: nothing is liquidated until the grace ends
    eligible = [u for u in units if not u[3]]  # stale markets hold their units back
    for _, address, asset, _, _ in eligible[:cap]:
        liquidate(ctx, state.accounts[address], asset)
    waiting = [u for u in units if u[3]] + eligible[cap:]
    if units:
        events.append(LiquidationCheck(state.time_ms,
                                       tuple((u[1], u[2]) for u in eligible[:cap]),
                                       tuple((u[1], u[2]) for u in waiting)))
    for _, address, asset, _, _ in waiting:  # checked again next block
        state.liq_index.always[(address, asset)] = None
    # dYdX gating: withdrawals pause in a partition while an account in it stays negative.
    state.withdrawal_gate = sorted({partition_of(u[4]) for u in waiting if u[0] < 0})
    unwind_funds(ctx)
    for address in touched_accounts(events[first:]):  # what the waterfall itself moved
        if address in state.accounts:
            state.liq_index.always[(address, -1)] = None
            for a in state.accounts[address].positions:
                state.liq_index.always[(address, a)] = None


def liquidate(ctx: Ctx, account: Account, asset: int) -> None:
    """One unit through the waterfall."""
    state = ctx.state
    value, mm, assets = unit_figures(state, account, asset)
    for oid in sorted(account.orders):
        order = account.orders.get(oid)
        if order is not None and order.asset in assets:
            cancel_open_order(ctx, account, order, "liquidatedCanceled")
    if 3 * value >= 2 * mm and book_liquidation(ctx, account, asset, assets):
        value, mm, assets = unit_figures(state, account, asset)
        if not assets or value >= 0:
            return
        # the book stopped short of the bankruptcy price (the fund could not pay for a worse
        # fill): what is left is under water and goes to the backstop in this same block
    backstop(ctx, account, asset)


def book_liquidation(ctx: Ctx, account: Account, asset: int, assets: list[int]) -> bool:
    """Send one position of the unit to the book as an IOC bounded by the fillable price.
    Returns True when anything filled."""
    state = ctx.state
    config = state.config
    markets = state.markets
    target = max(assets, key=lambda a: (abs(account.positions[a].size_lots)
                                        * markets[a].mark_pips, -a))
    market = markets[target]
    pos = account.positions[target]
    size = abs(pos.size_lots)
    ntl = size * market.mark_pips
    now = state.time_ms
    lots = size
    if ntl > config.partial_liquidation_musdc and account.liq_cooldowns.get(target, 0) <= now:
        lots = max(1, size * config.partial_liquidation_e9 // E9)
        account.liq_cooldowns[target] = now + config.partial_liquidation_cooldown_ms
    limit = fillable_price(state, account, asset, market, pos.size_lots)
    is_buy = pos.size_lots < 0
    book = state.books[target]
    order = Order(0, account.address, target, is_buy, limit, lots, TIF_IOC, True)
    taker = LiquidationTaker(ctx, account, market, order, asset)
    filled, _ = book.match(account.address, is_buy, limit, lots, taker)
    return filled > 0


def fillable_price(state: State, account: Account, asset: int, market: Market,
                   size_lots: int) -> int:
    """dYdX's fillable price: mark -/+ ABR x SMMR x position MM / |size|, where
    ABR = clamp(1 - value / MM, 0, 1); rounded in the liquidated account's favour (a sell bound
    up, a buy bound down), at least one pip."""
    value, mm, _ = unit_figures(state, account, asset)
    abr_e9 = E9 - value * E9 // mm if mm else 0
    abr_e9 = 0 if abr_e9 < 0 else E9 if abr_e9 > E9 else abr_e9
    size = abs(size_lots)
    pmm = maintenance_margin(market, size * market.mark_pips)
    adjust = abr_e9 * state.config.spread_to_mmr_e9 * pmm // (E9 * E9 * size)  # floor
    price = market.mark_pips - adjust if size_lots > 0 else market.mark_pips + adjust
    return price if price > 0 else 1


class LiquidationTaker(Taker):
    """Matching for a liquidation order: no taker fee, makers pay no rebate, a liquidation fee
    out of the surplus above bankruptcy into the fund, the fund paying for a shortfall."""

    __slots__ = ("unit",)

    def __init__(self, ctx: Ctx, account: Account, market: Market, order: Order,
                 unit: int) -> None:
        super().__init__(ctx, account, market, order)
        self.unit = unit
        self.liquidation = True

    def __call__(self, maker: Order, lots: int, px: int) -> int:
        state = self.ctx.state
        account = self.account
        market = self.market
        pos = account.positions.get(market.asset)
        if pos is None or pos.size_lots == 0:
            return STOP
        value, mm, _ = unit_figures(state, account, self.unit)
        size = abs(pos.size_lots)
        if lots > size:
            lots = size
        mark = market.mark_pips
        mm_before = maintenance_margin(market, size * mark)
        mm_after = maintenance_margin(market, (size - lots) * mark)
        sign = 1 if pos.size_lots > 0 else -1
        # dYdX: the surplus of this fill over the bankruptcy quote.
        surplus = sign * lots * (px - mark) + (value * (mm_before - mm_after) // mm if mm else 0)
        fund = fund_account(state, partition_of(market))
        if surplus < 0 and fund_equity(state, fund) + surplus < 0:
            return STOP  # the fund cannot pay for this fill: the backstop and ADL take over
        filled = Taker.__call__(self, maker, lots, px)
        if filled <= 0:
            return filled
        if filled != lots:
            surplus = sign * filled * (px - mark) + (
                value * (mm_before - maintenance_margin(market, (size - filled) * mark)) // mm
                if mm else 0)
        if surplus > 0:
            fee = fee_for(filled * px, state.config.max_liquidation_fee_e9)
            if fee > surplus:
                fee = surplus
            move_cash(state, account, market, fund, fee)
        elif surplus < 0:
            move_cash(state, fund, market, account, -surplus)
        return filled


def fund_equity(state: State, fund: Account) -> int:
    """A fund's equity: its cash plus its positions at the mark."""
    value = fund.cash_musdc
    for asset, pos in fund.positions.items():
        value += pos.size_lots * state.markets[asset].mark_pips
    return value


def move_cash(state: State, payer: Account, market: Market, payee: Account, amount: int) -> None:
    """Move cash between two accounts, out of / into the isolated margin of an open isolated
    position in the market, else cross cash."""
    _bucket_add(state, payer, market, -amount)
    _bucket_add(state, payee, market, amount)


def _bucket_add(state: State, account: Account, market: Market, amount: int) -> None:
    pos = account.positions.get(market.asset)
    if pos is not None and not leverage_of(state.config, account, market).is_cross:
        pos.iso_raw_musdc += amount
    else:
        account.cash_musdc += amount


def backstop(ctx: Ctx, account: Account, asset: int) -> None:
    """The fund takes over the unit's positions at the mark and its margin; first, ADL covers the
    part of a negative value the fund's equity cannot."""
    state = ctx.state
    value, _, assets = unit_figures(state, account, asset)
    partition = partition_of(state.markets[assets[0]])
    fund = fund_account(state, partition)
    equity = fund_equity(state, fund)
    if value < 0 and equity + value < 0:
        value += deleverage(ctx, account, asset, assets, -(equity + value))
    for a in assets:
        pos = account.positions.get(a)
        if pos is None:
            continue
        ctx.events.append(BackstopEvent(a, account.address, fund.address, pos.size_lots,
                                        state.markets[a].mark_pips, state.time_ms))
        move_position(state, account, fund, state.markets[a], pos.size_lots)
    if asset >= 0:
        amount = value  # the isolated equity went back to cross cash when the position moved
        account.cash_musdc -= amount
    else:
        amount = account.cash_musdc
        account.cash_musdc = 0
    fund.cash_musdc += amount
    ctx.events.append(LedgerEvent(account.address, "backstopLiquidation", -amount,
                                  fund.address, state.time_ms))


def move_position(state: State, source: Account, target: Account, market: Market,
                  size_lots: int) -> None:
    """Move a signed position from one account to another at the mark (cash settles the
    difference at the mark; open interest follows the sizes)."""
    asset = market.asset
    before = _abs_size(source, asset) + _abs_size(target, asset)
    apply_position_delta(state, source, market, -size_lots, market.mark_pips)
    apply_position_delta(state, target, market, size_lots, market.mark_pips)
    market.open_interest_lots += (_abs_size(source, asset) + _abs_size(target, asset) - before) // 2


def _abs_size(account: Account, asset: int) -> int:
    pos = account.positions.get(asset)
    return abs(pos.size_lots) if pos is not None else 0


def unwind_funds(ctx: Ctx) -> None:
    """Each fund closes its positions on the book with bounded IOC orders: at most
    `backstop_unwind_musdc` of notional per market per block, within `backstop_slippage_e9` of
    the mark."""
    state = ctx.state
    config = state.config
    partitions = [0] + [m.asset + 1 for m in state.markets if m.spec.only_isolated]
    for address in [fund_address(p) for p in partitions]:
        fund = state.accounts.get(address)
        if fund is None or not fund.positions:
            continue
        for asset in sorted(fund.positions):
            market = state.markets[asset]
            pos = fund.positions.get(asset)
            if pos is None or market.stale or market.mark_pips == 0:
                continue
            mark = market.mark_pips
            lots = min(abs(pos.size_lots), max(1, config.backstop_unwind_musdc // mark))
            is_buy = pos.size_lots < 0
            slip = mark * config.backstop_slippage_e9 // E9
            limit = mark + slip if is_buy else max(1, mark - slip)
            order = Order(0, address, asset, is_buy, limit, lots, TIF_IOC, True)
            taker = _FundTaker(ctx, fund, market, order)
            state.books[asset].match(address, is_buy, limit, lots, taker)


class _FundTaker(Taker):
    """A fund's unwinding order: no fees, no margin check (the fund is the venue's equity)."""

    __slots__ = ()

    def __init__(self, ctx: Ctx, account: Account, market: Market, order: Order) -> None:
        super().__init__(ctx, account, market, order)
        self.liquidation = True
