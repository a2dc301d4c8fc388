"""The L2 total (TVL) that the contract's deployment, the poster and the reconciler all count:
fee pool + Σ accounts' cash and isolated margin, in micro-USDC, exact."""

from __future__ import annotations

from ..engine.leafcache import tvl_part
from ..engine.state import State


def tvl_musdc(state: State) -> int:
    """The L2 total: fee pool + Σ accounts' cash and isolated margin (micro-USDC, exact;
    `engine.leafcache.tvl_part` per account, which the leaf cache keeps incrementally)."""
    total = state.fee_pool_musdc
    for account in state.accounts.values():
        total += tvl_part(account)
    return total
