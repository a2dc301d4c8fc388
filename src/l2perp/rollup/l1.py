"""The L1: an in-process deterministic chain with its own block clock, an EIP-1559 base fee
that rises under congestion, and the ordered message queue of the settlement contract
(deposits, forced withdrawals, forced trades) that batches consume in order.

Integers only: gas in units, fees in gwei, amounts in micro-USDC, times in ms of the L1 clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .params import RollupParams

GAS_TARGET = 15_000_000  # Ethereum: half of the 30M block limit
GAS_LIMIT = 30_000_000
BASE_FEE_CHANGE_DENOMINATOR = 8  # Ethereum: at most 12.5% per block
MIN_BASE_FEE_GWEI = 1

KIND_DEPOSIT = "deposit"
KIND_FORCED_WITHDRAWAL = "forcedWithdrawal"
KIND_FORCED_TRADE = "forcedTrade"


class L1Error(ValueError):
    """An L1 call the contract refuses (nothing changes)."""


@dataclass(frozen=True)
class L1Message:
    """One queue entry: its index, kind, who sent it, what it carries, and when."""

    index: int
    kind: str
    sender: str
    payload: tuple
    block: int
    time_ms: int


def next_base_fee(base_fee_gwei: int, gas_used: int) -> int:
    """EIP-1559: base * (1 + (used - target) / target / 8), rounded toward zero, >= 1 gwei."""
    delta = base_fee_gwei * (gas_used - GAS_TARGET) // GAS_TARGET
    if delta < 0:
        delta = -((-delta) // BASE_FEE_CHANGE_DENOMINATOR)
    else:
        delta = delta // BASE_FEE_CHANGE_DENOMINATOR
    fee = base_fee_gwei + delta
    return fee if fee > MIN_BASE_FEE_GWEI else MIN_BASE_FEE_GWEI


@dataclass
class L1Chain:
    """Blocks, the base fee and the settlement contract's message queue."""

    params: RollupParams
    genesis_ms: int
    height: int = 0
    time_ms: int = 0
    base_fee_gwei: int = 10
    messages: list[L1Message] = field(default_factory=list)
    cursor: int = 0  # messages [0, cursor) were consumed by accepted batches
    bridge_balance_musdc: int = 0
    gas_this_block: int = 0

    def __post_init__(self) -> None:
        self.time_ms = self.genesis_ms

    # ----- the clock and the fee market ---------------------------------------------------
    def advance_to(self, time_ms: int, congestion_gas: int = 0) -> int:
        """Produce every L1 block due by `time_ms`; `congestion_gas` is other users' gas per
        block. Returns the number of blocks produced."""
        produced = 0
        while self.time_ms + self.params.l1_block_ms <= time_ms:
            used = min(GAS_LIMIT, self.gas_this_block + congestion_gas)
            self.base_fee_gwei = next_base_fee(self.base_fee_gwei, used)
            self.time_ms += self.params.l1_block_ms
            self.height += 1
            self.gas_this_block = 0
            produced += 1
        return produced

    def spend_gas(self, gas: int) -> int:
        """Charge gas to the current block; returns the fee in gwei at today's base fee."""
        if self.gas_this_block + gas > GAS_LIMIT:
            raise L1Error("block gas limit reached: wait for the next L1 block")
        self.gas_this_block += gas
        return gas * self.base_fee_gwei

    # ----- the message queue --------------------------------------------------------------
    def _enqueue(self, kind: str, sender: str, payload: tuple) -> L1Message:
        message = L1Message(len(self.messages), kind, sender, payload, self.height, self.time_ms)
        self.messages.append(message)
        return message

    def deposit(self, sender: str, user: str, amount_musdc: int) -> L1Message:
        """Lock collateral in the bridge and queue its credit to `user` on L2."""
        if amount_musdc <= 0:
            raise L1Error("deposit amount must be positive")
        self.spend_gas(60_000)
        self.bridge_balance_musdc += amount_musdc
        return self._enqueue(KIND_DEPOSIT, sender, (user, amount_musdc))

    def force_withdrawal(self, user: str, amount_musdc: int) -> L1Message:
        """A withdrawal request L2 must serve (execute or prove invalid) in time."""
        if amount_musdc <= 0:
            raise L1Error("withdrawal amount must be positive")
        self.spend_gas(80_000)
        return self._enqueue(KIND_FORCED_WITHDRAWAL, user, (user, amount_musdc))

    def force_trade(self, user: str, counterparty: str, asset: int, size_lots: int,
                    price_pips: int, counterparty_sig: bytes, expiry_ms: int) -> L1Message:
        """A trade signed by both sides that L2 must serve, so a user can flatten exposure."""
        if expiry_ms <= self.time_ms:
            raise L1Error("forced trade already expired")
        self.spend_gas(120_000)
        return self._enqueue(KIND_FORCED_TRADE, user, (user, counterparty, asset, size_lots,
                                                       price_pips, counterparty_sig, expiry_ms))

    def pending(self) -> list[L1Message]:
        """Messages not yet consumed, in queue order."""
        return self.messages[self.cursor:]

    def overdue(self) -> list[L1Message]:
        """Unconsumed messages at least `force_inclusion_delay` old: the next accepted batch
        must contain them."""
        limit = self.time_ms - self.params.force_inclusion_delay_ms
        return [m for m in self.pending() if m.time_ms <= limit]

    def consume(self, start: int, end: int) -> list[L1Message]:
        """A batch consumes [start, end): contiguous from the cursor, never past the queue, and
        covering every overdue message."""
        if start != self.cursor:
            raise L1Error(f"batch starts at message {start}, the queue is at {self.cursor}")
        if not start <= end <= len(self.messages):
            raise L1Error("batch consumes messages that do not exist")
        overdue = self.overdue()
        if overdue and overdue[-1].index >= end:
            raise L1Error(f"message {overdue[-1].index} is past the force-inclusion delay and "
                          "must be in this batch")
        self.cursor = end
        return self.messages[start:end]
