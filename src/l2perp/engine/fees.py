"""Trading fees: Hyperliquid's tiers on 14-day volume, maker rebates, the fee pool.

A user's tier is fixed for a UTC day from the volume of the `fee_window_days` complete days
before it (Hyperliquid computes tiers at each day's end); a master and its sub-accounts count
their volume together, each paying the family's tier. Fee = ceil(notional x rate / 10^9):
rounded toward +infinity, so a fee rounds up and a rebate (negative rate) rounds toward zero.
"""

from __future__ import annotations

from ..units import E9, MS_PER_DAY
from .state import Account, State


def day_of(time_ms: int) -> int:
    """The UTC day number of a block time."""
    return time_ms // MS_PER_DAY


def window_volume(volume_days: dict[int, int], today: int, window_days: int) -> int:
    """Σ volume over the `window_days` complete days before `today` (micro-USDC)."""
    first = today - window_days
    return sum(v for d, v in volume_days.items() if first <= d < today)


def refresh_fee_rates(state: State, account: Account, today: int) -> None:
    """Cache the account's taker and maker rates (e9) for `today`."""
    taker, maker = compute_fee_rates(state, account, today)
    account.fee_day = today
    account.taker_rate_e9 = taker
    account.maker_rate_e9 = maker
    state.fee_refreshed.append(account.address)
    window = state.config.fee_window_days
    _prune(account.volume_days, today - window)
    _prune(account.maker_volume_days, today - window)


def family(state: State, account: Account) -> list[Account]:
    """The account's fee family: its master (or itself) and every sub-account, in creation
    order; a lone account is its own family."""
    head = state.accounts[account.master] if account.master is not None else account
    return [head] + [state.accounts[a] for a in head.sub_accounts]


def compute_fee_rates(state: State, account: Account, today: int) -> tuple[int, int]:
    """The account's (taker, maker) rates in e9 for `today`, changing nothing (the API reads
    them this way: a read must never move a leaf)."""
    config = state.config
    window = config.fee_window_days
    # Hyperliquid: a master and its sub-accounts share one tier
    volume = sum(window_volume(a.volume_days, today, window) for a in family(state, account))
    taker = maker = 0
    for tier in config.fee_tiers:
        if volume > tier.min_volume_musdc or tier.min_volume_musdc == 0:
            taker, maker = tier.taker_rate_e9, tier.maker_rate_e9
    if config.maker_rebates and account.maker_volume_days:
        total = window_volume(state.volume_days, today, window)
        if total > 0:
            share_e9 = window_volume(account.maker_volume_days, today, window) * E9 // total
            for rebate in config.maker_rebates:
                if share_e9 > rebate.min_share_e9:
                    maker = rebate.maker_rate_e9
    return taker, maker


def _prune(volume_days: dict[int, int], first_kept: int) -> None:
    for day in [d for d in volume_days if d < first_kept]:
        del volume_days[day]


def fee_for(notional_musdc: int, rate_e9: int) -> int:
    """ceil(notional x rate / 10^9): fees round up, rebates round toward zero."""
    return -((-notional_musdc * rate_e9) // E9)


def record_volume(state: State, taker: Account, maker: Account, notional_musdc: int) -> None:
    """Add a fill's notional to both users' and the exchange's volume of the current day."""
    today = state.time_ms // MS_PER_DAY
    days = taker.volume_days
    days[today] = days.get(today, 0) + notional_musdc
    days = maker.volume_days
    days[today] = days.get(today, 0) + notional_musdc
    days = maker.maker_volume_days
    days[today] = days.get(today, 0) + notional_musdc
    days = state.volume_days
    days[today] = days.get(today, 0) + notional_musdc
    if len(days) > 2 * state.config.fee_window_days:
        _prune(days, today - state.config.fee_window_days)
