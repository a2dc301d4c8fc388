"""The L2 total (TVL) that the contract's deployment, the poster and the reconciler all count:
fee pool + Σ accounts' cash and isolated margin, in micro-USDC, exact."""

from __future__ import annotations

from ..engine.state import State


def tvl_musdc(state: State) -> int:
    """The L2 total: fee pool + Σ accounts' cash and isolated margin (micro-USDC, exact)."""
    total = state.fee_pool_musdc
    for account in state.accounts.values():
        total += account.cash_musdc
        for position in account.positions.values():
            total += position.iso_raw_musdc
    return total
