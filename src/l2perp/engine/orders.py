"""Orders: validation (Hyperliquid's tick, lot, band and minimum rules), placement, matching with
the risk checks, resting, cancels, modifies and trigger (TP/SL) orders.

Risk and matching are separate stages: `book.Book` matches; this module decides, per maker fill,
whether both sides stay margined (self-trade prevention expires the maker; a maker that would
fall below margin or a reduce-only maker with nothing to reduce is cancelled; a taker that would
fall below margin stops).
"""

from __future__ import annotations

from ..units import E9, Dec, format_price
from . import errors as E
from .book import (
    CANCEL_MAKER, STOP, TIF_ALO, TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_SL, TPSL_TP, Order,
)
from .margin import cross_free_margin, leverage_of
from .positions import added_initial_margin, execute_fill, fee_rates, fill_keeps_margin
from .fees import fee_for
from .state import (
    MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, Account, Market, State,
)
from .tx import (
    GROUPING_NORMAL_TPSL, GROUPING_POSITION_TPSL, WAITING_FOR_FILL, WAITING_FOR_TRIGGER, Filled,
    OrderError, OrderEvent, OrderSpec, Resting,
)

MAX_PRICE_SIG_FIGS = 5
MAX_PRICE_DECIMALS = 6
MAX_SIG_FIG_COEFF = 10**MAX_PRICE_SIG_FIGS  # a normalized coefficient below this has <= 5 digits
POW10 = tuple(10**i for i in range(64))


_new = tuple.__new__  # builds a NamedTuple event without its Python-level __new__ (hot path)


def order_event(ctx: "Ctx", order: Order, status: str) -> None:
    """Record an order status change (open, filled, canceled, triggered, marginCanceled, ...)."""
    ctx.events.append(_new(OrderEvent, (order.oid, order.user, order.asset, status,
                                        ctx.state.time_ms)))


class Ctx:
    """What one transaction's processing writes to besides the state: its events."""

    __slots__ = ("state", "events", "tx_index")

    def __init__(self, state: State, events: list, tx_index: int) -> None:
        self.state = state
        self.events = events
        self.tx_index = tx_index


# ----- validation -------------------------------------------------------------------------

def price_to_pips(px: Dec, sz_decimals: int) -> int | None:
    """A wire price in pips, or None when it breaks Hyperliquid's rule: at most 5 significant
    figures and at most 6 - szDecimals decimals; integer prices are always valid."""
    if px.coeff <= 0:
        return None
    if px.exp < 0:
        if -px.exp > MAX_PRICE_DECIMALS - sz_decimals:
            return None
        if len(str(px.coeff)) > MAX_PRICE_SIG_FIGS:
            return None
    return px.coeff * 10 ** (px.exp + MAX_PRICE_DECIMALS - sz_decimals)


def size_to_lots(sz: Dec, sz_decimals: int) -> int | None:
    """A wire size in lots (>= 0), or None when it has more than szDecimals decimals or is < 0."""
    if sz.coeff < 0:
        return None
    return sz.scaled(sz_decimals)


def outside_band(config_e9: int, price_pips: int, reference_pips: int) -> bool:
    """True when |price - reference| > 80% of reference (exactly 80% away is allowed)."""
    diff = price_pips - reference_pips
    if diff < 0:
        diff = -diff
    return diff * E9 > reference_pips * config_e9


def check_market_open(market: Market, reduce_only: bool) -> str | None:
    """The market-status rule for a new order."""
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
) -> tuple[str | None, int, int, int]:
    """Check one wire order; returns (error, price_pips, size_lots, trigger_pips).

    `replacing` is the order a modify replaces: its margin counts as free and its cloid as
    available.
    """
    markets = state.markets
    if not (0 <= spec.asset < len(markets)):
        return E.UNKNOWN_ASSET.format(asset=spec.asset), 0, 0, 0
    market = markets[spec.asset]
    asset = market.asset
    if market.oracle_pips == 0 and market.status != MARKET_DELISTED:
        return E.NO_ORACLE_PRICE.format(asset=asset), 0, 0, 0
    error = check_market_open(market, spec.reduce_only)
    if error:
        return error, 0, 0, 0
    d = market.sz_decimals
    coeff, exp = spec.sz
    shift = exp + d
    if coeff < 0:
        lots = None
    elif shift >= 0:
        lots = coeff * POW10[shift]
    else:
        lots = coeff // POW10[-shift] if coeff % POW10[-shift] == 0 else None
    if lots is None:
        return E.ORDER_HAS_INVALID_SIZE.format(asset=asset), 0, 0, 0
    if lots == 0:
        return E.ORDER_HAS_ZERO_SIZE.format(asset=asset), 0, 0, 0
    coeff, exp = spec.px
    if coeff <= 0:
        return E.ORDER_HAS_INVALID_PRICE.format(asset=asset), 0, 0, 0
    if exp < 0 and (-exp > MAX_PRICE_DECIMALS - d or coeff >= MAX_SIG_FIG_COEFF):
        return E.PRICE_NOT_DIVISIBLE_BY_TICK.format(asset=asset), 0, 0, 0
    px = coeff * POW10[exp + MAX_PRICE_DECIMALS - d]
    config = state.config
    trigger = 0
    if spec.tif == TIF_TRIGGER:
        if spec.trigger_px is None or spec.tpsl not in (TPSL_TP, TPSL_SL):
            return E.INVALID_TPSL_PRICE.format(asset=asset), 0, 0, 0
        trigger = price_to_pips(spec.trigger_px, d)
        if trigger is None:
            return E.PRICE_NOT_DIVISIBLE_BY_TICK.format(asset=asset), 0, 0, 0
        if outside_band(config.max_price_deviation_e9, trigger, market.oracle_pips):
            return E.PRICE_TOO_FAR_FROM_REFERENCE.format(asset=asset), 0, 0, 0
    elif spec.tif not in (TIF_GTC, TIF_IOC, TIF_ALO):
        return E.INVALID_TIF.format(asset=asset), 0, 0, 0
    diff = px - market.oracle_pips
    if (diff if diff >= 0 else -diff) * E9 > market.oracle_pips * config.max_price_deviation_e9:
        return E.PRICE_TOO_FAR_FROM_REFERENCE.format(asset=asset), 0, 0, 0
    if not spec.reduce_only and lots * px < config.min_order_notional_musdc:
        return E.ORDER_MIN_VALUE_PERP.format(asset=asset), 0, 0, 0
    if spec.cloid is not None:
        holder = account.cloids.get(spec.cloid)
        if holder is not None and holder is not replacing:
            return E.DUPLICATE_CLOID.format(asset=asset), 0, 0, 0
    if len(account.orders) >= config.max_open_orders and replacing is None:
        return E.TOO_MANY_OPEN_ORDERS.format(asset=asset), 0, 0, 0
    if spec.tif == TIF_TRIGGER:
        return None, px, lots, trigger
    pos = account.positions.get(asset)
    size = pos.size_lots if pos is not None else 0
    reducible = -size if spec.is_buy else size
    if spec.reduce_only and reducible <= 0:
        return E.REDUCE_ONLY_WOULD_INCREASE.format(asset=asset), 0, 0, 0
    if spec.tif == TIF_ALO and state.books[asset].would_cross(spec.is_buy, px):
        book = state.books[asset]
        return E.POST_ONLY_WOULD_MATCH.format(
            bid=format_price(book.best_bid(), d), ask=format_price(book.best_ask(), d), asset=asset,
        ), 0, 0, 0
    if spec.reduce_only:
        return None, px, lots, 0
    added = lots - reducible if reducible > 0 else lots
    if added > 0:
        setting = leverage_of(config, account, market)
        held = -reducible if reducible < 0 else 0
        need = added_initial_margin(market, held, added, px, setting.leverage)
        released = replacing.margin_musdc if replacing is not None else 0
        if cross_free_margin(state, account) + released < need:
            return E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=asset), 0, 0, 0
    return None, px, lots, 0




# ----- order bookkeeping ------------------------------------------------------------------

def reservation_for(market: Market, account: Account, order: Order, lots: int) -> int:
    """Initial margin a resting order of `lots` holds: only for the part that adds exposure."""
    if order.reduce_only or lots == 0:
        return 0
    pos = account.positions.get(market.asset)
    size = pos.size_lots if pos is not None else 0
    reducible = -size if order.is_buy else size
    added = lots - reducible if reducible > 0 else lots
    if added <= 0:
        return 0
    held = -reducible if reducible < 0 else 0
    return added_initial_margin(market, held, added, order.limit_pips, order.leverage)


def track_order(account: Account, order: Order) -> None:
    """Record an open order on its account (and in the cloid index)."""
    account.orders[order.oid] = order
    if order.cloid is not None:
        account.cloids[order.cloid] = order


def untrack_order(account: Account, order: Order) -> None:
    """Forget an open order on its account (and in the cloid index)."""
    account.orders.pop(order.oid, None)
    if order.cloid is not None and account.cloids.get(order.cloid) is order:
        del account.cloids[order.cloid]


def drop_order(ctx: Ctx, account: Account, order: Order, status: str) -> None:
    """Forget an open order on the account side (the caller takes it off the book)."""
    untrack_order(account, order)
    account.order_margin_musdc -= order.margin_musdc
    order.margin_musdc = 0
    if order.tif == TIF_TRIGGER:
        ctx.state.triggers[order.asset].pop(order.oid, None)
    order_event(ctx, order, status)
    if order.filled_lots == 0 and is_group_parent(order):
        for child in list(order.children):
            if child.oid in account.orders:
                drop_order(ctx, account, child, "canceled")


def is_group_parent(order: Order) -> bool:
    """True for the parent of a normalTpsl group (its children list does not contain it)."""
    children = order.children
    return children is not None and not any(c is order for c in children)


def cancel_open_order(ctx: Ctx, account: Account, order: Order, status: str) -> None:
    """Cancel an open order: off the book and off the account."""
    if order.on_book:
        ctx.state.books[order.asset].remove(order)
    drop_order(ctx, account, order, status)


def rest_order(ctx: Ctx, account: Account, market: Market, order: Order) -> None:
    """Put a live order on the book and reserve its margin."""
    ctx.state.books[market.asset].insert(order)
    track_order(account, order)
    margin = reservation_for(market, account, order, order.size_lots)
    order.margin_musdc = margin
    account.order_margin_musdc += margin
    order_event(ctx, order, "open")


def activate_children(ctx: Ctx, account: Account, parent: Order) -> None:
    """A normalTpsl parent has filled: its waiting children become live triggers."""
    for child in parent.children or ():
        if child.parent_oid and child.oid in account.orders:
            child.parent_oid = 0
            ctx.state.triggers[child.asset][child.oid] = child


# ----- matching ---------------------------------------------------------------------------

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
            # would grow is cancelled, a taker
            # that would grow stops.
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
        if not fill_keeps_margin(
            state, maker_account, market, -delta, px, fee_for(notional, maker_rate)
        ):
            drop_order(ctx, maker_account, maker, "marginCanceled")
            return CANCEL_MAKER
        if not self.liquidation and not fill_keeps_margin(
            state, taker, market, delta, px, fee_for(notional, taker_rate)
        ):
            self.stop_error = E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=asset)
            self.stop_status = "marginCanceled"
            return STOP
        execute_fill(
            state, taker, maker_account, market, px, lots, is_buy, self.order.oid, maker.oid,
            ctx.tx_index, ctx.events, self.liquidation,
        )
        maker.filled_lots += lots
        left = maker.size_lots - lots
        if left == 0:
            untrack_order(maker_account, maker)
            maker_account.order_margin_musdc -= maker.margin_musdc
            maker.margin_musdc = 0
            order_event(ctx, maker, "filled")
        else:
            margin = reservation_for(market, maker_account, maker, left)
            maker_account.order_margin_musdc += margin - maker.margin_musdc
            maker.margin_musdc = margin
        if maker.children:
            activate_children(ctx, maker_account, maker)
        return lots


    def fit_open_interest_cap(self, maker_account: Account, lots: int) -> int:
        """The largest fill <= lots that keeps open interest within the cap, or does not raise
        it (open interest after a fill is convex in its size, so the allowed sizes are [0, q])."""
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


def submit(ctx: Ctx, account: Account, market: Market, order: Order, placing: bool) -> object:
    """Match a live order and rest or cancel its remainder; returns its status.

    `placing` is False for a fired trigger (its outcome shows only as events).
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
    stop_error = taker.stop_error if taker is not None else None
    if filled and order.children:
        activate_children(ctx, account, order)
    if order.size_lots == 0:
        order_event(ctx, order, "filled")
        return _new(Filled, (order.oid, filled, notional, asset))
    if order.tif in (TIF_GTC, TIF_ALO) and stop_error is None:
        rest_order(ctx, account, market, order)
        return _new(Resting, (order.oid,))
    # IOC remainder, or a taker stopped by its margin or the open-interest cap.
    order_event(ctx, order, taker.stop_status if taker is not None else "canceled")
    if order.children and filled == 0:
        for child in list(order.children):
            if child.oid in account.orders:
                drop_order(ctx, account, child, "canceled")
    if filled:
        return _new(Filled, (order.oid, filled, notional, asset))
    if stop_error is not None:
        return OrderError(stop_error)
    return OrderError(E.IOC_COULD_NOT_MATCH.format(asset=asset))


def new_order(
    state: State, account: Account, spec: OrderSpec, px: int, lots: int, trigger: int,
) -> Order:
    """An Order object with the next oid and the user's current leverage."""
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
) -> tuple[object, Order]:
    """Place an order that passed `validate_order`; returns (status, order)."""
    state = ctx.state
    order = new_order(state, account, spec, px, lots, trigger)
    market = state.markets[spec.asset]
    if spec.tif == TIF_TRIGGER:
        track_order(account, order)
        state.triggers[spec.asset][order.oid] = order
        order_event(ctx, order, "open")
        return _new(Resting, (order.oid,)), order
    return submit(ctx, account, market, order, True), order


def place_orders(
    ctx: Ctx, account: Account, specs: tuple[OrderSpec, ...], grouping: int,
) -> list:
    """The `order` action: each order independently, or a normalTpsl / positionTpsl group."""
    statuses: list = []
    if grouping == GROUPING_NORMAL_TPSL and len(specs) > 1 and specs[0].tif != TIF_TRIGGER:
        parent_spec, children_specs = specs[0], specs[1:]
        for spec in children_specs:
            if spec.tif != TIF_TRIGGER or not spec.reduce_only or spec.asset != parent_spec.asset:
                return [OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)) for _ in specs]
        cloids = [spec.cloid for spec in specs if spec.cloid is not None]
        if len(set(cloids)) != len(cloids):
            return [OrderError(E.DUPLICATE_CLOID) for _ in specs]
        # Children are validated before the parent so that a bad child rejects the group.
        state = ctx.state
        checked = []
        for spec in children_specs:
            error, px, lots, trigger = validate_order(state, account, spec)
            if error is not None:
                return [OrderError(error) for _ in specs]
            checked.append((spec, px, lots, trigger))
        parent_status, parent = place_one(ctx, account, parent_spec)
        if parent is None:
            return [parent_status] + [OrderError(parent_status.error) for _ in children_specs]
        children = [new_order(state, account, *c) for c in checked]
        parent.children = children
        for child in children:
            child.children = children  # siblings, for one-cancels-other
            child.parent_oid = parent.oid
            track_order(account, child)
            order_event(ctx, child, "open")
        statuses.append(parent_status)
        if parent.filled_lots > 0:
            activate_children(ctx, account, parent)
            statuses.extend(WAITING_FOR_TRIGGER for _ in children)
        elif isinstance(parent_status, OrderError):
            for child in children:
                drop_order(ctx, account, child, "canceled")
            statuses.extend(OrderError(parent_status.error) for _ in children)
        else:
            statuses.extend(WAITING_FOR_FILL for _ in children)
        return statuses
    for spec in specs:
        if grouping == GROUPING_POSITION_TPSL and (spec.tif != TIF_TRIGGER or not spec.reduce_only):
            statuses.append(OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)))
            continue
        status, order = place_one(ctx, account, spec)
        if order is not None and grouping == GROUPING_POSITION_TPSL:
            order.is_position_tpsl = True
        statuses.append(status)
    return statuses


def find_by_cloid(account: Account, cloid: str) -> Order | None:
    return account.cloids.get(cloid)


def cancel_orders(ctx: Ctx, account: Account, cancels: tuple[tuple[int, int], ...]) -> list:
    """The `cancel` action: 'success' or the not-found error per (asset, oid)."""
    statuses: list = []
    for asset, oid in cancels:
        order = account.orders.get(oid)
        if order is None or order.asset != asset:
            statuses.append(OrderError(E.ORDER_NOT_FOUND_FOR_CANCEL.format(asset=asset)))
            continue
        cancel_open_order(ctx, account, order, "canceled")
        statuses.append("success")
    return statuses


def cancel_orders_by_cloid(
    ctx: Ctx, account: Account, cancels: tuple[tuple[int, str], ...],
) -> list:
    """The `cancelByCloid` action."""
    statuses: list = []
    for asset, cloid in cancels:
        order = find_by_cloid(account, cloid)
        if order is None or order.asset != asset:
            statuses.append(OrderError(E.ORDER_NOT_FOUND_FOR_CANCEL.format(asset=asset)))
            continue
        cancel_open_order(ctx, account, order, "canceled")
        statuses.append("success")
    return statuses


def modify_orders(ctx: Ctx, account: Account, modifies: tuple) -> list:
    """The `batchModify` action: each modify cancels the old order and places the new one with a
    new oid, only if the new order is valid (with the old order's margin counted as free)."""
    statuses: list = []
    for ref, spec in modifies:
        order = account.orders.get(ref) if isinstance(ref, int) else find_by_cloid(account, ref)
        if order is None:
            statuses.append(OrderError(E.CANNOT_MODIFY_CANCELED_OR_FILLED))
            continue
        if spec.asset != order.asset:
            statuses.append(OrderError(E.MODIFY_OTHER_ASSET.format(asset=spec.asset)))
            continue
        grouped = order.children is not None and not is_group_parent(order)
        if (grouped or order.is_position_tpsl) and spec.tif != TIF_TRIGGER:
            statuses.append(OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)))
            continue
        error, px, lots, trigger = validate_order(ctx.state, account, spec, order)
        if error is not None:
            statuses.append(OrderError(error))
            continue
        group = order.children
        order.children = None  # detached, so that cancelling the old order does not cascade
        cancel_open_order(ctx, account, order, "canceled")
        status, new = place_validated(ctx, account, spec, px, lots, trigger)
        relink(ctx, account, order, new, group)
        statuses.append(status)
    return statuses


def relink(ctx: Ctx, account: Account, old: Order, new: Order, group: list | None) -> None:
    """Give a modified order the TP/SL links of the order it replaced."""
    new.is_position_tpsl = old.is_position_tpsl
    if group is None:
        return
    if any(c is old for c in group):  # a child: same place in its group, still waiting or live
        group[next(i for i, c in enumerate(group) if c is old)] = new
        new.children = group
        if old.parent_oid:
            new.parent_oid = old.parent_oid
            ctx.state.triggers[new.asset].pop(new.oid, None)  # waits for its parent again
        return
    new.children = group  # the parent
    for child in group:
        if child.parent_oid:
            child.parent_oid = new.oid
    if new.filled_lots > 0:
        activate_children(ctx, account, new)
    elif new.oid not in account.orders:  # the new parent neither filled nor rests
        for child in list(group):
            if child.oid in account.orders:
                drop_order(ctx, account, child, "canceled")


def cancel_all(ctx: Ctx, account: Account, status: str) -> None:
    """Cancel every open order of the account, in oid order."""
    for oid in sorted(account.orders):
        order = account.orders.get(oid)
        if order is not None:
            cancel_open_order(ctx, account, order, status)


# ----- triggers ---------------------------------------------------------------------------

def trigger_fires(order: Order, mark_pips: int) -> bool:
    """Take-profit buy / stop-loss sell fire when mark <= trigger; take-profit sell / stop-loss
    buy when mark >= trigger (both inclusive)."""
    if order.is_buy == (order.tpsl == TPSL_TP):
        return mark_pips <= order.trigger_pips
    return mark_pips >= order.trigger_pips


def fire_triggers(ctx: Ctx) -> None:
    """Fire every trigger order whose condition holds at the current mark, in oid order."""
    state = ctx.state
    slip = state.config.trigger_market_slippage_e9
    for asset, pending in enumerate(state.triggers):
        if not pending:
            continue
        market = state.markets[asset]
        mark = market.mark_pips
        if mark == 0 or market.status in (MARKET_PAUSED, MARKET_DELISTED):
            continue
        fired = [o for oid, o in sorted(pending.items()) if trigger_fires(o, mark)]
        for order in fired:
            if order.oid not in pending:
                continue  # a sibling fired first and cancelled it
            del pending[order.oid]
            account = state.accounts[order.user]
            untrack_order(account, order)
            order_event(ctx, order, "triggered")
            for sibling in list(order.children or ()):
                if sibling is not order and sibling.oid in account.orders:
                    cancel_open_order(ctx, account, sibling, "siblingFilledCanceled")
            order.children = None
            halted = market.status == MARKET_REDUCE_ONLY or market.halted_reduce_only
            if halted and not order.reduce_only:
                order_event(ctx, order, "canceled")
                continue
            if order.is_position_tpsl:
                pos = account.positions.get(asset)
                size = pos.size_lots if pos is not None else 0
                if size == 0 or (size > 0) == order.is_buy:
                    order_event(ctx, order, "canceled")
                    continue
                order.size_lots = order.orig_lots = abs(size)
            if order.trigger_is_market:
                order.tif = TIF_IOC
                if order.is_buy:
                    order.limit_pips = mark + mark * slip // E9
                else:
                    order.limit_pips = mark - mark * slip // E9
            else:
                order.tif = TIF_GTC
            if not order.reduce_only:
                error = _fired_margin_error(state, account, market, order)
                if error:
                    order_event(ctx, order, "marginCanceled")
                    continue
            status = submit(ctx, account, market, order, False)
            if status == OrderError(E.REDUCE_ONLY_WOULD_INCREASE.format(asset=asset)):
                order_event(ctx, order, "reduceOnlyCanceled")


def _fired_margin_error(state: State, account: Account, market: Market, order: Order) -> bool:
    pos = account.positions.get(market.asset)
    size = pos.size_lots if pos is not None else 0
    reducible = -size if order.is_buy else size
    added = order.size_lots - reducible if reducible > 0 else order.size_lots
    if added <= 0:
        return False
    held = -reducible if reducible < 0 else 0
    need = added_initial_margin(market, held, added, order.limit_pips, order.leverage)
    return cross_free_margin(state, account) < need
