"""Transactions, blocks, receipts and events: what goes into `apply_block` and what comes out.

Transactions are already authenticated (the API layer recovers the signer) and already parsed:
numbers are integers or exact `Dec` pairs, never strings or floats. Receipts carry what the
Hyperliquid API answers, so the API layer only formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Union

from .frozen import FrozenRecord
from ..units import Dec
from .governance.transactions import (
    ExecuteSlash, GovCancel, GovDelegate, GovExecute, GovPropose, GovQueue, GovTransfer,
    GovVote, GuardianRemove, GuardianSign, IncidentOpen, IncidentReport, OperatorBond,
    OperatorRelease, OperatorUnbond, StewardUpdate, SubmitEvidence,
)

GROUPING_NA = 0
GROUPING_NORMAL_TPSL = 1
GROUPING_POSITION_TPSL = 2


class OrderSpec(NamedTuple):
    """One wire order. `tif` is a book.TIF_* constant; TIF_TRIGGER orders carry trigger fields."""

    asset: int
    is_buy: bool
    px: Dec
    sz: Dec
    reduce_only: bool
    tif: int
    cloid: str | None = None
    trigger_px: Dec | None = None
    trigger_is_market: bool = False
    tpsl: int = 0  # book.TPSL_*


# ----- user actions (signed by the user or an approved agent) -----------------------------

@dataclass(slots=True, frozen=True)
class PlaceOrders(FrozenRecord):
    orders: tuple[OrderSpec, ...]
    grouping: int = GROUPING_NA
    builder: tuple[str, int] | None = None  # (builder address, fee in tenths of a basis point)


@dataclass(slots=True, frozen=True)
class Cancel(FrozenRecord):
    cancels: tuple[tuple[int, int], ...]  # (asset, oid)


@dataclass(slots=True, frozen=True)
class CancelByCloid(FrozenRecord):
    cancels: tuple[tuple[int, str], ...]  # (asset, cloid)


@dataclass(slots=True, frozen=True)
class BatchModify(FrozenRecord):
    modifies: tuple[tuple[int | str, OrderSpec], ...]  # (oid or cloid, new order)


@dataclass(slots=True, frozen=True)
class ScheduleCancel(FrozenRecord):
    time_ms: int | None  # None removes the schedule


@dataclass(slots=True, frozen=True)
class UpdateLeverage(FrozenRecord):
    asset: int
    is_cross: bool
    leverage: int


@dataclass(slots=True, frozen=True)
class UpdateIsolatedMargin(FrozenRecord):
    asset: int
    is_buy: bool
    ntli_musdc: int  # signed: add (> 0) or remove (< 0) isolated margin


@dataclass(slots=True, frozen=True)
class UsdSend(FrozenRecord):
    destination: str
    amount_musdc: int
    time_ms: int


@dataclass(slots=True, frozen=True)
class Withdraw(FrozenRecord):
    destination: str
    amount_musdc: int
    time_ms: int


@dataclass(slots=True, frozen=True)
class ApproveAgent(FrozenRecord):
    agent: str
    name: str
    nonce: int


@dataclass(slots=True, frozen=True)
class CreateSubAccount(FrozenRecord):
    name: str


@dataclass(slots=True, frozen=True)
class SubAccountTransfer(FrozenRecord):
    sub_account: str
    is_deposit: bool  # True: master -> sub-account
    amount_musdc: int


@dataclass(slots=True, frozen=True)
class ApproveBuilderFee(FrozenRecord):
    builder: str
    max_fee_tenths_bp: int  # 0 revokes the approval
    nonce: int


@dataclass(slots=True, frozen=True)
class CreateVault(FrozenRecord):
    name: str
    description: str
    initial_musdc: int


@dataclass(slots=True, frozen=True)
class VaultTransfer(FrozenRecord):
    vault: str
    is_deposit: bool  # True: user -> vault
    amount_musdc: int


@dataclass(slots=True, frozen=True)
class TwapOrder(FrozenRecord):
    """Hyperliquid's `twapOrder`: `size` (an exact decimal, base units) sliced every 30 s over
    `minutes` (engine/twap.py); `randomize` varies the slice sizes deterministically."""

    asset: int
    is_buy: bool
    sz: Dec
    reduce_only: bool
    minutes: int
    randomize: bool


@dataclass(slots=True, frozen=True)
class TwapCancel(FrozenRecord):
    """Hyperliquid's `twapCancel`: stop the signer's running TWAP `twap_id` on `asset`."""

    asset: int
    twap_id: int


@dataclass(slots=True, frozen=True)
class Noop(FrozenRecord):
    """Accepted and ignored (noop, setReferrer): it consumes the nonce only."""

    kind: str


# ----- system and admin actions -----------------------------------------------------------

@dataclass(slots=True, frozen=True)
class BridgeCredit(FrozenRecord):
    """A deposit credited from the L1 bridge; sent with signer None by the sequencer only.

    `l1_message_id` is the L1 queue index + 1; the engine takes queue messages strictly in
    order (it must equal `State.l1_cursor + 1`). 0 marks a credit that is no L1 message (genesis
    and engine tests); the settlement contract refuses any such credit in a batch."""

    user: str
    amount_musdc: int
    l1_message_id: int = 0


@dataclass(slots=True, frozen=True)
class ForcedWithdrawal(FrozenRecord):
    """An L1 forced-withdrawal request (queue index + 1 in `l1_message_id`): executed when the
    withdrawal rules allow it, otherwise recorded invalid; consumed either way."""

    user: str
    amount_musdc: int
    l1_message_id: int


@dataclass(slots=True, frozen=True)
class ForcedTrade(FrozenRecord):
    """An L1 forced trade between `user` (buys `size_lots` when positive) and `counterparty`
    at `price_pips`, both consents checked by the settlement contract; executed with no fees when
    both sides keep their margin (or get no riskier), otherwise recorded invalid."""

    user: str
    counterparty: str
    asset: int
    size_lots: int
    price_pips: int
    expiry_ms: int
    l1_message_id: int


@dataclass(slots=True, frozen=True)
class L1DataCost(FrozenRecord):
    """An L1 message: the settlement contract's record of what posting batch `batch_no` cost
    its poster on L1 (`gas` at `gas_price_nusdc` nano-USDC per gas = `cost_musdc`, rounded up).
    The engine observes the gas price for the L1 data fee and pays the cost to `poster` out of
    the fee pool (engine/l1fee.py)."""

    batch_no: int
    poster: str
    gas: int
    gas_price_nusdc: int
    cost_musdc: int
    l1_message_id: int


@dataclass(slots=True, frozen=True)
class SetPrice(FrozenRecord):
    """Admin (devnet `devSetOracle`): pin a market's oracle and external mid; the pinned price
    counts as a full-quorum report in every block. 0 unpins: the market then goes stale."""

    asset: int
    price_pips: int


@dataclass(slots=True, frozen=True)
class OracleReport(FrozenRecord):
    """An oracle operator's signed price for one market and round (prices in pips; the API
    rounds the decimal string to the nearest pip, ties to even)."""

    asset: int
    round: int
    price_pips: int
    time_ms: int
    ext_mid_pips: int = 0  # the external perp mid the operator sees (0: none)


@dataclass(slots=True, frozen=True)
class SetOracleSource(FrozenRecord):
    """Privileged: use the operators' prices (0) or the fallback book TWAP (1) for a market."""

    asset: int
    source: int


@dataclass(slots=True, frozen=True)
class DevFaucet(FrozenRecord):
    """Devnet only, admin: credit cash as a bridge deposit would."""

    user: str
    amount_musdc: int


@dataclass(slots=True, frozen=True)
class DevAdvanceTime(FrozenRecord):
    """Devnet only, admin: the next block comes `ms` later as if everything had kept running
    (not an outage); nonce windows keep following wall-clock nonces."""

    ms: int


@dataclass(slots=True, frozen=True)
class DevDropWebsockets(FrozenRecord):
    """Devnet only, admin: the node closes every websocket connection once the block carrying
    it is committed (engine/devfaults.py)."""


@dataclass(slots=True, frozen=True)
class DevRateLimitUser(FrozenRecord):
    """Devnet only, admin: the node answers HTTP 429 to `user`'s /exchange requests for
    `seconds` of block time after the block carrying it."""

    user: str
    seconds: int


@dataclass(slots=True, frozen=True)
class DevPostOnly(FrozenRecord):
    """Devnet only, admin: every market accepts only Alo (post-only) orders for `seconds` of
    block time, as Hyperliquid does right after a network upgrade; cancels still work."""

    seconds: int


@dataclass(slots=True, frozen=True)
class DevDelayAcks(FrozenRecord):
    """Devnet only, admin: for `seconds` of block time the node holds every /exchange reply
    `ms` milliseconds after its block is committed."""

    ms: int
    seconds: int


@dataclass(slots=True, frozen=True)
class DevL1GasSpike(FrozenRecord):
    """Devnet only, admin: for `seconds` of block time other L1 users fill every L1 block, so
    the base fee climbs 12.5% a block until it is `multiple` times what it was when the spike
    began (the node's L1; the L1 data fee then sees the cost)."""

    multiple: int
    seconds: int


@dataclass(slots=True, frozen=True)
class SetMarketStatus(FrozenRecord):
    """Admin: active / reduce-only / paused, or delisted at a final settlement price (0: the
    oracle's time-weighted average over the circuit-breaker window)."""

    asset: int
    status: int
    settlement_pips: int = 0


# ----- governance (typed, one class per kind: engine/governance/transactions.py) -------------

@dataclass(slots=True, frozen=True)
class OperatorOffence(FrozenRecord):
    """An L1 message: the settlement contract proved an operator's offence (a fraudulent batch,
    two batches with one number, a forced request ignored past its deadline); the engine
    slashes on it and rewards `reporter` (queue index + 1 in `l1_message_id`)."""

    offence: str
    operator: str
    reporter: str
    offence_ms: int
    l1_message_id: int


Action = Union[
    PlaceOrders, Cancel, CancelByCloid, BatchModify, ScheduleCancel, UpdateLeverage,
    UpdateIsolatedMargin, UsdSend, Withdraw, ApproveAgent, Noop, CreateSubAccount,
    SubAccountTransfer, ApproveBuilderFee, CreateVault, VaultTransfer, TwapOrder, TwapCancel,
    BridgeCredit, SetPrice,
    SetMarketStatus, OracleReport, SetOracleSource, DevFaucet, DevAdvanceTime,
    DevDropWebsockets, DevRateLimitUser, DevPostOnly, DevDelayAcks, DevL1GasSpike,
    OperatorOffence, ForcedWithdrawal, ForcedTrade, L1DataCost,
    GovTransfer, GovDelegate, GovPropose, GovVote, GovQueue, GovExecute, GovCancel,
    GuardianSign, GuardianRemove, StewardUpdate, OperatorBond, OperatorUnbond, OperatorRelease,
    SubmitEvidence, ExecuteSlash, IncidentReport, IncidentOpen,
]


@dataclass(slots=True, frozen=True)
class Tx(FrozenRecord):
    """A transaction: who signed it (None for system transactions), its nonce and its action."""

    signer: str | None
    nonce: int
    action: Action
    vault: str | None = None
    expires_after_ms: int | None = None
    auth: bytes | None = None  # the signed request as received (wire.requests); None: unsigned


@dataclass(slots=True, frozen=True)
class Block(FrozenRecord):
    """An ordered list of transactions at a height and a timestamp (ms)."""

    height: int
    time_ms: int
    txs: tuple[Tx, ...]


# ----- receipts ---------------------------------------------------------------------------

class Resting(NamedTuple):
    oid: int


class Filled(NamedTuple):
    """A (partially) filled order: total lots filled and the notional, for avgPx = ntl / lots."""

    oid: int
    total_lots: int
    notional_musdc: int
    asset: int


class OrderError(NamedTuple):
    error: str


class TwapRunning(NamedTuple):
    """A TWAP accepted and running (the `twapOrder` answer's status)."""

    twap_id: int


SUCCESS = "success"
WAITING_FOR_FILL = "waitingForFill"
WAITING_FOR_TRIGGER = "waitingForTrigger"

Status = Union[Resting, Filled, OrderError, str]

KIND_ORDER = "order"
KIND_CANCEL = "cancel"
KIND_DEFAULT = "default"
# receipts whose one status is the reply's `data` (a new account's address)
KIND_CREATE_SUB_ACCOUNT = "createSubAccount"
KIND_CREATE_VAULT = "createVault"
KIND_TWAP_ORDER = "twapOrder"  # one status, answered as data.status (not data.statuses)
KIND_TWAP_CANCEL = "twapCancel"


class Receipt:
    """The answer to one transaction: `ok` with statuses, or a whole-request `error`.

    A plain class, not a dataclass: one is built per transaction, and a dataclass's generated
    `__init__` runs as interpreted Python even on the compiled core. Equality and repr are the
    dataclass's (field by field, same class)."""

    __slots__ = ("ok", "kind", "statuses", "error")
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, like the dataclass

    def __init__(self, ok: bool, kind: str = KIND_DEFAULT, statuses: list | None = None,
                 error: str | None = None) -> None:
        self.ok = ok
        self.kind = kind
        self.statuses = statuses
        self.error = error

    def __eq__(self, other: object) -> bool:
        if type(other) is not Receipt:
            return NotImplemented
        return (self.ok, self.kind, self.statuses, self.error) == \
            (other.ok, other.kind, other.statuses, other.error)

    def __repr__(self) -> str:
        return (f"Receipt(ok={self.ok!r}, kind={self.kind!r}, statuses={self.statuses!r}, "
                f"error={self.error!r})")


# ----- events -----------------------------------------------------------------------------

class Event:
    """The base of the engine's hot events (built several times per transaction): plain
    classes, since a NamedTuple's constructor runs as interpreted Python even on the compiled
    core. They compare and print like the NamedTuples the other events are: field by field
    (`_fields`), same class; unlike those, they are not hashable (events are never keys)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def values(self) -> tuple:
        """The field values in declaration order."""
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.values() == other.values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


class FillEvent(Event):
    """One match between a taker and a maker, at the maker's price."""

    __slots__ = (
        "tid", "time_ms", "asset", "px_pips", "sz_lots", "taker", "maker", "taker_oid",
        "maker_oid", "taker_is_buy", "taker_fee_musdc", "maker_fee_musdc", "taker_start_lots",
        "maker_start_lots", "taker_closed_pnl_musdc", "maker_closed_pnl_musdc", "tx_index",
    )
    _fields: ClassVar[tuple[str, ...]] = (
        "tid", "time_ms", "asset", "px_pips", "sz_lots", "taker", "maker", "taker_oid",
        "maker_oid", "taker_is_buy", "taker_fee_musdc", "maker_fee_musdc", "taker_start_lots",
        "maker_start_lots", "taker_closed_pnl_musdc", "maker_closed_pnl_musdc", "tx_index",
    )

    def __init__(
        self, tid: int, time_ms: int, asset: int, px_pips: int, sz_lots: int, taker: str,
        maker: str, taker_oid: int, maker_oid: int, taker_is_buy: bool, taker_fee_musdc: int,
        maker_fee_musdc: int, taker_start_lots: int, maker_start_lots: int,
        taker_closed_pnl_musdc: int, maker_closed_pnl_musdc: int, tx_index: int,
    ) -> None:
        self.tid = tid
        self.time_ms = time_ms
        self.asset = asset
        self.px_pips = px_pips
        self.sz_lots = sz_lots
        self.taker = taker
        self.maker = maker
        self.taker_oid = taker_oid
        self.maker_oid = maker_oid
        self.taker_is_buy = taker_is_buy
        self.taker_fee_musdc = taker_fee_musdc
        self.maker_fee_musdc = maker_fee_musdc
        self.taker_start_lots = taker_start_lots
        self.maker_start_lots = maker_start_lots
        self.taker_closed_pnl_musdc = taker_closed_pnl_musdc
        self.maker_closed_pnl_musdc = maker_closed_pnl_musdc
        self.tx_index = tx_index  # index in the block, -1 for block-level work (triggers)


class OrderEvent(Event):
    """An order status change: open, filled, canceled, triggered, marginCanceled, ..."""

    __slots__ = ("oid", "user", "asset", "status", "time_ms")
    _fields: ClassVar[tuple[str, ...]] = ("oid", "user", "asset", "status", "time_ms")

    def __init__(self, oid: int, user: str, asset: int, status: str, time_ms: int) -> None:
        self.oid = oid
        self.user = user
        self.asset = asset
        self.status = status
        self.time_ms = time_ms


class FundingEvent(NamedTuple):
    """One position's funding payment at a whole hour (amount > 0: received)."""

    user: str
    asset: int
    time_ms: int
    amount_musdc: int
    size_lots: int
    rate_e9: int


class MarketFundingEvent(NamedTuple):
    """A market's funding at a whole hour: the hourly rate applied and the hour's premium."""

    asset: int
    time_ms: int
    rate_e9: int
    premium_e9: int
    oracle_pips: int


class AdlEvent(NamedTuple):
    """An auto-deleveraging trade: `lots` of the counterparty's position closed against the
    bankrupt one at its bankruptcy price, covering `covered_musdc` of a `shortfall_musdc`."""

    asset: int
    bankrupt: str
    counterparty: str
    lots: int
    px_pips: int
    covered_musdc: int
    shortfall_musdc: int
    time_ms: int


class BackstopEvent(NamedTuple):
    """A position taken over by an insurance fund at the mark (the waterfall's second stage)."""

    asset: int
    bankrupt: str
    fund: str
    lots: int  # signed, as the bankrupt account held it
    px_pips: int
    time_ms: int


class LiquidationCheck(NamedTuple):
    """The block's liquidatable units (address, unit; unit -1 is cross): those sent through the
    waterfall and those left waiting (per-block cap, post-outage grace, stale market). Exact:
    the same set a full scan finds, so it is a deterministic part of the receipts."""

    time_ms: int
    liquidated: tuple
    waiting: tuple


class AccountEvent(NamedTuple):
    """An account change with no cash movement or order event (a scheduled cancel firing)."""

    user: str
    kind: str
    time_ms: int


class TwapEvent(NamedTuple):
    """A TWAP's status change: "activated", "finished", "terminated" (twapCancel) or "error"
    (`description` says why), with the TWAP's state at that moment (sizes in lots, notional in
    micro-USDC)."""

    user: str
    twap_id: int
    status: str
    description: str
    time_ms: int
    asset: int
    is_buy: bool
    total_lots: int
    executed_lots: int
    executed_ntl_musdc: int
    minutes: int
    reduce_only: bool
    randomize: bool
    started_ms: int


class TwapSliceEvent(NamedTuple):
    """A TWAP slice placed as the IOC order `oid` (its fills are the TWAP's slice fills) at
    `limit_pips`, `reference_pips` being the mark it was priced from."""

    user: str
    twap_id: int
    oid: int
    asset: int
    size_lots: int
    limit_pips: int
    reference_pips: int
    time_ms: int


class LedgerEvent(NamedTuple):
    """A non-trading cash movement: deposit, withdraw, send, isolated margin, settlement."""

    user: str
    kind: str
    amount_musdc: int
    counterparty: str | None
    time_ms: int


class DevFaultEvent(NamedTuple):
    """A devnet fault switched on by the admin (engine/devfaults.py): `kind` is
    "dropWebsockets", "rateLimit" (of `user`), "postOnly", "delayAcks" (by `delay_ms`) or
    "l1GasSpike" (up to `multiple` x the base fee), in force until block time `until_ms` (0 for
    the instant drop of websockets)."""

    kind: str
    user: str | None
    delay_ms: int
    until_ms: int
    multiple: int = 0


@dataclass(slots=True)
class BlockReceipts:
    """Everything a block produced: one receipt per transaction (block order) and the events."""

    height: int
    time_ms: int
    receipts: list[Receipt]
    events: list
    touched: list[str] | None = None  # accounts whose leaf may have changed, sorted
