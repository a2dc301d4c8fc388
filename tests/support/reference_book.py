"""A naive price-time priority order book, obviously correct and slow: one list per side, kept
sorted by (price, arrival), scanned from the front. The differential tests hold `engine.book.Book`
to it: same fills (maker oid, price, lots, in order), same resting orders and levels, same best
bid and ask. Prices in pips, sizes in lots, like the kernel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from l2perp.engine.book import CANCEL_MAKER, STOP

Fill = tuple[int, int, int]  # (maker oid, price_pips, lots)


@dataclass
class RefOrder:
    oid: int
    user: str
    is_buy: bool
    price: int
    lots: int
    seq: int


class ReferenceBook:
    """Bids best (highest) first, asks best (lowest) first; equal prices in arrival order."""

    def __init__(self) -> None:
        self.bids: list[RefOrder] = []
        self.asks: list[RefOrder] = []
        self.next_seq = 1

    def _side(self, is_buy: bool) -> list[RefOrder]:
        return self.bids if is_buy else self.asks

    def _sort(self) -> None:
        self.bids.sort(key=lambda o: (-o.price, o.seq))
        self.asks.sort(key=lambda o: (o.price, o.seq))

    # ----- reads ---------------------------------------------------------------------------

    def best_bid(self) -> int:
        return self.bids[0].price if self.bids else 0

    def best_ask(self) -> int:
        return self.asks[0].price if self.asks else 0

    def crosses(self, is_buy: bool, limit: int, price: int) -> bool:
        """Whether a taker at `limit` may trade with a maker at `price`."""
        return price <= limit if is_buy else price >= limit

    def would_cross(self, is_buy: bool, limit: int) -> bool:
        opposite = self._side(not is_buy)
        return bool(opposite) and self.crosses(is_buy, limit, opposite[0].price)

    def levels(self, is_buy: bool) -> list[tuple[int, int, int]]:
        """Every level of one side, best first, as (price, total lots, order count)."""
        out: list[tuple[int, int, int]] = []
        for order in self._side(is_buy):
            if out and out[-1][0] == order.price:
                price, lots, count = out[-1]
                out[-1] = (price, lots + order.lots, count + 1)
            else:
                out.append((order.price, order.lots, 1))
        return out

    def resting(self) -> list[tuple[int, int, int, int]]:
        """(oid, price, lots, seq) of every resting order, bids then asks, in priority order."""
        return [(o.oid, o.price, o.lots, o.seq) for o in self.bids + self.asks]

    def find(self, oid: int) -> RefOrder | None:
        return next((o for o in self.bids + self.asks if o.oid == oid), None)

    # ----- writes --------------------------------------------------------------------------

    def insert(self, oid: int, user: str, is_buy: bool, price: int, lots: int) -> None:
        self._side(is_buy).append(RefOrder(oid, user, is_buy, price, lots, self.next_seq))
        self.next_seq += 1
        self._sort()

    def remove(self, oid: int) -> None:
        order = self.find(oid)
        assert order is not None, oid
        self._side(order.is_buy).remove(order)

    def reduce(self, oid: int, lots: int) -> None:
        order = self.find(oid)
        assert order is not None, oid
        order.lots -= lots
        if order.lots == 0:
            self.remove(oid)

    def match(
        self, taker_user: str, is_buy: bool, limit: int, want: int,
        on_fill: Callable[[int, int, int], int] | None = None,
    ) -> tuple[int, int, list[Fill]]:
        """Fill against the opposite side at the makers' prices while they cross `limit`.

        Without `on_fill`, a maker of the taker's own user is taken off the book (expire maker).
        With it, each offer (maker oid, lots, price) gets an answer: the lots accepted (0 stops),
        CANCEL_MAKER (the maker leaves the book) or STOP. Returns (filled lots, notional, fills).
        """
        opposite = self._side(not is_buy)
        remaining = want
        notional = 0
        fills: list[Fill] = []
        while remaining > 0 and opposite and self.crosses(is_buy, limit, opposite[0].price):
            maker = opposite[0]
            offer = min(maker.lots, remaining)
            if on_fill is None:
                if maker.user == taker_user:
                    opposite.pop(0)
                    continue
                lots = offer
            else:
                lots = on_fill(maker.oid, offer, maker.price)
                if lots == STOP or lots == 0:
                    break
                if lots == CANCEL_MAKER:
                    opposite.pop(0)
                    continue
            remaining -= lots
            notional += lots * maker.price
            fills.append((maker.oid, maker.price, lots))
            maker.lots -= lots
            if maker.lots == 0:
                opposite.pop(0)
        return want - remaining, notional, fills
