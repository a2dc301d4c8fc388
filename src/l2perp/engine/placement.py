"""Placement and matching: a validated wire order becomes an `Order`, matches against the book
with the per-fill risk checks of `Taker` (book.Book.match's on_fill callback), then rests or ends.

Risk and matching are separate stages: `book.Book` matches; `Taker` decides, per maker fill,
whether both sides stay margined (self-trade prevention expires the maker; a maker that would
fall below margin or a reduce-only maker with nothing to reduce is cancelled; a taker that would
fall below margin stops).
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from .book import (
    CANCEL_MAKER, STOP, TIF_ALO, TIF_GTC, TIF_TRIGGER, Order, order_changed,
)
from .fees import fee_for
from .l1fee import taker_l1_rate_e9
from .margin import leverage_of
from .open_orders import (
    Ctx, drop_order, order_event, rest_order, reservation_for, track_order, untrack_order,
)
from .order_groups import activate_children
from .order_rules import validate_order
from .positions import builder_fee_for, execute_fill, fee_rates, fill_keeps_margin
from .state import MARKET_REDUCE_ONLY, Account, Market, State
from .tx import Filled, OrderError, OrderSpec, Resting

# builds a NamedTuple status without its Python-level __new__ (hot path)
_new: Final = tuple.__new__


class Taker:
    """The matching of one incoming order: the on_fill callback and why matching stopped."""

    __slots__ = ("ctx", "account", "market", "order", "stop_error", "stop_status", "liquidation")

    def __init__(self, ctx: Ctx, account: Account, market: Market, order: Order) -> None:
        self.ctx = ctx
        self.account = account
        self.market = market
        self.order = order
        self.stop_error: str | None = None  # why matching stopped early, for the status
        self.stop_status = "canceled"  # the order-update status of the unfilled remainder
        self.liquidation = False  # a protocol order: no taker fee or margin check, no rebates

    def __call__(self, maker: Order, lots: int, px: int) -> int:
        """Offer `lots` at the maker's price `px` (pips): answers the lots filled (possibly fewer:
        reduce-only and open-interest limits), CANCEL_MAKER or STOP. Fees round up (fee_for)."""
        ctx = self.ctx
        state = ctx.state
        taker = self.account
        market = self.market
        asset = market.asset
        if maker.user == taker.address:
            drop_order(ctx, taker, maker, "selfTradeCanceled")
            return CANCEL_MAKER
        maker_account = state.accounts[maker.user]
        if (market.status == MARKET_REDUCE_ONLY or market.halted_reduce_only) \
                and not self.liquidation:
            # Only fills that reduce both sides (liquidations are never held back): a maker that
            # would grow is cancelled, a taker that would grow stops.
            mpos = maker_account.positions.get(asset)
            msize = mpos.size_lots if mpos is not None else 0
            if (-msize if maker.is_buy else msize) <= 0:
                drop_order(ctx, maker_account, maker, "reduceOnlyCanceled")
                return CANCEL_MAKER
            tpos = taker.positions.get(asset)
            tsize = tpos.size_lots if tpos is not None else 0
            taker_room = -tsize if self.order.is_buy else tsize
            if taker_room <= 0:
                self.stop_error = E.MARKET_REDUCE_ONLY_MODE.format(asset=asset)
                return STOP
            maker_room = -msize if maker.is_buy else msize
            lots = min(lots, taker_room, maker_room)
        if maker.reduce_only:
            mpos = maker_account.positions.get(asset)
            msize = mpos.size_lots if mpos is not None else 0
            reducible = -msize if maker.is_buy else msize
            if reducible <= 0:
                drop_order(ctx, maker_account, maker, "reduceOnlyCanceled")
                return CANCEL_MAKER
            if lots > reducible:
                lots = reducible
        is_buy = self.order.is_buy
        delta = lots if is_buy else -lots
        if market.spec.oi_cap_musdc:
            lots = self.fit_open_interest_cap(maker_account, lots)
            if lots == 0:
                self.stop_error = E.OPEN_INTEREST_CAPPED.format(asset=asset)
                self.stop_status = "openInterestCapCanceled"
                return STOP
            delta = lots if is_buy else -lots
        notional = lots * px
        taker_rate, _ = fee_rates(state, taker)
        _, maker_rate = fee_rates(state, maker_account)
        taker_order = self.order
        if not fill_keeps_margin(
            state, maker_account, market, -delta, px,
            fee_for(notional, maker_rate)
            + (builder_fee_for(notional, maker.builder_fee) if maker.builder_fee else 0),
        ):
            drop_order(ctx, maker_account, maker, "marginCanceled")
            return CANCEL_MAKER
        if not self.liquidation and not fill_keeps_margin(
            state, taker, market, delta, px,
            fee_for(notional, taker_rate + taker_l1_rate_e9(state))
            + (builder_fee_for(notional, taker_order.builder_fee) if taker_order.builder_fee
               else 0),
        ):
            self.stop_error = E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=asset)
            self.stop_status = "marginCanceled"
            return STOP
        execute_fill(
            state, taker, maker_account, market, px, lots, is_buy, taker_order.oid, maker.oid,
            ctx.tx_index, ctx.events, self.liquidation, False,
            taker_order.builder, taker_order.builder_fee, maker.builder, maker.builder_fee,
        )
        maker_filled(ctx, maker_account, market, maker, lots)
        return lots

    def fit_open_interest_cap(self, maker_account: Account, lots: int) -> int:
        """The largest fill <= lots that keeps open interest within the cap, or does not raise
        it (open interest after a fill is convex in its size, so the allowed sizes are [0, q]).
        The cap in lots is cap_musdc // mark_pips (rounded down)."""
        market = self.market
        asset = market.asset
        tpos = self.account.positions.get(asset)
        mpos = maker_account.positions.get(asset)
        t0 = tpos.size_lots if tpos is not None else 0
        m0 = mpos.size_lots if mpos is not None else 0
        sign = 1 if self.order.is_buy else -1
        oi = market.open_interest_lots
        limit = market.spec.oi_cap_musdc // market.mark_pips if market.mark_pips else 0
        if limit < oi:
            limit = oi

        def oi_after(q: int) -> int:
            d = sign * q
            return oi + (abs(t0 + d) - abs(t0) + abs(m0 - d) - abs(m0)) // 2

        if oi_after(lots) <= limit:
            return lots
        low, high = 0, lots  # oi_after(low) <= limit < oi_after(high)
        while high - low > 1:
            mid = (low + high) // 2
            if oi_after(mid) <= limit:
                low = mid
            else:
                high = mid
        return low


def maker_filled(ctx: Ctx, account: Account, market: Market, maker: Order, lots: int) -> None:
    """The maker side of a fill of `lots`: a filled maker leaves its account, a partly filled one
    keeps the reservation for what is left (`reservation_for`, rounded up); a group parent's
    waiting children go live."""
    maker.filled_lots += lots
    order_changed(maker)
    left = maker.size_lots - lots
    if left == 0:
        untrack_order(account, maker)
        account.order_margin_musdc -= maker.margin_musdc
        maker.margin_musdc = 0
        order_event(ctx, maker, "filled")
    else:
        margin = reservation_for(market, account, maker, left)
        account.order_margin_musdc += margin - maker.margin_musdc
        maker.margin_musdc = margin
    if maker.group is not None:
        activate_children(ctx.state, account, maker.group)


def submit(ctx: Ctx, account: Account, market: Market, order: Order) -> object:
    """Match a live order (limit in pips, size in lots) and rest or cancel its remainder; returns
    its status. A reduce-only order is first cut to the position it reduces.

    The order belongs to no TP/SL group here: a group is linked after its parent is placed
    (tpsl.place_normal_tpsl) and a fired trigger has left its group.
    """
    state = ctx.state
    asset = market.asset
    want = order.size_lots
    if order.reduce_only:
        pos = account.positions.get(asset)
        size = pos.size_lots if pos is not None else 0
        reducible = -size if order.is_buy else size
        if reducible <= 0:
            return OrderError(E.REDUCE_ONLY_WOULD_INCREASE.format(asset=asset))
        if want > reducible:
            want = reducible
            order.size_lots = order.orig_lots = want
            order_changed(order)
    book = state.books[asset]
    filled = notional = 0
    taker = None
    if order.is_buy:
        best = book.best_ask()
        crosses = best != 0 and order.limit_pips >= best
    else:
        best = book.best_bid()
        crosses = best != 0 and order.limit_pips <= best
    if crosses and order.tif != TIF_ALO:
        taker = Taker(ctx, account, market, order)
        filled, notional = book.match(account.address, order.is_buy, order.limit_pips, want, taker)
        order.filled_lots += filled
        order.size_lots -= filled
        order_changed(order)
    stop_error = taker.stop_error if taker is not None else None
    if order.size_lots == 0:
        order_event(ctx, order, "filled")
        return _new(Filled, (order.oid, filled, notional, asset))
    if order.tif in (TIF_GTC, TIF_ALO) and stop_error is None:
        rest_order(ctx, account, market, order)
        return _new(Resting, (order.oid,))
    # IOC remainder, or a taker stopped by its margin or the open-interest cap.
    order_event(ctx, order, taker.stop_status if taker is not None else "canceled")
    if filled:
        return _new(Filled, (order.oid, filled, notional, asset))
    if stop_error is not None:
        return OrderError(stop_error)
    return OrderError(E.IOC_COULD_NOT_MATCH.format(asset=asset))


def new_order(
    state: State, account: Account, spec: OrderSpec, px: int, lots: int, trigger: int,
) -> Order:
    """An Order (limit `px` and `trigger` in pips, `lots` in lots, as `validate_order` returned
    them) with the next oid and the user's current leverage for its market."""
    market = state.markets[spec.asset]
    oid = state.next_oid
    state.next_oid = oid + 1
    order = Order(
        oid, account.address, spec.asset, spec.is_buy, px, lots, spec.tif, spec.reduce_only,
        spec.cloid, state.time_ms,
    )
    order.leverage = leverage_of(state.config, account, market).leverage
    if spec.tif == TIF_TRIGGER:
        order.trigger_pips = trigger
        order.trigger_is_market = spec.trigger_is_market
        order.tpsl = spec.tpsl
    return order


def place_one(ctx: Ctx, account: Account, spec: OrderSpec) -> tuple[object, Order | None]:
    """Validate and place one wire order; returns (status, order or None)."""
    error, px, lots, trigger = validate_order(ctx.state, account, spec)
    if error is not None:
        return OrderError(error), None
    return place_validated(ctx, account, spec, px, lots, trigger)


def place_validated(
    ctx: Ctx, account: Account, spec: OrderSpec, px: int, lots: int, trigger: int,
    builder: tuple[str, int] | None = None,
) -> tuple[object, Order]:
    """Place an order that passed `validate_order` (pips and lots as it returned them): a trigger
    order waits in the trigger index, any other order is submitted; returns (status, order).
    The order pays `builder` (address, tenths of a bp), else the one its action names."""
    state = ctx.state
    order = new_order(state, account, spec, px, lots, trigger)
    if builder is None:
        builder = ctx.builder
    if builder is not None:
        order.builder, order.builder_fee = builder
    if spec.tif == TIF_TRIGGER:
        track_order(account, order)
        state.triggers[spec.asset][order.oid] = order
        order_event(ctx, order, "open")
        return _new(Resting, (order.oid,)), order
    return submit(ctx, account, state.markets[spec.asset], order), order
