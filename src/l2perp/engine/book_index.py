"""The book kernel on its own: one `Book` plus an order-id index, driven by order ids.

This is the shape of exchange-core's order-book interface (place, cancel, move, market by id):
what a matching kernel is measured by, without the engine's accounts, margin or events. The
engine keeps its orders on accounts and calls `Book` directly; `benchmarks/book.py` and the
reference-book test drive the kernel through this class. Prices in pips, sizes in lots; a taker
meets its own resting orders by expiring them (the kernel's self-trade prevention, `Book.match`
without a callback).
"""

from __future__ import annotations

from typing import Final

from .book import Book, Order

MARKET_LIMIT_PIPS: Final = 10**18  # a buy limit that crosses every ask (a sell's is 1 pip)


class IndexedBook:
    """One market's book with its orders indexed by id (ids are the caller's, unique)."""

    __slots__ = ("book", "orders")

    def __init__(self, asset: int = 0) -> None:
        self.book = Book(asset)
        self.orders: dict[int, Order] = {}

    def gtc(self, user: str, oid: int, is_buy: bool, price: int, size: int) -> int:
        """A limit order: match what crosses, rest the remainder; returns the lots filled."""
        book = self.book
        filled = 0
        if book.would_cross(is_buy, price):
            filled = book.match(user, is_buy, price, size)[0]
            if filled == size:
                return filled
        order = Order(oid, user, book.asset, is_buy, price, size - filled)
        book.insert(order)
        self.orders[oid] = order
        return filled

    def ioc(self, user: str, oid: int, is_buy: bool, price: int, size: int) -> int:
        """Immediate-or-cancel: match what crosses, drop the rest; returns the lots filled."""
        book = self.book
        if book.would_cross(is_buy, price):
            return book.match(user, is_buy, price, size)[0]
        return 0

    def market(self, user: str, oid: int, is_buy: bool, size: int) -> int:
        """A market order: an IOC at no price limit; returns the lots filled."""
        return self.book.match(user, is_buy, MARKET_LIMIT_PIPS if is_buy else 1, size)[0]

    def cancel(self, user: str, oid: int) -> bool:
        """Take an order off the book; False when it is not resting (filled, unknown)."""
        order = self.orders.pop(oid, None)
        if order is None or not order.on_book:
            return False
        self.book.remove(order)
        return True

    def move(self, user: str, oid: int, new_price: int) -> int:
        """Cancel and replace a resting order at `new_price` with its remaining size (it goes to
        the back of its new level and may trade); returns the lots filled, 0 when the order is
        not resting."""
        order = self.orders.get(oid)
        if order is None or not order.on_book:
            return 0
        book = self.book
        book.remove(order)
        size = order.size_lots
        filled = 0
        if book.would_cross(order.is_buy, new_price):
            filled = book.match(user, order.is_buy, new_price, size)[0]
            if filled == size:
                del self.orders[oid]
                return filled
        # A new Order object: one that left the book never returns (lazy queues may hold it).
        moved = Order(oid, user, book.asset, order.is_buy, new_price, size - filled)
        book.insert(moved)
        self.orders[oid] = moved
        return filled

    def resting(self) -> list[Order]:
        """Every resting order, bids then asks, best price first, then time priority."""
        return self.book.resting()
