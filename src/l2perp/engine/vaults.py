"""Vaults (Hyperliquid): accounts a leader trades with depositors' money, and the insurance
funds as protocol vaults anyone may deposit into.

A vault is an ordinary account (no key: its address is derived) whose `vault` record keeps a
book of integer shares. A share is worth the vault's account value / total shares:

- a deposit of `d` micro-USDC mints floor(d x shares / value) shares (the first deposit mints
  `d`): rounding favours the holders already in;
- a withdrawal of `w` burns ceil(w x shares / value) shares and pays `w`: rounding favours the
  holders who stay. At most the value of the shares held may leave, and only what the vault's
  margin lets go (`margin.withdrawable`).

So every holder's claim floor(shares x value / total) sums to the account value less under one
micro-USDC per holder, and a deposit or withdrawal never moves another holder's claim down.

User vaults (`createVault`): the leader makes the first deposit (at least 100 USDC), trades
the vault with `vaultAddress`, must keep at least 5% of the shares (deposits that would dilute
the leader below it are refused, and so are leader withdrawals), and takes 10% of a follower's
profit when the follower withdraws: profit = amount withdrawn - the part of the follower's cost
basis that the burnt shares carried (pro rata, rounded down), commission = floor(profit x 10%).
Deposits are locked for a day from the latest deposit (Hyperliquid's lockup for user vaults).

Protocol vaults: each insurance partition's fund account (`state.fund_address`) becomes a
vault at its first deposit: the fund's value at that moment is minted to the fund itself (the
protocol's capital), then depositors buy in at the same price. The backstop's profit and loss
and the liquidation fees the fund earns accrue to all holders pro rata. No leader, no
commission, a 4-day lockup (Hyperliquid's for HLP). The liquidation waterfall is unchanged: it
moves the fund's cash, and the share price follows.
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from ..codec import h256
from ..units import E9, MS_PER_DAY
from .accounts import is_address, move_cash, withdrawals_paused
from .margin import withdrawable
from .subaccounts import valid_name
from .state import (
    Account, State, Vault, fund_address, get_or_create_account, is_fund, partition_of,
)
from .tx import CreateVault, VaultTransfer
from .views import account_value

MIN_INITIAL_MUSDC: Final = 100_000_000  # Hyperliquid: a vault starts with at least 100 USDC
LEADER_MIN_SHARE_E9: Final = 50_000_000  # the leader keeps at least 5% of the shares
COMMISSION_E9: Final = 100_000_000  # 10% of a follower's profit
USER_LOCKUP_MS: Final = MS_PER_DAY
PROTOCOL_LOCKUP_MS: Final = 4 * MS_PER_DAY
# a deposit must come out worth what it paid within 1 micro-USDC + 1 ppm: shares worth more
# than that (a vault drained to a few shares, then topped up by a donation) would let the
# floor of the mint hand part of the deposit to the holders already in
DEPOSIT_LOSS_PPM: Final = 1_000_000
MAX_NAME_CHARS: Final = 50
MAX_DESCRIPTION_CHARS: Final = 250


def vault_address(leader: str, height: int, tx_index: int) -> str:
    """The address of the vault `leader` creates in transaction `tx_index` of block `height`."""
    digest = h256(b"l2perp/vault" + bytes.fromhex(leader[2:]) + height.to_bytes(8, "big")
                  + tx_index.to_bytes(4, "big", signed=True))
    return "0x" + digest[-20:].hex()


def fund_partitions(state: State) -> list[int]:
    """The insurance partitions the markets define: 0, and one per isolated-only market."""
    return [0] + [partition_of(m) for m in state.markets if m.spec.only_isolated]


def share_value(vault: Vault, shares: int, value_musdc: int) -> int:
    """floor(shares x value / total shares): a holding's claim on the vault (micro-USDC)."""
    if vault.total_shares <= 0 or value_musdc <= 0:
        return 0
    return shares * value_musdc // vault.total_shares


def create_vault(state: State, leader: Account, action: CreateVault, tx_index: int,
                 events: list) -> tuple[str | None, str]:
    """(error, address): open a vault led by `leader` with its first deposit."""
    if leader.master is not None or leader.vault is not None or is_fund(leader.address):
        return E.VAULT_CANNOT_CREATE, ""
    name, description = action.name, action.description
    if not (valid_name(name, MAX_NAME_CHARS) and len(description) <= MAX_DESCRIPTION_CHARS
            and description.isprintable()):
        return E.INVALID_VAULT_NAME, ""
    amount = action.initial_musdc
    if amount < MIN_INITIAL_MUSDC:
        return E.VAULT_MIN_INITIAL.format(min_value=MIN_INITIAL_MUSDC // 1_000_000), ""
    if withdrawals_paused(state, leader):
        return E.WITHDRAWALS_PAUSED, ""
    if withdrawable(state, leader) < amount:
        return E.INSUFFICIENT_BALANCE_FOR_TOKEN_TRANSFER, ""
    address = vault_address(leader.address, state.height, tx_index)
    if address in state.accounts:
        return E.VAULT_CANNOT_CREATE, ""
    account = get_or_create_account(state, address)
    account.name = name
    account.vault = Vault(leader.address, name, description, state.time_ms, USER_LOCKUP_MS,
                          COMMISSION_E9)
    move_cash(state, leader, account, amount, "vaultCreate", events)
    _mint(account.vault, leader.address, amount, amount, state.time_ms)
    return None, address


def vault_transfer(state: State, user: Account, action: VaultTransfer,
                   events: list) -> str | None:
    """Deposit into or withdraw from a vault (micro-USDC), by the rules of the module doc."""
    amount = action.amount_musdc
    if amount <= 0:
        return E.INVALID_AMOUNT
    if not is_address(action.vault):
        return E.VAULT_NOT_REGISTERED.format(vault=action.vault)
    if action.vault == user.address:
        return E.VAULT_TRANSFER_SELF
    account = _vault_account(state, action.vault)
    if account is None:
        return E.VAULT_NOT_REGISTERED.format(vault=action.vault)
    if user.vault is not None or is_fund(user.address):
        return E.VAULT_MAY_NOT_PERFORM
    if action.is_deposit:
        return _deposit(state, user, account, amount, events)
    return _withdraw(state, user, account, amount, events)


def _vault_account(state: State, address: str) -> Account | None:
    """The vault's account: a user vault, or an insurance fund (made a vault on first use)."""
    account = state.accounts.get(address)
    if account is None or account.vault is not None:
        return account
    return account if any(fund_address(p) == address for p in fund_partitions(state)) else None


def _deposit(state: State, user: Account, account: Account, amount: int,
             events: list) -> str | None:
    vault = account.vault
    if vault is not None and vault.closed:
        return E.VAULT_CLOSED
    value = account_value(state, account)
    if value <= 0:
        return E.VAULT_CLOSED
    # an insurance fund's first deposit: its value is first minted to the protocol (the fund)
    total = vault.total_shares if vault is not None else value
    minted = amount * total // value
    if minted <= 0 or amount - (minted * (value + amount) // (total + minted)) > \
            1 + amount // DEPOSIT_LOSS_PPM:
        return E.VAULT_DEPOSIT_TOO_SMALL
    if vault is not None and vault.leader is not None and user.address != vault.leader and \
            vault.shares.get(vault.leader, 0) * E9 < (total + minted) * LEADER_MIN_SHARE_E9:
        return E.VAULT_LEADER_SHARE
    if withdrawals_paused(state, user):
        return E.WITHDRAWALS_PAUSED
    if withdrawable(state, user) < amount:
        return E.INSUFFICIENT_BALANCE_FOR_TOKEN_TRANSFER
    if vault is None:
        vault = account.vault = Vault(None, "Insurance fund",
                                      "The venue's backstop for liquidations", state.time_ms,
                                      PROTOCOL_LOCKUP_MS, 0)
        _mint(vault, account.address, value, 0, state.time_ms)
    move_cash(state, user, account, amount, "vaultDeposit", events)
    _mint(vault, user.address, minted, amount, state.time_ms)
    return None


def _withdraw(state: State, user: Account, account: Account, amount: int,
              events: list) -> str | None:
    vault = account.vault
    held = vault.shares.get(user.address, 0) if vault is not None else 0
    if vault is None or held == 0:
        return E.VAULT_INSUFFICIENT_SHARES
    locked_until = vault.locked_until.get(user.address, 0)
    if state.time_ms < locked_until:
        return E.VAULT_LOCKED.format(until=locked_until)
    value = account_value(state, account)
    if amount > share_value(vault, held, value):
        return E.VAULT_INSUFFICIENT_SHARES
    total = vault.total_shares
    burnt = -((-amount * total) // value)  # ceil: <= held, since amount <= held x value / total
    if user.address == vault.leader and \
            (held - burnt) * E9 < (total - burnt) * LEADER_MIN_SHARE_E9:
        return E.VAULT_LEADER_SHARE
    if withdrawals_paused(state, account):
        return E.WITHDRAWALS_PAUSED
    if withdrawable(state, account) < amount:
        return E.VAULT_INSUFFICIENT_WITHDRAWABLE
    basis = vault.basis.get(user.address, 0)
    basis_out = basis * burnt // held
    profit = amount - basis_out
    commission = 0
    leader_address = vault.leader
    if leader_address is not None and user.address != leader_address and profit > 0:
        commission = profit * vault.commission_e9 // E9
    _burn(vault, user.address, burnt, basis_out)
    if vault.total_shares == 0:
        vault.closed = True  # the last holder left: nothing can price a new share
    move_cash(state, account, user, amount, "vaultWithdraw", events)
    if commission and leader_address is not None:
        move_cash(state, user, state.accounts[leader_address], commission,
                  "vaultLeaderCommission", events)
    return None


def _mint(vault: Vault, holder: str, shares: int, paid_musdc: int, time_ms: int) -> None:
    vault.shares[holder] = vault.shares.get(holder, 0) + shares
    vault.basis[holder] = vault.basis.get(holder, 0) + paid_musdc
    vault.locked_until[holder] = time_ms + vault.lockup_ms
    vault.total_shares += shares


def _burn(vault: Vault, holder: str, shares: int, basis_musdc: int) -> None:
    left = vault.shares[holder] - shares
    vault.total_shares -= shares
    if left:
        vault.shares[holder] = left
        vault.basis[holder] -= basis_musdc
    else:
        del vault.shares[holder]
        vault.basis.pop(holder, None)
        vault.locked_until.pop(holder, None)


def protocol_transfer(fund: Account, value_musdc: int, amount_musdc: int) -> None:
    """Governance moved `amount_musdc` (> 0 in, < 0 out) of the protocol's own money into or
    out of a fund that is a protocol vault (`value_musdc`: its value before): the fund's own
    shares are minted or burnt at the current price (in: rounded down; out: rounded up), so
    the depositors' claims do not move."""
    vault = fund.vault
    if vault is None or vault.total_shares == 0 or value_musdc <= 0:
        return
    total = vault.total_shares
    own = vault.shares.get(fund.address, 0)
    if amount_musdc > 0:
        change = amount_musdc * total // value_musdc
    else:
        change = -min(own, -((amount_musdc * total) // value_musdc))
    vault.shares[fund.address] = own + change
    vault.total_shares = total + change
    if vault.shares[fund.address] == 0:
        del vault.shares[fund.address]
        vault.basis.pop(fund.address, None)
        vault.locked_until.pop(fund.address, None)


def protocol_claim(state: State, fund: Account) -> int:
    """What of a fund belongs to the protocol (all of it when it took no deposits)."""
    if fund.vault is None:
        return account_value(state, fund)
    return vault_equity(state, fund, fund.address)


def vault_equity(state: State, account: Account, holder: str) -> int:
    """A holder's claim on the vault kept on `account` (micro-USDC, rounded down)."""
    vault = account.vault
    if vault is None:
        return 0
    return share_value(vault, vault.shares.get(holder, 0), account_value(state, account))
