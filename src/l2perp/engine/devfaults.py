"""Devnet fault cheats for bot developers (admin-signed, devnet genesis only, engine/stf.py
dispatches them): post-only mode is engine state, since it changes matching; the others
(drop every websocket, HTTP 429 for one address, delayed acknowledgements, an L1 gas spike)
belong to the node,
so the engine checks them, uses up their nonce and announces them with a DevFaultEvent that the
node acts on once the block carrying it is committed. Durations are whole seconds of block
time, so `devAdvanceTime` ends them too.
"""

from __future__ import annotations

from typing import Union

from . import errors as E
from .book import TIF_ALO
from .state import State
from .tx import (
    DevDelayAcks, DevDropWebsockets, DevFaultEvent, DevL1GasSpike, DevPostOnly, DevRateLimitUser,
)

MIN_FAULT_SECONDS = 1  # l2perp: a fault lasts at least a second
MAX_FAULT_SECONDS = 3_600  # l2perp: and at most an hour (send it again to extend it)
MIN_ACK_DELAY_MS = 1  # l2perp: a delay of at least 1 ms per reply
MAX_ACK_DELAY_MS = 10_000  # l2perp: and at most 10 s, below the SDK users' usual timeouts
MIN_GAS_MULTIPLE = 2  # l2perp: an L1 gas spike at least doubles the base fee ...
MAX_GAS_MULTIPLE = 20  # ... and at most multiplies it by 20 (2021-05-19: ~1,000 gwei)

FAULT_DROP_WEBSOCKETS = "dropWebsockets"
FAULT_RATE_LIMIT = "rateLimit"
FAULT_POST_ONLY = "postOnly"
FAULT_DELAY_ACKS = "delayAcks"
FAULT_L1_GAS_SPIKE = "l1GasSpike"

DevFault = Union[DevDropWebsockets, DevRateLimitUser, DevPostOnly, DevDelayAcks, DevL1GasSpike]
DEV_FAULT_KINDS = (DevDropWebsockets, DevRateLimitUser, DevPostOnly, DevDelayAcks,
                   DevL1GasSpike)


def is_fault_seconds(seconds: int) -> bool:
    """True when `seconds` is a fault's allowed duration: 1 to 3,600 inclusive."""
    return MIN_FAULT_SECONDS <= seconds <= MAX_FAULT_SECONDS


def is_ack_delay(ms: int) -> bool:
    """True when `ms` is an allowed acknowledgement delay: 1 to 10,000 inclusive."""
    return MIN_ACK_DELAY_MS <= ms <= MAX_ACK_DELAY_MS


def is_gas_multiple(multiple: int) -> bool:
    """True when `multiple` is an allowed gas spike: 2 to 20 inclusive."""
    return MIN_GAS_MULTIPLE <= multiple <= MAX_GAS_MULTIPLE


def apply_dev_fault(state: State, action: DevFault, events: list) -> str | None:
    """Switch a fault on from the current block time (ms); the error text, or None. Post-only
    mode sets `state.post_only_until_ms` (a later call replaces the end, earlier or later); the
    node-level faults change no state and leave a DevFaultEvent in `events`."""
    now = state.time_ms
    if isinstance(action, DevDropWebsockets):
        events.append(DevFaultEvent(FAULT_DROP_WEBSOCKETS, None, 0, 0))
        return None
    if isinstance(action, DevRateLimitUser):
        if not is_fault_seconds(action.seconds):
            return E.INVALID_AMOUNT
        events.append(DevFaultEvent(FAULT_RATE_LIMIT, action.user, 0,
                                    now + action.seconds * 1_000))
        return None
    if isinstance(action, DevPostOnly):
        if not is_fault_seconds(action.seconds):
            return E.INVALID_AMOUNT
        state.post_only_until_ms = now + action.seconds * 1_000
        events.append(DevFaultEvent(FAULT_POST_ONLY, None, 0, state.post_only_until_ms))
        return None
    if isinstance(action, DevL1GasSpike):
        if not (is_fault_seconds(action.seconds) and is_gas_multiple(action.multiple)):
            return E.INVALID_AMOUNT
        events.append(DevFaultEvent(FAULT_L1_GAS_SPIKE, None, 0, now + action.seconds * 1_000,
                                    action.multiple))
        return None
    if not (is_fault_seconds(action.seconds) and is_ack_delay(action.ms)):
        return E.INVALID_AMOUNT
    events.append(DevFaultEvent(FAULT_DELAY_ACKS, None, action.ms, now + action.seconds * 1_000))
    return None


def post_only_refusal(state: State, asset: int, tif: int) -> str | None:
    """Hyperliquid's error for an order other than Alo while post-only mode lasts (block time
    strictly before `post_only_until_ms`; at that millisecond the mode is over), else None."""
    if tif == TIF_ALO or state.time_ms >= state.post_only_until_ms:
        return None
    return E.POST_ONLY_MODE.format(asset=asset)
