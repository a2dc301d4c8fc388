"""The L1 bridge's messages on L2: deposits, forced withdrawals, forced trades and batches' L1
data costs (engine/l1fee.py), and the queue order of operator offences, which governance
applies.

They arrive with signer None and carry their L1 queue position (`l1_message_id` = index + 1);
the engine takes them strictly in queue order and advances `State.l1_cursor` for each one it
consumes, valid or not (StarkEx: a forced action is either executed or proven invalid, and
cleared on L1 either way). Amounts in micro-USDC, sizes in lots, prices in pips.
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from .accounts import credit_deposit, is_address, withdraw
from .positions import execute_fill, fill_keeps_margin
from .state import MARKET_ACTIVE, State
from .l1fee import apply_data_cost
from .tx import (
    BridgeCredit, ForcedTrade, ForcedWithdrawal, L1DataCost, OperatorOffence, Withdraw,
)

L1_KINDS: Final = (BridgeCredit, ForcedWithdrawal, ForcedTrade, OperatorOffence, L1DataCost)


def take_l1_message(state: State, action) -> str | None:
    """Take one L1 message off the queue: advance the cursor past it, or return the text for a
    message out of queue order (nothing changes). A credit with id 0 is no queue message."""
    message_id = action.l1_message_id
    if message_id == 0 and type(action) is BridgeCredit:
        return None  # genesis / engine-test credit
    if message_id != state.l1_cursor + 1:
        return E.L1_MESSAGE_OUT_OF_ORDER.format(got=message_id, expected=state.l1_cursor + 1)
    state.l1_cursor = message_id
    return None


def apply_l1_message(state: State, action, events: list) -> str | None:
    """Apply a deposit, forced withdrawal, forced trade or batch data cost that
    `take_l1_message` took; an error text means the message was consumed as invalid. (An
    `OperatorOffence` goes to governance: stf routes it.)"""
    kind = type(action)
    if kind is BridgeCredit:
        return credit_deposit(state, action, events)
    if kind is ForcedWithdrawal:
        account = state.accounts.get(action.user)
        if account is None:
            return E.USER_OR_API_WALLET_DOES_NOT_EXIST.format(address=action.user)
        return withdraw(state, account, Withdraw(action.user, action.amount_musdc, state.time_ms),
                        events)
    if kind is L1DataCost:
        return apply_data_cost(state, action, events)
    return forced_trade(state, action, events)


def forced_trade(state: State, action: ForcedTrade, events: list) -> str | None:
    """Execute an L1 forced trade at its price with no fees, if both sides may take it."""
    if state.time_ms > action.expiry_ms:
        return E.FORCED_TRADE_EXPIRED
    if not (0 <= action.asset < len(state.markets)) or action.size_lots == 0 \
            or action.price_pips <= 0 or action.user == action.counterparty \
            or not is_address(action.user) or not is_address(action.counterparty):
        return E.FORCED_TRADE_INVALID
    market = state.markets[action.asset]
    if market.status != MARKET_ACTIVE or market.halted_reduce_only:
        return E.FORCED_TRADE_INVALID
    buyer_side = state.accounts.get(action.user)
    seller_side = state.accounts.get(action.counterparty)
    if buyer_side is None or seller_side is None:
        return E.FORCED_TRADE_INVALID
    delta = action.size_lots
    px = action.price_pips
    if not fill_keeps_margin(state, buyer_side, market, delta, px, 0) \
            or not fill_keeps_margin(state, seller_side, market, -delta, px, 0):
        return E.FORCED_TRADE_MARGIN
    lots = delta if delta > 0 else -delta
    execute_fill(state, buyer_side, seller_side, market, px, lots, delta > 0, 0, 0, -1, events,
                 fee_free=True)
    return None
