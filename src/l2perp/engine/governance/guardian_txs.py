"""The guardians' transactions on the venue: signing an emergency action (checked against the
market, parameter, proposal or slash it tightens before the signature counts), removing a silent
seat, and the lapse of unratified actions at the start of a block.

Planners check everything and return the step that applies it (a step refuses nothing); times in
ms of block time.
"""

from __future__ import annotations

from typing import Callable

from ..oracle import SOURCE_FALLBACK
from ..state import MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, State
from .args import check_args
from .execute import log_change
from .gov_state import GovState
from .params import ParamError, check_param, get_param, is_tighter, set_param
from .proposals import GovError
from .transactions import GuardianRemove, GuardianSign

Step = Callable[[], None]
GUARDIAN_SCOPES = ("pauseMarket", "reduceOnly", "fallbackOracle")
# guardian action kind -> its arguments (any other kind is refused: guardians only tighten)
GUARDIAN_ARGS: dict[str, tuple[tuple[str, object], ...]] = {
    "pauseMarket": (("asset", int),),
    "reduceOnly": (("asset", int),),
    "fallbackOracle": (("asset", int),),
    "raiseMargin": (("key", str), ("value", int)),
    "veto": (("proposal", int),),
    "vetoSlash": (("slash", int),),
}


def plan_guardian_sign(state: State, gov: GovState, signer: str, tx: GuardianSign,
                       events: list) -> Step:
    """A guardian's signature on action `nonce`; the signature that reaches the threshold also
    applies the effect and opens the incident record the guardians must explain."""
    nonce, kind, params = tx.nonce, tx.action, tx.args
    g = gov.guardians
    now = state.time_ms
    if kind in GUARDIAN_ARGS:
        check_args(kind, GUARDIAN_ARGS[kind], params)
    existing = g.actions.get(nonce)
    if existing is None or not existing.executed:  # the effect cannot fail once signed
        _check_guardian_effect(state, gov, kind, params)

    def tightens(key: str, value: int) -> bool:
        return key.endswith(".maxLeverage") and is_tighter(key, get_param(state, key), value)

    g.check_sign(signer, nonce, kind, params, now, tightens)

    def sign() -> None:
        action = g.sign(signer, nonce, kind, params, now, tightens)
        if action.executed_ms != now or len(action.signers) != g.threshold:
            return
        action.prior = _apply_guardian_effect(state, gov, kind, params, nonce)
        record = gov.open_incident("guardianAction", f"guardian action {nonce}: {kind}"
                                   f" {list(params)}", "guardians", now + g.report_deadline_ms,
                                   now, state.height)
        record.guardian_nonce = nonce
        if kind in GUARDIAN_SCOPES:
            record.asset = params[0]
        record.timeline.append((now, f"executed with {len(action.signers)} of "
                                     f"{len(g.members)} signatures: {', '.join(action.signers)}"))
    return sign


def _check_guardian_effect(state: State, gov: GovState, kind: str, params: tuple) -> None:
    if kind in GUARDIAN_SCOPES:
        (asset,) = params
        if not 0 <= asset < len(state.markets):
            raise GovError(f"unknown market {asset}")
        market = state.markets[asset]
        if market.status == MARKET_DELISTED:
            raise GovError(f"market {asset} is delisted")
        if kind == "pauseMarket" and market.status == MARKET_PAUSED:
            raise GovError(f"market {asset} is already paused")
        if kind == "reduceOnly" and market.status != MARKET_ACTIVE:
            raise GovError(f"market {asset} is not active")
        if kind == "fallbackOracle" and market.oracle_source == SOURCE_FALLBACK:
            raise GovError(f"market {asset} already uses its fallback oracle")
    elif kind == "raiseMargin":
        key, value = params
        get_param(state, key)
        if not key.endswith(".maxLeverage"):
            raise GovError("raiseMargin lowers a margin tier's max leverage")
        check_param(state, key, value)  # the whole tier table must stay valid
    elif kind == "veto":
        (pid,) = params
        gov.governor.check_veto(pid, state.time_ms)
    elif kind == "vetoSlash":
        (sid,) = params
        gov.registry.check_veto_slash(sid, state.time_ms)


def _apply_guardian_effect(state: State, gov: GovState, kind: str, params: tuple,
                           nonce: int) -> tuple:
    """Do what the guardians decided; returns what it replaced (restored if it lapses)."""
    now = state.time_ms
    source = f"guardian {nonce}"
    if kind in ("pauseMarket", "reduceOnly"):
        market = state.markets[params[0]]
        prior = market.status
        market.status = MARKET_PAUSED if kind == "pauseMarket" else MARKET_REDUCE_ONLY
        log_change(gov, f"{market.asset}.status", prior, market.status, source, now)
        return (prior, market.status)
    if kind == "fallbackOracle":
        market = state.markets[params[0]]
        prior = market.oracle_source
        market.oracle_source = SOURCE_FALLBACK
        log_change(gov, f"{market.asset}.oracleSource", prior, SOURCE_FALLBACK, source, now)
        return (prior, SOURCE_FALLBACK)
    if kind == "raiseMargin":
        key, value = params
        prior = set_param(state, key, value)
        log_change(gov, key, prior, value, source, now)
        return (prior, value)
    if kind == "veto":
        gov.governor.veto(params[0], now)
        return ()
    gov.registry.veto_slash(params[0], now)
    return ()


def plan_guardian_remove(state: State, gov: GovState, signer: str, tx: GuardianRemove,
                         events: list) -> Step:
    """Anyone removes a seat silent for longer than the liveness interval."""
    member = tx.member
    g = gov.guardians
    g.check_remove(member, state.time_ms)

    def remove() -> None:
        threshold = g.remove_inactive(member, state.time_ms)
        log_change(gov, "guardians", len(g.members) + 1, len(g.members),
                   f"liveness removal of {member} (threshold {threshold})", state.time_ms)
    return remove


def lapse_guardian_actions(state: State, gov: GovState) -> None:
    """Undo every unratified guardian action whose expiry has come (`now >= expires`), if what
    it set is still in place (governance may have changed it since)."""
    now = state.time_ms
    for nonce in sorted(gov.guardians.actions):
        action = gov.guardians.actions[nonce]
        if not action.executed or action.ratified or action.lapsed or now < action.expires_ms:
            continue
        action.lapsed = True
        restored = False
        if action.kind in ("pauseMarket", "reduceOnly") and action.prior:
            market = state.markets[action.args[0]]
            if market.status == action.prior[1]:
                market.status = action.prior[0]
                log_change(gov, f"{market.asset}.status", action.prior[1], action.prior[0],
                           f"guardian {nonce} expired", now)
                restored = True
        elif action.kind == "fallbackOracle" and action.prior:
            market = state.markets[action.args[0]]
            if market.oracle_source == action.prior[1]:
                market.oracle_source = action.prior[0]
                log_change(gov, f"{market.asset}.oracleSource", action.prior[1],
                           action.prior[0], f"guardian {nonce} expired", now)
                restored = True
        elif action.kind == "raiseMargin" and action.prior:
            key = action.args[0]
            if get_param(state, key) == action.prior[1] and _valid(state, key, action.prior[0]):
                set_param(state, key, action.prior[0], check=False)
                log_change(gov, key, action.prior[1], action.prior[0],
                           f"guardian {nonce} expired", now)
                restored = True
        for record in gov.incidents:
            if record.guardian_nonce == nonce:
                record.timeline.append((now, "expired unratified" +
                                        (": undone" if restored else "")))


def _valid(state: State, key: str, value: int) -> bool:
    """Whether a restore is still consistent with the rest of the table (governance may have
    moved the neighbouring tiers since): if not, the tighter value stays."""
    try:
        check_param(state, key, value)
    except ParamError:
        return False
    return True
