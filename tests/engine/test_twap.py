"""TWAP orders through `apply_block`: the slice schedule (normal slice rounded down, the last one
taking the remainder, catch-up at most 3x normal, randomized sizes that still sum to the total),
the 3% slippage bound on the tick, reduce-only slices, the ends (filled, time over, cancelled,
errors), the placement rules, and the state: committed, carried by snapshots, replayed bit for
bit, with the leaf cache in verify mode."""

from __future__ import annotations

from l2perp.engine import errors as E
from l2perp.engine.decoding import copy_state
from l2perp.engine.encoding import shared_leaf, state_digest
from l2perp.engine.genesis import genesis_state
from l2perp.engine.leafcache import LeafCache
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.state import MARKET_PAUSED, Twap
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import (
    FillEvent, OrderError, TwapEvent, TwapRunning, TwapSliceEvent,
)
from l2perp.engine.twap import (
    MAX_RUNNING_PER_USER, round_to_tick, scheduled_total_lots, slice_count, slice_limit_pips,
)
from tests.support.venue import ADMIN, T0, Venue, addr, limit

ETH = 1  # szDecimals 4: 1 lot = 0.0001 ETH, 1 pip = $0.01
MAKER, TRADER, OTHER = addr(1), addr(2), addr(3)
ETH_PIPS = 350_000  # $3,500


def twap_action(sz: str, minutes: int = 5, is_buy: bool = True, reduce_only: bool = False,
                randomize: bool = False, asset: int = ETH) -> dict:
    return {"type": "twapOrder", "twap": {"a": asset, "b": is_buy, "s": sz, "r": reduce_only,
                                          "m": minutes, "t": randomize}}


def venue(price_pips: int = ETH_PIPS) -> Venue:
    v = Venue()
    for user in (MAKER, TRADER, OTHER):
        v.deposit(user, 1_000_000)
    v.set_price(ETH, price_pips)
    return v


def place(v: Venue, user: str = TRADER, **kw) -> object:
    receipt = v.one(user, twap_action(**kw))
    assert receipt.ok and receipt.kind == "twapOrder", receipt
    return receipt.statuses[0]


def run_to_end(v: Venue, dt_ms: int = 30_000, on_block=None) -> list:
    """A block 200 ms after the placement (the first slice is due at once), then blocks 30 s
    apart until no TWAP runs (`on_block(v)` before each); every event of those blocks."""
    events = list(v.block(dt_ms=200).events)
    for _ in range(4_000):
        if not v.state.twaps:
            return events
        if on_block is not None:
            on_block(v)
        events.extend(v.block(dt_ms=dt_ms).events)
    raise AssertionError("the TWAP never ended")


def of(events: list, kind: type) -> list:
    return [e for e in events if type(e) is kind]


# ----- the schedule ---------------------------------------------------------------------------

def test_normal_slice_is_rounded_down_and_the_last_slice_takes_the_remainder() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3501", "5"))
    assert place(v, sz="1.0009") == TwapRunning(1)  # 10,009 lots over 10 slices
    events = run_to_end(v)
    assert [e.size_lots for e in of(events, TwapSliceEvent)] == [1_000] * 9 + [1_009]
    assert v.size(TRADER, ETH) == 10_009
    end = of(events, TwapEvent)[-1]
    assert (end.status, end.description) == ("finished", "Filled.")
    assert end.executed_lots == 10_009 and end.executed_ntl_musdc == 10_009 * 350_100


def test_a_ten_minute_twap_fills_in_twenty_slices_thirty_seconds_apart() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3501", "5"))
    place(v, sz="2", minutes=10)
    started = v.state.time_ms
    events = run_to_end(v)
    slices = of(events, TwapSliceEvent)
    assert slice_count(10) == 20 and len(slices) == 20
    # slice i is due 30 s x i after the placement and runs in the first block at or after that
    assert [s.time_ms - started for s in slices] == [200 + 30_000 * i for i in range(20)]
    assert sum(f.sz_lots for f in of(events, FillEvent)) == 20_000


def test_underfilled_slices_catch_up_at_most_three_times_the_normal_slice() -> None:
    v = venue()
    place(v, sz="0.1")  # 1,000 lots, 10 slices of 100

    def liquidity_from_slice_four(venue_: Venue) -> None:
        twap = venue_.state.twaps[1]
        if twap.slices_done == 4 and not venue_.state.books[ETH].best_ask():
            venue_.order(MAKER, limit(ETH, False, "3500", "1"))

    events = run_to_end(v, on_block=liquidity_from_slice_four)
    sizes = [e.size_lots for e in of(events, TwapSliceEvent)]
    # nothing fills while the book is empty: 100, 200, 300, then capped at 3 x 100
    assert sizes == [100, 200, 300, 300, 300, 300, 100, 100, 100, 100]
    fills = of(events, FillEvent)
    assert [f.sz_lots for f in fills] == [300, 300, 100, 100, 100, 100]
    assert v.size(TRADER, ETH) == 1_000


def test_a_twap_whose_time_is_over_finishes_with_what_it_executed() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3500", "0.03"))  # 300 of the 1,000 lots
    place(v, sz="0.1")
    events = run_to_end(v)
    end = of(events, TwapEvent)[-1]
    assert (end.status, end.description, end.executed_lots) == (
        "finished", "Duration elapsed.", 300)
    assert len(of(events, TwapSliceEvent)) == 10


def test_randomized_slices_vary_deterministically_and_sum_to_the_total() -> None:
    def schedule(twap_id: int) -> list[int]:
        twap = Twap(twap_id, TRADER, ETH, True, 20_000, False, 10, True, T0, T0)
        targets = [scheduled_total_lots(twap, k) for k in range(20)]
        return [b - a for a, b in zip([0] + targets, targets)]

    sizes = schedule(7)
    assert sum(sizes) == 20_000 and len(set(sizes)) > 5
    assert all(0 <= s <= 2 * 1_000 for s in sizes)  # normal 1,000, offsets within +/- 500
    assert schedule(7) == sizes and schedule(8) != sizes
    v = venue()
    v.order(MAKER, limit(ETH, False, "3501", "5"))
    place(v, sz="2", minutes=10, randomize=True)
    events = run_to_end(v)
    placed = [e.size_lots for e in of(events, TwapSliceEvent)]
    assert sum(placed) == 20_000 and len(set(placed)) > 5


# ----- prices -----------------------------------------------------------------------------

def test_prices_round_to_five_significant_figures_toward_the_reference() -> None:
    assert round_to_tick(1_234_567, up=False) == 1_234_500
    assert round_to_tick(1_234_567, up=True) == 1_234_600
    assert round_to_tick(1_234_500, up=True) == 1_234_500
    assert round_to_tick(99_999, up=True) == 99_999
    assert slice_limit_pips(350_000, True) == 360_500  # exactly +3%
    assert slice_limit_pips(350_000, False) == 339_500
    # slippage 9,999.99 rounded down to 9,999, then the tick toward the mark
    assert slice_limit_pips(333_333, True) == 343_330
    assert slice_limit_pips(333_333, False) == 323_340


def test_a_slice_fills_at_three_percent_from_the_mark_and_not_a_tick_beyond() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3606", "1"), limit(ETH, False, "3605", "0.01"))
    place(v, sz="0.1")
    events = v.block(dt_ms=30_000).events
    (slice_,) = of(events, TwapSliceEvent)
    assert (slice_.reference_pips, slice_.limit_pips) == (350_000, 360_500)
    assert [(f.px_pips, f.sz_lots) for f in of(events, FillEvent)] == [(360_500, 100)]
    events = v.block(dt_ms=30_000).events
    assert of(events, FillEvent) == []  # 3606 is beyond 3605 = mark + 3%
    assert v.state.twaps[1].executed_lots == 100


# ----- reduce-only, errors and ends ---------------------------------------------------------

def test_reduce_only_slices_are_cut_to_the_position_then_the_twap_ends() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3500", "0.15"))
    v.order(TRADER, limit(ETH, True, "3500", "0.15", "Ioc"))
    v.order(MAKER, limit(ETH, True, "3499", "1"))
    assert place(v, sz="0.2", is_buy=False, reduce_only=True) == TwapRunning(1)
    events = run_to_end(v)
    fills = [f.sz_lots for f in of(events, FillEvent)]
    assert fills == [200] * 7 + [100]  # the eighth slice is cut to the 100 lots left
    assert v.size(TRADER, ETH) == 0
    end = of(events, TwapEvent)[-1]
    assert (end.status, end.description) == ("error", E.TWAP_REDUCE_ONLY_WOULD_INCREASE)


def test_a_reduce_only_twap_without_a_position_is_refused() -> None:
    v = venue()
    assert place(v, sz="0.1", reduce_only=True) == OrderError(
        E.TWAP_REDUCE_ONLY_WOULD_INCREASE)
    assert v.state.twaps == {} and v.state.next_twap_id == 1


def test_a_slice_without_the_initial_margin_ends_the_twap_with_an_error() -> None:
    v = venue()
    poor = addr(9)
    v.deposit(poor, 10)
    v.order(MAKER, limit(ETH, False, "3500", "1"))
    assert place(v, user=poor, sz="1") == TwapRunning(1)  # nothing is reserved at placement
    events = v.block(dt_ms=30_000).events
    # 0.1 ETH at the 3,605 limit needs $18.03 at 20x; $10 is free
    assert of(events, TwapSliceEvent) == [] and of(events, FillEvent) == []
    (end,) = of(events, TwapEvent)
    assert (end.status, end.description) == (
        "error", E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=ETH))
    assert v.state.twaps == {}


def test_a_paused_market_skips_slices_and_a_delisted_one_ends_the_twap() -> None:
    v = venue()
    v.order(MAKER, limit(ETH, False, "3500", "1"))
    place(v, sz="0.1")
    assert v.set_status(ETH, MARKET_PAUSED).ok  # its block ran the first slice before the pause
    assert (v.state.twaps[1].slices_done, v.state.twaps[1].executed_lots) == (1, 100)
    events = v.block(dt_ms=30_000).events
    assert of(events, TwapSliceEvent) == []  # skipped, and counted: time goes on
    assert (v.state.twaps[1].slices_done, v.state.twaps[1].executed_lots) == (2, 100)
    assert v.set_status(ETH, 3, ETH_PIPS).ok  # delisted
    events = v.block(dt_ms=30_000).events
    (end,) = of(events, TwapEvent)
    assert (end.status, end.description) == ("error", E.ASSET_DELISTED)


def test_cancel_stops_only_the_users_own_running_twap() -> None:
    v = venue()
    place(v, sz="0.1")
    cancel = {"type": "twapCancel", "a": ETH, "t": 1}
    not_found = [OrderError(E.TWAP_NOT_FOUND)]
    assert v.one(OTHER, cancel).statuses == not_found  # another user's id
    assert v.one(TRADER, {**cancel, "a": 0}).statuses == not_found  # another asset
    assert v.one(TRADER, {**cancel, "t": 2}).statuses == not_found  # never placed
    receipt = v.one(TRADER, cancel)
    assert (receipt.kind, receipt.statuses) == ("twapCancel", ["success"])
    (end,) = of(v.last.events, TwapEvent)
    assert (end.status, end.description) == ("terminated", "Canceled by user.")
    assert v.one(TRADER, cancel).statuses == not_found  # already cancelled
    assert v.state.twaps == {}


# ----- placement rules ------------------------------------------------------------------------

def test_duration_is_five_to_1440_minutes() -> None:
    v = venue()
    for minutes in (0, 4, 1441):
        assert place(v, sz="5", minutes=minutes) == OrderError(E.TWAP_INVALID_DURATION)
    assert place(v, sz="5", minutes=5) == TwapRunning(1)
    assert place(v, sz="5", minutes=1440) == TwapRunning(2)  # $17,500 >= $14,400
    assert slice_count(1440) == 2_880


def test_value_of_exactly_ten_dollars_per_minute_is_enough() -> None:
    v = venue(price_pips=500_000)  # $5,000: 100 lots are exactly $50
    assert place(v, sz="0.0099") == OrderError(
        "TWAP order value too small. Min is $50, which is $10 per minute.")
    assert place(v, sz="0.01") == TwapRunning(1)


def test_sizes_follow_the_lot_rule_and_assets_must_exist() -> None:
    v = venue()
    assert place(v, sz="0.00001") == OrderError(E.ORDER_HAS_INVALID_SIZE)
    assert place(v, sz="0") == OrderError(E.ORDER_HAS_ZERO_SIZE)
    assert place(v, sz="1", asset=99) == OrderError(E.UNKNOWN_ASSET.format(asset=99))
    assert v.state.next_twap_id == 1


def test_a_user_holds_at_most_ten_running_twaps() -> None:
    v = venue()
    for i in range(MAX_RUNNING_PER_USER):
        assert place(v, sz="1") == TwapRunning(i + 1)
    assert place(v, sz="1") == OrderError(E.TWAP_TOO_MANY_RUNNING.format(limit=10))
    assert place(v, user=OTHER, sz="1") == TwapRunning(11)


# ----- state ---------------------------------------------------------------------------------

def test_twaps_are_committed_carried_by_snapshots_and_replay_to_the_same_root() -> None:
    v = venue()
    assert len(shared_leaf(v.state)) == 25  # no TWAP yet: the bytes of before TWAPs
    v.order(MAKER, limit(ETH, False, "3501", "5"))
    leaves = LeafCache(verify=True)  # every leaf checked against a full encoding
    replica = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    roots: list[bytes] = []

    def follow(venue_: Venue) -> None:
        """The replica takes the blocks it has not seen; its kept leaves, a snapshot copy and
        the venue agree on the root."""
        for block in venue_.blocks[replica.height:]:
            leaves.refresh(replica, apply_block(replica, block).touched)
        assert leaves.digest(replica) == state_digest(venue_.state)
        assert state_digest(copy_state(venue_.state)) == state_digest(venue_.state)
        roots.append(state_digest(venue_.state))

    place(v, sz="1", minutes=5, randomize=True)
    place(v, user=OTHER, sz="0.5", minutes=10, is_buy=False)
    v.order(MAKER, limit(ETH, True, "3499", "5"))
    follow(v)
    before = state_digest(v.state)
    v.state.twaps[1].executed_lots += 1  # the running TWAPs are part of the root
    assert state_digest(v.state) != before
    v.state.twaps[1].executed_lots -= 1
    run_to_end(v, on_block=follow)
    follow(v)
    assert len(shared_leaf(v.state)) == 26 and v.state.next_twap_id == 3
    assert len(set(roots)) == len(roots)  # every block changed the state
    assert v.size(TRADER, ETH) == 10_000 and v.size(OTHER, ETH) == -5_000
    again = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    for block in v.blocks:
        apply_block(again, block)
    assert state_digest(again) == state_digest(v.state)
