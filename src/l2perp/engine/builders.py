"""Builder fees (Hyperliquid builder codes): a fee an order pays to the app that routed it.

A user approves a builder up to a maximum rate (`approveBuilderFee`); an order that names the
builder (`builder: {b, f}`) pays `f` tenths of a basis point of every fill's notional to the
builder's account, on top of the venue's fee, whether it fills as taker or later as maker.
Rates are in tenths of a basis point (1 = 0.001%); perps allow at most 0.1% (100). A user keeps
at most `MAX_APPROVALS` builders; approving 0 revokes one. An order whose builder is not
approved for at least its fee is refused as a whole ("Builder fee has not been approved.").

Off the devnet a builder must hold at least 100 USDC of account value to be approved
(Hyperliquid's rule); the devnet waives it so that ccxt's built-in builder, which holds nothing
there, is approved as on a funded venue.
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from .accounts import is_address
from .state import Account, State, is_fund
from .tx import ApproveBuilderFee
from .views import account_value

MAX_FEE_TENTHS_BP: Final = 100  # 0.1% on perps
MAX_APPROVALS: Final = 10
MIN_BUILDER_VALUE_MUSDC: Final = 100_000_000  # 100 USDC (not on the devnet)


def approve_builder(state: State, account: Account, action: ApproveBuilderFee) -> str | None:
    """Record (or with rate 0, revoke) the most `action.builder` may charge this user."""
    rate = action.max_fee_tenths_bp
    builder = action.builder
    if account.vault is not None or is_fund(account.address):
        return E.VAULT_MAY_NOT_PERFORM
    if not 0 <= rate <= MAX_FEE_TENTHS_BP:
        return E.INVALID_BUILDER_FEE
    if not is_address(builder):
        return E.INVALID_DESTINATION
    if builder == account.address:
        return E.BUILDER_IS_SELF
    approvals = account.builder_approvals
    if rate == 0:
        approvals.pop(builder, None)
        return None
    if builder not in approvals and len(approvals) >= MAX_APPROVALS:
        return E.TOO_MANY_BUILDER_APPROVALS.format(limit=MAX_APPROVALS)
    if not state.config.devnet:
        holder = state.accounts.get(builder)
        if holder is None or account_value(state, holder) < MIN_BUILDER_VALUE_MUSDC:
            return E.BUILDER_INSUFFICIENT_BALANCE
    approvals[builder] = rate
    return None


def approved_rate(state: State, account: Account) -> dict[str, int]:
    """The approvals an order of `account` is checked against: a sub-account's orders use its
    master's (the master signs them); a vault's use its own, and a vault may approve nothing,
    so a leader cannot route followers' money to a builder (Hyperliquid answers such orders
    "Builder fee has not been approved.")."""
    if account.master is not None:
        return state.accounts[account.master].builder_approvals
    return account.builder_approvals


def check_builder(state: State, account: Account, builder: tuple[str, int]) -> str | None:
    """None if `account` may place an order paying `builder` = (address, tenths of a bp)."""
    address, fee = builder
    if fee > MAX_FEE_TENTHS_BP:
        return E.INVALID_BUILDER_FEE
    allowed = approved_rate(state, account).get(address)
    if allowed is None or fee > allowed:
        return E.BUILDER_FEE_NOT_APPROVED
    return None
