"""The L1 data fee: the batches' L1 data cost, passed to takers as a per-notional part of the
taker fee that is set once an hour and published an hour ahead (docs/mechanics.md, "L1 data
fee").

Inputs come only through the L1 message queue: each posted batch's `L1DataCost` message
carries the gas price it paid (nano-USDC per gas) and its cost. Per hour:
- the hour's observations average (floor) into the smoothed gas price:
  s += (avg - s) x smoothing / 10^9, floored (an hour without observations keeps s);
- the rate published for the next hour is the target gas_per_million_usd x s / 10^6 (floor),
  clamped to within max(rate x max_step_ppm / 10^6, min_step) of the rate that applies now.
So a trader knows this hour's rate and the next one's, and no hour's rate differs from the
one before by more than the bound, whatever L1 gas does.

The fee pool absorbs the difference: it receives the component with the taker fee and pays
each batch's cost to its poster, as far as its balance goes; the rest is owed and paid from
later fees. The component of a fill is fee(notional, taker + l1) - fee(notional, taker),
each rounded up as fees are (fees.fee_for), so it sums exactly into the taker's fee. Costs
owed to posters wait in `L1FeeBook.owed`, oldest first.
"""

from __future__ import annotations

from ..units import E9, MS_PER_HOUR
from .accounts import is_address
from .params import L1FeeConfig
from .state import L1FeeBook, State, get_or_create_account
from .tx import L1DataCost, LedgerEvent

MAX_CATCH_UP_HOURS = 48  # after a longer gap the schedule steps 48 times, then resumes


def target_rate_e9(config: L1FeeConfig, gas_price_nusdc: int) -> int:
    """The rate (e9 of notional, floor) that passes `gas_price_nusdc` on at the configured gas
    per $1M: gas x price (nano-USDC) per 10^6 USDC is gas x price / 10^6 parts per 10^9."""
    return config.gas_per_million_usd * gas_price_nusdc // 1_000_000


def step_bound_e9(config: L1FeeConfig, rate_e9: int) -> int:
    """How far the next hour's rate may move from `rate_e9` (e9, floor of the relative part)."""
    relative = rate_e9 * config.max_step_ppm // 1_000_000
    return relative if relative > config.min_step_e9 else config.min_step_e9


def clamp_step(config: L1FeeConfig, rate_e9: int, target_e9: int) -> int:
    """`target_e9` moved to within the step bound of `rate_e9`, and never below 0."""
    bound = step_bound_e9(config, rate_e9)
    low, high = rate_e9 - bound, rate_e9 + bound
    value = low if target_e9 < low else high if target_e9 > high else target_e9
    return value if value > 0 else 0


def genesis_book(config: L1FeeConfig, time_ms: int) -> L1FeeBook:
    """The schedule at genesis: this hour and the next at the initial price's target."""
    rate = target_rate_e9(config, config.initial_gas_price_nusdc)
    return L1FeeBook(config.initial_gas_price_nusdc, time_ms // MS_PER_HOUR * MS_PER_HOUR,
                     rate, rate)


def taker_l1_rate_e9(state: State) -> int:
    """The L1 data fee's rate this hour (e9 of taker notional); 0 without one."""
    book = state.l1_fee
    return book.rate_e9 if book is not None else 0


def roll_hours(state: State) -> None:
    """At the first block of a new hour: fold the last hour's observations into the smoothed
    price, make the published rate current and publish the next one (at most
    MAX_CATCH_UP_HOURS steps after a gap)."""
    book = state.l1_fee
    if book is None:
        return
    hour = state.time_ms // MS_PER_HOUR * MS_PER_HOUR
    if hour <= book.hour_ms:
        return
    config = state.config.l1_fee
    assert config is not None
    steps = (hour - book.hour_ms) // MS_PER_HOUR
    for _ in range(steps if steps < MAX_CATCH_UP_HOURS else MAX_CATCH_UP_HOURS):
        if book.hour_samples:
            average = book.hour_gas_sum // book.hour_samples
            book.gas_price_nusdc += ((average - book.gas_price_nusdc) * config.smoothing_e9
                                     // E9)
            book.hour_gas_sum = book.hour_samples = 0
        book.rate_e9 = book.next_rate_e9
        book.next_rate_e9 = clamp_step(config, book.rate_e9,
                                       target_rate_e9(config, book.gas_price_nusdc))
    book.hour_ms = hour


def apply_data_cost(state: State, action: L1DataCost, events: list) -> str | None:
    """An `L1DataCost` message: observe its gas price for this hour, owe its cost to the
    batch's poster and pay what the fee pool can of the costs owed, oldest first. Without an L1
    data fee, or with malformed figures, the message is consumed as invalid and nothing
    changes."""
    book = state.l1_fee
    if book is None:
        return "L1 data fee is not enabled on this venue"
    if not is_address(action.poster) or action.gas < 0 or action.gas_price_nusdc <= 0 \
            or action.cost_musdc != data_cost_musdc(action.gas, action.gas_price_nusdc):
        return "L1 data cost figures do not agree"
    book.hour_gas_sum += action.gas_price_nusdc
    book.hour_samples += 1
    book.costs_musdc += action.cost_musdc
    if action.cost_musdc:
        book.owed.append((action.poster, action.cost_musdc))
    pay_owed(state, events)
    return None


def data_cost_musdc(gas: int, gas_price_nusdc: int) -> int:
    """What `gas` costs at `gas_price_nusdc` in micro-USDC, rounded up (the poster's due)."""
    return -((-gas * gas_price_nusdc) // 1_000)


def pay_owed(state: State, events: list) -> None:
    """Pay the costs owed, oldest first, while the fee pool has a balance (micro-USDC); a cost
    the pool cannot cover in full is paid in part and stays at the head."""
    book = state.l1_fee
    if book is None:
        return
    owed = book.owed
    while owed and state.fee_pool_musdc > 0:
        poster, due = owed[0]
        amount = due if due < state.fee_pool_musdc else state.fee_pool_musdc
        receiver = get_or_create_account(state, poster)
        state.fee_pool_musdc -= amount
        receiver.cash_musdc += amount
        book.paid_musdc += amount
        events.append(LedgerEvent(poster, "l1DataCost", amount, None, state.time_ms))
        if amount == due:
            owed.pop(0)
        else:
            owed[0] = (poster, due - amount)
