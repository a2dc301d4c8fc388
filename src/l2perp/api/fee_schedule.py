"""The fee schedule (an l2perp extension of `/info`): the venue's fee tiers and the L1 data fee's
hourly rate, this hour's and the next one's, as engine/l1fee.py sets them; with a `user`, the
taker and maker rates that user pays now and next hour.

Rates are fractions of notional as decimal strings (Hyperliquid's "0.00045" style), exact;
amounts are USDC decimal strings; times ms. The L1 data fee is `null` on a venue without one.
"""

from __future__ import annotations

from ..engine.l1fee import step_bound_e9, taker_l1_rate_e9
from ..engine.state import State
from ..units import MS_PER_HOUR, format_fixed, format_usdc
from .info import user_fee_rates
from .rows import format_rate


def fee_schedule(state: State, user: str | None) -> dict:
    """feeSchedule: {tiers, l1DataFee, user?}; see the module docstring."""
    config = state.config
    answer: dict = {
        "tiers": [{"minVolume": format_usdc(t.min_volume_musdc),
                   "taker": format_rate(t.taker_rate_e9), "maker": format_rate(t.maker_rate_e9)}
                  for t in config.fee_tiers],
        "l1DataFee": l1_data_fee(state),
    }
    if user is not None:
        taker, maker = user_fee_rates(state, user)
        book = state.l1_fee
        now = taker_l1_rate_e9(state)
        later = book.next_rate_e9 if book is not None else 0
        answer["user"] = {"user": user, "takerRate": format_rate(taker + now),
                          "nextTakerRate": format_rate(taker + later),
                          "tierTakerRate": format_rate(taker), "makerRate": format_rate(maker)}
    return answer


def l1_data_fee(state: State) -> dict | None:
    """The L1 data fee's schedule and pool, or None without one."""
    book = state.l1_fee
    config = state.config.l1_fee
    if book is None or config is None:
        return None
    hour = book.hour_ms
    return {
        "current": {"from": hour, "until": hour + MS_PER_HOUR, "rate": format_rate(book.rate_e9)},
        "next": {"from": hour + MS_PER_HOUR, "until": hour + 2 * MS_PER_HOUR,
                 "rate": format_rate(book.next_rate_e9)},
        # nano-USDC per gas as USDC per gas
        "smoothedGasPrice": format_fixed(book.gas_price_nusdc, 9),
        "hourObservations": book.hour_samples,
        "maxHourlyChange": format_rate(step_bound_e9(config, book.rate_e9)),
        "gasPerMillionUsd": config.gas_per_million_usd,
        "pool": {"charged": format_usdc(book.charged_musdc),
                 "costs": format_usdc(book.costs_musdc), "paid": format_usdc(book.paid_musdc),
                 "owed": format_usdc(book.costs_musdc - book.paid_musdc),
                 "absorbed": format_usdc(book.charged_musdc - book.costs_musdc)},
    }
