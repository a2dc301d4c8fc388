"""Adapters that run third-party ("peer") order books on benchmark op streams.

The peers are PyPI packages installed only in the benchmark environment
(``pip install -r benchmarks/requirements-peers.txt``).  Nothing is imported at
module import time: each adapter imports its package when constructed, and
:func:`available_peers` lists the adapters whose package imports here.  With no
peer installed this module still imports and ``available_peers()`` is ``[]``.

Every adapter exposes the op-tuple interface of ``benchmarks/workloads.py``::

    gtc(uid, oid, is_buy, price, size)    ioc(uid, oid, is_buy, price, size)
    cancel(uid, oid)                      move(uid, oid, new_price)
    market(uid, oid, is_buy, size)

mapped onto the peer's own API as directly as it allows (see each class for the
emulations used where a peer lacks an operation).  Prices are integer ticks and
sizes integer lots, passed to the peer unchanged unless the peer converts them
itself.  Time with :func:`run` (or ``PeerBook.run``), which uses the same
dispatch loop for any object with those five methods, so the l2perp kernel and
a peer pay the same harness overhead; :class:`NullBook` measures that overhead.

Pure-Python peers (the fair comparison): ``lobby``, ``akhil4n-orderbook``,
``pyorderbook``, ``lightmatchingengine``.  Compiled peers, reported for scale
only: ``cython-orderbook`` (the akhil4n book compiled with Cython) and
``limit-order-book`` (a C++ book behind ctypes; no accounts, no trade reports).
"""

from __future__ import annotations

import gc
import time
from importlib import metadata
from typing import Optional

__all__ = [
    "PeerBook",
    "NullBook",
    "LobbyPeer",
    "Akhil4nPeer",
    "PyOrderBookPeer",
    "LightMatchingEnginePeer",
    "CythonOrderbookPeer",
    "KautenjaPeer",
    "PEER_CLASSES",
    "available_peers",
    "get_peer",
    "run",
]


def run(book, ops, *, disable_gc: bool = False) -> int:
    """Apply ``ops`` to ``book`` (any object with gtc/ioc/cancel/move/market
    methods); return the elapsed wall time in nanoseconds
    (``time.perf_counter_ns``).  The loop is ``handlers[op[0]](*op[1:])``."""
    handlers = {
        "gtc": book.gtc,
        "ioc": book.ioc,
        "cancel": book.cancel,
        "move": book.move,
        "market": book.market,
    }
    was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for op in ops:
            handlers[op[0]](*op[1:])
        return time.perf_counter_ns() - t0
    finally:
        if disable_gc and was_enabled:
            gc.enable()


class PeerBook:
    """Base class: one fresh single-instrument book per instance."""

    name = "?"  # short name used in reports
    dist = "?"  # PyPI distribution name
    native = False  # True when the matching code is compiled, not Python

    @classmethod
    def load(cls) -> None:
        """Import the peer package (raise ImportError/OSError if missing)."""
        raise NotImplementedError

    @classmethod
    def version(cls) -> Optional[str]:
        try:
            return metadata.version(cls.dist)
        except metadata.PackageNotFoundError:
            return None

    def gtc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> None:
        raise NotImplementedError

    def ioc(self, uid: int, oid: int, is_buy: bool, price: int, size: int) -> None:
        raise NotImplementedError

    def cancel(self, uid: int, oid: int) -> None:
        raise NotImplementedError

    def move(self, uid: int, oid: int, new_price: int) -> None:
        raise NotImplementedError

    def market(self, uid: int, oid: int, is_buy: bool, size: int) -> None:
        raise NotImplementedError

    def state(self) -> dict:
        """Untimed summary for cross-checking against workloads.ShadowBook:
        best_bid, best_ask (None if empty), bid/ask order counts and volumes."""
        raise NotImplementedError

    def run(self, ops, *, disable_gc: bool = False) -> int:
        return run(self, ops, disable_gc=disable_gc)


def _state(bids: list, asks: list) -> dict:
    """bids/asks: lists of (price, size) of resting orders."""
    return {
        "best_bid": max((p for p, _ in bids), default=None),
        "best_ask": min((p for p, _ in asks), default=None),
        "bid_orders": len(bids),
        "ask_orders": len(asks),
        "bid_volume": sum(q for _, q in bids),
        "ask_volume": sum(q for _, q in asks),
    }


class NullBook(PeerBook):
    """Does nothing: measures the cost of the :func:`run` loop itself."""

    name = "null"
    dist = "-"

    @classmethod
    def load(cls) -> None:
        pass

    def gtc(self, uid, oid, is_buy, price, size):
        pass

    def ioc(self, uid, oid, is_buy, price, size):
        pass

    def cancel(self, uid, oid):
        pass

    def move(self, uid, oid, new_price):
        pass

    def market(self, uid, oid, is_buy, size):
        pass

    def state(self):
        return _state([], [])


# ---------------------------------------------------------------------------
# lobby 0.1.3: red-black tree of price levels, doubly linked order lists.


class LobbyPeer(PeerBook):
    """``lobby`` (PyLOB fork by Ash Booth et al.; pure Python).

    API: ``OrderBook(price_digits)``, ``processOrder(quote_dict, fromData,
    verbose)`` for limit/market, ``cancelOrder(side, idNum)``.  With
    ``fromData=True`` it takes our order id (``idNum``), account (``tid``) and a
    timestamp from the quote dict.  ``price_digits=0`` keeps integer ticks.
    Emulations: IOC = limit, then remove the rested remainder; move = remove +
    new limit with the same id/account and remaining size (lobby's
    ``modifyOrder`` re-inserts without matching, so a crossing move would leave
    a crossed book).  cancel needs the side: looked up in the side's order map.
    Quirks: every trade appends a dict to an unbounded ``tape`` deque;
    ``sys.exit`` on size <= 0.
    """

    name = "lobby"
    dist = "lobby"

    @classmethod
    def load(cls):
        from lobby.orderbook import OrderBook

        return OrderBook

    def __init__(self) -> None:
        OrderBook = self.load()
        self.book = OrderBook(price_digits=0)
        self._bids = self.book.bids
        self._asks = self.book.asks
        self._t = 0

    def _limit(self, uid, oid, is_buy, price, size):
        self._t += 1
        quote = {"type": "limit", "side": "bid" if is_buy else "ask", "qty": size,
                 "price": price, "tid": uid, "idNum": oid, "timestamp": self._t}
        return self.book.processOrder(quote, True, False)

    def gtc(self, uid, oid, is_buy, price, size):
        self._limit(uid, oid, is_buy, price, size)

    def ioc(self, uid, oid, is_buy, price, size):
        if self._limit(uid, oid, is_buy, price, size)[1] is not None:
            (self._bids if is_buy else self._asks).removeOrderById(oid)

    def cancel(self, uid, oid):
        if oid in self._bids.orderMap:
            self.book.cancelOrder("bid", oid)
        elif oid in self._asks.orderMap:
            self.book.cancelOrder("ask", oid)

    def move(self, uid, oid, new_price):
        tree = self._bids
        o = tree.orderMap.get(oid)
        if o is None:
            tree = self._asks
            o = tree.orderMap.get(oid)
            if o is None:
                return
        qty, tid = o.qty, o.tid
        tree.removeOrderById(oid)
        self._limit(tid, oid, tree is self._bids, new_price, qty)

    def market(self, uid, oid, is_buy, size):
        self._t += 1
        quote = {"type": "market", "side": "bid" if is_buy else "ask", "qty": size,
                 "tid": uid, "timestamp": self._t}
        self.book.processOrder(quote, True, False)

    def state(self):
        return _state([(o.price, o.qty) for o in self._bids.orderMap.values()],
                      [(o.price, o.qty) for o in self._asks.orderMap.values()])


# ---------------------------------------------------------------------------
# akhil4n-orderbook 0.1.1 (module name ``orderbook``) and its Cython build.


class Akhil4nPeer(PeerBook):
    """``akhil4n-orderbook`` (pure Python; installs a top-level ``orderbook``
    module, which clashes with the unrelated, Python-2-only ``OrderBook``
    distribution: do not install both).

    API: ``OrderBook()``, ``add_limit_order(Order(side, price, qty))``,
    ``add_market_order(MarketOrder(side, qty))``, ``cancel_order(order_id)``.
    Price levels in a ``sortedcontainers.SortedDict``, FIFO per level in an
    ``OrderedDict``; the book assigns its own string ids (global counter), so the
    adapter maps our id to the ``Order`` object.  No accounts.  Emulations: IOC
    = limit then cancel remainder; move = cancel + new limit with the remaining
    size (no modify).  Quirks: each fill appends a ``Trade`` dataclass with a
    ``datetime.now()`` to an unbounded ``trade_log``; a level's
    ``total_quantity`` is not reduced by partial fills, so a level emptied by
    cancels after a partial fill lingers until a matching pass removes it
    (results are unaffected).
    """

    name = "akhil4n-orderbook"
    dist = "akhil4n-orderbook"

    @classmethod
    def load(cls):
        import orderbook as m

        book_cls = getattr(m, "OrderBook", None)
        if not (hasattr(m, "OrderSide") and hasattr(book_cls, "add_limit_order")):
            raise ImportError("module 'orderbook' is not akhil4n-orderbook")
        return m

    def __init__(self) -> None:
        m = self.load()
        self.book = m.OrderBook()
        self._Order = m.Order
        self._Market = getattr(m, "MarketOrder", None)
        self._BID = m.OrderSide.BID
        self._ASK = m.OrderSide.ASK
        self._orders: dict = {}

    def _new(self, side, price, size):
        return self._Order(side, price, size)

    def gtc(self, uid, oid, is_buy, price, size):
        o = self._new(self._BID if is_buy else self._ASK, price, size)
        self.book.add_limit_order(o)
        if o.remaining_quantity:
            self._orders[oid] = o

    def ioc(self, uid, oid, is_buy, price, size):
        o = self._new(self._BID if is_buy else self._ASK, price, size)
        self.book.add_limit_order(o)
        if o.remaining_quantity:
            self.book.cancel_order(o.order_id)

    def cancel(self, uid, oid):
        o = self._orders.pop(oid, None)
        if o is not None:
            self.book.cancel_order(o.order_id)

    def move(self, uid, oid, new_price):
        o = self._orders.get(oid)
        if o is None:
            return
        if not self.book.cancel_order(o.order_id):  # filled meanwhile
            del self._orders[oid]
            return
        n = self._new(o.side, new_price, o.remaining_quantity)
        self.book.add_limit_order(n)
        if n.remaining_quantity:
            self._orders[oid] = n
        else:
            del self._orders[oid]

    def market(self, uid, oid, is_buy, size):
        self.book.add_market_order(self._market_order(self._BID if is_buy else self._ASK, size))

    def _market_order(self, side, size):
        return self._Market(side, size)

    def state(self):
        bids, asks = [], []
        for _, o in self.book.orders.values():
            (bids if o.side == self._BID else asks).append((o.price, o.remaining_quantity))
        return _state(bids, asks)


class CythonOrderbookPeer(Akhil4nPeer):
    """``cython-orderbook``: the akhil4n book compiled with Cython (``Order`` and
    ``PriceLevel`` are cdef classes; ``OrderBook`` is still a Python class).
    Same adapter; its ``Order(side, qty, price=None)`` takes the quantity first
    and market orders are plain ``Order``s with ``price=None``."""

    name = "cython-orderbook"
    dist = "cython-orderbook"
    native = True

    @classmethod
    def load(cls):
        import cython_orderbook.orderbook as m

        return m

    def _new(self, side, price, size):
        return self._Order(side, size, price)

    def _market_order(self, side, size):
        return self._Order(side, size)


# ---------------------------------------------------------------------------
# pyorderbook 0.4.9: heap of price levels per side, dict FIFO per level.


class PyOrderBookPeer(PeerBook):
    """``pyorderbook`` (pure Python, multi-symbol; symbol "X" used).

    API: ``Book().match(Order(side, symbol, price, qty))`` returns a
    ``TradeBlotter``; ``Book().cancel(order)`` takes the ``Order`` object.
    Orders get ``uuid4`` ids and ``Decimal(str(price))`` prices inside the
    package; the adapter maps our id to the ``Order``.  No accounts, no market
    orders, no IOC, no modify.  Emulations: IOC = limit then cancel remainder;
    market = limit at an extreme price (2**62 for buys, 0 for sells) then
    cancel remainder; move = cancel + new limit with remaining size.
    Quirks: importing it runs ``logging.basicConfig(level=INFO)`` (the adapter
    restores the root logger afterwards); ``cancel`` never removes an emptied
    price level (it stays in the heap until a matching pass pops it).
    """

    name = "pyorderbook"
    dist = "pyorderbook"
    _MARKET_BUY_PRICE = 2 ** 62

    @classmethod
    def load(cls):
        import logging

        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            import pyorderbook as m
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
        return m

    def __init__(self) -> None:
        m = self.load()
        self.book = m.Book()
        self._Order = m.Order
        self._BID = m.Side.BID
        self._ASK = m.Side.ASK
        self._orders: dict = {}

    def _limit(self, is_buy, price, size):
        o = self._Order(self._BID if is_buy else self._ASK, "X", price, size)
        self.book.match(o)
        return o

    def gtc(self, uid, oid, is_buy, price, size):
        o = self._limit(is_buy, price, size)
        if o.quantity:
            self._orders[oid] = o

    def ioc(self, uid, oid, is_buy, price, size):
        o = self._limit(is_buy, price, size)
        if o.quantity:
            self.book.cancel(o)

    def cancel(self, uid, oid):
        o = self._orders.pop(oid, None)
        if o is not None and o.quantity:  # quantity 0: filled and gone
            self.book.cancel(o)

    def move(self, uid, oid, new_price):
        o = self._orders.get(oid)
        if o is None:
            return
        if not o.quantity:
            del self._orders[oid]
            return
        self.book.cancel(o)
        n = self._limit(o.side is self._BID, new_price, o.quantity)
        if n.quantity:
            self._orders[oid] = n
        else:
            del self._orders[oid]

    def market(self, uid, oid, is_buy, size):
        o = self._limit(is_buy, self._MARKET_BUY_PRICE if is_buy else 0, size)
        if o.quantity:
            self.book.cancel(o)

    def state(self):
        bids, asks = [], []
        for o in self.book.order_map.values():
            (bids if o.side is self._BID else asks).append((int(o.price), o.quantity))
        return _state(bids, asks)


# ---------------------------------------------------------------------------
# lightmatchingengine 2019.1.4: dict price -> list per side.


class LightMatchingEnginePeer(PeerBook):
    """``lightmatchingengine`` (pure Python, multi-instrument; "X" used).

    API: ``add_order(instmt, price, qty, side)`` -> (order, trades), with price
    0 meaning market; ``cancel_order(order_id, instmt)``.  The engine assigns
    its own integer ids; the adapter maps ours to the ``Order``.  No accounts.
    Emulations: IOC and market = add then cancel remainder (a market remainder
    would otherwise rest at price 0); move = cancel + add with remaining size.
    Quirks: price levels are a plain dict, so every add computes
    ``min``/``max`` over all levels of the opposite side, and cancel scans the
    level's list.
    """

    name = "lightmatchingengine"
    dist = "lightmatchingengine"

    @classmethod
    def load(cls):
        from lightmatchingengine import lightmatchingengine as m

        return m

    def __init__(self) -> None:
        m = self.load()
        self.lme = m.LightMatchingEngine()
        self._BUY = m.Side.BUY
        self._SELL = m.Side.SELL
        self._orders: dict = {}

    def gtc(self, uid, oid, is_buy, price, size):
        o = self.lme.add_order("X", price, size, self._BUY if is_buy else self._SELL)[0]
        if o.leaves_qty:
            self._orders[oid] = o

    def ioc(self, uid, oid, is_buy, price, size):
        o = self.lme.add_order("X", price, size, self._BUY if is_buy else self._SELL)[0]
        if o.leaves_qty:
            self.lme.cancel_order(o.order_id, "X")

    def cancel(self, uid, oid):
        o = self._orders.pop(oid, None)
        if o is not None and o.leaves_qty:
            self.lme.cancel_order(o.order_id, "X")

    def move(self, uid, oid, new_price):
        o = self._orders.get(oid)
        if o is None:
            return
        qty = o.leaves_qty
        if not qty:
            del self._orders[oid]
            return
        self.lme.cancel_order(o.order_id, "X")
        n = self.lme.add_order("X", new_price, qty, o.side)[0]
        if n.leaves_qty:
            self._orders[oid] = n
        else:
            del self._orders[oid]

    def market(self, uid, oid, is_buy, size):
        o = self.lme.add_order("X", 0, size, self._BUY if is_buy else self._SELL)[0]
        if o.leaves_qty:
            self.lme.cancel_order(o.order_id, "X")

    def state(self):
        ob = self.lme.order_books.get("X")
        if ob is None:
            return _state([], [])
        return _state([(p, o.leaves_qty) for p, lst in ob.bids.items() for o in lst],
                      [(p, o.leaves_qty) for p, lst in ob.asks.items() for o in lst])


# ---------------------------------------------------------------------------
# limit-order-book 2.0.0 (Kautenja): C++ book behind ctypes.


class KautenjaPeer(PeerBook):
    """``limit-order-book`` (C++ via ctypes; built from source, needs g++).

    API: ``LimitOrderBook().limit(side, id, qty, price)`` (side: True = buy),
    ``market(side, id, qty)``, ``cancel(id)``, ``has(id)``; takes our ids; no
    accounts; returns nothing (no trade reports).  ``cancel``/``get`` of an
    unknown id throw a C++ exception that aborts the process, so the adapter
    checks ``has`` first.  Emulations: IOC = limit, then cancel if it rested;
    move = read the remaining size and side through the library's ``get``
    (commented out of the Python wrapper; the ``Order`` struct is read with
    ctypes), cancel, limit with the same id.  Quantities are uint32, prices
    uint64.
    """

    name = "limit-order-book"
    dist = "limit-order-book"
    native = True

    @classmethod
    def load(cls):
        import ctypes

        from limit_order_book import LimitOrderBook
        from limit_order_book.library import Library

        class COrder(ctypes.Structure):  # LOB::Order (include/structures.hpp)
            _fields_ = [("prev", ctypes.c_void_p), ("next", ctypes.c_void_p),
                        ("uid", ctypes.c_uint64), ("side", ctypes.c_bool),
                        ("quantity", ctypes.c_uint32), ("price", ctypes.c_uint64),
                        ("limit", ctypes.c_void_p)]

        return LimitOrderBook, Library.functions, COrder

    def __init__(self) -> None:
        LimitOrderBook, functions, COrder = self.load()
        self.book = LimitOrderBook()
        self._get = functions.get
        self._COrder = COrder

    def gtc(self, uid, oid, is_buy, price, size):
        self.book.limit(is_buy, oid, size, price)

    def ioc(self, uid, oid, is_buy, price, size):
        b = self.book
        b.limit(is_buy, oid, size, price)
        if b.has(oid):
            b.cancel(oid)

    def cancel(self, uid, oid):
        b = self.book
        if b.has(oid):
            b.cancel(oid)

    def move(self, uid, oid, new_price):
        b = self.book
        if not b.has(oid):
            return
        o = self._COrder.from_address(self._get(b._book, oid))
        qty, side = o.quantity, o.side
        b.cancel(oid)
        b.limit(side, oid, qty, new_price)

    def market(self, uid, oid, is_buy, size):
        self.book.market(is_buy, oid, size)

    def state(self):
        b = self.book
        return {
            "best_bid": b.best_buy() or None,
            "best_ask": b.best_sell() or None,
            "bid_orders": b.count_buy(),
            "ask_orders": b.count_sell(),
            "bid_volume": b.volume_buy(),
            "ask_volume": b.volume_sell(),
        }


# ---------------------------------------------------------------------------

PEER_CLASSES: tuple = (
    LobbyPeer,
    Akhil4nPeer,
    PyOrderBookPeer,
    LightMatchingEnginePeer,
    CythonOrderbookPeer,
    KautenjaPeer,
)


def available_peers(include_native: bool = True) -> list:
    """Peer classes whose package imports here, in order of preference
    (pure-Python first)."""
    out = []
    for cls in PEER_CLASSES:
        if cls.native and not include_native:
            continue
        try:
            cls.load()
        except Exception:  # ImportError, OSError (missing .so), wrong module
            continue
        out.append(cls)
    return out


def get_peer(name: str) -> PeerBook:
    """A fresh instance of the peer called ``name`` (see ``PeerBook.name``)."""
    for cls in PEER_CLASSES + (NullBook,):
        if cls.name == name:
            return cls()
    raise KeyError(name)


if __name__ == "__main__":
    peers = available_peers()
    if not peers:
        print("no peer order book installed (pip install -r benchmarks/requirements-peers.txt)")
    for cls in peers:
        print(f"{cls.name} {cls.version()}{' (native)' if cls.native else ''}")
