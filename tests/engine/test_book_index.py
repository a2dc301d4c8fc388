"""The kernel's order-id API (`engine.book_index.IndexedBook`) against a naive model: random
limit, IOC and market orders, cancels and moves give the same fills, and after every step the
same resting orders in the same priority (self-trades expire the resting order)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2perp.engine.book_index import IndexedBook

USERS = ("a", "b", "c")


class NaiveBook:
    """Resting orders in a list; matching sorts the opposite side every time."""

    def __init__(self) -> None:
        self.resting: list[list] = []  # [oid, user, is_buy, price, size, seq]
        self.seq = 0

    def _match(self, user: str, is_buy: bool, limit: int, size: int) -> int:
        filled = 0
        while size > filled:
            makers = [o for o in self.resting if o[2] != is_buy and
                      (o[3] <= limit if is_buy else o[3] >= limit)]
            if not makers:
                break
            maker = min(makers, key=lambda o: (o[3] if is_buy else -o[3], o[5]))
            if maker[1] == user:
                self.resting.remove(maker)
                continue
            lots = min(maker[4], size - filled)
            filled += lots
            maker[4] -= lots
            if maker[4] == 0:
                self.resting.remove(maker)
        return filled

    def _rest(self, oid: int, user: str, is_buy: bool, price: int, size: int) -> None:
        self.seq += 1
        self.resting.append([oid, user, is_buy, price, size, self.seq])

    def gtc(self, user, oid, is_buy, price, size) -> int:
        filled = self._match(user, is_buy, price, size)
        if filled < size:
            self._rest(oid, user, is_buy, price, size - filled)
        return filled

    def ioc(self, user, oid, is_buy, price, size) -> int:
        return self._match(user, is_buy, price, size)

    def market(self, user, oid, is_buy, size) -> int:
        return self._match(user, is_buy, 10**18 if is_buy else 1, size)

    def cancel(self, user, oid) -> bool:
        for o in self.resting:
            if o[0] == oid:
                self.resting.remove(o)
                return True
        return False

    def move(self, user, oid, price) -> int:
        for o in self.resting:
            if o[0] == oid:
                self.resting.remove(o)
                return self.gtc(user, oid, o[2], price, o[4])
        return 0

    def snapshot(self) -> list[tuple]:
        bids = sorted((o for o in self.resting if o[2]), key=lambda o: (-o[3], o[5]))
        asks = sorted((o for o in self.resting if not o[2]), key=lambda o: (o[3], o[5]))
        return [(o[0], o[2], o[3], o[4]) for o in bids + asks]


def kernel_snapshot(book: IndexedBook) -> list[tuple]:
    return [(o.oid, o.is_buy, o.limit_pips, o.size_lots) for o in book.resting()]


ops = st.lists(st.tuples(
    st.sampled_from(("gtc", "gtc", "ioc", "market", "cancel", "move", "move")),
    st.sampled_from(USERS), st.booleans(), st.integers(95, 105), st.integers(1, 9),
    st.integers(0, 40)), max_size=120)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=ops)
def test_the_indexed_kernel_matches_the_naive_book(ops) -> None:
    kernel, naive = IndexedBook(), NaiveBook()
    owners: dict[int, str] = {}
    for oid, (kind, user, is_buy, price, size, pick) in enumerate(ops, start=1):
        if kind in ("gtc", "ioc"):
            args = (user, oid, is_buy, price, size)
            owners[oid] = user
        elif kind == "market":
            args = (user, oid, is_buy, size)
        else:
            target = pick % oid or 1
            args = (owners.get(target, user), target) + ((price,) if kind == "move" else ())
        assert getattr(kernel, kind)(*args) == getattr(naive, kind)(*args), (kind, args)
        assert kernel_snapshot(kernel) == naive.snapshot()


def test_a_move_goes_to_the_back_of_its_new_level_and_a_filled_order_cannot_be_moved() -> None:
    book = IndexedBook()
    book.gtc("a", 1, True, 100, 5)
    book.gtc("b", 2, True, 101, 5)
    assert book.move("b", 2, 100) == 0
    assert [o.oid for o in book.resting()] == [1, 2]
    assert book.market("c", 3, False, 5) == 5  # takes oid 1 (first at 100)
    assert book.move("a", 1, 99) == 0 and not book.cancel("a", 1)
    assert book.cancel("b", 2) and book.resting() == []
