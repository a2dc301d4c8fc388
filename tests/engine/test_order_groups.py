"""The normalTpsl sibling graph (engine/order_groups.py): one TpslGroup shared by a parent and its
children, listing the children's oids in placement order (also after they left, as the encoded
state does); modifies keep a child's place and hand a parent's group over; a fired child leaves
its group and cancels its siblings. A decoded state rebuilds the same shared groups, so it
executes like the live one (a group listing a cancelled child decodes; a modified child is
relinked in every member's view)."""

from __future__ import annotations

import pytest

from l2perp.codec import canonical
from l2perp.engine.decoding import decode_state
from l2perp.engine.encoding import encode_account, encode_order, shared_leaf, state_digest
from l2perp.engine.order_groups import is_group_child, is_group_parent
from tests.support.venue import Venue, addr, limit, single_tier, trigger

A, B = addr(1), addr(2)


def _venue() -> Venue:
    v = Venue(markets=(single_tier(),))
    for user in (A, B):
        v.deposit(user, 1_000_000)
    v.set_price(0, 1_000_000)  # $100
    return v


def _bracket(v: Venue) -> int:
    """A buy at $100 with a TP sell at $120 and an SL sell at $80; returns the parent's oid."""
    statuses = v.order(A, limit(0, True, "100", "1"),
                       trigger(0, False, "120", "1", "120", "tp"),
                       trigger(0, False, "80", "1", "80", "sl"), grouping="normalTpsl")
    return statuses[0].oid


def _modify(v: Venue, oid: int, order: dict) -> int:
    receipt = v.one(A, {"type": "batchModify", "modifies": [{"oid": oid, "order": order}]})
    return receipt.statuses[0].oid


def _decoded(v: Venue) -> Venue:
    state = v.state
    leaves = [encode_account(state.accounts[a]) for a in sorted(state.accounts)]
    twin = Venue.__new__(Venue)
    twin.__dict__.update(v.__dict__)
    twin.blocks = list(v.blocks)
    twin.state = decode_state(state.config, canonical(shared_leaf(state)), leaves)
    return twin


def test_parent_and_children_share_one_group_listing_the_children() -> None:
    v = _venue()
    parent = _bracket(v)
    orders = v.account(A).orders
    group = orders[parent].group
    assert group is orders[parent + 1].group is orders[parent + 2].group
    assert group.child_oids == [parent + 1, parent + 2]
    assert is_group_parent(orders[parent]) and not is_group_child(orders[parent])
    assert is_group_child(orders[parent + 1]) and not is_group_parent(orders[parent + 1])
    assert [orders[parent + i].parent_oid for i in (1, 2)] == [parent, parent]
    # every member encodes the children's oids (field 19) and its parent_oid (field 18)
    assert [encode_order(orders[parent + i])[18:20] for i in range(3)] == [
        [0, [parent + 1, parent + 2]], [parent, [parent + 1, parent + 2]],
        [parent, [parent + 1, parent + 2]]]


def test_the_parents_fill_makes_the_children_live_triggers() -> None:
    v = _venue()
    parent = _bracket(v)
    v.order(B, limit(0, False, "100", "1", "Ioc"))
    orders = v.account(A).orders
    assert parent not in orders and sorted(v.state.triggers[0]) == [parent + 1, parent + 2]
    assert [orders[parent + i].parent_oid for i in (1, 2)] == [0, 0]
    assert orders[parent + 1].group.child_oids == [parent + 1, parent + 2]


def test_a_modified_child_takes_its_predecessors_place_and_keeps_waiting() -> None:
    v = _venue()
    parent = _bracket(v)
    new = _modify(v, parent + 1, trigger(0, False, "125", "1", "125", "tp"))
    orders = v.account(A).orders
    assert orders[parent].group.child_oids == [new, parent + 2]
    assert orders[new].group is orders[parent].group and orders[new].parent_oid == parent
    assert v.state.triggers[0] == {}


def test_a_modified_parent_hands_its_group_over() -> None:
    v = _venue()
    parent = _bracket(v)
    new = _modify(v, parent, limit(0, True, "99", "1"))
    orders = v.account(A).orders
    assert parent not in orders and is_group_parent(orders[new])
    assert [orders[parent + i].parent_oid for i in (1, 2)] == [new, new]
    v.order(B, limit(0, False, "99", "1", "Ioc"))  # the new parent fills: the children go live
    assert sorted(v.state.triggers[0]) == [parent + 1, parent + 2]


def test_a_fired_child_leaves_its_group_and_cancels_its_sibling() -> None:
    v = _venue()
    parent = _bracket(v)
    v.order(B, limit(0, False, "100", "1", "Ioc"))
    v.order(B, limit(0, True, "120", "1"))  # liquidity for the take-profit
    v.set_price(0, 1_200_000)  # mark $120
    v.block()  # triggers fire at the start of the next block: the take-profit
    statuses = [(e.oid, e.status) for e in v.last.events
                if type(e).__name__ == "OrderEvent" and e.user == A]
    assert statuses == [(parent + 1, "triggered"), (parent + 2, "siblingFilledCanceled"),
                        (parent + 1, "filled")]
    assert v.account(A).orders == {} and v.state.triggers[0] == {}


def test_a_group_listing_a_cancelled_child_decodes_into_one_shared_group() -> None:
    v = _venue()
    parent = _bracket(v)
    assert v.cancel(A, 0, parent + 1) == ["success"]
    twin = _decoded(v)
    assert state_digest(twin.state) == state_digest(v.state)
    orders = twin.account(A).orders
    assert orders[parent].group is orders[parent + 2].group
    assert orders[parent].group.child_oids == [parent + 1, parent + 2]  # the cancelled one too


def test_a_decoded_state_relinks_a_modified_child_like_the_live_one() -> None:
    live = _venue()
    parent = _bracket(live)
    twin = _decoded(live)
    for v in (live, twin):
        _modify(v, parent + 1, trigger(0, False, "125", "1", "125", "tp"))
        v.order(B, limit(0, False, "100", "1", "Ioc"))  # the parent fills
    assert sorted(twin.state.triggers[0]) == sorted(live.state.triggers[0]) == [
        parent + 2, parent + 3]
    assert state_digest(twin.state) == state_digest(live.state)


def test_cancelling_a_modified_parent_leaves_no_order_on_the_book_that_its_account_forgot() -> None:
    """A child that fired and rests as a limit order has left its group: cancelling the group's
    (modified, unfilled) parent no longer drops it from the account while it stays on the book."""
    v = _venue()
    parent = v.order(A, limit(0, True, "100", "2"),
                     trigger(0, False, "110", "1", "109", "tp", is_market=False),
                     trigger(0, False, "80", "1", "80", "sl"), grouping="normalTpsl")[0].oid
    v.order(B, limit(0, False, "100", "1", "Ioc"))  # the parent half fills: the children go live
    v.set_price(0, 1_090_000)
    v.block()  # the take-profit fires and rests as a GTC sell at $110; the stop-loss is cancelled
    new = _modify(v, parent, limit(0, True, "99", "1"))  # the new parent has not filled
    assert v.cancel(A, 0, new) == ["success"]
    on_book = {o.oid for o in v.state.books[0].resting()}
    assert on_book <= set(v.account(A).orders)
    fired = list(v.account(A).orders.values())  # the fired take-profit still rests, on both sides
    assert [(o.is_buy, o.on_book) for o in fired] == [(False, True)]
