"""Sub-accounts (Hyperliquid): accounts a master creates, funds and trades without a key.

A sub-account is an ordinary account (its own cash, positions, orders, leverage settings and
nonces) whose `master` names the user that created it. Nobody holds its key: the master (or
one of the master's agents) signs every action for it with `vaultAddress` set to the
sub-account. A master has at most `MAX_SUB_ACCOUNTS`; a sub-account cannot have its own, nor
lead a vault, nor withdraw to L1 (its master moves the money out first). Its fee tier counts
the volume of the whole family, master and every sub-account (engine/fees.py).

The address is derived, so nobody can hold its key: the last 20 bytes of
H("l2perp/subaccount" || master || index).
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from ..codec import h256
from ..units import format_fixed
from .accounts import is_address, move_cash, withdrawals_paused
from .margin import withdrawable
from .state import Account, State, get_or_create_account, is_fund
from .tx import CreateSubAccount, LedgerEvent, SubAccountTransfer

MAX_SUB_ACCOUNTS: Final = 10  # Hyperliquid's limit per master
MAX_NAME_CHARS: Final = 16  # Hyperliquid's sub-account names are short labels
# Hyperliquid: a master needs $100,000 of traded volume before its first sub-account; the
# devnet waives it (bots rehearse there with faucet money)
MIN_VOLUME_MUSDC: Final = 100_000_000_000


def sub_account_address(master: str, index: int) -> str:
    """The address of `master`'s sub-account number `index` (0-based, creation order)."""
    digest = h256(b"l2perp/subaccount" + bytes.fromhex(master[2:]) + index.to_bytes(4, "big"))
    return "0x" + digest[-20:].hex()


def format_usd(musdc: int) -> str:
    """Dollars with two decimals, rounded down (the text of the volume rule)."""
    return format_fixed(musdc // 10_000, 2)


def valid_name(name: str, limit: int = MAX_NAME_CHARS) -> bool:
    """1 to `limit` (16: a sub-account's) printable characters, not blank."""
    return 0 < len(name) <= limit and name.isprintable() and not name.isspace()


def create_sub_account(state: State, master: Account, action: CreateSubAccount,
                       events: list) -> tuple[str | None, str]:
    """(error, address): create the master's next sub-account (empty, no volume)."""
    if master.master is not None or master.vault is not None or is_fund(master.address):
        return E.SUB_ACCOUNT_CANNOT_CREATE, ""
    if not valid_name(action.name):
        return E.INVALID_SUB_ACCOUNT_NAME, ""
    traded = sum(master.volume_days.values())  # the volume the fee window still keeps
    if not state.config.devnet and traded < MIN_VOLUME_MUSDC:
        return E.SUB_ACCOUNTS_VOLUME_REQUIRED.format(
            required=format_usd(MIN_VOLUME_MUSDC), traded=format_usd(traded)), ""
    if len(master.sub_accounts) >= MAX_SUB_ACCOUNTS:
        return E.TOO_MANY_SUB_ACCOUNTS.format(limit=MAX_SUB_ACCOUNTS), ""
    for address in master.sub_accounts:
        if state.accounts[address].name == action.name:
            return E.SUB_ACCOUNT_NAME_TAKEN, ""
    address = sub_account_address(master.address, len(master.sub_accounts))
    if address in state.accounts:  # a 160-bit collision: refuse rather than adopt an account
        return E.SUB_ACCOUNT_CANNOT_CREATE, ""
    sub = get_or_create_account(state, address)
    sub.master = master.address
    sub.name = action.name
    master.sub_accounts.append(address)
    events.append(LedgerEvent(master.address, "createSubAccount", 0, address, state.time_ms))
    return None, address


def sub_account_transfer(state: State, master: Account, action: SubAccountTransfer,
                         events: list) -> str | None:
    """Move cash between the master and one of its sub-accounts (micro-USDC), within the
    sender's withdrawable amount; a withdrawal gate on the sender pauses it."""
    amount = action.amount_musdc
    if amount <= 0:
        return E.INVALID_AMOUNT
    if not is_address(action.sub_account) or action.sub_account not in master.sub_accounts:
        return E.NOT_YOUR_SUB_ACCOUNT
    sub = state.accounts[action.sub_account]
    source, destination = (master, sub) if action.is_deposit else (sub, master)
    if withdrawals_paused(state, source):
        return E.WITHDRAWALS_PAUSED
    if withdrawable(state, source) < amount:
        return E.INSUFFICIENT_BALANCE_FOR_TOKEN_TRANSFER
    move_cash(state, source, destination, amount, "subAccountTransfer", events)
    return None

