"""The TP/SL sibling graph: a normalTpsl group (one parent order and its TP/SL children) as one
explicit structure shared by its members, and the reads and link updates on it. It changes orders'
group links, `parent_oid` and the trigger index, nothing else (no events, no margin, no book).
A grouped order's encoded row is never cached (its siblings' oids are part of it): every link
change here clears the cached rows of the orders it touches (`Order.row`)."""

from __future__ import annotations

from .book import Order, TpslGroup, order_changed
from .state import Account, State


def link_group(parent: Order, children: list[Order]) -> TpslGroup:
    """Make `children` (in placement order) the waiting TP/SL children of `parent`."""
    group = TpslGroup([child.oid for child in children])
    parent.group = group
    order_changed(parent)
    for child in children:
        child.group = group
        child.parent_oid = parent.oid
        order_changed(child)
    return group


def is_group_parent(order: Order) -> bool:
    """True for the parent of a normalTpsl group (the member its group does not list)."""
    group = order.group
    return group is not None and order.oid not in group.child_oids


def is_group_child(order: Order) -> bool:
    """True for a child (TP or SL) of a normalTpsl group."""
    group = order.group
    return group is not None and order.oid in group.child_oids


def detach(order: Order) -> TpslGroup | None:
    """Take an order out of its group (a modify or a firing); returns the group it had."""
    group = order.group
    order.group = None
    order_changed(order)
    return group


def open_children(account: Account, group: TpslGroup) -> list[Order]:
    """The group's children still open on the account and still in the group, in placement
    order (a fired child that rests under its own oid as a limit order has left the group)."""
    orders = account.orders
    return [orders[oid] for oid in group.child_oids
            if oid in orders and orders[oid].group is group]


def activate_children(state: State, account: Account, group: TpslGroup) -> None:
    """The group's parent has filled: its open waiting children become live triggers."""
    orders = account.orders
    for oid in group.child_oids:
        child = orders.get(oid)
        if child is not None and child.parent_oid:
            child.parent_oid = 0
            order_changed(child)
            state.triggers[child.asset][oid] = child


def replace_child(group: TpslGroup, old: Order, new: Order) -> None:
    """A modify replaced child `old` by `new`: `new` takes its place and its waiting state."""
    oids = group.child_oids
    oids[oids.index(old.oid)] = new.oid
    new.group = group
    order_changed(new)
    if old.parent_oid:
        new.parent_oid = old.parent_oid


def replace_parent(account: Account, group: TpslGroup, new: Order) -> None:
    """A modify replaced the group's parent by `new`: waiting children now wait for `new`."""
    new.group = group
    order_changed(new)
    orders = account.orders
    for oid in group.child_oids:
        child = orders.get(oid)
        if child is not None and child.parent_oid:
            child.parent_oid = new.oid
            order_changed(child)
