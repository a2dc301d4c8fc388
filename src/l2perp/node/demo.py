"""The devnet's demo actors: three oracle operators signing a seeded synthetic price path
through the real oracle path, two market makers quoting ladders around the oracle shifted by a
wandering per-market basis (so funding has a premium to sample), and now and
then the second maker taking a slice of the first one's best quote, so a newcomer sees a live
book, trades and candles within seconds. They run inside the node, but every action they send
is signed with their devnet key and verified by the same decoder as /exchange requests."""

from __future__ import annotations

import random

from ..units import format_price, format_size

LEVELS = 5
STEP_E6 = 500  # 0.05% between levels
QUOTE_USD = 5_000
TRADE_EVERY = 1  # rounds (seconds) between demo trades, one market at a time
TRADE_SLICE = 10  # a demo trade takes 1/10 of the level it hits
# the makers' quotes centre on the oracle price x (1 + basis): a per-market basis that wanders
# around a per-market level (mean-reverting, in millionths), so the book mid sits off the oracle
# the way a perp's does and funding samples a non-zero, changing premium
BASIS_LEVEL_E6 = 2_000  # each market's level is drawn in [-2,000, 2,000] ppm (±0.2%)
BASIS_STEP_E6 = 150  # a second's random move
BASIS_PULL = 20  # 1/20 of the gap to the level is closed each second


def valid_pips(pips: int) -> int:
    """Round down to 5 significant figures (valid for any szDecimals when it has decimals)."""
    digits = len(str(pips))
    return pips - pips % 10 ** (digits - 5) if digits > 5 else max(pips, 1)


class DemoActors:
    """Oracle operators and market makers driven by the node's clock."""

    def __init__(self, node, operators: list[tuple[str, str]], makers: list[tuple[str, str]],
                 start_pips: dict[int, int], seed: int = 7) -> None:
        """`operators` and `makers` are (address, private key hex) pairs."""
        self.node = node
        self.operators = operators
        self.makers = makers
        self.rng = random.Random(seed)
        self.prices = dict(start_pips)
        self.basis_level_e6 = {a: self.rng.randint(-BASIS_LEVEL_E6, BASIS_LEVEL_E6)
                               for a in sorted(start_pips)}
        self.basis_e6 = dict(self.basis_level_e6)
        self.round = 0
        self.nonce = 0

    def _nonce(self, now_ms: int) -> int:
        self.nonce = max(self.nonce + 1, now_ms)
        return self.nonce

    def _send(self, key: str, action: dict, now_ms: int) -> None:
        """Sign as any client would, verify like /exchange, queue for the next block. `now_ms`
        is block time; nonces follow the wall clock (nonce windows ignore devAdvanceTime)."""
        self.node.push_signed(key, action,
                              self._nonce(now_ms - self.node.state.dev_time_offset_ms))

    def tick(self, now_ms: int) -> None:
        """One second of the demo: a price round from every operator, then fresh quotes."""
        self.round += 1
        for asset, price in sorted(self.prices.items()):
            move = int(price * self.rng.gauss(0, 0.0008))  # about 5% a day, calm
            self.prices[asset] = max(1, price + move)
        state = self.node.state
        for _, key in self.operators:
            for asset, price in sorted(self.prices.items()):
                noise = int(price * self.rng.gauss(0, 0.0001))
                d = state.markets[asset].sz_decimals
                self._send(key, {"type": "oracleReport", "asset": asset, "round": self.round,
                                 "px": format_price(max(1, price + noise), d), "time": now_ms,
                                 "extMid": format_price(price, d)}, now_ms)
        for asset in sorted(self.basis_e6):
            basis = self.basis_e6[asset]
            basis += (self.basis_level_e6[asset] - basis) // BASIS_PULL
            self.basis_e6[asset] = basis + int(self.rng.gauss(0, BASIS_STEP_E6))
        self._trade(now_ms)
        for i, (maker, key) in enumerate(self.makers):
            account = state.accounts.get(maker)
            if account is None:
                continue
            stale = [{"a": o.asset, "o": oid} for oid, o in sorted(account.orders.items())]
            if stale:
                self._send(key, {"type": "cancel", "cancels": stale}, now_ms)
            orders = []
            for asset, oracle in sorted(self.prices.items()):
                d = state.markets[asset].sz_decimals
                price = oracle + oracle * self.basis_e6[asset] // 1_000_000
                lots = max(1, QUOTE_USD * 10**6 // price)
                for level in range(1, LEVELS + 1):
                    offset = price * STEP_E6 * (level + i) // 1_000_000
                    bid = valid_pips(price - offset)
                    ask = valid_pips(price + offset)
                    if ask <= price:  # rounding down may not cross the mid
                        ask += 10 ** max(0, len(str(ask)) - 5)
                    for is_buy, px in ((True, bid), (False, ask)):
                        orders.append({"a": asset, "b": is_buy, "p": format_price(px, d),
                                       "s": format_size(lots, d), "r": False,
                                       "t": {"limit": {"tif": "Alo"}}})
            if orders:
                self._send(key, {"type": "order", "orders": orders, "grouping": "na"}, now_ms)

    def _trade(self, now_ms: int) -> None:
        """Every TRADE_EVERY rounds, in one market (in turn), the second maker takes a slice of
        the first maker's best bid or ask with an IOC at exactly that price. Only a level that
        holds the first maker's orders alone is hit, so a user's resting order is never taken
        by the demo. Sent before the makers requote (their cancels would empty the level)."""
        if len(self.makers) < 2 or self.round % TRADE_EVERY or not self.prices:
            return
        state = self.node.state
        assets = sorted(self.prices)
        asset = assets[(self.round // TRADE_EVERY) % len(assets)]
        book = state.books[asset]
        is_buy = self.rng.random() < 0.5
        price = book.best_ask() if is_buy else book.best_bid()
        level = (book.asks if is_buy else book.bids).get(price)
        quoter, (_, taker_key) = self.makers[0][0], self.makers[1]
        if level is None or any(o.user != quoter for o in level.queue if o.on_book):
            return
        lots = max(1, level.total_lots // TRADE_SLICE)
        d = state.markets[asset].sz_decimals
        self._send(taker_key, {"type": "order", "grouping": "na", "orders": [
            {"a": asset, "b": is_buy, "p": format_price(price, d), "s": format_size(lots, d),
             "r": False, "t": {"limit": {"tif": "Ioc"}}}]}, now_ms)
