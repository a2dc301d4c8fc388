"""The L1: an in-process deterministic chain with its own block clock, an EIP-1559 base fee
that rises under congestion, and the ordered message queue of the settlement contract
(deposits, forced withdrawals, forced trades) that batches consume in order.

Integers only: gas in units, fees in gwei, amounts in micro-USDC, times in ms of the L1 clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..codec import canonical, h256
from ..crypto.eip712 import keccak256
from ..crypto.signatures import recover_address
from ..engine.accounts import is_address
from .params import RollupParams

MAX_FORCED_PER_BLOCK = 10  # StarkEx: forced requests per L1 block (anti-DoS)

GAS_TARGET = 15_000_000  # Ethereum: half of the 30M block limit
GAS_LIMIT = 30_000_000
BASE_FEE_CHANGE_DENOMINATOR = 8  # Ethereum: at most 12.5% per block
MIN_BASE_FEE_GWEI = 1

KIND_DEPOSIT = "deposit"
KIND_FORCED_WITHDRAWAL = "forcedWithdrawal"
KIND_FORCED_TRADE = "forcedTrade"
KIND_OFFENCE = "operatorOffence"  # a proven offence, for the L2 operator registry to slash
KIND_L1_COST = "l1DataCost"  # what a batch cost its poster on L1, for the L2 data fee
DATA_GAS_PER_BYTE = 16  # Ethereum calldata: 16 gas a (non-zero) byte


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


def forced_trade_digest(terms: tuple) -> bytes:
    """What a forced trade's counterparty signs: keccak of the canonical terms."""
    return keccak256(b"l2perp/forcedTrade" + canonical(list(terms)))


def next_base_fee(base_fee_gwei: int, gas_used: int) -> int:
    """EIP-1559: base * (1 + (used - target) / target / 8), rounded toward zero, >= 1 gwei;
    a block above target raises it by at least 1 (EIP-1559's max(..., 1)), so a low fee can
    still climb under congestion."""
    delta = base_fee_gwei * (gas_used - GAS_TARGET) // GAS_TARGET
    if delta < 0:
        delta = -((-delta) // BASE_FEE_CHANGE_DENOMINATOR)
    else:
        delta = delta // BASE_FEE_CHANGE_DENOMINATOR
        if delta == 0 and gas_used > GAS_TARGET:
            delta = 1
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
    bridge_balance_musdc: int = 0  # B: everything the settlement contract holds
    gas_this_block: int = 0
    wallets: dict[str, int] = field(default_factory=dict)  # L1 USDC outside the contract
    block_hashes: list[bytes] = field(default_factory=list)
    forced_this_block: int = 0
    used_trades: set = field(default_factory=set)  # digests of forced-trade terms consumed
    frozen: bool = False  # the settlement contract's flag: no new deposits or requests

    def __post_init__(self) -> None:
        self.time_ms = self.genesis_ms
        self.block_hashes = [h256(b"l1-genesis" + self.genesis_ms.to_bytes(8, "big"))]

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
            self.forced_this_block = 0
            self.block_hashes.append(h256(self.block_hashes[-1] + canonical(
                [self.height, self.time_ms, len(self.messages)])))
            produced += 1
            self.on_block()
        return produced

    def on_block(self) -> None:
        """Called after each new L1 block (the settlement contract finalizes batches here)."""

    # ----- L1 money ---------------------------------------------------------------------
    def mint(self, address: str, amount_musdc: int) -> None:
        """Devnet L1 faucet: test USDC into a wallet."""
        if amount_musdc <= 0:
            raise L1Error("mint amount must be positive")
        self.wallets[address] = self.wallets.get(address, 0) + amount_musdc

    def need(self, address: str, amount_musdc: int) -> None:
        """Refuse (before anything changes) a call whose sender cannot pay `amount`."""
        if self.wallets.get(address, 0) < amount_musdc:
            raise L1Error(f"{address} holds {self.wallets.get(address, 0)} on L1, "
                          f"needs {amount_musdc}")

    def take(self, address: str, amount_musdc: int) -> None:
        """Move `amount` from a wallet into the contract."""
        if self.wallets.get(address, 0) < amount_musdc:
            raise L1Error(f"{address} holds {self.wallets.get(address, 0)} on L1, "
                          f"needs {amount_musdc}")
        self.wallets[address] -= amount_musdc
        self.bridge_balance_musdc += amount_musdc

    def pay(self, address: str, amount_musdc: int) -> None:
        """Move `amount` from the contract to a wallet."""
        if amount_musdc > self.bridge_balance_musdc:
            raise L1Error("the contract cannot pay more than it holds")
        self.bridge_balance_musdc -= amount_musdc
        self.wallets[address] = self.wallets.get(address, 0) + amount_musdc

    def spend_gas(self, gas: int) -> int:
        """Charge gas to the current block; returns the fee in gwei at today's base fee."""
        if gas > GAS_LIMIT - self.gas_this_block:
            raise L1Error("block gas limit reached: wait for the next L1 block")
        self.gas_this_block += gas
        return gas * self.base_fee_gwei

    # ----- the message queue --------------------------------------------------------------
    def _enqueue(self, kind: str, sender: str, payload: tuple) -> L1Message:
        message = L1Message(len(self.messages), kind, sender, payload, self.height, self.time_ms)
        self.messages.append(message)
        return message

    def deposit(self, sender: str, user: str, amount_musdc: int) -> L1Message:
        """Lock `sender`'s collateral in the bridge and queue its credit to `user` on L2."""
        if amount_musdc <= 0:
            raise L1Error("deposit amount must be positive")
        if not is_address(user):
            raise L1Error("deposit to an invalid address")
        if self.frozen:
            raise L1Error("the exchange is frozen: no new deposits")
        self.need(sender, amount_musdc)
        self.spend_gas(60_000)
        self.take(sender, amount_musdc)
        return self._enqueue(KIND_DEPOSIT, sender, (user, amount_musdc))

    def _forced_slot(self, gas: int) -> None:
        if self.frozen:
            raise L1Error("the exchange is frozen: no new requests")
        if self.forced_this_block >= MAX_FORCED_PER_BLOCK:
            raise L1Error(f"at most {MAX_FORCED_PER_BLOCK} forced requests per L1 block")
        self.spend_gas(gas)
        self.forced_this_block += 1

    def force_withdrawal(self, user: str, amount_musdc: int) -> L1Message:
        """A withdrawal request L2 must serve (execute or prove invalid) in time."""
        if amount_musdc <= 0:
            raise L1Error("withdrawal amount must be positive")
        self._forced_slot(80_000)
        return self._enqueue(KIND_FORCED_WITHDRAWAL, user, (user, amount_musdc))

    def force_trade(self, user: str, counterparty: str, asset: int, size_lots: int,
                    price_pips: int, expiry_ms: int, nonce: int,
                    counterparty_sig: dict) -> L1Message:
        """A trade both sides consent to (the sender is `user`; `counterparty` signs the terms
        with a nonce, usable once) that L2 must serve, so a user can flatten exposure before a
        forced withdrawal."""
        if expiry_ms <= self.time_ms:
            raise L1Error("forced trade already expired")
        terms = (user, counterparty, asset, size_lots, price_pips, expiry_ms)
        if not all(type(x) is int for x in terms[2:]) or type(nonce) is not int \
                or size_lots == 0 or price_pips <= 0 or user == counterparty:
            raise L1Error("forced trade needs integer terms, a size, a price and two parties")
        digest = forced_trade_digest(terms + (nonce,))
        if digest in self.used_trades:
            raise L1Error("these signed terms were already used")
        try:
            signer = recover_address(digest, counterparty_sig)
        except ValueError as exc:
            raise L1Error(f"bad counterparty signature: {exc}") from None
        if signer != counterparty:
            raise L1Error("the counterparty did not sign these terms")
        self._forced_slot(120_000)
        self.used_trades.add(digest)
        return self._enqueue(KIND_FORCED_TRADE, user, terms)

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
