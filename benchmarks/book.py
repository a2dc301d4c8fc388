"""Book kernel throughput: l2perp's `engine.book.Book` against a peer Python order book.

Workloads (benchmarks/workloads.py): the exchange-core mix (9% GTC, 3% IOC, 6% cancel, 82% move;
~1,000 resting orders over ~750 levels) and a LOBSTER-like mix (50% add, 45% cancel, 5% market).
Both books run the same op stream through the same dispatch loop (`peers.run`), after the same
warm-up; the kernel's state digest hashes every resting order in priority order.
Usage: python benchmarks/book.py [n_ops]   (default 200,000; BENCH_OPS, BENCH_PEER, BENCH_BUILDS)
Run compiled, the script also measures the interpreted build in a child process and prints
one line per workload with both (common.run_builds); the state digests must agree.
"""

from __future__ import annotations

import gc
import sys

import common
from common import peers

from l2perp.codec import canonical, h256
from l2perp.engine.book import Book, Order

MARKET_BUY = 10**12  # a limit that crosses everything: market orders are IOC at this bound


class UserNames(dict):
    """uid -> the address-like string the kernel keys owners by (the engine's users are str)."""

    def __missing__(self, uid: int) -> str:
        name = self[uid] = f"u{uid}"
        return name


USERS = UserNames()


class KernelBook:
    """The op interface of benchmarks/workloads.py on top of the l2perp book kernel."""

    __slots__ = ("book", "orders")

    def __init__(self) -> None:
        self.book = Book(0)
        self.orders: dict[int, Order] = {}

    def gtc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> None:
        book = self.book
        if book.would_cross(is_buy, price):
            filled, _ = book.match(USERS[uid], is_buy, price, size)
            size -= filled
            if not size:
                return
        order = Order(oid, USERS[uid], 0, is_buy, price, size)
        book.insert(order)
        self.orders[oid] = order

    def ioc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> None:
        if self.book.would_cross(is_buy, price):
            self.book.match(USERS[uid], is_buy, price, size)

    def cancel(self, uid: int, oid: int) -> None:
        order = self.orders.pop(oid, None)
        if order is not None and order.on_book:
            self.book.remove(order)

    def move(self, uid: int, oid: int, new_price: int) -> None:
        order = self.orders.get(oid)
        if order is None or not order.on_book:
            return
        book = self.book
        book.remove(order)
        # A moved order is a new order at the back of its new level (an Order object never
        # returns to the book once it left it: the lazy queues may still hold it).
        size = order.size_lots
        if book.would_cross(order.is_buy, new_price):
            filled, _ = book.match(USERS[uid], order.is_buy, new_price, size)
            size -= filled
            if not size:
                del self.orders[oid]
                return
        moved = Order(oid, USERS[uid], 0, order.is_buy, new_price, size)
        book.insert(moved)
        self.orders[oid] = moved

    def market(self, uid: int, oid: int, is_buy: bool, size: int) -> None:
        self.book.match(USERS[uid], is_buy, MARKET_BUY if is_buy else 1, size)

    def digest(self) -> str:
        rows = [[o.oid, o.is_buy, o.limit_pips, o.size_lots, o.seq] for o in self.book.resting()]
        return h256(canonical(rows)).hex()


def main() -> None:
    n_ops = int(sys.argv[1]) if len(sys.argv) > 1 else common.n_ops_default()
    peer_cls = common.pick_peer()
    for name, make in common.WORKLOADS.items():
        warm, ops = make(n_ops, seed=1)
        kernel = KernelBook()
        peers.run(kernel, warm)
        gc.collect()
        elapsed = peers.run(kernel, ops, disable_gc=True)
        ours = len(ops) * 1e9 / elapsed
        digest = kernel.digest()
        replay = KernelBook()  # same stream, fresh book: the digest must repeat
        peers.run(replay, warm)
        peers.run(replay, ops)
        assert replay.digest() == digest, "book kernel is not deterministic"
        peer_ops = common.time_peer(peer_cls, warm, ops)
        common.emit("book", name, ours, peer_cls, peer_ops, digest)


if __name__ == "__main__":
    common.run_builds(main)
