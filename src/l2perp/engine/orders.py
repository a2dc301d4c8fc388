"""The order actions: `order` (plain, normalTpsl and positionTpsl groupings), `cancel`,
`cancelByCloid`, `batchModify` and the scheduled cancel of everything, each answering one status
per order. Rules: order_rules; placement and matching: placement; TP/SL and triggers: tpsl."""

from __future__ import annotations

from . import errors as E
from .book import TIF_TRIGGER, Order
from .open_orders import Ctx, cancel_open_order
from .order_groups import is_group_child
from .order_rules import validate_order
from .placement import place_one, place_validated
from .state import Account
from .tx import GROUPING_NORMAL_TPSL, GROUPING_POSITION_TPSL, OrderError, OrderSpec
from .tpsl import place_normal_tpsl, place_position_tpsl, relink


def place_orders(
    ctx: Ctx, account: Account, specs: tuple[OrderSpec, ...], grouping: int,
) -> list:
    """The `order` action: each order independently, or a normalTpsl / positionTpsl group
    (a normalTpsl grouping of one order, or led by a trigger order, places them independently)."""
    if grouping == GROUPING_NORMAL_TPSL and len(specs) > 1 and specs[0].tif != TIF_TRIGGER:
        return place_normal_tpsl(ctx, account, specs)
    if grouping == GROUPING_POSITION_TPSL:
        return place_position_tpsl(ctx, account, specs)
    statuses: list = []
    for spec in specs:
        statuses.append(place_one(ctx, account, spec)[0])
    return statuses


def find_by_cloid(account: Account, cloid: str) -> Order | None:
    """The account's open order with this client order id, if any."""
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
    """The `cancelByCloid` action: 'success' or the not-found error per (asset, cloid)."""
    statuses: list = []
    for asset, cloid in cancels:
        order = find_by_cloid(account, cloid)
        if order is None or order.asset != asset:
            statuses.append(OrderError(E.ORDER_NOT_FOUND_FOR_CANCEL.format(asset=asset)))
            continue
        cancel_open_order(ctx, account, order, "canceled")
        statuses.append("success")
    return statuses


def cancel_all(ctx: Ctx, account: Account, status: str) -> None:
    """Cancel every open order of the account, in oid order (the scheduled cancel)."""
    for oid in sorted(account.orders):
        order = account.orders.get(oid)
        if order is not None:
            cancel_open_order(ctx, account, order, status)


def modify_orders(
    ctx: Ctx, account: Account, modifies: tuple[tuple[int | str, OrderSpec], ...],
) -> list:
    """The `batchModify` action: each modify cancels the old order and places the new one with a
    new oid, only if the new order is valid (with the old order's margin counted as free); the
    new order takes the old one's TP/SL links (tpsl.relink)."""
    statuses: list = []
    for ref, spec in modifies:
        order = account.orders.get(ref) if isinstance(ref, int) else account.cloids.get(ref)
        if order is None:
            statuses.append(OrderError(E.CANNOT_MODIFY_CANCELED_OR_FILLED))
            continue
        if spec.asset != order.asset:
            statuses.append(OrderError(E.MODIFY_OTHER_ASSET.format(asset=spec.asset)))
            continue
        grouped = order.group is not None and is_group_child(order)
        if (grouped or order.is_position_tpsl) and spec.tif != TIF_TRIGGER:  # a TP/SL stays one
            statuses.append(OrderError(E.INVALID_TPSL_PRICE.format(asset=spec.asset)))
            continue
        error, px, lots, trigger = validate_order(ctx.state, account, spec, order)
        if error is not None:
            statuses.append(OrderError(error))
            continue
        group = order.group
        order.group = None  # detached, so that cancelling the old order does not cascade
        cancel_open_order(ctx, account, order, "canceled")
        # the new order pays the builder the old one named
        builder = None if order.builder is None else (order.builder, order.builder_fee)
        status, new = place_validated(ctx, account, spec, px, lots, trigger, builder)
        if group is not None or order.is_position_tpsl:
            relink(ctx, account, order, new, group)
        statuses.append(status)
    return statuses
