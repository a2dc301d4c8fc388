"""Parameter tables of the engine: margin tiers, fee tiers, nonce and withdrawal rules.

Every default names its anchor. Amounts in micro-USDC, rates in parts per 10^9, times in ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .frozen import FrozenRecord
from ..units import E9, MS_PER_DAY, ONE_USDC


@dataclass(slots=True, frozen=True)
class MarginTier(FrozenRecord):
    """Applies to a position whose notional is strictly above `lower_bound_musdc` (tier 0: 0)."""

    lower_bound_musdc: int
    max_leverage: int


@dataclass(slots=True, frozen=True)
class FeeTier(FrozenRecord):
    """Applies when 14-day volume is strictly above `min_volume_musdc` (tier 0: 0)."""

    min_volume_musdc: int
    taker_rate_e9: int
    maker_rate_e9: int


@dataclass(slots=True, frozen=True)
class MakerRebateTier(FrozenRecord):
    """A maker rate that replaces the tier's when the 14-day maker-volume share is strictly above
    `min_share_e9` of all exchange volume."""

    min_share_e9: int
    maker_rate_e9: int


# Hyperliquid docs, trading/fees: 14-day volume tiers (taker / maker).
HYPERLIQUID_FEE_TIERS: tuple[FeeTier, ...] = (
    FeeTier(0, 450_000, 150_000),  # tier 0: 0.045% / 0.015%
    FeeTier(5_000_000 * ONE_USDC, 400_000, 120_000),  # > $5M: 0.040% / 0.012%
    FeeTier(25_000_000 * ONE_USDC, 350_000, 80_000),  # > $25M: 0.035% / 0.008%
    FeeTier(100_000_000 * ONE_USDC, 300_000, 40_000),  # > $100M: 0.030% / 0.004%
    FeeTier(500_000_000 * ONE_USDC, 280_000, 0),  # > $500M: 0.028% / 0
    FeeTier(2_000_000_000 * ONE_USDC, 260_000, 0),  # > $2B: 0.026% / 0
    FeeTier(7_000_000_000 * ONE_USDC, 240_000, 0),  # > $7B: 0.024% / 0
)

# Hyperliquid docs, trading/fees: maker rebates by 14-day maker-volume share.
HYPERLIQUID_MAKER_REBATES: tuple[MakerRebateTier, ...] = (
    MakerRebateTier(5_000_000, -10_000),  # > 0.5% share: -0.001%
    MakerRebateTier(15_000_000, -20_000),  # > 1.5% share: -0.002%
    MakerRebateTier(30_000_000, -30_000),  # > 3% share: -0.003%
)


@dataclass(slots=True, frozen=True)
class L1FeeConfig(FrozenRecord):
    """The L1 data fee (engine/l1fee.py): a per-notional part of the taker fee that passes the
    batches' L1 data cost to traders, set once an hour from a smoothed L1 gas price.

    `gas_per_million_usd`: L1 data gas the venue posts per $1M of taker notional (the cost
    model); `initial_gas_price_nusdc`: the gas price (nano-USDC per gas, i.e. gwei x USD per ETH)
    assumed before the first observation; `smoothing_e9`: the weight of an hour's average
    observation in the smoothed price; the hourly rate moves by at most
    max(rate x `max_step_ppm` / 10^6, `min_step_e9`) from one hour to the next."""

    gas_per_million_usd: int = 2_000_000  # ~ $5k fills at ~10k gas of posted data each
    initial_gas_price_nusdc: int = 30_000  # 10 gwei at $3,000 per ETH
    smoothing_e9: int = 250_000_000  # an hour's average moves the smoothed price by 1/4
    max_step_ppm: int = 250_000  # the rate moves at most 25% an hour ...
    min_step_e9: int = 10_000  # ... or 0.1 bp, whichever is larger


@dataclass(slots=True, frozen=True)
class EngineConfig(FrozenRecord):
    """Genesis configuration the state carries (part of the state digest)."""

    admin: str = "0x" + "00" * 20  # the key allowed to send privileged (admin) transactions
    devnet: bool = False  # devnet genesis: the admin's cheat codes (devFaucet, ...) are allowed
    fee_tiers: tuple[FeeTier, ...] = HYPERLIQUID_FEE_TIERS
    maker_rebates: tuple[MakerRebateTier, ...] = HYPERLIQUID_MAKER_REBATES
    fee_window_days: int = 14  # Hyperliquid: 14-day rolling volume
    nonce_window_size: int = 100  # Hyperliquid: the 100 highest nonces per signer are kept
    nonce_past_ms: int = 2 * MS_PER_DAY  # Hyperliquid: nonce > T - 2 days
    nonce_future_ms: int = MS_PER_DAY  # Hyperliquid: nonce < T + 1 day
    min_order_notional_musdc: int = 10 * ONE_USDC  # Hyperliquid: $10 minimum order value
    max_price_deviation_e9: int = 800_000_000  # Hyperliquid: within 80% of the reference price
    withdraw_fee_musdc: int = ONE_USDC  # Hyperliquid: $1 withdrawal fee (covers L1 gas)
    withdraw_position_value_e9: int = 100_000_000  # Hyperliquid: keep >= 10% of position value
    schedule_cancel_min_delay_ms: int = 5_000  # Hyperliquid: scheduled cancel >= 5 s ahead
    max_agents_named: int = 3  # Hyperliquid: 1 unnamed + 3 named API wallets per account
    trigger_market_slippage_e9: int = 100_000_000  # Hyperliquid: market TP/SL 10% slippage
    default_leverage: int = 20  # Hyperliquid: new positions default to 20x cross (capped at max)
    max_open_orders: int = 1_000  # Hyperliquid: 1,000 open orders per account by default
    oracle_operators: tuple[tuple[str, int], ...] = ()  # (address, stake); >= 3 in production
    oracle_max_report_age_ms: int = 10_000  # a report's own time within 10 s of block time
    max_staleness_ms: int = 60_000  # no accepted price for 60 s: stale (reduce-only, no funding)
    fallback_twap_ms: int = 300_000  # the fallback source: 5-minute TWAP of the book mid
    outage_threshold_ms: int = 30_000  # a block gap beyond this is an outage (dYdX gates 5 min)
    post_outage_grace_ms: int = 60_000  # then no liquidation for a minute of fresh prices
    mark_basis_tau_ms: int = 150_000  # Hyperliquid: 150 s EMA of (mid - oracle)
    mark_book_tau_ms: int = 30_000  # Hyperliquid: 30 s EMA of the book input
    funding_sample_ms: int = 5_000  # Hyperliquid: a premium sample every 5 s
    funding_interest_8h_e9: int = 100_000  # Hyperliquid: 0.01% per 8 hours
    funding_clamp_e9: int = 500_000  # Hyperliquid: clamp(I - P, -0.05%, +0.05%)
    funding_cap_hourly_e9: int = 40_000_000  # Hyperliquid: 4% per hour
    max_liquidations_per_block: int = 20  # units per block, most underwater first
    partial_liquidation_musdc: int = 100_000 * ONE_USDC  # Hyperliquid: > $100k sends 20%
    partial_liquidation_e9: int = 200_000_000  # Hyperliquid: 20% of the position
    partial_liquidation_cooldown_ms: int = 30_000  # Hyperliquid: then whole for 30 s
    spread_to_mmr_e9: int = 1_500_000_000  # dYdX genesis: SMMR 1.5 in the fillable price
    max_liquidation_fee_e9: int = 15_000_000  # dYdX genesis: at most 1.5% of filled notional
    backstop_unwind_musdc: int = 50_000 * ONE_USDC  # a fund unwinds <= $50k per market per block
    backstop_slippage_e9: int = 20_000_000  # ... within 2% of the mark
    insurance_seed_musdc: int = 0  # the shared fund at genesis (devnet: $1,000,000)
    l1_fee: L1FeeConfig | None = None  # the L1 data fee; None: no such fee (engine/l1fee.py)


@dataclass(slots=True, frozen=True)
class MarketSpec(FrozenRecord):
    """A market as listed at genesis or by governance."""

    name: str
    sz_decimals: int
    margin_tiers: tuple[MarginTier, ...]
    oi_cap_musdc: int = 0  # 0: no open-interest cap
    only_isolated: bool = False
    impact_notional_musdc: int = 6_000 * ONE_USDC  # Hyperliquid: $6,000 (BTC/ETH $20,000)
    cb_band_e9: int = 150_000_000  # circuit breaker: a 15% move ...
    cb_window_ms: int = 300_000  # ... within 5 minutes ...
    cb_cooldown_ms: int = 300_000  # ... makes the market reduce-only for 5 minutes
    insurance_seed_musdc: int = 0  # an isolated-only market's own fund at genesis

    @property
    def max_leverage(self) -> int:
        return self.margin_tiers[0].max_leverage


def maintenance_schedule(tiers: tuple[MarginTier, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per tier: maintenance rate (e9, rounded up) and deduction (micro-USDC x 10^9, exact).

    Hyperliquid margin-tiers: mm_rate(n) = 1 / (2 * max_leverage(n)); deduction(0) = 0,
    deduction(n) = deduction(n-1) + lower_bound(n) * (mm_rate(n) - mm_rate(n-1)), which makes
    MM = notional * mm_rate - deduction continuous at every tier boundary.
    """
    rates: list[int] = []
    deductions: list[int] = []
    for i, tier in enumerate(tiers):
        rate = -((-E9) // (2 * tier.max_leverage))  # ceil: the venue's side
        if i == 0:
            deduction = 0
        else:
            deduction = deductions[-1] + tier.lower_bound_musdc * (rate - rates[-1])
        rates.append(rate)
        deductions.append(deduction)
    return tuple(rates), tuple(deductions)


def usd(amount: int) -> int:
    """Whole US dollars in micro-USDC (for tables)."""
    return amount * ONE_USDC


# Hyperliquid docs, margin-tiers (mainnet): the default devnet markets.
DEFAULT_MARKETS: tuple[MarketSpec, ...] = (
    MarketSpec("BTC", 5, (MarginTier(0, 40), MarginTier(usd(150_000_000), 20)),
               impact_notional_musdc=usd(20_000)),
    MarketSpec("ETH", 4, (MarginTier(0, 25), MarginTier(usd(100_000_000), 15)),
               impact_notional_musdc=usd(20_000)),
    MarketSpec("SOL", 2, (MarginTier(0, 20), MarginTier(usd(70_000_000), 10))),
    MarketSpec("OP", 1, (MarginTier(0, 10), MarginTier(usd(20_000_000), 5))),
)


@dataclass(slots=True)
class Genesis(FrozenRecord):  # not frozen, but copied and pickled like the records
    """Everything `genesis.genesis_state` needs."""

    config: EngineConfig = field(default_factory=EngineConfig)
    markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS
    time_ms: int = 0
    gov: Any = None  # governance.gov_state.GovGenesis; None: a venue without governance
