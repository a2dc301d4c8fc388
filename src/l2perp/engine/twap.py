"""TWAP orders (Hyperliquid's): a size cut into slices sent every 30 s of block time over 5 to
1,440 minutes. Each slice is an IOC order limited at most 3% from the mark (rounded to the tick,
toward the mark); a slice that underfills is caught up by the later ones, each at most 3x the
normal slice. Placing (`twapOrder`), cancelling (`twapCancel`) and running the slices that are
due (stf.process_time, after trigger orders). Sizes in lots, prices in pips, times in ms.
"""

from __future__ import annotations

from typing import Final

from ..codec import canonical, h256
from ..units import E9, ONE_USDC
from . import errors as E
from .book import TIF_IOC, Order
from .margin import leverage_of
from .open_orders import Ctx
from .order_rules import MAX_PRICE_SIG_FIGS, check_market_open, size_to_lots
from .placement import submit
from .state import (
    MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, Account, Market, State, Twap,
)
from .tpsl import lacks_margin_to_fire
from .tx import Filled, OrderError, TwapCancel, TwapEvent, TwapOrder, TwapRunning, TwapSliceEvent

SLICE_INTERVAL_MS: Final = 30_000  # Hyperliquid: a suborder every 30 seconds
MIN_MINUTES: Final = 5  # Hyperliquid: 5 minutes ...
MAX_MINUTES: Final = 1_440  # ... to 24 hours
SLIPPAGE_E9: Final = 30_000_000  # Hyperliquid: each suborder at most 3% from the mark
CATCH_UP_FACTOR: Final = 3  # Hyperliquid: a catching-up suborder is at most 3x the normal one
MIN_VALUE_PER_MINUTE_MUSDC: Final = 10 * ONE_USDC  # Hyperliquid: "$10 per minute"
MAX_RUNNING_PER_USER: Final = 10  # l2perp: running TWAPs one user may hold at once

ACTIVATED: Final = "activated"  # the statuses of Hyperliquid's TWAP history
FINISHED: Final = "finished"
TERMINATED: Final = "terminated"
ERROR: Final = "error"
CANCELED_BY_USER: Final = "Canceled by user."
TIME_OVER: Final = "Duration elapsed."
FILLED: Final = "Filled."


# ----- the schedule -------------------------------------------------------------------------

def slice_count(minutes: int) -> int:
    """Slices of a TWAP running `minutes`: one per 30 s (10 minutes: 20 slices)."""
    return minutes * 60_000 // SLICE_INTERVAL_MS


def normal_slice_lots(twap: Twap) -> int:
    """The normal slice: total lots // slices (rounded down; the last slice takes the rest)."""
    return twap.total_lots // slice_count(twap.minutes)


def jitter_lots(twap: Twap, index: int, normal: int) -> int:
    """A randomized TWAP's deterministic offset of its cumulative target after slice `index`:
    an integer in [-(normal // 2), normal // 2] drawn from a hash of the TWAP id, its start
    time and the slice index (never from a random generator)."""
    span = normal // 2
    if span == 0:
        return 0
    digest = h256(canonical(["twapSlice", twap.twap_id, twap.started_ms, index]))
    return int.from_bytes(digest[:8], "big") % (2 * span + 1) - span


def scheduled_total_lots(twap: Twap, index: int) -> int:
    """The lots the schedule wants executed once slice `index` (from 0) has run: (index + 1)
    normal slices, the last slice reaching the total; a randomized TWAP moves each target but
    the last by `jitter_lots`, so its slices vary from 0 to 2x normal and still sum to the
    total (targets never decrease: consecutive offsets differ by at most a normal slice)."""
    if index < 0:
        return 0
    if index >= slice_count(twap.minutes) - 1:
        return twap.total_lots
    normal = normal_slice_lots(twap)
    target = (index + 1) * normal
    if twap.randomize:
        target += jitter_lots(twap, index, normal)
    return target


def slice_lots(twap: Twap, index: int) -> int:
    """The size of slice `index`: what brings the executed lots back to the schedule, at most
    3x the normal slice (or the slice's own scheduled size, when that is more: the last slice's
    remainder); 0 when nothing is behind."""
    target = scheduled_total_lots(twap, index)
    scheduled = target - scheduled_total_lots(twap, index - 1)
    cap = max(CATCH_UP_FACTOR * normal_slice_lots(twap), scheduled)
    return max(0, min(target - twap.executed_lots, cap))


def round_to_tick(price_pips: int, up: bool) -> int:
    """A price cut to 5 significant figures, rounded up or down (a valid price in any market:
    its decimals already fit the market's pips)."""
    digits = len(str(price_pips))
    if digits <= MAX_PRICE_SIG_FIGS:
        return price_pips
    unit = 10 ** (digits - MAX_PRICE_SIG_FIGS)
    down = price_pips - price_pips % unit
    return down + unit if up and down != price_pips else down


def slice_limit_pips(reference_pips: int, is_buy: bool) -> int:
    """A slice's limit: the reference (the mark) plus 3% for a buy, minus 3% for a sell, the
    slippage rounded down and the price rounded to the tick toward the reference, so a slice
    never fills more than 3% from it."""
    slip = reference_pips * SLIPPAGE_E9 // E9
    if is_buy:
        return round_to_tick(reference_pips + slip, up=False)
    return round_to_tick(reference_pips - slip, up=True)


# ----- the actions ---------------------------------------------------------------------------

def place_twap(state: State, account: Account, action: TwapOrder, events: list) -> object:
    """The `twapOrder` action: TwapRunning(id) or OrderError. The first failing rule names the
    error, in this order: a known asset, 5 <= minutes <= 1440, an oracle price, the market's
    status, the lot rule and a non-zero size, reduce-only has a position to reduce, the value
    (size x mark, the oracle before a first mark) at least $10 per minute, the user's running
    TWAPs below the cap. Nothing is reserved: each slice is checked when it runs."""
    markets = state.markets
    asset = action.asset
    if not 0 <= asset < len(markets):
        return OrderError(E.UNKNOWN_ASSET.format(asset=asset))
    if not MIN_MINUTES <= action.minutes <= MAX_MINUTES:
        return OrderError(E.TWAP_INVALID_DURATION)
    market = markets[asset]
    if market.oracle_pips == 0:
        return OrderError(E.NO_ORACLE_PRICE.format(asset=asset))
    error = check_market_open(market, action.reduce_only)
    if error is not None:
        return OrderError(error)
    lots = size_to_lots(action.sz, market.sz_decimals)
    if lots is None:
        return OrderError(E.ORDER_HAS_INVALID_SIZE.format(asset=asset))
    if lots == 0:
        return OrderError(E.ORDER_HAS_ZERO_SIZE.format(asset=asset))
    if action.reduce_only and reducible_lots(account, asset, action.is_buy) <= 0:
        return OrderError(E.TWAP_REDUCE_ONLY_WOULD_INCREASE)
    reference = market.mark_pips or market.oracle_pips
    minimum = action.minutes * MIN_VALUE_PER_MINUTE_MUSDC
    if lots * reference < minimum:  # exactly $10 per minute is enough
        return OrderError(E.TWAP_VALUE_TOO_SMALL.format(min_value=minimum // ONE_USDC))
    running = sum(1 for t in state.twaps.values() if t.user == account.address)
    if running >= MAX_RUNNING_PER_USER:
        return OrderError(E.TWAP_TOO_MANY_RUNNING.format(limit=MAX_RUNNING_PER_USER))
    twap_id = state.next_twap_id
    state.next_twap_id = twap_id + 1
    twap = Twap(twap_id, account.address, asset, action.is_buy, lots, action.reduce_only,
                action.minutes, action.randomize, state.time_ms, state.time_ms)
    state.twaps[twap_id] = twap
    events.append(twap_event(twap, ACTIVATED, "", state.time_ms))
    return TwapRunning(twap_id)


def cancel_twap(state: State, account: Account, action: TwapCancel, events: list) -> object:
    """The `twapCancel` action: "success", or the not-found error when the id names no running
    TWAP of this user on this asset."""
    twap = state.twaps.get(action.twap_id)
    if twap is None or twap.user != account.address or twap.asset != action.asset:
        return OrderError(E.TWAP_NOT_FOUND)
    end_twap(state, twap, TERMINATED, CANCELED_BY_USER, events)
    return "success"


def reducible_lots(account: Account, asset: int, is_buy: bool) -> int:
    """How much an order on this side can reduce the position (<= 0: it would not reduce)."""
    pos = account.positions.get(asset)
    size = pos.size_lots if pos is not None else 0
    return -size if is_buy else size


def twap_event(twap: Twap, status: str, description: str, time_ms: int) -> TwapEvent:
    return TwapEvent(twap.user, twap.twap_id, status, description, time_ms, twap.asset,
                     twap.is_buy, twap.total_lots, twap.executed_lots, twap.executed_ntl_musdc,
                     twap.minutes, twap.reduce_only, twap.randomize, twap.started_ms)


def end_twap(state: State, twap: Twap, status: str, description: str, events: list) -> None:
    """Stop a TWAP: it leaves the running set with a last status event."""
    del state.twaps[twap.twap_id]
    events.append(twap_event(twap, status, description, state.time_ms))


# ----- the slices ---------------------------------------------------------------------------

def run_due_twaps(ctx: Ctx) -> None:
    """Run one slice of every running TWAP whose next slice is due at block time, in TWAP id
    order (a TWAP late by several slices, after a time jump, runs one per block)."""
    state = ctx.state
    if not state.twaps:
        return
    now = state.time_ms
    due = [state.twaps[k] for k in sorted(state.twaps) if state.twaps[k].next_slice_ms <= now]
    for twap in due:
        run_slice(ctx, twap)


def run_slice(ctx: Ctx, twap: Twap) -> None:
    """One slice: skipped while the market is paused, has no mark, or (for a TWAP that is not
    reduce-only) takes only reducing orders; the TWAP ends with an error when its market was
    delisted, a reduce-only TWAP has nothing left to reduce, or the slice's added exposure needs
    more initial margin than is free. After the slice it finishes when everything was executed
    or its last slice ran, else waits 30 s for the next one."""
    state = ctx.state
    market = state.markets[twap.asset]
    error = None
    if market.status == MARKET_DELISTED:
        error = E.ASSET_DELISTED.format(asset=market.asset)
    elif slice_may_trade(market, twap.reduce_only):
        error = send_slice(ctx, twap, market)
    if error is not None:
        end_twap(state, twap, ERROR, error, ctx.events)
        return
    twap.slices_done += 1
    if twap.executed_lots >= twap.total_lots:
        end_twap(state, twap, FINISHED, FILLED, ctx.events)
    elif twap.slices_done >= slice_count(twap.minutes):
        end_twap(state, twap, FINISHED, TIME_OVER, ctx.events)
    else:
        twap.next_slice_ms += SLICE_INTERVAL_MS


def slice_may_trade(market: Market, reduce_only: bool) -> bool:
    """Whether a slice is sent at all: a mark exists, the market is not paused, and it takes
    this TWAP's orders (a reduce-only market or a halt takes only reduce-only ones)."""
    if market.mark_pips == 0 or market.status == MARKET_PAUSED:
        return False
    halted = market.status == MARKET_REDUCE_ONLY or market.halted_reduce_only
    return reduce_only or not halted


def send_slice(ctx: Ctx, twap: Twap, market: Market) -> str | None:
    """Place the due slice as an IOC order through the normal matching path (a reduce-only
    slice is cut to the position by `placement.submit`); record what it filled. Returns the
    error that ends the TWAP, or None."""
    state = ctx.state
    account = state.accounts[twap.user]
    asset = market.asset
    lots = slice_lots(twap, twap.slices_done)
    if lots == 0:
        return None
    if twap.reduce_only and reducible_lots(account, asset, twap.is_buy) <= 0:
        return E.TWAP_REDUCE_ONLY_WOULD_INCREASE
    reference = market.mark_pips
    limit = slice_limit_pips(reference, twap.is_buy)
    order = Order(0, account.address, asset, twap.is_buy, limit, lots, TIF_IOC,
                  twap.reduce_only, None, state.time_ms)
    order.leverage = leverage_of(state.config, account, market).leverage
    if not twap.reduce_only and lacks_margin_to_fire(state, account, market, order):
        return E.INSUFFICIENT_MARGIN_TO_PLACE_ORDER.format(asset=asset)
    order.oid = state.next_oid
    state.next_oid += 1
    ctx.events.append(TwapSliceEvent(twap.user, twap.twap_id, order.oid, asset, lots, limit,
                                     reference, state.time_ms))
    status = submit(ctx, account, market, order)
    if isinstance(status, Filled):
        twap.executed_lots += status.total_lots
        twap.executed_ntl_musdc += status.notional_musdc
    return None
