"""The devnet's demo actors: three oracle operators signing a seeded synthetic price path
through the real oracle path, and two market makers quoting ladders around the oracle, so a
newcomer sees a live book within seconds. They run inside the node and hand it transactions
directly (they are the node's own processes, like the sequencer itself)."""

from __future__ import annotations

import random

from ..engine.tx import Cancel, OracleReport, OrderSpec, PlaceOrders, Tx
from ..engine.book import TIF_ALO
from ..units import dec_from_int

LEVELS = 5
STEP_E6 = 500  # 0.05% between levels
QUOTE_USD = 5_000


def valid_pips(pips: int) -> int:
    """Round down to 5 significant figures (valid for any szDecimals when it has decimals)."""
    digits = len(str(pips))
    return pips - pips % 10 ** (digits - 5) if digits > 5 else max(pips, 1)


class DemoActors:
    """Oracle operators and market makers driven by the node's clock."""

    def __init__(self, node, operators: list[str], makers: list[str], start_pips: dict[int, int],
                 seed: int = 7) -> None:
        self.node = node
        self.operators = operators
        self.makers = makers
        self.rng = random.Random(seed)
        self.prices = dict(start_pips)
        self.round = 0
        self.nonce = 0

    def _nonce(self, now_ms: int) -> int:
        self.nonce = max(self.nonce + 1, now_ms)
        return self.nonce

    def tick(self, now_ms: int) -> None:
        """One second of the demo: a price round from every operator, then fresh quotes."""
        self.round += 1
        pool = self.node.sequencer.mempool
        for asset, price in sorted(self.prices.items()):
            move = int(price * self.rng.gauss(0, 0.0008))  # about 5% a day, calm
            self.prices[asset] = max(1, price + move)
        for operator in self.operators:
            for asset, price in sorted(self.prices.items()):
                noise = int(price * self.rng.gauss(0, 0.0001))
                report = OracleReport(asset, self.round, max(1, price + noise), now_ms, price)
                pool.push(Tx(operator, self._nonce(now_ms), report))
        state = self.node.state
        for i, maker in enumerate(self.makers):
            account = state.accounts.get(maker)
            if account is None:
                continue
            stale = [(o.asset, oid) for oid, o in sorted(account.orders.items())]
            if stale:
                pool.push(Tx(maker, self._nonce(now_ms), Cancel(tuple(stale))))
            orders = []
            for asset, price in sorted(self.prices.items()):
                market = state.markets[asset]
                for level in range(1, LEVELS + 1):
                    offset = price * STEP_E6 * (level + i) // 1_000_000
                    lots = max(1, QUOTE_USD * 10**6 // price)
                    for is_buy, px in ((True, price - offset), (False, price + offset)):
                        px = valid_pips(px) if is_buy else valid_pips(px) + (
                            10 ** max(0, len(str(px)) - 5) if len(str(px)) > 5 else 0)
                        orders.append(OrderSpec(
                            asset, is_buy, dec_from_int(px, 6 - market.sz_decimals),
                            dec_from_int(lots, market.sz_decimals), False, TIF_ALO))
            if orders:
                pool.push(Tx(maker, self._nonce(now_ms), PlaceOrders(tuple(orders))))
