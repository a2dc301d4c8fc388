"""The devnet fault cheats in the engine: post-only mode refuses every order but Alo until its
end (exclusive), cancels still work, and it is committed in the shared leaf and snapshots; the
node-level faults change no state but their nonce and announce themselves with an event; all of
them are the admin's, on a devnet, within their bounds."""

from __future__ import annotations

import pytest

from l2perp.engine.decoding import copy_state
from l2perp.engine.encoding import accounts_hash, shared_leaf, state_digest
from l2perp.engine.params import EngineConfig
from l2perp.engine.tx import (
    DevDelayAcks, DevDropWebsockets, DevFaultEvent, DevL1GasSpike, DevPostOnly, DevRateLimitUser,
    OrderError, Resting, Tx,
)
from l2perp.engine.txcodec import decode_txs, encode_txs
from tests.support.venue import ADMIN, Venue, addr, limit

BTC = 0
A, B = addr(1), addr(2)
POST_ONLY = "Only post-only orders allowed immediately after a network upgrade asset=0"


@pytest.fixture
def v() -> Venue:
    venue = Venue(config=EngineConfig(admin=ADMIN, devnet=True))
    for user in (A, B):
        venue.deposit(user, 100_000)
    venue.set_price(BTC, 500_000)
    return venue


def test_post_only_mode_refuses_gtc_and_ioc_but_takes_alo_and_cancels(v: Venue) -> None:
    resting = v.order(A, limit(BTC, True, "49000", "0.1"))[0].oid
    assert v.one(ADMIN, DevPostOnly(10)).ok
    assert v.state.post_only_until_ms == v.state.time_ms + 10_000
    assert v.order(B, limit(BTC, True, "49000", "0.1")) == [OrderError(POST_ONLY)]
    assert v.order(B, limit(BTC, False, "49000", "0.1", "Ioc")) == [OrderError(POST_ONLY)]
    assert isinstance(v.order(B, limit(BTC, True, "48000", "0.1", "Alo"))[0], Resting)
    assert v.cancel(A, BTC, resting) == ["success"]
    modify = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": 999, "order": limit(BTC, True, "48000", "0.1")}]})
    assert modify.statuses != [] and all(isinstance(s, OrderError) for s in modify.statuses)


def test_post_only_mode_ends_at_its_millisecond_not_after(v: Venue) -> None:
    assert v.one(ADMIN, DevPostOnly(1)).ok
    end = v.state.post_only_until_ms
    gtc = limit(BTC, True, "49000", "0.1")
    last = v.block(v.tx(B, {"type": "order", "orders": [gtc], "grouping": "na"}),
                   dt_ms=end - 1 - v.state.time_ms)  # the mode's last millisecond
    assert v.state.time_ms == end - 1
    assert last.receipts[0].statuses == [OrderError(POST_ONLY)]
    first = v.block(v.tx(B, {"type": "order", "orders": [gtc], "grouping": "na"}), dt_ms=1)
    assert v.state.time_ms == end  # the mode is over at its end
    assert isinstance(first.receipts[0].statuses[0], Resting)


def test_post_only_end_is_committed_and_round_trips_through_a_snapshot(v: Venue) -> None:
    length = len(shared_leaf(v.state))
    before = state_digest(v.state)
    assert v.one(ADMIN, DevPostOnly(60)).ok
    assert len(shared_leaf(v.state)) == length + 1  # a trailing item, absent before
    assert shared_leaf(v.state)[-1] == v.state.post_only_until_ms
    copy = copy_state(v.state)
    assert copy.post_only_until_ms == v.state.post_only_until_ms
    assert state_digest(copy) == state_digest(v.state) != before


@pytest.mark.parametrize("action, event", [
    (DevDropWebsockets(), ("dropWebsockets", None, 0, 0)),
    (DevRateLimitUser(A, 30), ("rateLimit", A, 0, 30_000)),
    (DevDelayAcks(250, 5), ("delayAcks", None, 250, 5_000)),
    (DevL1GasSpike(6, 120), ("l1GasSpike", None, 0, 120_000)),
])
def test_node_level_faults_change_no_state_and_announce_an_event(v: Venue, action,
                                                                 event) -> None:
    accounts = accounts_hash(v.state)
    receipt = v.one(ADMIN, action)
    assert receipt.ok, receipt
    kind, user, delay, until = event
    now = v.state.time_ms
    multiple = action.multiple if type(action) is DevL1GasSpike else 0
    assert [e for e in v.last.events if type(e) is DevFaultEvent] == [
        DevFaultEvent(kind, user, delay, now + until if until else 0, multiple)]
    assert accounts_hash(v.state) == accounts
    assert v.state.post_only_until_ms == 0
    assert v.state.admin_nonces.heap  # the nonce is used up


@pytest.mark.parametrize("action", [
    DevPostOnly(0), DevPostOnly(-1), DevPostOnly(3_601), DevPostOnly(2**63),
    DevRateLimitUser(A, 0), DevRateLimitUser(A, 3_601),
    DevDelayAcks(0, 5), DevDelayAcks(10_001, 5), DevDelayAcks(-5, 5), DevDelayAcks(5, 0),
    DevDelayAcks(5, 3_601), DevL1GasSpike(1, 5), DevL1GasSpike(21, 5), DevL1GasSpike(-2, 5),
    DevL1GasSpike(2, 0), DevL1GasSpike(2, 3_601), DevL1GasSpike(2**63, 5),
])
def test_faults_beyond_their_bounds_are_refused_and_change_nothing(v: Venue, action) -> None:
    accounts, nonces = accounts_hash(v.state), list(v.state.admin_nonces.heap)
    receipt = v.block(v.tx(ADMIN, action)).receipts[0]
    assert receipt.error == "Invalid amount."
    assert not [e for e in v.last.events if type(e) is DevFaultEvent]
    assert v.state.post_only_until_ms == 0
    assert accounts_hash(v.state) == accounts
    assert list(v.state.admin_nonces.heap) == nonces  # a refused request keeps its nonce


def test_the_largest_bounds_are_taken(v: Venue) -> None:
    assert v.one(ADMIN, DevPostOnly(3_600)).ok
    assert v.one(ADMIN, DevDelayAcks(10_000, 3_600)).ok
    assert v.one(ADMIN, DevRateLimitUser(A, 1)).ok
    assert v.one(ADMIN, DevL1GasSpike(20, 3_600)).ok
    assert v.one(ADMIN, DevL1GasSpike(2, 1)).ok


@pytest.mark.parametrize("action", [DevDropWebsockets(), DevRateLimitUser(A, 5),
                                    DevPostOnly(5), DevDelayAcks(100, 5), DevL1GasSpike(4, 5)])
def test_faults_are_the_admins_and_the_devnets_only(action) -> None:
    devnet = Venue(config=EngineConfig(admin=ADMIN, devnet=True))
    devnet.deposit(A, 1_000)
    assert devnet.one(A, action).error == "Only the admin key may send this action."
    venue = Venue(config=EngineConfig(admin=ADMIN, devnet=False))
    assert venue.one(ADMIN, action).error == "This action exists on the devnet only."
    assert venue.state.post_only_until_ms == 0


def test_fault_transactions_round_trip_through_the_codec() -> None:
    txs = (Tx(ADMIN, 1, DevDropWebsockets()), Tx(ADMIN, 2, DevRateLimitUser(A, 7)),
           Tx(ADMIN, 3, DevPostOnly(9)), Tx(ADMIN, 4, DevDelayAcks(300, 11)))
    assert decode_txs(encode_txs(txs)) == txs


@pytest.mark.parametrize("post_only, twap", [(True, False), (False, True), (True, True)])
def test_the_shared_leaf_tail_round_trips_with_either_or_both_items(v: Venue, post_only,
                                                                       twap) -> None:
    """The post-only end (an integer) and the TWAP book (a list) are each optional trailing
    items of the shared leaf, in that order: every combination decodes to the same state."""
    from l2perp.engine.tx import TwapOrder
    from l2perp.units import Dec

    length = len(shared_leaf(v.state))
    if post_only:
        assert v.one(ADMIN, DevPostOnly(600)).ok
    if twap:
        receipt = v.one(A, TwapOrder(BTC, True, Dec(1, -1), False, 30, False))
        assert receipt.ok, receipt
    leaf = shared_leaf(v.state)
    assert len(leaf) == length + post_only + twap
    if post_only:
        assert leaf[length] == v.state.post_only_until_ms
    copy = copy_state(v.state)
    assert copy.post_only_until_ms == v.state.post_only_until_ms
    assert copy.next_twap_id == v.state.next_twap_id
    assert state_digest(copy) == state_digest(v.state)
    assert accounts_hash(copy) == accounts_hash(v.state)
