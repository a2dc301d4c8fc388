"""The governance-controlled parameter table: which integers governance may change, where each
lives in the state, which way is tighter, and the checks a new value must pass.

Keys are strings: `"<asset>.<name>"` for a market (`"0.tier0.maxLeverage"`, `"1.oiCap"`),
`"fee.tier<i>.taker"` for the fee schedule, `"fee.l1.<name>"` for the L1 data fee's model on a
venue that has one, plain names for engine-wide values
(`"fundingCap"`) and `"gov.<name>"` / `"lane<i>.<field>"` for governance's own rules. Every value
is an integer in the unit of the field it sets (e9 rates, micro-USDC, ms, basis points).

Engine-wide values live in `State.config`, which is rebuilt from the genesis configuration plus
the governed values (`governed_config`), so a decoder holding only the genesis configuration
derives the same configuration hash. Market values live in the market's spec. Governance's own
rules (`RULES`, the lane fields) live in `GovState` (`governance_values` reads them all).
"""

from __future__ import annotations

import dataclasses

from ..params import EngineConfig, FeeTier, L1FeeConfig, MarginTier, maintenance_schedule
from ..state import Leverage, Market, State
from .args import MAX_INT
from .errors import GovernanceError
from .gov_state import GovState
from .operators import ROLES
from .proposals import BPS, DAY_MS, Lane

TIGHTER_LOWER = -1  # a lower value is tighter (max leverage, caps, bands, fee ceilings)
TIGHTER_HIGHER = 1  # a higher value is tighter (tier lower bounds push less notional up)
NEUTRAL = 0  # neither (fees, governance timing): guardians never touch these

# config key -> (EngineConfig field, tighter direction, lowest allowed, highest allowed)
CONFIG_KEYS: dict[str, tuple[str, int, int, int]] = {
    "fundingCap": ("funding_cap_hourly_e9", TIGHTER_LOWER, 1, 100_000_000),
    "fundingClamp": ("funding_clamp_e9", TIGHTER_LOWER, 0, 10_000_000),
    "liqFeeMax": ("max_liquidation_fee_e9", NEUTRAL, 0, 100_000_000),
    "liqPerBlock": ("max_liquidations_per_block", NEUTRAL, 1, 10_000),
    "partialLiqNotional": ("partial_liquidation_musdc", NEUTRAL, 1, 10**15),
    "partialLiqFraction": ("partial_liquidation_e9", NEUTRAL, 1, 1_000_000_000),
    "backstopUnwind": ("backstop_unwind_musdc", NEUTRAL, 1, 10**15),
    "backstopSlippage": ("backstop_slippage_e9", NEUTRAL, 1, 500_000_000),
    "maxStaleness": ("max_staleness_ms", TIGHTER_LOWER, 1_000, 3_600_000),
    "oracleMaxAge": ("oracle_max_report_age_ms", TIGHTER_LOWER, 1_000, 600_000),
    "postOutageGrace": ("post_outage_grace_ms", NEUTRAL, 0, 3_600_000),
}
# market key -> (MarketSpec field, tighter direction, lowest, highest)
MARKET_KEYS: dict[str, tuple[str, int, int, int]] = {
    "oiCap": ("oi_cap_musdc", TIGHTER_LOWER, 0, 10**16),  # 0: no cap
    "cbBand": ("cb_band_e9", TIGHTER_LOWER, 1_000_000, 1_000_000_000),
    "cbWindow": ("cb_window_ms", NEUTRAL, 1_000, 86_400_000),
    "cbCooldown": ("cb_cooldown_ms", NEUTRAL, 1_000, 86_400_000),
    "impactNotional": ("impact_notional_musdc", NEUTRAL, 1, 10**13),
}
MAX_FEE_E9 = 10_000_000  # 1%: no fee tier may charge more
# the L1 data fee's model (engine/l1fee.py) -> (L1FeeConfig field, direction, lowest, highest);
# governed like the fee tiers (from the next UTC day), on a venue that has the fee
L1_FEE_KEYS: dict[str, tuple[str, int, int, int]] = {
    "fee.l1.gasPerMillionUsd": ("gas_per_million_usd", NEUTRAL, 0, 10**10),
    "fee.l1.smoothing": ("smoothing_e9", NEUTRAL, 1, 1_000_000_000),
    "fee.l1.maxStepPpm": ("max_step_ppm", NEUTRAL, 0, 1_000_000),
    "fee.l1.minStep": ("min_step_e9", NEUTRAL, 0, MAX_FEE_E9),
}

HOUR_MS = 3_600_000
# governance rule key -> (the part of GovState that holds it, its attribute, lowest, highest)
RULES: dict[str, tuple[str, str, int, int]] = {
    "activityEpochs": ("governor", "activity_epochs", 1, 52),
    "guardianExpiryMs": ("guardians", "expiry_ms", HOUR_MS, 30 * DAY_MS),
    "reportDeadlineMs": ("guardians", "report_deadline_ms", HOUR_MS, 30 * DAY_MS),
    "guardianLivenessMs": ("guardians", "liveness_ms", DAY_MS, 365 * DAY_MS),
    "outflowCapPerEpoch": ("gov", "outflow_cap_per_epoch", 0, MAX_INT),
    "upgradeExitBlocks": ("gov", "upgrade_exit_blocks", 1, 10**8),
    "operatorFeeShareBps": ("registry", "fee_share_bps", 0, 5_000),
    "vetoWindowMs": ("registry", "veto_window_ms", HOUR_MS, 30 * DAY_MS),
    "evidenceWindowMs": ("registry", "evidence_window_ms", HOUR_MS, 60 * DAY_MS),
    "unbondingMs": ("registry", "unbonding_ms", HOUR_MS, 120 * DAY_MS),
    "whistleblowerBps": ("registry", "whistleblower_bps", 0, 5_000),
    "slotMs": ("gov", "slot_ms", 1_000, DAY_MS),
}
# a lane's rules as "lane<i>.<field>" (Lane's fields in order) and each field's [lowest, highest]
LANE_FIELDS = ("threshold", "quorum", "differential", "review", "voting", "timelock", "grace")
LANE_RANGES = ((1, 5_000), (1, BPS), (0, BPS), (0, 30 * DAY_MS), (HOUR_MS, 30 * DAY_MS),
               (0, 30 * DAY_MS), (HOUR_MS, 30 * DAY_MS))


class ParamError(GovernanceError):
    """An unknown key or a value a parameter may not take (nothing changes)."""


def split_market_key(key: str) -> tuple[int, str] | None:
    """(3, "oiCap") for "3.oiCap"; None for a key that is not a market's."""
    head, _, tail = key.partition(".")
    index = _index(head)
    if not tail or index is None:
        return None
    return index, tail


def _index(text: str) -> int | None:
    """The number a key spells in plain decimal ("0", "17"), else None: no sign, no leading
    zero (one number, one key), no non-ASCII digit, at most nine digits."""
    if not (0 < len(text) <= 9 and text.isascii() and text.isdigit()) or \
            (text[0] == "0" and len(text) > 1):
        return None
    return int(text)


def tighter_direction(key: str) -> int:
    """TIGHTER_LOWER, TIGHTER_HIGHER or NEUTRAL for a governed key."""
    if key in CONFIG_KEYS:
        return CONFIG_KEYS[key][1]
    split = split_market_key(key)
    if split is not None:
        _, name = split
        if name in MARKET_KEYS:
            return MARKET_KEYS[name][1]
        if name.endswith(".maxLeverage"):
            return TIGHTER_LOWER
        if name.endswith(".lowerBound"):
            return NEUTRAL
    return NEUTRAL


def is_tighter(key: str, old: int, new: int) -> bool:
    """Strictly tighter: the only direction a guardian may move a value."""
    direction = tighter_direction(key)
    if key.endswith(".oiCap") and (old == 0 or new == 0):
        return old == 0 and new > 0  # 0 is no cap: any cap is tighter, removing one never
    if direction == TIGHTER_LOWER:
        return new < old
    if direction == TIGHTER_HIGHER:
        return new > old
    return False


def tier_key(key: str) -> tuple[int, tuple[int, str]] | None:
    """(asset, (tier index, field)) for a margin-tier key such as "0.tier1.maxLeverage"; None
    for any other key."""
    split = split_market_key(key)
    tier = _tier_field(split[1]) if split is not None else None
    return None if tier is None else (split[0], tier)


def _tier_field(name: str) -> tuple[int, str] | None:
    if not name.startswith("tier"):
        return None
    index, _, field = name[4:].partition(".")
    i = _index(index)
    if i is None or field not in ("maxLeverage", "lowerBound"):
        return None
    return i, field


def get_param(state: State, key: str) -> int:
    """The current value of a governed engine or market key (ParamError if unknown)."""
    if type(key) is not str:
        raise ParamError(f"unknown parameter {key!r}")
    if key in CONFIG_KEYS:
        return getattr(state.config, CONFIG_KEYS[key][0])
    if key in L1_FEE_KEYS:
        return getattr(_l1_fee(state.config, key), L1_FEE_KEYS[key][0])
    if key.startswith("fee.tier"):
        i, field = _fee_field(state.config, key)
        tier = state.config.fee_tiers[i]
        return tier.taker_rate_e9 if field == "taker" else tier.maker_rate_e9
    market, name, tier = _market_part(state, key)
    if tier is None:
        return getattr(market.spec, MARKET_KEYS[name][0])
    t = market.spec.margin_tiers[tier[0]]
    return t.max_leverage if tier[1] == "maxLeverage" else t.lower_bound_musdc


def engine_keys(state: State) -> list[str]:
    """Every governed key the engine holds, in a fixed order."""
    keys = sorted(CONFIG_KEYS)
    keys += [f"fee.tier{i}.{f}" for i in range(len(state.config.fee_tiers))
             for f in ("taker", "maker")]
    if state.config.l1_fee is not None:
        keys += sorted(L1_FEE_KEYS)
    for market in state.markets:
        keys += [f"{market.asset}.{name}" for name in sorted(MARKET_KEYS)]
        for i in range(len(market.spec.margin_tiers)):
            keys += [f"{market.asset}.tier{i}.maxLeverage", f"{market.asset}.tier{i}.lowerBound"]
    return keys


def check_param(state: State, key: str, value: int) -> None:
    """ParamError unless `value` is a valid new value for `key` (range, tier order)."""
    if type(key) is not str:
        raise ParamError(f"unknown parameter {key!r}")
    if type(value) is not int:
        raise ParamError(f"{key}: value must be an integer")
    if key in L1_FEE_KEYS:
        _l1_fee(state.config, key)  # ParamError on a venue without the fee
    entry = _ranged_entry(state.config, key)
    if entry is not None:
        _check_range(key, value, entry)
        return
    if key.startswith("fee.tier"):
        _fee_field(state.config, key)
        if not -MAX_FEE_E9 <= value <= MAX_FEE_E9:
            raise ParamError(f"{key}: a fee rate lies within +-{MAX_FEE_E9} e9")
        return
    market, name, tier = _market_part(state, key)
    if tier is None:
        _check_range(key, value, MARKET_KEYS[name])
        return
    check_tiers(with_tier(market.spec.margin_tiers, tier, value))


def check_tiers(tiers: tuple[MarginTier, ...]) -> None:
    """Margin tiers start at 0, bounds strictly rise, max leverage in [1, 200] never rises."""
    if not tiers or tiers[0].lower_bound_musdc != 0:
        raise ParamError("margin tiers start at notional 0")
    for prev, tier in zip(tiers, tiers[1:]):
        if tier.lower_bound_musdc <= prev.lower_bound_musdc:
            raise ParamError("margin tier bounds must strictly rise")
        if tier.max_leverage > prev.max_leverage:
            raise ParamError("max leverage may not rise with notional")
    for tier in tiers:
        if not 1 <= tier.max_leverage <= 200:
            raise ParamError("max leverage lies in [1, 200]")


def set_param(state: State, key: str, value: int, check: bool = True) -> int:
    """Apply a value (checked unless the caller checked a whole set already); returns the old
    one. Engine-wide values rebuild the config; market values rebuild the market's spec and
    maintenance schedule."""
    if check:
        check_param(state, key, value)
    old = get_param(state, key)
    if key in CONFIG_KEYS or key in L1_FEE_KEYS or key.startswith("fee.tier"):
        state.config = governed_config(state.config, {key: value})
        return old
    market, name, tier = _market_part(state, key)
    if tier is None:
        spec = dataclasses.replace(market.spec, **{MARKET_KEYS[name][0]: value})
    else:
        tiers = with_tier(market.spec.margin_tiers, tier, value)
        spec = dataclasses.replace(market.spec, margin_tiers=tiers)
    apply_spec(state, market, spec)
    return old


def apply_spec(state: State, market: Market, spec) -> None:
    """Give a market a new spec: maintenance schedule and max leverage follow; the liquidation
    index (derived from the maintenance rates) is rebuilt."""
    market.spec = spec
    market.mm_rates_e9, market.mm_deductions = maintenance_schedule(spec.margin_tiers)
    market.max_leverage = spec.max_leverage
    default = min(state.config.default_leverage, spec.max_leverage)
    market.default_leverage = Leverage(is_cross=not spec.only_isolated, leverage=default)
    state.liq_index = None


def governed_config(config: EngineConfig, values: dict[str, int]) -> EngineConfig:
    """`config` with the engine-wide governed `values` applied (other keys are ignored)."""
    changes: dict = {}
    l1_changes: dict = {}
    fee_tiers = list(config.fee_tiers)
    for key in sorted(values):
        if key in CONFIG_KEYS:
            changes[CONFIG_KEYS[key][0]] = values[key]
        elif key in L1_FEE_KEYS:
            l1_changes[L1_FEE_KEYS[key][0]] = values[key]
        elif key.startswith("fee.tier"):
            i, field = _fee_field(config, key)
            t = fee_tiers[i]
            fee_tiers[i] = (FeeTier(t.min_volume_musdc, values[key], t.maker_rate_e9)
                            if field == "taker" else
                            FeeTier(t.min_volume_musdc, t.taker_rate_e9, values[key]))
    if tuple(fee_tiers) != config.fee_tiers:
        changes["fee_tiers"] = tuple(fee_tiers)
    if l1_changes and config.l1_fee is not None:
        l1_fee = dataclasses.replace(config.l1_fee, **l1_changes)
        if l1_fee != config.l1_fee:
            changes["l1_fee"] = l1_fee
    return dataclasses.replace(config, **changes) if changes else config


def _ranged_entry(config: EngineConfig, key: str) -> tuple[str, int, int, int] | None:
    """The fixed-range table entry of an engine-wide key (CONFIG_KEYS, or L1_FEE_KEYS on a
    venue with the L1 data fee); None for any other key."""
    if key in CONFIG_KEYS:
        return CONFIG_KEYS[key]
    if key in L1_FEE_KEYS and config.l1_fee is not None:
        return L1_FEE_KEYS[key]
    return None


def _l1_fee(config: EngineConfig, key: str) -> L1FeeConfig:
    """The L1 data fee's configuration; ParamError on a venue without one."""
    if config.l1_fee is None:
        raise ParamError(f"unknown parameter {key!r}: this venue has no L1 data fee")
    return config.l1_fee


def _fee_field(config: EngineConfig, key: str) -> tuple[int, str]:
    index, _, field = key[len("fee.tier"):].partition(".")
    i = _index(index)
    if i is None or i >= len(config.fee_tiers) or field not in ("taker", "maker"):
        raise ParamError(f"unknown parameter {key!r}")
    return i, field


def _market_part(state: State, key: str) -> tuple[Market, str, tuple[int, str] | None]:
    """(market, name, (tier index, field) or None) for a market key; ParamError if unknown."""
    split = split_market_key(key)
    if split is None:
        raise ParamError(f"unknown parameter {key!r}")
    market = _market(state, split[0])
    name = split[1]
    if name in MARKET_KEYS:
        return market, name, None
    tier = _tier_field(name)
    if tier is None or tier[0] >= len(market.spec.margin_tiers):
        raise ParamError(f"unknown parameter {key!r}")
    return market, name, tier


def with_tier(tiers: tuple[MarginTier, ...], tier: tuple[int, str],
              value: int) -> tuple[MarginTier, ...]:
    """`tiers` with one tier's max leverage or lower bound replaced (unchecked)."""
    out = list(tiers)
    i, field = tier
    t = out[i]
    out[i] = (MarginTier(t.lower_bound_musdc, value) if field == "maxLeverage"
              else MarginTier(value, t.max_leverage))
    return tuple(out)


def _market(state: State, asset: int) -> Market:
    if not 0 <= asset < len(state.markets):
        raise ParamError(f"unknown market {asset}")
    return state.markets[asset]


# ----- governance's own rules ------------------------------------------------------------------

def governance_values(gov: GovState) -> dict[str, int]:
    """The governance rules as parameters (lane fields and `gov.*` rules)."""
    out: dict[str, int] = {}
    for i, lane in enumerate(gov.governor.lanes):
        for name, value in zip(LANE_FIELDS, lane_tuple(lane)):
            out[f"lane{i}.{name}"] = value
    for key, (owner, attr, _, _) in RULES.items():
        out[f"gov.{key}"] = getattr(_rule_owner(gov, owner), attr)
    for role in ROLES:
        out[f"gov.minBond.{role}"] = gov.registry.min_bond[role]
    return out


def lane_tuple(lane: Lane) -> tuple[int, ...]:
    """A lane's rules in the order of LANE_FIELDS."""
    return (lane.threshold_bps, lane.quorum_bps, lane.differential_bps, lane.review_ms,
            lane.voting_ms, lane.timelock_ms, lane.grace_ms)


def set_rule(gov: GovState, key: str, value: int) -> None:
    """Set one of RULES (unchecked: the caller checked its range)."""
    owner, attr, _, _ = RULES[key]
    setattr(_rule_owner(gov, owner), attr, value)


def _rule_owner(gov: GovState, owner: str):
    return gov if owner == "gov" else getattr(gov, owner)


def check_param_name(state: State, key: object, value: object, new_markets: int = 0) -> None:
    """At proposal time: ParamError unless `key` names a governed value (a market key may name
    one of `new_markets` the same proposal lists) and `value` is an integer within the key's
    fixed range; what depends on the state at execution (tier order, steward steps) is checked
    then. The error lists the valid names."""
    if type(key) is not str:
        raise ParamError(f"unknown parameter {key!r}; {param_names(state)}")
    if type(value) is not int:
        raise ParamError(f"{key}: value must be an integer")
    entry = _ranged_entry(state.config, key)
    if entry is not None:
        _check_range(key, value, entry)
    elif key.startswith("fee.tier"):
        try:
            _fee_field(state.config, key)
        except ParamError:
            raise ParamError(f"unknown parameter {key!r}; {param_names(state)}") from None
    else:
        split = split_market_key(key)
        if split is None or split[0] >= len(state.markets) + new_markets or (
                split[1] not in MARKET_KEYS and _tier_field(split[1]) is None):
            raise ParamError(f"unknown parameter {key!r}; {param_names(state)}")
        if split[1] in MARKET_KEYS:
            _check_range(key, value, MARKET_KEYS[split[1]])


def _check_range(key: str, value: int, entry: tuple[str, int, int, int]) -> None:
    """ParamError unless `value` lies in the key's fixed [low, high] (its table entry)."""
    _, _, low, high = entry
    if not low <= value <= high:
        raise ParamError(f"{key}: {value} outside [{low}, {high}]")


def param_names(state: State) -> str:
    """The governed keys, as an error's hint."""
    last = len(state.markets) - 1
    return ("valid names: " + ", ".join(CONFIG_KEYS) + "; per market, <asset> in 0.." +
            f"{last}: " + ", ".join(f"<asset>.{k}" for k in MARKET_KEYS) +
            ", <asset>.tier<i>.maxLeverage, <asset>.tier<i>.lowerBound; fee.tier<i>.taker, "
            "fee.tier<i>.maker" + ("; " + ", ".join(L1_FEE_KEYS)
                                   if state.config.l1_fee is not None else ""))
