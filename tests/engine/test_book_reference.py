"""Differential test: `engine.book.Book` against the naive `ReferenceBook` (tests/engine/
reference_book.py) under random sequences of adds, crossing orders (GTC, IOC, post-only), cancels,
in-place reductions, matches whose on_fill callback accepts all, part, cancels the maker or stops,
and rebuilds from `restore` in any order. After every step both books have the same resting
orders (oid, price, lots, priority), the same levels (price, total lots, count) and the same best
bid and ask; every match made the same offers and the same fills in the same order."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from l2perp.engine.book import CANCEL_MAKER, STOP, Book, Order
from tests.support.reference_book import ReferenceBook

USERS = ("u1", "u2", "u3")
ALL_LEVELS = 10**9

users = st.sampled_from(USERS)
sides = st.booleans()
# A price is 100 + offset for a bid and 100 - offset for an ask: mostly a few levels on each
# side that collide (queues) and sometimes cross; sometimes far away (levels come and go, and
# the kernel's lazy heaps and queues must still agree).
offsets = st.one_of(st.integers(-6, 2), st.integers(-6, 2), st.integers(-300, 99))
lots = st.integers(1, 12)
# A scripted on_fill: each answer is used for one offer, then every offer is accepted whole.
answers = st.lists(st.one_of(
    st.just(("all",)), st.tuples(st.just("part"), st.integers(1, 11)), st.just(("cancel",)),
    st.just(("stop",)), st.just(("zero",)),
), max_size=6)


class Script:
    """A deterministic on_fill: the same answers, in the same order, for both books; it records
    every offer (maker oid, lots, price) it was made."""

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.offers: list[tuple[int, int, int]] = []

    def answer(self, maker_oid: int, offer: int, price: int) -> int:
        self.offers.append((maker_oid, offer, price))
        kind = self.script.pop(0) if self.script else ("all",)
        if kind[0] == "part":
            return min(offer, kind[1])
        return {"all": offer, "cancel": CANCEL_MAKER, "stop": STOP, "zero": 0}[kind[0]]


class BookMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = Book(0)
        self.ref = ReferenceBook()
        self.orders: dict[int, Order] = {}  # the kernel's resting Order objects by oid
        self.next_oid = 1

    # ----- helpers -------------------------------------------------------------------------

    def live_oids(self) -> list[int]:
        return sorted(oid for oid, o in self.orders.items() if o.on_book)

    def rest(self, user: str, is_buy: bool, price: int, size: int) -> None:
        oid = self.next_oid
        self.next_oid += 1
        order = Order(oid, user, 0, is_buy, price, size)
        self.book.insert(order)
        self.orders[oid] = order
        self.ref.insert(oid, user, is_buy, price, size)

    def take(self, user: str, is_buy: bool, limit: int, size: int, script: list | None) -> int:
        """Match on both books; returns the lots left over."""
        if script is None:  # the fills show as makers' sizes going down, in priority order
            makers = [(o, o.size_lots) for o in self.book.resting() if o.is_buy != is_buy]
            kernel = self.book.match(user, is_buy, limit, size)
            filled, notional, ref_fills = self.ref.match(user, is_buy, limit, size)
            assert [(o.oid, o.limit_pips, before - o.size_lots) for o, before in makers
                    if o.size_lots < before] == ref_fills
            assert kernel == (filled, notional)
            return size - filled
        mine, theirs = Script(script), Script(script)
        fills = []

        def on_fill(maker: Order, offer: int, price: int) -> int:
            answer = mine.answer(maker.oid, offer, price)
            if answer > 0:
                fills.append((maker.oid, price, answer))
            return answer

        kernel = self.book.match(user, is_buy, limit, size, on_fill)
        filled, notional, ref_fills = self.ref.match(user, is_buy, limit, size, theirs.answer)
        assert mine.offers == theirs.offers
        assert fills == ref_fills
        assert kernel == (filled, notional)
        return size - filled

    # ----- rules ---------------------------------------------------------------------------

    @rule(user=users, is_buy=sides, offset=offsets, size=lots, tif=st.sampled_from("GIA"),
          script=st.none() | answers)
    def place(self, user: str, is_buy: bool, offset: int, size: int, tif: str, script) -> None:
        """A limit order: post-only is refused when it crosses; IOC never rests."""
        price = 100 + offset if is_buy else 100 - offset
        crossing = self.book.would_cross(is_buy, price)
        assert crossing == self.ref.would_cross(is_buy, price)
        if crossing:
            if tif == "A":
                return
            size = self.take(user, is_buy, price, size, script)
        if tif != "I" and size > 0 and not self.book.would_cross(is_buy, price):
            self.rest(user, is_buy, price, size)

    @rule(user=users, is_buy=sides, size=st.integers(1, 40), script=st.none() | answers)
    def market(self, user: str, is_buy: bool, size: int, script) -> None:
        self.take(user, is_buy, 10**6 if is_buy else 1, size, script)

    @precondition(lambda self: self.live_oids())
    @rule(data=st.data())
    def cancel(self, data) -> None:
        oid = data.draw(st.sampled_from(self.live_oids()))
        self.book.remove(self.orders[oid])
        self.ref.remove(oid)

    @rule(user=users, is_buy=sides, start=st.integers(1, 60), count=st.integers(1, 90))
    def ladder(self, user: str, is_buy: bool, start: int, count: int) -> None:
        """One order on each of `count` new levels away from the touch (bids below 100, asks
        above it), skipping any price that would cross."""
        for step in range(count):
            price = 100 - start - step if is_buy else 100 + start + step
            if price > 0 and not self.book.would_cross(is_buy, price):
                self.rest(user, is_buy, price, 1 + step % 3)

    @rule(is_buy=sides, offset=st.integers(-4, 0), count=st.integers(1, 30))
    def stack(self, is_buy: bool, offset: int, count: int) -> None:
        """`count` one-lot orders queued at one price (if it does not cross)."""
        price = 100 + offset if is_buy else 100 - offset
        for i in range(count):
            if not self.book.would_cross(is_buy, price):
                self.rest(USERS[i % len(USERS)], is_buy, price, 1)

    @rule(is_buy=sides)
    def hollow(self, is_buy: bool) -> None:
        """Cancel every order of the best level but its first and last (the kernel's queue keeps
        them lazily, then compacts it)."""
        queued = [o for o in self.book.resting() if o.is_buy == is_buy]
        best = [o for o in queued if o.limit_pips == queued[0].limit_pips] if queued else []
        for order in best[1:-1]:
            self.book.remove(order)
            self.ref.remove(order.oid)

    @rule(is_buy=sides, keep=st.integers(0, 3))
    def thin(self, is_buy: bool, keep: int) -> None:
        """Cancel every order of one side behind its best `keep` levels (their heap entries go
        stale behind a live top, until the kernel rebuilds its heap)."""
        kept = {price for price, _, _ in self.book.levels(is_buy, keep)}
        for order in self.book.resting():
            if order.is_buy == is_buy and order.limit_pips not in kept:
                self.book.remove(order)
                self.ref.remove(order.oid)

    @precondition(lambda self: self.live_oids())
    @rule(data=st.data())
    def cancel_many(self, data) -> None:
        for oid in data.draw(st.lists(st.sampled_from(self.live_oids()), unique=True)):
            self.book.remove(self.orders[oid])
            self.ref.remove(oid)

    @precondition(lambda self: self.live_oids())
    @rule(data=st.data())
    def reduce(self, data) -> None:
        oid = data.draw(st.sampled_from(self.live_oids()))
        order = self.orders[oid]
        by = data.draw(st.integers(1, order.size_lots))
        self.book.reduce(order, by)
        self.ref.reduce(oid, by)

    @rule(data=st.data())
    def rebuild(self, data) -> None:
        """Restore every resting order into a new book in any order (as decoding does)."""
        resting = self.book.resting()
        shuffled = data.draw(st.permutations(resting))
        book = Book(0)
        book.next_seq = self.book.next_seq
        for order in shuffled:
            order.on_book = False
            book.restore(order)
        self.book = book

    # ----- invariants ----------------------------------------------------------------------

    @invariant()
    def same_books(self) -> None:
        book, ref = self.book, self.ref
        assert book.best_bid() == ref.best_bid()
        assert book.best_ask() == ref.best_ask()
        assert book.levels(True, ALL_LEVELS) == ref.levels(True)
        assert book.levels(False, ALL_LEVELS) == ref.levels(False)
        assert [(o.oid, o.limit_pips, o.size_lots, o.seq) for o in book.resting()] == ref.resting()
        assert book.next_seq == ref.next_seq
        best_bid, best_ask = book.best_bid(), book.best_ask()
        assert not (best_bid and best_ask and best_bid >= best_ask)  # never crossed


BookMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=60, deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestBookAgainstReference = BookMachine.TestCase
