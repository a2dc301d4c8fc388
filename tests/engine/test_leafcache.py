"""The leaf cache (engine/leafcache.py) gives the bytes of the full encoding: array headers at
msgpack's size boundaries, accounts with cached, grouped and changed orders, the digest and the
L2 total; a refresh re-encodes only touched accounts, starts over when the chain skips a height
or the state object changes, and `verify=True` catches a row a change forgot to clear."""

from __future__ import annotations

import pytest

from l2perp.codec import canonical
from l2perp.engine.encoding import encode_account, state_digest
from l2perp.engine.leafcache import LeafCache, array_header, encode_account_cached
from l2perp.rollup.accounting import tvl_musdc
from tests.support.venue import Venue, addr, limit, single_tier, trigger

A, B, C = addr(1), addr(2), addr(3)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 65_535, 65_536, 70_000])
def test_array_header_is_msgpacks_header_at_every_size_boundary(n: int) -> None:
    encoded = canonical([0] * n)  # each 0 is one byte
    assert array_header(n) == encoded[: len(encoded) - n]


def _venue() -> Venue:
    v = Venue(markets=(single_tier(),))
    for user in (A, B, C):
        v.deposit(user, 1_000_000)
    v.set_price(0, 1_000_000)  # $100
    return v


def _followed() -> tuple[Venue, LeafCache]:
    """A funded venue and a verifying cache that has taken its state."""
    v = _venue()
    cache = LeafCache(verify=True)
    cache.refresh(v.state, None)
    return v, cache


def _follow(v: Venue, cache: LeafCache) -> None:
    cache.refresh(v.state, v.last.touched)


def test_cached_account_encoding_equals_the_full_one_across_order_changes() -> None:
    v, cache = _followed()
    # 20 resting orders: more than a fixarray's 15, so the orders list takes a 0xdc header
    v.order(A, *[limit(0, True, str(90 - i), "1") for i in range(20)])
    _follow(v, cache)
    v.order(A, limit(0, True, "100", "1"), trigger(0, False, "120", "1", "120", "tp"),
            trigger(0, False, "80", "1", "80", "sl"), grouping="normalTpsl")
    _follow(v, cache)
    v.order(B, limit(0, False, "90", "3"))  # fills A's best bids partly and wholly
    _follow(v, cache)
    assert encode_account_cached(v.account(A)) == encode_account(v.account(A))
    assert cache.digest(v.state) == state_digest(v.state)
    assert cache.tvl_musdc(v.state) == tvl_musdc(v.state)
    oids = sorted(v.account(A).orders)
    v.cancel(A, 0, oids[0])
    _follow(v, cache)
    assert cache.digest(v.state) == state_digest(v.state)


def test_grouped_orders_are_never_cached_and_plain_orders_are() -> None:
    v = _venue()
    v.order(A, limit(0, True, "90", "1"))
    v.order(A, limit(0, True, "95", "1"), trigger(0, False, "120", "1", "120", "tp"),
            grouping="normalTpsl")
    encode_account_cached(v.account(A))
    rows = {o.group is None: o.row for o in v.account(A).orders.values()}
    assert rows[True] is not None
    assert rows[False] is None


def test_refresh_reencodes_only_touched_accounts() -> None:
    v = _venue()
    cache = LeafCache()
    cache.refresh(v.state, None)
    cache.take_changed()
    v.order(A, limit(0, True, "90", "1"))
    _follow(v, cache)
    assert cache.take_changed() == [A]
    assert cache.digest(v.state) == state_digest(v.state)


def test_a_skipped_height_or_another_state_forces_a_full_refresh() -> None:
    v = _venue()
    cache = LeafCache()
    cache.refresh(v.state, None)
    v.order(A, limit(0, True, "90", "1"))
    v.order(B, limit(0, True, "91", "1"))  # the cache missed this block
    cache.take_changed()
    _follow(v, cache)  # touched lists only B, but a height was skipped
    assert cache.take_changed() == sorted(v.state.accounts)
    assert cache.digest(v.state) == state_digest(v.state)
    other = v.fork()
    cache.refresh(other.state, [])
    assert cache.state is other.state
    assert cache.digest(other.state) == state_digest(other.state)


def test_refresh_is_idempotent_for_a_height_already_taken() -> None:
    v = _venue()
    cache = LeafCache()
    cache.refresh(v.state, None)
    cache.take_changed()
    cache.refresh(v.state, None)
    assert cache.take_changed() == []


def test_verify_mode_catches_a_row_that_a_change_did_not_clear() -> None:
    v, cache = _followed()
    v.order(A, limit(0, True, "90", "2"))
    _follow(v, cache)
    order = next(iter(v.account(A).orders.values()))
    assert order.row is not None
    order.size_lots -= 1  # a change that forgets to clear `row`
    v.order(A, limit(0, True, "80", "1"))  # touches A again: its stale row is reused
    with pytest.raises(AssertionError, match="stale leaf"):
        _follow(v, cache)


def test_verify_mode_catches_an_account_missing_from_touched() -> None:
    v, cache = _followed()
    v.order(A, limit(0, True, "90", "1"))
    with pytest.raises(AssertionError, match="stale leaf"):
        cache.refresh(v.state, [])


def test_an_accounts_orders_list_is_kept_until_one_of_its_orders_changes() -> None:
    v, cache = _followed()
    v.order(A, limit(0, True, "90", "2"), limit(0, True, "89", "1"))
    _follow(v, cache)
    kept = v.account(A).encoded_orders.blob
    assert kept is not None
    v.deposit(A, 5)  # touches A, not its orders: the list is reused as it is
    _follow(v, cache)
    assert v.account(A).encoded_orders.blob is kept
    v.order(B, limit(0, False, "90", "1", "Ioc"))  # a maker fill changes one of A's orders
    assert v.account(A).encoded_orders.blob is None
    _follow(v, cache)  # verify mode: the list encoded anew equals the full encoding
    assert v.account(A).encoded_orders.blob not in (None, kept)
    oid = min(v.account(A).orders)
    v.cancel(A, 0, oid)  # a removal drops it too
    assert v.account(A).encoded_orders.blob is None
    _follow(v, cache)


def test_a_list_holding_a_grouped_order_is_never_kept() -> None:
    v = _venue()
    v.order(A, limit(0, True, "95", "1"), trigger(0, False, "120", "1", "120", "tp"),
            grouping="normalTpsl")
    encode_account_cached(v.account(A))
    assert v.account(A).encoded_orders.blob is None


def test_a_few_changes_among_many_orders_update_the_rows_in_place() -> None:
    v, cache = _followed()
    v.order(A, *[limit(0, True, str(80 - i), "1") for i in range(30)])
    _follow(v, cache)
    holder = v.account(A).encoded_orders
    rows = holder.rows  # a rebuild would replace the list; an update edits it
    oids = sorted(v.account(A).orders)
    v.cancel(A, 0, oids[10])  # one leaves from the middle
    _follow(v, cache)
    v.order(A, limit(0, True, "85", "1"))  # one arrives at the end
    _follow(v, cache)
    v.order(B, limit(0, False, "85", "1", "Ioc"))  # a fill takes the new one out again
    _follow(v, cache)
    v.order(B, limit(0, False, "80", "0.5", "Ioc"))  # a partial fill changes the best bid
    _follow(v, cache)
    assert holder.rows is rows and holder.oids == sorted(v.account(A).orders)
    assert cache.digest(v.state) == state_digest(v.state)
    v.order(A, *[limit(0, True, str(60 - i), "1") for i in range(10)])  # 10 of 39: rebuilt
    _follow(v, cache)
    assert holder.rows is not rows and holder.oids == sorted(v.account(A).orders)
