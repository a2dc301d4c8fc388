"""A test harness around the engine: genesis, block building, nonces and wire-order helpers.

It drives the real `apply_block` with transactions parsed from Hyperliquid-shaped action dicts,
exactly as the API layer will.
"""

from __future__ import annotations

import copy

from l2perp.wire.actions import parse_action
from l2perp.engine.decoding import copy_state
from l2perp.engine.encoding import state_digest
from l2perp.engine.params import EngineConfig, Genesis, MarketSpec, MarginTier, DEFAULT_MARKETS
from l2perp.engine.genesis import genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block, BridgeCredit, SetMarketStatus, SetPrice, Tx
from l2perp.units import ONE_USDC

ADMIN = "0x" + "ad" * 20
T0 = 1_700_000_000_000  # a block time in ms (2023-11-14)
BLOCK_MS = 200


def addr(i: int) -> str:
    """A deterministic test address."""
    return "0x" + f"{i:040x}"


def limit(asset: int, is_buy: bool, px: str, sz: str, tif: str = "Gtc", reduce_only: bool = False,
          cloid: str | None = None) -> dict:
    wire = {"a": asset, "b": is_buy, "p": px, "s": sz, "r": reduce_only,
            "t": {"limit": {"tif": tif}}}
    if cloid is not None:
        wire["c"] = cloid
    return wire


def trigger(asset: int, is_buy: bool, px: str, sz: str, trigger_px: str, tpsl: str,
            is_market: bool = True, reduce_only: bool = True) -> dict:
    return {"a": asset, "b": is_buy, "p": px, "s": sz, "r": reduce_only,
            "t": {"trigger": {"isMarket": is_market, "triggerPx": trigger_px, "tpsl": tpsl}}}


class Venue:
    """A running engine with helpers; every call builds and applies real blocks."""

    def __init__(self, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS,
                 config: EngineConfig | None = None, time_ms: int = T0) -> None:
        config = config or EngineConfig(admin=ADMIN)
        self.state = genesis_state(Genesis(config=config, markets=markets, time_ms=time_ms))
        self.blocks: list[Block] = []
        self.nonce = time_ms
        self.pending: list[Tx] = []
        self.last = None

    def fork(self) -> "Venue":
        """An independent copy to try another future on (the state through its encoding:
        `copy.deepcopy` cannot copy the compiled core's classes)."""
        other = copy.copy(self)
        other.state = copy_state(self.state)
        other.blocks = list(self.blocks)
        other.pending = list(self.pending)
        return other

    # --- building blocks -------------------------------------------------------------------
    def next_nonce(self) -> int:
        self.nonce += 1
        return self.nonce

    def tx(self, signer: str | None, action, nonce: int | None = None, **kw) -> Tx:
        if isinstance(action, dict):
            action = parse_action(action)
        if signer is None:
            return Tx(None, 0, action)
        return Tx(signer, self.next_nonce() if nonce is None else nonce, action, **kw)

    def block(self, *txs: Tx, dt_ms: int = BLOCK_MS):
        state = self.state
        block = Block(state.height + 1, state.time_ms + dt_ms, tuple(txs))
        self.blocks.append(block)
        self.last = apply_block(state, block)
        return self.last

    def one(self, signer, action, **kw):
        """Apply one transaction in its own block; returns its receipt."""
        return self.block(self.tx(signer, action, **kw)).receipts[0]

    # --- conveniences ----------------------------------------------------------------------
    def deposit(self, user: str, usd: int) -> None:
        receipt = self.one(None, BridgeCredit(user, usd * ONE_USDC))
        assert receipt.ok, receipt

    def set_price(self, asset: int, pips: int) -> None:
        receipt = self.one(ADMIN, SetPrice(asset, pips))
        assert receipt.ok, receipt

    def set_status(self, asset: int, status: int, settlement_pips: int = 0):
        return self.one(ADMIN, SetMarketStatus(asset, status, settlement_pips))

    def order(self, user: str, *orders: dict, grouping: str = "na"):
        receipt = self.one(user, {"type": "order", "orders": list(orders), "grouping": grouping})
        assert receipt.ok, receipt
        return receipt.statuses

    def cancel(self, user: str, asset: int, oid: int):
        return self.one(user, {"type": "cancel", "cancels": [{"a": asset, "o": oid}]}).statuses

    def account(self, user: str):
        return self.state.accounts[user]

    def cash(self, user: str) -> int:
        return self.state.accounts[user].cash_musdc

    def size(self, user: str, asset: int) -> int:
        pos = self.state.accounts[user].positions.get(asset)
        return pos.size_lots if pos else 0

    def digest(self) -> bytes:
        return state_digest(self.state)


def single_tier(name: str = "TST", sz_decimals: int = 2, max_leverage: int = 10,
                **kw) -> MarketSpec:
    return MarketSpec(name, sz_decimals, (MarginTier(0, max_leverage),), **kw)
