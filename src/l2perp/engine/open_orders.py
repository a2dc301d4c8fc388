"""Open orders on their accounts and books: a transaction's context and its order events, the oid
and cloid indexes, initial-margin reservations, resting and cancelling (an unfilled TP/SL parent
takes its waiting children with it). No validation and no matching."""

from __future__ import annotations


from .book import TIF_TRIGGER, Order
from .order_groups import is_group_parent, open_children
from .positions import added_initial_margin
from .state import Account, Market, State
from .tx import OrderEvent


class Ctx:
    """What one transaction's processing writes to besides the state: its events."""

    __slots__ = ("state", "events", "tx_index", "builder")

    def __init__(self, state: State, events: list, tx_index: int,
                 builder: tuple[str, int] | None = None) -> None:
        self.state = state
        self.events = events
        self.tx_index = tx_index
        self.builder = builder  # (address, tenths of a bp) new orders of this action pay


def order_event(ctx: Ctx, order: Order, status: str) -> None:
    """Record an order status change (open, filled, canceled, triggered, marginCanceled, ...)."""
    ctx.events.append(OrderEvent(order.oid, order.user, order.asset, status, ctx.state.time_ms))


def reservation_for(market: Market, account: Account, order: Order, lots: int) -> int:
    """Initial margin in micro-USDC that a resting order of `lots` holds: only for the part that
    adds exposure beyond the position it would reduce (positions.added_initial_margin rounds it
    up, against the account); 0 for a reduce-only order."""
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
    holder = account.encoded_orders
    order.holder = holder
    holder.changed(order.oid)
    if order.cloid is not None:
        account.cloids[order.cloid] = order


def untrack_order(account: Account, order: Order) -> None:
    """Forget an open order on its account (and in the cloid index)."""
    account.orders.pop(order.oid, None)
    account.encoded_orders.changed(order.oid)
    if order.cloid is not None and account.cloids.get(order.cloid) is order:
        del account.cloids[order.cloid]


def rest_order(ctx: Ctx, account: Account, market: Market, order: Order) -> None:
    """Put a live order on the book and reserve its initial margin (`reservation_for`)."""
    ctx.state.books[market.asset].insert(order)
    track_order(account, order)
    margin = reservation_for(market, account, order, order.size_lots)
    order.margin_musdc = margin
    account.order_margin_musdc += margin
    order_event(ctx, order, "open")


def drop_order(ctx: Ctx, account: Account, order: Order, status: str) -> None:
    """Forget an open order on the account side and release its margin (the caller takes it off
    the book); an unfilled group parent cancels its open children."""
    untrack_order(account, order)
    account.order_margin_musdc -= order.margin_musdc
    order.margin_musdc = 0
    if order.tif == TIF_TRIGGER:
        ctx.state.triggers[order.asset].pop(order.oid, None)
    order_event(ctx, order, status)
    if order.filled_lots == 0 and order.group is not None and is_group_parent(order):
        for child in open_children(account, order.group):
            drop_order(ctx, account, child, "canceled")


def cancel_open_order(ctx: Ctx, account: Account, order: Order, status: str) -> None:
    """Cancel an open order: off the book and off the account."""
    if order.on_book:
        ctx.state.books[order.asset].remove(order)
    drop_order(ctx, account, order, status)
