"""The `solvency` info type (an l2perp extension): the engine's solvency view (insurance funds,
the fee pool, accounts under water, the L2 total) next to what the rollup's bridge holds and
what the reconciler checks about it (identity R1 of rollup/reconciler.py).
"""

from __future__ import annotations

from ..engine.views import solvency_view
from ..rollup.reconciler import Reconciler
from ..units import format_size, format_usdc


def solvency(node) -> dict:
    """Amounts are USDC decimal strings (exact renderings of micro-USDC), sizes base units.

    - `l2Total`: fee pool + Σ cash and isolated margin of every account (funds included): what
      the bridge must back. `credits` / `withdrawn`: all bridge credits and withdrawals so far.
    - `badDebt`: Σ of the negative account values, as a positive amount.
    - `bridgeBalance`: B, the settlement contract's balance (null without a rollup).
    - `bridgeMinusL2`: R1's residual, B - (Q + P + E + T): Q deposits no finalized batch has
      consumed, P finalized withdrawals not yet claimed, E bonds held, T the L2 total at the
      newest finalized batch (frozen: the escape pool left). 0 while R1 holds; null without a
      rollup or while T is not measured. The terms are in `reconciliation.r1`.
    - `reconciliation`: whether the sequencer is halted and the identities broken at the last
      check (null without a rollup).
    """
    state = node.state
    view = solvency_view(state)
    markets = state.markets
    funds = [{"partition": partition, "address": address, "cash": format_usdc(cash),
              "positions": [{"coin": markets[asset].name,
                             "szi": format_size(size, markets[asset].sz_decimals)}
                            for asset, size in positions]}
             for partition, address, cash, positions in view.funds]
    answer = {
        "time": state.time_ms, "height": state.height,
        "feePool": format_usdc(view.fee_pool_musdc), "l2Total": format_usdc(view.l2_total_musdc),
        "credits": format_usdc(view.credits_musdc), "withdrawn": format_usdc(view.withdrawn_musdc),
        "funds": funds,
        "negativeAccounts": [{"user": user, "accountValue": format_usdc(value)}
                             for user, value in view.negative_accounts],
        "badDebt": format_usdc(-sum(value for _, value in view.negative_accounts)),
        "bridgeBalance": None, "bridgeMinusL2": None, "reconciliation": None,
    }
    rollup = node.rollup
    if rollup is None:
        return answer
    residual, r1 = r1_terms(rollup.reconciler)
    answer["bridgeBalance"] = format_usdc(rollup.l1.bridge_balance_musdc)
    answer["bridgeMinusL2"] = None if residual is None else format_usdc(residual)
    reconciler = rollup.reconciler
    answer["reconciliation"] = {
        "halted": rollup.halted is not None, "reason": rollup.halted,
        "mismatches": [{"rule": m.rule, "l1Block": m.l1_block, "detail": m.detail}
                       for m in reconciler.current],
        "incidents": len(reconciler.mismatches), "checks": reconciler.checks, "r1": r1}
    return answer


def r1_terms(reconciler: Reconciler) -> tuple[int | None, dict]:
    """(B - Q - P - E - T in micro-USDC or None, the terms as USDC strings), the terms as
    check_r1 takes them."""
    b, q, p, e, rest = reconciler.r1_terms()
    terms = {"bridge": format_usdc(b), "queuedDeposits": format_usdc(q),
             "owedWithdrawals": format_usdc(p), "bondsHeld": format_usdc(e)}
    if reconciler.l1.escape_book is not None:
        terms["escapePoolLeft"] = format_usdc(rest)
    else:
        terms["finalizedL2Total"] = None if rest is None else format_usdc(rest)
    return (None if rest is None else b - q - p - e - rest), terms
