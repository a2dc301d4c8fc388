"""`POST /info` answers about account families and shared accounts: subAccounts,
maxBuilderFee, vaultDetails, vaultSummaries and userVaultEquities, in Hyperliquid's shapes
(docs/api.md). Money is an exact decimal string of USDC; fractions are decimal strings too.
"""

from __future__ import annotations

from ..engine.state import Account, State, fund_address
from ..engine.vaults import fund_partitions, share_value, vault_equity
from ..engine.views import account_value
from ..engine.margin import withdrawable
from ..units import E9, MS_PER_DAY, format_fixed, format_usdc
from .info import clearinghouse_state


def sub_accounts(state: State, user: str) -> list | None:
    """The master's sub-accounts in creation order, each with its clearinghouseState; None
    (JSON null) when it has none, as Hyperliquid answers."""
    account = state.accounts.get(user)
    if account is None or not account.sub_accounts:
        return None
    return [{"name": state.accounts[a].name, "subAccountUser": a, "master": user,
             "clearinghouseState": clearinghouse_state(state, a),
             "spotState": {"balances": []}}
            for a in account.sub_accounts]


def max_builder_fee(state: State, user: str, builder: str) -> int:
    """The most `builder` may charge `user`, in tenths of a basis point (0: not approved)."""
    account = state.accounts.get(user)
    return 0 if account is None else account.builder_approvals.get(builder, 0)


def _fraction(numerator: int, denominator: int) -> str:
    """numerator / denominator to 6 decimals, rounded down ("0" when the denominator is 0)."""
    if denominator <= 0:
        return "0"
    return format_fixed(numerator * 1_000_000 // denominator, 6)


def _funds(state: State) -> list[str]:
    funds = [fund_address(p) for p in fund_partitions(state)]
    return [a for a in funds if a in state.accounts]


def vault_accounts(state: State) -> list[Account]:
    """Every user vault (address order), then the insurance funds (partition order)."""
    users = sorted((a for a in state.accounts.values()
                    if a.vault is not None and a.vault.leader is not None),
                   key=lambda a: a.address)
    return users + [state.accounts[a] for a in _funds(state)]


def _summary_fields(state: State, account: Account) -> dict:
    vault = account.vault
    protocol = vault is None or vault.leader is None
    return {
        "name": vault.name if vault is not None else "Insurance fund",
        "vaultAddress": account.address,
        "leader": account.address if protocol else vault.leader,
        "tvl": format_usdc(account_value(state, account)),
        "isClosed": bool(vault is not None and vault.closed),
        "relationship": {"type": "protocol" if protocol else "normal"},
        "createTimeMillis": vault.created_ms if vault is not None else 0,
    }


def vault_summaries(state: State) -> list:
    """Every vault: user vaults, then the insurance funds (protocol vaults)."""
    return [_summary_fields(state, a) for a in vault_accounts(state)]


def vault_details(state: State, address: str, user: str | None) -> dict | None:
    """One vault with its followers; `followerState` is `user`'s holding (None without one).
    Null when the address is no vault."""
    account = state.accounts.get(address)
    if account is None or (account.vault is None and address not in _funds(state)):
        return None
    vault = account.vault
    value = account_value(state, account)
    details = _summary_fields(state, account)
    followers = []
    if vault is not None:
        for holder in sorted(vault.shares):
            followers.append(_follower(state, account, holder, value))
    leader_shares = vault.shares.get(vault.leader, 0) if vault and vault.leader else 0
    details.update({
        "description": vault.description if vault is not None else "",
        "leaderFraction": _fraction(leader_shares, vault.total_shares if vault else 0),
        "leaderCommission": _fraction(vault.commission_e9, E9) if vault else "0",
        "lockupMillis": vault.lockup_ms if vault else 4 * MS_PER_DAY,
        "followers": followers,
        "followerState": (_follower(state, account, user, value)
                          if vault is not None and user in vault.shares else None),
        "maxWithdrawable": format_usdc(withdrawable(state, account)),
        "totalShares": str(vault.total_shares if vault else 0),
        "allowDeposits": not (vault is not None and vault.closed),
    })
    return details


def _follower(state: State, account: Account, holder: str, value: int) -> dict:
    vault = account.vault
    assert vault is not None
    shares = vault.shares[holder]
    equity = share_value(vault, shares, value)
    return {"user": holder, "vaultEquity": format_usdc(equity), "shares": str(shares),
            "pnl": format_usdc(equity - vault.basis.get(holder, 0)),
            "lockupUntil": vault.locked_until.get(holder, 0)}


def _holdings(state: State, user: str, vaults: list[Account] | None = None):
    """(vault account, the user's claim in micro-USDC) of every vault the user holds shares
    in, in `vault_accounts` order (`vaults`: that list, when the caller has it)."""
    for account in vaults if vaults is not None else vault_accounts(state):
        if account.vault is not None and user in account.vault.shares:
            yield account, vault_equity(state, account, user)


def total_vault_equity(state: State, user: str, vaults: list[Account] | None = None) -> int:
    """Σ of the user's claims on every vault (micro-USDC, each rounded down)."""
    return sum(equity for _, equity in _holdings(state, user, vaults))


def user_vault_equities(state: State, user: str) -> list:
    """The user's holding in every vault (address order): equity rounded down, lockup end."""
    return [{"vaultAddress": account.address, "equity": format_usdc(equity),
             "lockedUntilTimestamp": account.vault.locked_until.get(user, 0)}
            for account, equity in _holdings(state, user)]
