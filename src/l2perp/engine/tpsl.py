"""TP/SL orders: placing normalTpsl groups (a parent and its waiting children, one-cancels-other)
and positionTpsl orders, relinking a group member that a modify replaced, and firing trigger
orders at the mark price. The group structure itself is `order_groups.TpslGroup`."""

from __future__ import annotations

from ..units import E9
from . import errors as E
from .book import TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_TP, Order, order_changed
from .margin import cross_free_margin
from .open_orders import (
    Ctx, cancel_open_order, drop_order, order_event, track_order, untrack_order,
)
from .order_groups import (
    TpslGroup, activate_children, detach, link_group, open_children, replace_child,
    replace_parent,
)
from .order_rules import validate_order
from .placement import new_order, place_one, submit
from .positions import added_initial_margin
from .state import MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, Account, Market, State
from .tx import WAITING_FOR_FILL, WAITING_FOR_TRIGGER, OrderError, OrderSpec

# ----- placing groups ---------------------------------------------------------------------

def place_normal_tpsl(ctx: Ctx, account: Account, specs: tuple[OrderSpec, ...]) -> list:
    """A normalTpsl group: specs[0] the (non-trigger) parent, the rest reduce-only trigger orders
    on its asset. Children are validated before the parent, so a bad child rejects the whole
    group; they get oids after the parent and wait for its first fill."""
    parent_spec, children_specs = specs[0], specs[1:]
    for spec in children_specs:
        if spec.tif != TIF_TRIGGER or not spec.reduce_only or spec.asset != parent_spec.asset:
            return [OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)) for _ in specs]
    cloids = [spec.cloid for spec in specs if spec.cloid is not None]
    if len(set(cloids)) != len(cloids):
        return [OrderError(E.DUPLICATE_CLOID) for _ in specs]
    state = ctx.state
    checked = []
    for spec in children_specs:
        error, px, lots, trigger = validate_order(state, account, spec)
        if error is not None:
            return [OrderError(error) for _ in specs]
        checked.append((spec, px, lots, trigger))
    parent_status, parent = place_one(ctx, account, parent_spec)
    if parent is None:
        assert isinstance(parent_status, OrderError)  # place_one: no order, an error
        return [parent_status] + [OrderError(parent_status.error) for _ in children_specs]
    children = [new_order(state, account, *c) for c in checked]
    group = link_group(parent, children)
    for child in children:
        track_order(account, child)
        order_event(ctx, child, "open")
    statuses: list = [parent_status]
    if parent.filled_lots > 0:
        activate_children(state, account, group)
        statuses.extend(WAITING_FOR_TRIGGER for _ in children)
    elif isinstance(parent_status, OrderError):
        for child in children:
            drop_order(ctx, account, child, "canceled")
        statuses.extend(OrderError(parent_status.error) for _ in children)
    else:
        statuses.extend(WAITING_FOR_FILL for _ in children)
    return statuses


def place_position_tpsl(ctx: Ctx, account: Account, specs: tuple[OrderSpec, ...]) -> list:
    """positionTpsl: each order must be a reduce-only trigger; when it fires it is sized to the
    whole position at that time."""
    statuses: list = []
    for spec in specs:
        if spec.tif != TIF_TRIGGER or not spec.reduce_only:
            statuses.append(OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)))
            continue
        status, order = place_one(ctx, account, spec)
        if order is not None:
            order.is_position_tpsl = True
            order_changed(order)
        statuses.append(status)
    return statuses


def relink(ctx: Ctx, account: Account, old: Order, new: Order, group: TpslGroup | None) -> None:
    """Give the order `new` that a modify placed the TP/SL links of the order `old` it replaced
    (`group` is the group `old` had; the caller detached it before cancelling `old`)."""
    new.is_position_tpsl = old.is_position_tpsl
    order_changed(new)
    if group is None:
        return
    if old.oid in group.child_oids:  # a child: same place in its group, still waiting or live
        replace_child(group, old, new)
        if new.parent_oid:
            ctx.state.triggers[new.asset].pop(new.oid, None)  # waits for its parent again
        return
    replace_parent(account, group, new)
    if new.filled_lots > 0:
        activate_children(ctx.state, account, group)
    elif new.oid not in account.orders:  # the new parent neither filled nor rests
        for child in open_children(account, group):
            drop_order(ctx, account, child, "canceled")


# ----- triggers ---------------------------------------------------------------------------

def trigger_fires(order: Order, mark_pips: int) -> bool:
    """Take-profit buy / stop-loss sell fire when mark <= trigger; take-profit sell / stop-loss
    buy when mark >= trigger (both inclusive; prices in pips)."""
    if order.is_buy == (order.tpsl == TPSL_TP):
        return mark_pips <= order.trigger_pips
    return mark_pips >= order.trigger_pips


def fire_triggers(ctx: Ctx) -> None:
    """Fire every trigger order whose condition holds at the current mark, market by market, in
    oid order; none fire in a paused or delisted market or without a mark."""
    state = ctx.state
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
            fire(ctx, state.accounts[order.user], market, order)


def fire(ctx: Ctx, account: Account, market: Market, order: Order) -> None:
    """One trigger fires: its open siblings are cancelled, then it becomes an IOC order limited at
    mark +/- the trigger slippage (rounded down, toward the mark) when it is a market trigger, else
    a GTC at its limit; a positionTpsl order is sized to the whole position first."""
    state = ctx.state
    asset = market.asset
    untrack_order(account, order)
    order_event(ctx, order, "triggered")
    group = detach(order)
    if group is not None:
        for sibling in open_children(account, group):  # not `order`: it left its account
            cancel_open_order(ctx, account, sibling, "siblingFilledCanceled")
    halted = market.status == MARKET_REDUCE_ONLY or market.halted_reduce_only
    if halted and not order.reduce_only:
        order_event(ctx, order, "canceled")
        return
    if order.is_position_tpsl:
        pos = account.positions.get(asset)
        size = pos.size_lots if pos is not None else 0
        if size == 0 or (size > 0) == order.is_buy:
            order_event(ctx, order, "canceled")
            return
        order.size_lots = order.orig_lots = abs(size)
    order_changed(order)
    mark = market.mark_pips
    if order.trigger_is_market:
        order.tif = TIF_IOC
        slip = mark * state.config.trigger_market_slippage_e9 // E9
        order.limit_pips = mark + slip if order.is_buy else mark - slip
    else:
        order.tif = TIF_GTC
    if not order.reduce_only and lacks_margin_to_fire(state, account, market, order):
        order_event(ctx, order, "marginCanceled")
        return
    status = submit(ctx, account, market, order)
    if status == OrderError(E.REDUCE_ONLY_WOULD_INCREASE.format(asset=asset)):
        order_event(ctx, order, "reduceOnlyCanceled")


def lacks_margin_to_fire(state: State, account: Account, market: Market, order: Order) -> bool:
    """True when the initial margin of the exposure a fired order adds (rounded up, against the
    account) exceeds the free cross margin."""
    pos = account.positions.get(market.asset)
    size = pos.size_lots if pos is not None else 0
    reducible = -size if order.is_buy else size
    added = order.size_lots - reducible if reducible > 0 else order.size_lots
    if added <= 0:
        return False
    held = -reducible if reducible < 0 else 0
    need = added_initial_margin(market, held, added, order.limit_pips, order.leverage)
    return cross_free_margin(state, account) < need
