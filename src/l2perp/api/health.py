"""Margin health (an l2perp extension): how close each of a user's margin units is to the
liquidation waterfall, as the `marginHealth` info type and websocket channel read it.

A unit is the cross account or one isolated position (engine/liqindex.py). Its maintenance
used is MM / value in percent (value <= 0: "inf"). The waterfall's stages begin at:
- `liquidation`: value < MM: the unit goes to the book;
- `backstop`: 3 x value < 2 x MM: the insurance fund takes it over;
- `bankruptcy`: value < 0: a loss the fund (else ADL) covers.
For each position the price at which its unit reaches each stage is solved as the liquidation
price is (the unit's other positions held at their marks; the position's margin rate at its
current tier), rounded toward the mark. Percentages are decimal strings with 2 decimals,
rounded down; prices are the market's price strings.
"""

from __future__ import annotations

from ..engine.liqindex import unit_figures
from ..engine.margin import leverage_of, tier_index
from ..engine.adl import adl_rank
from ..engine.state import Account, State
from ..engine.views import liquidation_price
from ..units import format_fixed, format_price, format_usdc

# the waterfall's stages: the unit's value at num/den of its maintenance margin
STAGES = (("liquidation", 1, 1), ("backstop", 2, 3), ("bankruptcy", 0, 1))
DEFAULT_THRESHOLDS = (50, 80, 100)  # % of maintenance margin used
MAX_THRESHOLDS = 10


def used_bp(value_musdc: int, mm_musdc: int) -> int | None:
    """Maintenance used in hundredths of a percent, rounded down (None: value <= 0 with a
    requirement, i.e. past every threshold)."""
    if mm_musdc <= 0:
        return 0
    if value_musdc <= 0:
        return None
    return mm_musdc * 10_000 // value_musdc


def _pct(bp: int | None) -> str:
    return "inf" if bp is None else format_fixed(bp, 2)


def units_of(state: State,
             account: Account) -> list[tuple[int, str, int | None, int, int]]:
    """(unit, label, maintenance used in bp, value, maintenance margin) of every unit with
    positions: the cross account (-1, "cross") first, then the isolated positions by asset
    (label: the coin); money in micro-USDC."""
    out = []
    for unit in [-1, *sorted(account.positions)]:
        value, mm, assets = unit_figures(state, account, unit)
        if assets:
            label = "cross" if unit < 0 else state.markets[unit].name
            out.append((unit, label, used_bp(value, mm), value, mm))
    return out


def _stage_price(mark: int, size: int, value: int, mm: int, rate_e9: int, num: int,
                 den: int) -> int:
    """The price at which the unit's value reaches num/den of its maintenance margin."""
    return liquidation_price(mark, size, value - mm * num // den, rate_e9 * num // den)


def margin_health(state: State, user: str) -> dict:
    """`{user, time, units: [{unit, maintenanceUsedPct, value, maintenance}], positions:
    [{coin, szi, markPx, unit, maintenanceUsedPct, distanceToLiquidationPct, stages:
    {liquidation, backstop, bankruptcy}, adlRank}]}`."""
    account = state.accounts.get(user)
    out: dict = {"user": user, "time": state.time_ms, "units": [], "positions": []}
    if account is None:
        return out
    figures: dict[int, tuple[int, int]] = {}
    for unit, label, bp, value, mm in units_of(state, account):
        figures[unit] = (value, mm)
        out["units"].append({"unit": label, "maintenanceUsedPct": _pct(bp),
                             "value": format_usdc(value), "maintenance": format_usdc(mm)})
    for asset in sorted(account.positions):
        pos = account.positions[asset]
        if pos.size_lots == 0:
            continue
        market = state.markets[asset]
        unit = -1 if leverage_of(state.config, account, market).is_cross else asset
        value, mm = figures.get(unit, (0, 0))
        mark = market.mark_pips
        rate = market.mm_rates_e9[tier_index(market, abs(pos.size_lots) * mark)]
        d = market.sz_decimals
        prices = {name: _stage_price(mark, pos.size_lots, value, mm, rate, num, den)
                  for name, num, den in STAGES}
        stages = {name: format_price(px, d) if px else None for name, px in prices.items()}
        liq = prices["liquidation"]
        side = 1 if pos.size_lots > 0 else -1
        distance = None if not (liq and mark) else side * (mark - liq) * 10_000 // mark
        out["positions"].append({
            "coin": market.name, "szi": format_fixed(pos.size_lots, d),
            "markPx": format_price(mark, d), "unit": "cross" if unit < 0 else market.name,
            "maintenanceUsedPct": _pct(used_bp(value, mm)),
            "distanceToLiquidationPct": None if distance is None else format_fixed(distance, 2),
            "stages": stages, "adlRank": adl_rank(state, account, asset)})
    return out


def parse_thresholds(sub: dict) -> tuple[int, ...]:
    """A subscription's `thresholds` (% of maintenance used, integers 1..1000, at most 10),
    sorted; the default 50, 80, 100 (ValueError with the client's text when malformed)."""
    raw = sub.get("thresholds")
    if raw is None:
        return DEFAULT_THRESHOLDS
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_THRESHOLDS or not all(
            type(t) is int and 1 <= t <= 1_000 for t in raw):
        raise ValueError("unsupported subscription: thresholds must be 1 to 10 integers "
                         "from 1 to 1000 (percent of maintenance margin used)")
    return tuple(sorted(set(raw)))


def level_of(bp: int | None, thresholds: tuple[int, ...]) -> int:
    """How many thresholds the maintenance used (bp) is at or above."""
    if bp is None:
        return len(thresholds)
    return sum(1 for t in thresholds if bp >= t * 100)


def crossings(state: State, user: str, thresholds: tuple[int, ...],
              last: dict[int, int]) -> list[dict]:
    """The thresholds the user's units crossed since `last` (unit -> level, updated in place):
    `[{unit, threshold, direction: "up"|"down", maintenanceUsedPct, time}]`, units in order,
    thresholds in the direction's order. A unit that closed is forgotten."""
    account = state.accounts.get(user)
    units = units_of(state, account) if account is not None else []
    alerts = []
    seen = set()
    for unit, label, bp, _, _ in units:
        seen.add(unit)
        level = level_of(bp, thresholds)
        before = last.get(unit, 0)
        if level > before:
            crossed = [(t, "up") for t in thresholds[before:level]]
        else:
            crossed = [(t, "down") for t in reversed(thresholds[level:before])]
        for threshold, direction in crossed:
            alerts.append({"unit": label, "threshold": threshold, "direction": direction,
                           "maintenanceUsedPct": _pct(bp), "time": state.time_ms})
        last[unit] = level
    for unit in [u for u in last if u not in seen]:
        del last[unit]
    return alerts
