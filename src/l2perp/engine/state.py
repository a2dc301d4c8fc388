"""The exchange state: markets, books, accounts, positions, nonces, the fee pool.

Plain data only; behaviour lives in the modules that own each concern. Units: cash in micro-USDC,
sizes in lots, prices in pips, times in ms (docs/units.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from heapq import heappush, heappushpop
from typing import Any, Final

from .book import Book, EncodedOrders, Order
from .params import EngineConfig, MarketSpec, maintenance_schedule

MARKET_ACTIVE: Final = 0
MARKET_REDUCE_ONLY: Final = 1
MARKET_PAUSED: Final = 2
MARKET_DELISTED: Final = 3
MARKET_STATUS_NAMES: Final = ("active", "reduceOnly", "paused", "delisted")


@dataclass(slots=True)
class Market:
    """A perpetual market. The asset id is its index in `State.markets`, reserved forever."""

    asset: int
    spec: MarketSpec
    name: str
    sz_decimals: int
    max_leverage: int
    mm_rates_e9: tuple[int, ...]
    mm_deductions: tuple[int, ...]  # micro-USDC x 10^9
    status: int = MARKET_ACTIVE
    oracle_pips: int = 0
    mark_pips: int = 0
    last_trade_pips: int = 0
    open_interest_lots: int = 0  # the long side (== the short side)
    settlement_pips: int = 0  # final price once delisted
    default_leverage: "Leverage | None" = None  # shared, never mutated (see make_market)
    # oracle
    oracle_time_ms: int = 0  # block time of the last accepted oracle price
    oracle_round: int = 0
    round_reports: dict = field(default_factory=dict)  # operator -> (px, report time, ext mid)
    pinned_pips: int = 0  # devnet/admin pin: a full-quorum report every block (0: none)
    oracle_source: int = 0  # oracle.SOURCE_PRIMARY or SOURCE_FALLBACK
    ext_mid_pips: int = 0  # external perp mid index (0: none)
    ext_mid_time_ms: int = 0
    price_history: deque = field(default_factory=deque)  # (time, oracle) in the breaker window
    cb_until_ms: int = 0  # circuit breaker: reduce-only until this time
    stale: bool = True  # no fresh oracle price within max_staleness
    halted_reduce_only: bool = False  # stale or breaker: only reducing orders and fills
    mid_samples: deque = field(default_factory=deque)  # (time, book mid) for the fallback TWAP
    # mark price (docs/mechanics.md)
    basis_ema: int = 0  # EMA(150 s) of (book mid - oracle), pips
    basis_started: bool = False
    book_ema: int = 0  # EMA(30 s) of median(best bid, best ask, last trade), pips
    book_started: bool = False
    # funding (docs/mechanics.md)
    premium_sum_e9: int = 0  # Σ premium samples of the current hour (missing samples are 0)
    premium_slot: int = 0  # the last 5 s slot sampled
    funding_hour: int = 0  # the last whole UTC hour settled
    funding_rate_e9: int = 0  # the last hourly rate applied
    funding_index: int = 0  # Σ hourly rate x oracle price (pips x 10^9 per lot), longs pay +


@dataclass(slots=True)
class Position:
    """A signed position. `entry_ntl_musdc` is the exact cost basis of |size| (display, PnL)."""

    size_lots: int = 0
    entry_ntl_musdc: int = 0
    iso_raw_musdc: int = 0  # isolated margin cash earmarked for this position (Hyperliquid rawUsd)
    funding_musdc: int = 0  # funding received (+) or paid (-) since the position opened


@dataclass(slots=True)
class OracleEvidence:
    """Two different signed prices by one operator for one round: slashable evidence."""

    operator: str
    asset: int
    round: int
    first_pips: int
    second_pips: int
    time_ms: int


@dataclass(slots=True)
class Incident:
    """Something the venue did on its own that people must be able to read about later."""

    kind: str
    asset: int
    time_ms: int
    before: int
    after: int


@dataclass(slots=True)
class Leverage:
    """A user's per-market margin mode and leverage."""

    is_cross: bool
    leverage: int


class NonceSet:
    """The highest `capacity` nonces a signer has used (Hyperliquid nonce rule)."""

    __slots__ = ("heap", "used")

    def __init__(self) -> None:
        self.heap: list[int] = []  # min-heap of kept nonces
        self.used: set[int] = set()

    def check(self, nonce: int, capacity: int) -> int:
        """0 if `nonce` may be used, 1 if already used, 2 if not above the smallest kept one."""
        if nonce in self.used:
            return 1
        if len(self.heap) >= capacity and nonce <= self.heap[0]:
            return 2
        return 0

    def add(self, nonce: int, capacity: int) -> None:
        """Keep `nonce` (checked by `check`); at capacity (or above it, after the capacity was
        lowered) exactly one smallest kept nonce leaves: push, then pop the smallest, in one heap
        step. The kept set, not the heap's layout, is the state (`sorted()` encodes it)."""
        heap = self.heap
        self.used.add(nonce)
        if len(heap) < capacity:
            heappush(heap, nonce)
        else:
            self.used.discard(heappushpop(heap, nonce))

    def sorted(self) -> list[int]:
        return sorted(self.heap)


@dataclass(slots=True)
class Agent:
    """An approved API wallet: it signs for `master`."""

    address: str
    master: str
    name: str
    nonces: NonceSet = field(default_factory=NonceSet)


@dataclass(slots=True)
class Account:
    """A user account keyed by its lower-case 0x address."""

    address: str
    index: int  # dense index assigned at first credit (the rollup's leaf index)
    cash_musdc: int = 0
    positions: dict[int, Position] = field(default_factory=dict)
    leverage: dict[int, Leverage] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)  # oid -> open order (resting or trigger)
    cloids: dict[str, Order] = field(default_factory=dict)  # cloid -> open order (an index)
    order_margin_musdc: int = 0  # initial margin reserved by resting orders
    nonces: NonceSet = field(default_factory=NonceSet)
    agents: dict[str, Agent] = field(default_factory=dict)  # agent address -> agent
    scheduled_cancel_ms: int = 0  # 0: none
    volume_days: dict[int, int] = field(default_factory=dict)  # UTC day -> traded notional
    maker_volume_days: dict[int, int] = field(default_factory=dict)
    liq_cooldowns: dict[int, int] = field(default_factory=dict)  # asset -> whole-liquidation until
    fee_day: int = -1  # the day the cached fee rates were computed for
    taker_rate_e9: int = 0
    maker_rate_e9: int = 0
    # sub-accounts (engine/subaccounts.py): a sub-account names its master and its name; a
    # master lists its sub-accounts in creation order
    master: str | None = None
    name: str = ""
    sub_accounts: list[str] = field(default_factory=list)
    # builder -> the most this user lets it charge, tenths of a basis point (engine/builders.py)
    builder_approvals: dict[str, int] = field(default_factory=dict)
    vault: "Vault | None" = None  # set on a vault's own account (engine/vaults.py)
    # its orders list as its leaf encodes it, kept between blocks (engine/leafcache.py)
    encoded_orders: EncodedOrders = field(default_factory=EncodedOrders)


@dataclass(slots=True)
class Vault:
    """A vault's book of shares, kept on the vault's own account (engine/vaults.py).

    `leader` is None for a protocol vault (an insurance fund). Shares are integers; a share is
    worth account value / total shares. `basis` is what each holder paid for the shares held
    (micro-USDC), reduced pro rata on withdrawal: profit above it is what the leader's
    commission is taken from."""

    leader: str | None
    name: str
    description: str
    created_ms: int
    lockup_ms: int
    commission_e9: int  # the leader's share of a follower's profit on withdrawal
    shares: dict[str, int] = field(default_factory=dict)
    basis: dict[str, int] = field(default_factory=dict)
    locked_until: dict[str, int] = field(default_factory=dict)
    total_shares: int = 0
    closed: bool = False


@dataclass(slots=True)
class Twap:
    """A running TWAP (engine/twap.py): `total_lots` sliced every 30 s from `started_ms` for
    `minutes`; `slices_done` slices have run, the next one is due at `next_slice_ms`."""

    twap_id: int
    user: str
    asset: int
    is_buy: bool
    total_lots: int
    reduce_only: bool
    minutes: int
    randomize: bool
    started_ms: int
    next_slice_ms: int
    slices_done: int = 0
    executed_lots: int = 0
    executed_ntl_musdc: int = 0  # Σ fill price x size of its slices


@dataclass(slots=True)
class L1FeeBook:
    """The L1 data fee's schedule and pool (engine/l1fee.py). Rates in e9 of taker notional,
    gas prices in nano-USDC per gas, amounts in micro-USDC.

    `rate_e9` applies from `hour_ms` for an hour; `next_rate_e9` is published for the hour
    after. The hour's observations (one per posted batch) sum into `hour_gas_sum` over
    `hour_samples`. The pool: `charged_musdc` taken from takers, `costs_musdc` reported by L1
    (the batches' data cost), `paid_musdc` paid to the batch posters out of the fee pool; the
    rest of the costs is owed, in `owed`, until the fee pool can pay it."""

    gas_price_nusdc: int
    hour_ms: int
    rate_e9: int
    next_rate_e9: int
    hour_gas_sum: int = 0
    hour_samples: int = 0
    charged_musdc: int = 0
    costs_musdc: int = 0
    paid_musdc: int = 0
    owed: list[tuple[str, int]] = field(default_factory=list)  # (poster, amount), oldest first


@dataclass(slots=True)
class Withdrawal:
    """A withdrawal debited on L2, waiting for the L1 bridge."""

    wid: int
    user: str
    destination: str
    amount_musdc: int
    time_ms: int


@dataclass(slots=True)
class State:
    """The whole exchange state."""

    config: EngineConfig
    markets: list[Market]
    books: list[Book]
    accounts: dict[str, Account] = field(default_factory=dict)
    agent_owner: dict[str, str] = field(default_factory=dict)  # agent address -> master address
    height: int = 0
    time_ms: int = 0
    dev_time_offset_ms: int = 0  # devnet devAdvanceTime total (nonce windows ignore it)
    dev_jump_ms: int = 0  # an advance the next block carries (not an outage)
    next_oid: int = 1
    next_tid: int = 1
    next_wid: int = 1
    fee_pool_musdc: int = 0
    credits_musdc: int = 0  # all bridge credits ever
    withdrawn_musdc: int = 0  # all withdrawals ever debited
    withdrawals: list[Withdrawal] = field(default_factory=list)  # emitted by this block
    volume_days: dict[int, int] = field(default_factory=dict)  # UTC day -> exchange notional
    triggers: list[dict[int, Order]] = field(default_factory=list)  # per asset: oid -> trigger
    scheduled_cancels: dict[str, int] = field(default_factory=dict)  # user -> time_ms
    admin_nonces: NonceSet = field(default_factory=NonceSet)
    oracle_stakes: dict[str, int] = field(default_factory=dict)  # operator -> stake
    operator_nonces: dict[str, NonceSet] = field(default_factory=dict)
    oracle_evidence: list[OracleEvidence] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    grace_until_ms: int = 0  # after an outage nothing is liquidated until then
    post_only_until_ms: int = 0  # devnet devPostOnly: only Alo orders before this block time
    liq_index: Any = None  # liqindex.LiquidationIndex: derived, rebuilt when missing
    withdrawal_gate: list[int] = field(default_factory=list)  # partitions with negative accounts
    l1_cursor: int = 0  # L1 queue messages consumed: the next one must carry id l1_cursor + 1
    gov: Any = None  # governance.gov_state.GovState; None: no governance on this venue
    twaps: dict[int, Twap] = field(default_factory=dict)  # running TWAPs by id
    next_twap_id: int = 1
    l1_fee: L1FeeBook | None = None  # the L1 data fee (config.l1_fee), None without one
    # derived, not committed: accounts whose fee-rate cache (a part of their leaf) a block
    # refreshed without an event naming them (a maker quoted for a fill that did not happen);
    # stf.touched_by takes them so the rollup's commitment re-hashes those leaves
    fee_refreshed: list[str] = field(default_factory=list)


def make_market(asset: int, spec: MarketSpec, config: EngineConfig) -> Market:
    """A fresh market from its spec (status active, no price yet)."""
    rates, deductions = maintenance_schedule(spec.margin_tiers)
    default = min(config.default_leverage, spec.max_leverage)
    return Market(
        asset=asset, spec=spec, name=spec.name, sz_decimals=spec.sz_decimals,
        max_leverage=spec.max_leverage, mm_rates_e9=rates, mm_deductions=deductions,
        default_leverage=Leverage(is_cross=not spec.only_isolated, leverage=default),
    )


def get_or_create_account(state: State, address: str) -> Account:
    """The account at `address`, created with the next dense index if new."""
    account = state.accounts.get(address)
    if account is None:
        account = Account(address=address, index=len(state.accounts))
        state.accounts[address] = account
    return account


def partition_of(market: Market) -> int:
    """Insurance partition: 0 is shared by cross markets, each isolated-only market has its own."""
    return market.asset + 1 if market.spec.only_isolated else 0


def fund_address(partition: int) -> str:
    """The address of a partition's insurance fund (also its backstop account)."""
    return "0x" + "ff" * 18 + f"{partition:04x}"


def is_fund(address: str) -> bool:
    return address.startswith("0x" + "ff" * 18)


def fund_account(state: State, partition: int) -> Account:
    """The partition's fund account, created on first use; it margins every market as cross."""
    address = fund_address(partition)
    account = state.accounts.get(address)
    if account is None:
        account = get_or_create_account(state, address)
        for market in state.markets:
            account.leverage[market.asset] = Leverage(True, market.max_leverage)
    return account
