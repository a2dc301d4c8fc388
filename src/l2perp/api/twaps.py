"""TWAP answers: the rows of a TWAP's state and history in Hyperliquid's shapes, and the /info
types twapStates (running TWAPs, from the state), userTwapSliceFills and twapHistory (from the
indexer). Sizes in base units, notionals in USDC, as exact decimal strings.
"""

from __future__ import annotations

from ..engine.state import State, Twap
from ..engine.tx import TwapEvent
from ..node import indexer
from ..node.service import Node
from ..units import format_size, format_usdc
from . import rows

MAX_ROWS = 2_000  # Hyperliquid: "at most 2000 most recent TWAP slice fills"


def twap_state_row(state: State, t: Twap | TwapEvent) -> dict:
    """A TWAP's state: coin, user, side, sz, executedSz, executedNtl, minutes, reduceOnly,
    randomize, timestamp (its start, ms)."""
    market = state.markets[t.asset]
    d = market.sz_decimals
    return {"coin": market.name, "user": t.user, "side": "B" if t.is_buy else "A",
            "sz": format_size(t.total_lots, d), "executedSz": format_size(t.executed_lots, d),
            "executedNtl": format_usdc(t.executed_ntl_musdc), "minutes": t.minutes,
            "reduceOnly": t.reduce_only, "randomize": t.randomize, "timestamp": t.started_ms}


def twap_history_row(state: State, event: TwapEvent) -> dict:
    """One TWAP status change as userTwapHistory and twapHistory show it: `time` in seconds
    (Hyperliquid's unit here, rounded down), the state then, {status, description} and the
    TWAP id."""
    return {"time": event.time_ms // 1_000, "state": twap_state_row(state, event),
            "status": {"status": event.status, "description": event.description},
            "twapId": event.twap_id}


def slice_fill_row(state: State, fill, twap_id: int) -> dict:
    """One slice fill: {"fill": the userFills row (the slice is always the taker), "twapId"}."""
    row = rows.fill_row(state, fill, True)
    row["twapId"] = twap_id
    return {"fill": row, "twapId": twap_id}


def twap_states(state: State, user: str) -> list:
    """The user's running TWAPs as [twapId, state] pairs, oldest first."""
    return [[k, twap_state_row(state, state.twaps[k])] for k in sorted(state.twaps)
            if state.twaps[k].user == user]


def user_twap_slice_fills(node: Node, user: str) -> list:
    """The user's newest 2,000 TWAP slice fills, newest first."""
    found = indexer.twap_slice_fills_of(node.sequencer.log.db, user, MAX_ROWS)
    return [slice_fill_row(node.state, fill, twap_id) for fill, twap_id in found]


def twap_history(node: Node, user: str) -> list:
    """The user's newest 2,000 TWAP status changes, newest first."""
    found = indexer.twap_history_of(node.sequencer.log.db, user, MAX_ROWS)
    return [twap_history_row(node.state, event) for event in found]
