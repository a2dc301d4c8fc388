"""The book kernel (engine/book.py) on its own: best prices with lazy deletion, the crossing rule
(inclusive), levels and resting order, time priority (insert, restore, reduce), matching at the
maker's price in price-time priority, the on_fill answers (lots, fewer lots, CANCEL_MAKER, STOP,
0), self-trade expiry without a callback, and the lazy queues and heaps staying exact."""

from __future__ import annotations

from l2perp.engine.book import CANCEL_MAKER, STOP, Book, Order

A, B = "alice", "bob"


def bid(oid: int, price: int, lots: int, user: str = A) -> Order:
    return Order(oid, user, 0, True, price, lots)


def ask(oid: int, price: int, lots: int, user: str = A) -> Order:
    return Order(oid, user, 0, False, price, lots)


def book_of(*orders: Order) -> Book:
    book = Book(0)
    for order in orders:
        book.insert(order)
    return book


def oids(book: Book) -> list[int]:
    return [o.oid for o in book.resting()]


# ----- reads ------------------------------------------------------------------------------

def test_an_empty_side_has_best_price_zero_and_never_crosses() -> None:
    book = Book(0)
    assert (book.best_bid(), book.best_ask()) == (0, 0)
    assert not book.would_cross(True, 10**9) and not book.would_cross(False, 1)
    assert book.levels(True, 5) == [] and book.resting() == []


def test_best_prices_skip_emptied_levels() -> None:
    b1, b2, a1 = bid(1, 99, 3), bid(2, 98, 4), ask(3, 101, 5)
    book = book_of(b1, b2, a1)
    assert (book.best_bid(), book.best_ask()) == (99, 101)
    book.remove(b1)  # the heap still holds 99: it is skipped
    assert book.best_bid() == 98
    book.remove(a1)
    assert book.best_ask() == 0


def test_crossing_is_inclusive_at_the_opposite_best() -> None:
    book = book_of(bid(1, 99, 1), ask(2, 101, 1))
    assert book.would_cross(True, 101) and not book.would_cross(True, 100)
    assert book.would_cross(False, 99) and not book.would_cross(False, 100)


def test_levels_are_best_first_with_total_lots_and_counts() -> None:
    book = book_of(bid(1, 98, 2), bid(2, 99, 3), bid(3, 99, 4), bid(4, 97, 1),
                   ask(5, 102, 6), ask(6, 101, 1))
    assert book.levels(True, 2) == [(99, 7, 2), (98, 2, 1)]
    assert book.levels(True, 10) == [(99, 7, 2), (98, 2, 1), (97, 1, 1)]
    assert book.levels(False, 10) == [(101, 1, 1), (102, 6, 1)]


def test_resting_lists_bids_then_asks_in_priority_order() -> None:
    book = book_of(ask(1, 102, 1), bid(2, 98, 1), bid(3, 99, 1), ask(4, 101, 1),
                   bid(5, 99, 1), ask(6, 101, 1))
    assert oids(book) == [3, 5, 2, 4, 6, 1]


# ----- time priority -----------------------------------------------------------------------

def test_insert_numbers_the_queue_and_keeps_an_existing_sequence() -> None:
    book = Book(0)
    first, second = bid(1, 99, 1), bid(2, 99, 1)
    book.insert(first)
    book.insert(second)
    assert (first.seq, second.seq, book.next_seq) == (1, 2, 3)
    kept = bid(3, 98, 1)
    kept.seq = 40
    book.insert(kept)
    assert kept.seq == 40 and book.next_seq == 3  # insert does not look at seq; restore does


def test_restore_rebuilds_time_priority_from_sequence_numbers() -> None:
    late, early, other = bid(1, 99, 1), bid(2, 99, 1), ask(3, 101, 1)
    late.seq, early.seq, other.seq = 7, 3, 5
    book = Book(0)
    for order in (late, other, early):  # any order
        book.restore(order)
    assert oids(book) == [2, 1, 3]
    assert book.next_seq == 8  # after the highest restored sequence


def test_reduce_keeps_the_place_in_the_queue_and_removes_at_zero() -> None:
    first, second = ask(1, 101, 5), ask(2, 101, 5)
    book = book_of(first, second)
    book.reduce(first, 3)
    assert oids(book) == [1, 2] and book.levels(False, 1) == [(101, 7, 2)]
    book.reduce(first, 2)
    assert oids(book) == [2] and not first.on_book and book.levels(False, 1) == [(101, 5, 1)]


def test_removing_the_last_order_deletes_the_level() -> None:
    only = ask(1, 101, 5)
    book = book_of(only, ask(2, 102, 1))
    book.remove(only)
    assert 101 not in book.asks and book.levels(False, 5) == [(102, 1, 1)]


# ----- matching ------------------------------------------------------------------------------

def test_fills_at_the_makers_price_in_price_then_time_priority() -> None:
    book = book_of(ask(1, 101, 2, B), ask(2, 100, 3, B), ask(3, 100, 4, B), ask(4, 103, 9, B))
    filled, notional = book.match(A, True, 102, 8)
    # 3 @ 100 (oid 2), 4 @ 100 (oid 3), then 1 of the 2 @ 101 (oid 1); 103 is beyond the limit.
    assert (filled, notional) == (8, 3 * 100 + 4 * 100 + 1 * 101)
    assert [(o.oid, o.size_lots) for o in book.resting()] == [(1, 1), (4, 9)]
    assert book.best_ask() == 101


def test_matching_stops_at_the_limit_inclusive() -> None:
    book = book_of(bid(1, 99, 2, B), bid(2, 98, 2, B))
    assert book.match(A, False, 99, 10) == (2, 198)  # a sell at 99 takes the 99 bid only
    assert book.match(A, False, 99, 10) == (0, 0)
    assert book.best_bid() == 98


def test_without_a_callback_a_self_trade_expires_the_resting_maker() -> None:
    mine, theirs = ask(1, 100, 5, A), ask(2, 100, 5, B)
    book = book_of(mine, theirs)
    assert book.match(A, True, 100, 3) == (3, 300)
    assert not mine.on_book and oids(book) == [2] and theirs.size_lots == 2


def test_callback_answers_fewer_lots_and_the_same_maker_is_offered_the_rest() -> None:
    maker = ask(1, 100, 10, B)
    book = book_of(maker)
    offers: list = []

    def on_fill(order: Order, lots: int, price: int) -> int:
        offers.append((order.oid, lots, price))
        return 4 if lots > 4 else lots

    assert book.match(A, True, 100, 9, on_fill) == (9, 900)
    assert offers == [(1, 9, 100), (1, 5, 100), (1, 1, 100)]
    assert maker.size_lots == 1 and book.levels(False, 1) == [(100, 1, 1)]


def test_callback_cancel_maker_takes_it_off_and_goes_on() -> None:
    bad, good = ask(1, 100, 5, B), ask(2, 100, 5, B)
    book = book_of(bad, good)
    answer = {1: CANCEL_MAKER}
    assert book.match(A, True, 100, 3, lambda o, lots, px: answer.get(o.oid, lots)) == (3, 300)
    assert not bad.on_book and oids(book) == [2] and book.levels(False, 1) == [(100, 2, 1)]


def test_callback_stop_or_zero_ends_matching_with_what_filled() -> None:
    first, second = ask(1, 100, 2, B), ask(2, 101, 2, B)
    book = book_of(first, second)
    calls: list = []

    def stop_at_second(order: Order, lots: int, price: int) -> int:
        calls.append(order.oid)
        return STOP if order.oid == 2 else lots

    assert book.match(A, True, 101, 4, stop_at_second) == (2, 200)
    assert calls == [1, 2] and oids(book) == [2] and second.size_lots == 2
    assert book.match(A, True, 101, 4, lambda o, lots, px: 0) == (0, 0)
    assert oids(book) == [2]


# ----- the lazy structures stay exact ------------------------------------------------------

def test_a_hollowed_queue_is_compacted_and_keeps_its_order() -> None:
    orders = [ask(i, 100, 1, B) for i in range(1, 31)]
    book = book_of(*orders)
    for order in orders[1:-1]:
        book.remove(order)
    level = book.asks[100]
    assert (level.count, level.total_lots) == (2, 2)
    assert len(level.queue) <= 2 * level.count + 8  # compacted on the way
    assert book.match(A, True, 100, 2) == (2, 200) and book.resting() == []


def test_the_heap_is_rebuilt_when_stale_prices_pile_up_behind_a_live_best() -> None:
    best = bid(1, 1_000, 1)
    book = book_of(best)
    for round_ in range(3):
        deep = [bid(100 * round_ + i + 2, 900 - i, 1) for i in range(80)]
        for order in deep:
            book.insert(order)
        for order in deep:
            book.remove(order)
    assert len(book.bid_heap) <= 2 * len(book.bids) + 64 + 80
    book.remove(best)
    book.insert(bid(999, 500, 1))
    assert book.best_bid() == 500 and book.levels(True, 5) == [(500, 1, 1)]
