"""apply_block: the in-block priority order, block validity, error receipts that change nothing,
and the resting side's margin check at match."""

from __future__ import annotations

import pytest

from l2perp.engine.encoding import accounts_hash, shared_leaf
from l2perp.engine.stf import InvalidBlock, apply_block
from l2perp.engine.tx import Block, Filled, OrderError, SetPrice
from tests.support.venue import ADMIN, Venue, addr, limit

BTC = 0
A, B, C = addr(1), addr(2), addr(3)


@pytest.fixture
def v() -> Venue:
    venue = Venue()
    for user in (A, B, C):
        venue.deposit(user, 100_000)
    venue.set_price(BTC, 500_000)
    return venue


def order_tx(v: Venue, user: str, *orders: dict):
    return v.tx(user, {"type": "order", "orders": list(orders), "grouping": "na"})


def test_cancels_run_before_takers_in_the_same_block(v: Venue) -> None:
    ask = v.order(B, limit(BTC, False, "50000", "0.1"))[0].oid
    taker = order_tx(v, A, limit(BTC, True, "50000", "0.1", "Ioc"))
    cancel = v.tx(B, {"type": "cancel", "cancels": [{"a": BTC, "o": ask}]})
    receipts = v.block(taker, cancel).receipts  # the taker comes first in the block...
    assert receipts[1].statuses == ["success"]  # ...but the cancel is applied first
    assert receipts[0].statuses == [OrderError(
        "Order could not immediately match against any resting orders. asset=0")]


def test_post_only_runs_before_takers_in_the_same_block(v: Venue) -> None:
    taker = order_tx(v, A, limit(BTC, True, "50000", "0.1", "Ioc"))
    maker = order_tx(v, B, limit(BTC, False, "50000", "0.1", "Alo"))
    receipts = v.block(taker, maker).receipts
    assert receipts[0].statuses[0] == Filled(receipts[0].statuses[0].oid, 10_000,
                                             10_000 * 500_000, BTC)
    assert v.size(A, BTC) == 10_000


def test_price_transactions_run_first(v: Venue) -> None:
    taker = order_tx(v, A, limit(BTC, True, "90010", "0.1"))  # > 80% above $50,000
    price = v.tx(ADMIN, SetPrice(BTC, 510_000))  # $51,000: $90,010 is now within 80%
    receipts = v.block(taker, price).receipts
    assert not isinstance(receipts[0].statuses[0], OrderError)


def test_blocks_must_follow_in_height_and_time(v: Venue) -> None:
    state = v.state
    with pytest.raises(InvalidBlock):
        apply_block(state, Block(state.height + 2, state.time_ms + 1, ()))
    with pytest.raises(InvalidBlock):
        apply_block(state, Block(state.height + 1, state.time_ms - 1, ()))


def _fingerprint(v: Venue) -> tuple:
    """Accounts, counters, the fee pool and the bridge totals: what a transaction could change
    (block time moves prices' clocks and EMAs on its own)."""
    state = v.state
    return (accounts_hash(state), state.next_oid, state.next_tid, state.next_wid,
            state.fee_pool_musdc, state.credits_musdc, state.withdrawn_musdc,
            len(state.withdrawals), [m.pinned_pips for m in state.markets],
            [m.status for m in state.markets], shared_leaf(state)[0])


def test_invalid_transactions_change_nothing(v: Venue) -> None:
    v.order(A, limit(BTC, True, "49000", "0.1"))
    before = _fingerprint(v)
    bad = [
        v.tx(A, {"type": "usdSend", "destination": addr(9), "amount": "1000000", "time": 1}),
        v.tx(A, {"type": "withdraw3", "destination": A, "amount": "999999", "time": 1}),
        v.tx(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 0}),
        v.tx(A, {"type": "updateIsolatedMargin", "asset": BTC, "isBuy": True, "ntli": 5}),
        v.tx(A, {"type": "scheduleCancel", "time": 1}),
        v.tx(addr(99), {"type": "setReferrer", "code": "x"}),
        v.tx(A, SetPrice(BTC, 1)),  # not the admin
        v.tx(A, {"type": "setReferrer", "code": "x"}, nonce=1),  # nonce out of window
    ]
    receipts = v.block(*bad).receipts
    assert all(not r.ok for r in receipts), receipts
    assert _fingerprint(v) == before


def test_resting_order_that_no_longer_has_margin_is_cancelled_at_match(v: Venue) -> None:
    poor = addr(4)
    v.deposit(poor, 1_000)
    v.one(poor, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 40})
    v.order(C, limit(BTC, False, "50000", "0.5"))
    v.order(poor, limit(BTC, True, "50000", "0.5", "Ioc"))  # long $25,000 on $1,000 at 40x
    weak_bid = v.order(poor, limit(BTC, True, "49000", "0.2"))[0].oid
    v.order(B, limit(BTC, True, "48990", "0.2"))
    v.set_price(BTC, 490_500)  # $49,050: the long lost $475, its bid can no longer be margined
    status = v.order(A, limit(BTC, False, "48990", "0.2", "Ioc"))[0]
    assert status == Filled(status.oid, 20_000, 20_000 * 489_900, BTC)  # filled by B instead
    assert weak_bid not in v.account(poor).orders
    assert any(getattr(e, "status", "") == "marginCanceled" and e.oid == weak_bid
               for e in v.last.events)
    assert v.size(poor, BTC) == 50_000 and v.size(B, BTC) == 20_000
    value = v.cash(poor) + 50_000 * 490_500
    assert value == 513_750_000 < 613_125_000  # $513.75 of value under $613.125 of 40x margin
