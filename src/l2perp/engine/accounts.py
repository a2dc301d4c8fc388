"""Non-trading account actions: bridge credits, transfers, withdrawals, agents, leverage and
isolated margin. Each returns an error text (nothing changed) or None (applied).

Amounts in micro-USDC. Transfers and withdrawals leave the account with at least
max(initial margin, 10% of position value) of cross margin (Hyperliquid margining).
"""

from __future__ import annotations

from . import errors as E
from .margin import (
    cross_requirements, initial_margin, isolated_equity, leverage_of, max_leverage_at,
    position_notional, withdrawable,
)
from .state import (
    Account, Agent, Leverage, State, Withdrawal, get_or_create_account, partition_of,
)
from .tx import (
    ApproveAgent, BridgeCredit, LedgerEvent, UpdateIsolatedMargin, UpdateLeverage, UsdSend,
    Withdraw,
)


def credit_deposit(state: State, action: BridgeCredit, events: list) -> str | None:
    """Credit a bridge deposit to `user` (creating the account)."""
    if action.amount_musdc <= 0:
        return E.INVALID_AMOUNT
    if not is_address(action.user):
        return E.INVALID_DESTINATION
    account = get_or_create_account(state, action.user)
    account.cash_musdc += action.amount_musdc
    state.credits_musdc += action.amount_musdc
    events.append(LedgerEvent(account.address, "deposit", action.amount_musdc, None, state.time_ms))
    return None


def is_address(text: str) -> bool:
    """A lower-case 0x-prefixed 20-byte hex address."""
    if len(text) != 42 or not text.startswith("0x"):
        return False
    return all(c in "0123456789abcdef" for c in text[2:])


def withdrawals_paused(state: State, account: Account) -> bool:
    """dYdX gating: a partition with an account of negative value pauses money leaving accounts
    that hold risk in it (the shared partition: everyone)."""
    gate = state.withdrawal_gate
    if not gate:
        return False
    if 0 in gate:
        return True
    return any(partition_of(state.markets[a]) in gate for a in account.positions)


def usd_send(state: State, account: Account, action: UsdSend, events: list) -> str | None:
    """Move cash to another account (created if new), within the withdrawable amount."""
    amount = action.amount_musdc
    if withdrawals_paused(state, account):
        return E.WITHDRAWALS_PAUSED
    if amount <= 0:
        return E.INVALID_AMOUNT
    if not is_address(action.destination):
        return E.INVALID_DESTINATION
    if action.destination == account.address:
        return E.INVALID_SEND
    if action.destination in state.agent_owner:
        return E.AGENT_ADDRESS_DESTINATION
    if withdrawable(state, account) < amount:
        return E.INSUFFICIENT_BALANCE_FOR_TOKEN_TRANSFER
    destination = get_or_create_account(state, action.destination)
    move_cash(state, account, destination, amount, "send", events)
    return None


def move_cash(state: State, source: Account, destination: Account, amount_musdc: int,
              kind: str, events: list) -> None:
    """Move cross cash (micro-USDC, checked by the caller) and record it on both ledgers:
    `kind` with -amount on the source's, +amount on the destination's."""
    source.cash_musdc -= amount_musdc
    destination.cash_musdc += amount_musdc
    time_ms = state.time_ms
    events.append(LedgerEvent(source.address, kind, -amount_musdc, destination.address, time_ms))
    events.append(LedgerEvent(destination.address, kind, amount_musdc, source.address, time_ms))


def withdraw(state: State, account: Account, action: Withdraw, events: list) -> str | None:
    """Debit a withdrawal (amount includes the fee) and queue it for the L1 bridge."""
    amount = action.amount_musdc
    if withdrawals_paused(state, account):
        return E.WITHDRAWALS_PAUSED
    fee = state.config.withdraw_fee_musdc
    if amount <= fee:
        return E.WITHDRAW_BELOW_FEE
    if not is_address(action.destination):
        return E.INVALID_DESTINATION
    if withdrawable(state, account) < amount:
        return E.INSUFFICIENT_BALANCE_FOR_WITHDRAWAL
    account.cash_musdc -= amount
    state.fee_pool_musdc += fee
    paid_out = amount - fee
    state.withdrawn_musdc += paid_out
    wid = state.next_wid
    state.next_wid = wid + 1
    state.withdrawals.append(
        Withdrawal(wid, account.address, action.destination, paid_out, state.time_ms))
    events.append(LedgerEvent(account.address, "withdraw", -amount, action.destination,
                              state.time_ms))
    return None


def approve_agent(state: State, account: Account, action: ApproveAgent) -> str | None:
    """Register an API wallet for `account`; a named agent replaces the one with its name."""
    agent_address = action.agent
    if not is_address(agent_address) or agent_address == account.address:
        return E.INVALID_AGENT_ADDRESS
    owner = state.agent_owner.get(agent_address)
    if owner is not None and owner != account.address:
        return E.EXTRA_AGENT_ALREADY_USED
    if agent_address in state.accounts:
        return E.AGENT_IS_EXISTING_USER
    for other in list(account.agents.values()):
        if other.name == action.name and other.address != agent_address:
            del account.agents[other.address]
            del state.agent_owner[other.address]
    named = sum(1 for a in account.agents.values() if a.name and a.address != agent_address)
    if action.name and named >= state.config.max_agents_named:
        return E.TOO_MANY_EXTRA_AGENTS.format(limit=state.config.max_agents_named)
    existing = account.agents.get(agent_address)
    if existing is not None:
        existing.name = action.name
    else:
        account.agents[agent_address] = Agent(agent_address, account.address, action.name)
        state.agent_owner[agent_address] = account.address
    return None


def update_leverage(state: State, account: Account, action: UpdateLeverage) -> str | None:
    """Set margin mode and leverage for a market; with a position, mode is fixed and the account
    must still meet initial margin at the new leverage."""
    markets = state.markets
    if not (0 <= action.asset < len(markets)):
        return E.UNKNOWN_ASSET.format(asset=action.asset)
    market = markets[action.asset]
    if not (1 <= action.leverage <= market.max_leverage):
        return E.INVALID_LEVERAGE
    if action.is_cross and market.spec.only_isolated:
        return E.CROSS_MARGIN_NOT_ALLOWED
    current = leverage_of(state.config, account, market)
    pos = account.positions.get(market.asset)
    if pos is not None:
        if current.is_cross != action.is_cross:
            return E.CANNOT_SWITCH_LEVERAGE_TYPE
        if action.leverage > max_leverage_at(market, position_notional(market, pos)):
            return E.INVALID_LEVERAGE
        if action.is_cross:
            previous = account.leverage.get(market.asset)
            account.leverage[market.asset] = Leverage(True, action.leverage)
            value, im, _, _ = cross_requirements(state, account)
            if value < im:
                if previous is None:
                    del account.leverage[market.asset]
                else:
                    account.leverage[market.asset] = previous
                return E.CROSS_DECREASE_LEVERAGE_INSUFFICIENT_MARGIN
        else:
            need = initial_margin(market, position_notional(market, pos), action.leverage)
            if action.leverage < current.leverage and isolated_equity(market, pos) < need:
                return E.ISOLATED_DECREASE_LEVERAGE_INSUFFICIENT_MARGIN
    account.leverage[market.asset] = Leverage(action.is_cross, action.leverage)
    return None


def update_isolated_margin(
    state: State, account: Account, action: UpdateIsolatedMargin, events: list,
) -> str | None:
    """Add cross cash to, or remove it from, an isolated position's margin."""
    markets = state.markets
    if not (0 <= action.asset < len(markets)):
        return E.UNKNOWN_ASSET.format(asset=action.asset)
    market = markets[action.asset]
    pos = account.positions.get(market.asset)
    setting = leverage_of(state.config, account, market)
    if pos is None:
        return E.CANNOT_UPDATE_MARGIN_EMPTY_POSITION
    if setting.is_cross:
        return E.POSITION_NOT_ISOLATED
    amount = action.ntli_musdc
    if amount == 0:
        return E.ISOLATED_MARGIN_UPDATE_ZERO
    if amount > 0:
        value, im, _, _ = cross_requirements(state, account)
        if value - im - account.order_margin_musdc < amount:
            return E.ISOLATED_MARGIN_INSUFFICIENT_FOR_INCREASE
    else:
        if market.spec.only_isolated:
            return E.STRICT_ISOLATED_NO_REMOVE
        need = initial_margin(market, position_notional(market, pos), setting.leverage)
        if isolated_equity(market, pos) + amount < need:
            return E.ISOLATED_MARGIN_INSUFFICIENT_FOR_REDUCTION
    account.cash_musdc -= amount
    pos.iso_raw_musdc += amount
    events.append(LedgerEvent(account.address, "accountClassTransfer", -amount, None,
                              state.time_ms))
    return None
