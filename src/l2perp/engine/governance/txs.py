"""Governance transactions and the governance steps of a block.

`apply_gov_tx` runs one signed `GovTx` (it returns an error text and then changes nothing);
`process_governance_time` runs at the start of a block (lapsing guardian actions, due fee
schedules, upgrade activation, operator fees and the sequencer's duty record) and
`process_governance_end` at its end (incident records for what the engine did on its own).
Token amounts in token units, times in ms of block time.
"""

from __future__ import annotations

from ...codec import h256
from ..oracle import SOURCE_FALLBACK
from ..state import (
    MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, State,
    get_or_create_account,
)
from ..tx import GovTx, LedgerEvent, OperatorOffence, Tx
from .execute import check_shape, is_address, log_change, plan_actions
from .gov_state import BOND_ESCROW, DAY_MS, MAX_REPORT_CHARS, GovState, IncidentRecord
from .guardians import GuardianError
from .operators import BPS, OBJECTIVE, OperatorError
from .params import check_param, get_param, is_tighter, set_param
from .power import PowerError
from .proposals import CONSTITUTIONAL, STEWARD, VETOABLE, GovError, lane_of
from .stewards import StewardError

REFUSALS = (GovError, GuardianError, OperatorError, PowerError, StewardError, ValueError,
            TypeError, IndexError, KeyError)
GUARDIAN_SCOPES = ("pauseMarket", "reduceOnly", "fallbackOracle")
OPERATOR_INCIDENTS = ("reconciliationHalt", "sequencerOutage", "oracleOutage")


def apply_gov_tx(state: State, signer: str, action: GovTx, events: list) -> str | None:
    """Run one governance transaction for `signer`; an error text means nothing changed."""
    gov = state.gov
    if gov is None:
        return "Governance is not enabled on this venue."
    handler = HANDLERS.get(action.kind)
    if handler is None:
        return f"Unknown governance action: {action.kind!r}"
    if gov.halted and action.kind not in ("guardianSign", "incidentReport"):
        return "Governance is halted: voting power exceeded the token supply."
    try:
        handler(state, gov, signer, action.args, events)
    except REFUSALS as exc:
        return f"Governance: {exc}"
    check_power_invariant(state, gov)
    return None


def check_power_invariant(state: State, gov: GovState) -> None:
    """Σ votes of all delegates must equal the supply and no proposal may hold more votes than
    its snapshot's active supply; a breach (only a bug can cause one, like Audius's) halts
    governance, except guardians and incident reports, and opens an incident."""
    if gov.halted:
        return
    t = gov.token
    total = sum(cp.latest() for cp in t.checkpoints.values())
    over = [p.pid for p in gov.governor.proposals.values()
            if sum(p.votes) > p.active_supply]
    if total != t.supply or over:
        gov.halted = True
        record = _open_incident(state, gov, "governanceHalt", "voting power", "guardians",
                                state.time_ms + gov.guardians.report_deadline_ms)
        record.timeline.append((state.time_ms, f"votes {total} vs supply {t.supply}; "
                                               f"over-voted proposals {over}"))


# ----- token and proposals -------------------------------------------------------------------

def _transfer(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    to, amount = args
    _need_address(to)
    gov.token.transfer(signer, to, amount, state.height)


def _delegate(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    (to,) = args
    _need_address(to)
    gov.token.delegate(signer, to, state.height, gov.governor.epoch(state.time_ms))


def _propose(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    (actions,) = args
    lane_of(actions)
    check_shape(actions)
    outflow = sum(a[2] for a in actions if a[0] == "treasuryTransfer")
    cap = gov.outflow_cap_per_epoch
    min_lane = CONSTITUTIONAL if cap and outflow > cap else STEWARD  # above one epoch's cap
    gov.governor.propose(signer, actions, state.height, state.time_ms, min_lane)


def _vote(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    pid, support = args
    gov.governor.vote(pid, signer, support, state.time_ms, state.height)


def _queue(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    pid, actions = args
    gov.governor.queue(pid, actions, state.time_ms)


def _execute(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    pid, actions = args
    governor = gov.governor
    if governor.state(pid, state.time_ms) != "Queued":
        raise GovError(f"proposal {pid} is not queued")
    if state.time_ms < governor.proposals[pid].eta_ms:
        raise GovError("the timelock has not elapsed")
    steps = plan_actions(state, gov, pid, actions, state.time_ms, events)  # checks all first
    governor.execute(pid, actions, state.time_ms)
    for step in steps:
        step()


def _cancel(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    (pid,) = args
    gov.governor.cancel(pid, signer, state.height, state.time_ms)


# ----- guardians -----------------------------------------------------------------------------

def _guardian_sign(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    nonce, kind, params = args
    g = gov.guardians
    now = state.time_ms
    existing = g.actions.get(nonce)
    if existing is None or not existing.executed:  # the effect cannot fail once signed
        _check_guardian_effect(state, gov, kind, params)

    def tightens(key: str, value: int) -> bool:
        return key.endswith(".maxLeverage") and is_tighter(key, get_param(state, key), value)

    action = g.sign(signer, nonce, kind, params, now, tightens)
    if action.executed_ms != now or len(action.signers) != g.threshold:
        return
    action.prior = _apply_guardian_effect(state, gov, kind, params, nonce)
    record = _open_incident(state, gov, "guardianAction", f"guardian action {nonce}: {kind}"
                            f" {list(params)}", "guardians", now + g.report_deadline_ms)
    record.guardian_nonce = nonce
    if kind in GUARDIAN_SCOPES:
        record.asset = params[0]
    record.timeline.append((now, f"executed with {len(action.signers)} of "
                                 f"{len(g.members)} signatures: {', '.join(action.signers)}"))


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
        if gov.governor.state(pid, state.time_ms) not in VETOABLE:
            raise GovError("only a pending, active, succeeded or queued proposal can be "
                           "vetoed")
    elif kind == "vetoSlash":
        (sid,) = params
        pending = gov.registry._pending(sid)
        if state.time_ms >= pending.requested_ms + gov.registry.veto_window_ms:
            raise GovError("the veto window has closed")


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
    except ValueError:
        return False
    return True


def _guardian_remove(state: State, gov: GovState, signer: str, args: tuple,
                     events: list) -> None:
    (member,) = args
    threshold = gov.guardians.remove_inactive(member, state.time_ms)
    log_change(gov, "guardians", len(gov.guardians.members) + 1, len(gov.guardians.members),
               f"liveness removal of {member} (threshold {threshold})", state.time_ms)


# ----- stewards --------------------------------------------------------------------------------

def _steward_update(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    key, value = args
    table = gov.table
    if key in table.bounds:
        table.values[key] = get_param(state, key)  # the live value is the step's origin
        check_param(state, key, value)  # tier order etc.: refuse before anything is recorded
    table.steward_update(signer, key, value, state.time_ms)  # checks, then logs
    set_param(state, key, value, check=False)


# ----- operators -------------------------------------------------------------------------------

def _operator_bond(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    role, amount = args
    registry = gov.registry
    if gov.token.balances.get(signer, 0) < amount:
        raise GovError("insufficient governance token balance to bond")
    registry.bond(signer, role, amount)
    gov.token.transfer(signer, BOND_ESCROW, amount, state.height)


def _operator_unbond(state: State, gov: GovState, signer: str, args: tuple,
                     events: list) -> None:
    (amount,) = args
    gov.registry.unbond(signer, amount, state.time_ms)


def _operator_release(state: State, gov: GovState, signer: str, args: tuple,
                      events: list) -> None:
    paid = gov.registry.release(signer, state.time_ms)
    if paid == 0:
        raise GovError("nothing has finished unbonding")
    gov.token.transfer(BOND_ESCROW, signer, paid, state.height)


def _submit_evidence(state: State, gov: GovState, signer: str, args: tuple,
                     events: list) -> None:
    """Objective evidence the engine can verify itself: an oracle operator's two different
    prices for one round (recorded in `State.oracle_evidence`, referenced by index)."""
    offence, index = args
    if offence != "oracleEquivocation":
        raise GovError(f"{offence!r} evidence arrives from L1 (the settlement contract)")
    if not 0 <= index < len(state.oracle_evidence):
        raise GovError(f"no oracle evidence {index}")
    evidence = state.oracle_evidence[index]
    key = f"oracle:{index}"
    if key in gov.used_evidence:
        raise GovError("this evidence was already used")
    slash_operator(state, gov, offence, evidence.operator, signer, evidence.time_ms,
                   f"oracle round {evidence.round} on market {evidence.asset}: "
                   f"{evidence.first_pips} and {evidence.second_pips}")
    gov.used_evidence.append(key)


def slash_operator(state: State, gov: GovState, offence: str, operator: str, reporter: str,
                   offence_ms: int, detail: str) -> int:
    """Slash for a verified objective offence: reward the reporter, burn the rest, tombstone
    where the offence says so, open an incident record. Returns the slashed amount."""
    registry = gov.registry
    if operator not in registry.operators:
        raise GovError(f"{operator} is no bonded operator")
    slashed, reward = registry.submit_evidence(reporter, offence, operator, offence_ms,
                                               state.time_ms)
    if reward:
        gov.token.transfer(BOND_ESCROW, reporter, reward, state.height)
    if slashed - reward:
        gov.token.burn(BOND_ESCROW, slashed - reward, state.height)
    op = registry.operators[operator]
    if op.tombstoned and operator in state.oracle_stakes and len(state.oracle_stakes) > 3:
        del state.oracle_stakes[operator]
    record = _open_incident(state, gov, "slash", operator, operator,
                            state.time_ms + gov.guardians.report_deadline_ms)
    record.timeline.append((state.time_ms, f"{offence} ({detail}): slashed {slashed}, "
                                           f"reporter {reporter} rewarded {reward}"
                            + (", tombstoned" if op.tombstoned else "")))
    return slashed


def apply_operator_offence(state: State, action: OperatorOffence) -> str | None:
    """An L1-proven offence (the message is consumed either way)."""
    gov = state.gov
    if gov is None or action.offence not in OBJECTIVE or action.offence == "oracleEquivocation":
        return "Governance: not an L1 offence"
    try:  # offence time 0: proven now (the contract's challenge window bounds its age)
        slash_operator(state, gov, action.offence, action.operator, action.reporter,
                       action.offence_ms or state.time_ms, "proven on L1")
    except REFUSALS as exc:
        return f"Governance: {exc}"
    return None


def _execute_slash(state: State, gov: GovState, signer: str, args: tuple, events: list) -> None:
    (sid,) = args
    pending = gov.registry.pending.get(sid)
    slashed = gov.registry.execute_slash(sid, state.time_ms)
    if slashed:
        gov.token.burn(BOND_ESCROW, slashed, state.height)
    record = _open_incident(state, gov, "slash", pending.operator, pending.operator,
                            state.time_ms + gov.guardians.report_deadline_ms)
    record.timeline.append((state.time_ms, f"vetoable slash {sid} ({pending.reason}) "
                                           f"executed: {slashed}"))


# ----- incidents -------------------------------------------------------------------------------

def _incident_report(state: State, gov: GovState, signer: str, args: tuple,
                     events: list) -> None:
    iid, text = args
    record = gov.incident(iid)
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_REPORT_CHARS:
        raise GovError(f"a report holds 1 to {MAX_REPORT_CHARS} characters")
    if record.filed_ms >= 0:
        raise GovError(f"incident {iid} already has its report")
    g = gov.guardians
    if record.responsible == "guardians":
        allowed = g.seated(signer, state.time_ms)
    elif record.responsible == "stewards":
        allowed = signer in gov.table.stewards or g.seated(signer, state.time_ms)
    else:
        allowed = signer == record.responsible or g.seated(signer, state.time_ms)
    if not allowed:
        raise GovError(f"{signer} may not file the report of incident {iid}")
    digest = h256(text.encode())
    if record.guardian_nonce:
        g.report(signer, record.guardian_nonce, digest, state.time_ms)
    record.report, record.report_hash = text, digest
    record.filed_ms, record.filed_by = state.time_ms, signer
    record.timeline.append((state.time_ms, f"report filed by {signer}"
                                           + (" (late)" if record.late else "")))


def _incident_open(state: State, gov: GovState, signer: str, args: tuple,
                   events: list) -> None:
    """An operator (or a guardian) records what the engine cannot see, such as its node's
    reconciliation halt: it is the responsible party and must file the report."""
    kind, subject, start_ms, end_ms, detail = args
    if kind not in OPERATOR_INCIDENTS:
        raise GovError(f"operators open incidents of kinds {', '.join(OPERATOR_INCIDENTS)}")
    op = gov.registry.operators.get(signer)
    active = op is not None and not op.tombstoned and op.bond >= gov.registry.min_bond[op.role]
    if not (active or gov.guardians.seated(signer, state.time_ms)):
        raise GovError(f"{signer} is neither a bonded operator nor a guardian")
    if not (isinstance(subject, str) and isinstance(detail, str)
            and len(subject) <= 200 and len(detail) <= MAX_REPORT_CHARS
            and type(start_ms) is int and type(end_ms) is int
            and 0 <= start_ms <= end_ms <= state.time_ms):
        raise GovError("an incident needs a subject, a detail and start <= end <= now")
    record = _open_incident(state, gov, kind, subject, signer,
                            state.time_ms + gov.guardians.report_deadline_ms)
    record.timeline += [(start_ms, f"{kind}: {detail}"), (end_ms, "resumed")]


def _open_incident(state: State, gov: GovState, kind: str, subject: str, responsible: str,
                   deadline_ms: int) -> IncidentRecord:
    record = IncidentRecord(len(gov.incidents) + 1, kind, subject, state.time_ms, state.height,
                            responsible, deadline_ms)
    record.timeline.append((state.time_ms, f"opened: {kind} {subject}"))
    gov.incidents.append(record)
    return record


def _need_address(value: object) -> None:
    if not is_address(value):
        raise GovError(f"not an address: {value!r}")


HANDLERS = {
    "transfer": _transfer, "delegate": _delegate, "propose": _propose, "vote": _vote,
    "queue": _queue, "execute": _execute, "cancel": _cancel,
    "guardianSign": _guardian_sign, "guardianRemove": _guardian_remove,
    "stewardUpdate": _steward_update,
    "operatorBond": _operator_bond, "operatorUnbond": _operator_unbond,
    "operatorRelease": _operator_release, "submitEvidence": _submit_evidence,
    "executeSlash": _execute_slash, "incidentReport": _incident_report,
    "incidentOpen": _incident_open,
}


# ----- block steps -----------------------------------------------------------------------------

def process_governance_time(state: State, txs: tuple[Tx, ...], events: list) -> None:
    """Start of a block (after the clock moved): lapse guardian actions, apply a fee schedule
    whose day has come, activate a due upgrade, pay operators their daily fee share, record the
    on-duty sequencer's block and inclusion latency."""
    gov = state.gov
    lapse_guardian_actions(state, gov)
    today = state.time_ms // DAY_MS
    if gov.pending_fees and today >= gov.pending_fees_day:
        for key in sorted(gov.pending_fees):
            set_param(state, key, gov.pending_fees[key])
            gov.table.values[key] = gov.pending_fees[key]
        gov.pending_fees = {}
    for upgrade in gov.upgrades:
        if upgrade.version > gov.rule_version and state.height >= upgrade.activation_height:
            log_change(gov, "ruleVersion", gov.rule_version, upgrade.version,
                       f"proposal {upgrade.proposal}", state.time_ms)
            gov.rule_version = upgrade.version
    if today > gov.fee_day:
        gov.fee_day = today
        pay_operator_fees(state, gov, events)
    record_sequencer_duty(state, gov, txs)


def pay_operator_fees(state: State, gov: GovState, events: list) -> None:
    """The operators' share of the fee pool, split equally among active operators (address
    order); the indivisible remainder stays in the pool."""
    registry = gov.registry
    active = sorted(op.address for role in ("sequencer", "oracle", "relayer")
                    for op in registry.active(role))
    if not active or registry.fee_share_bps == 0:
        return
    each = state.fee_pool_musdc * registry.fee_share_bps // BPS // len(active)
    if each <= 0:
        return
    for address in active:
        state.fee_pool_musdc -= each
        get_or_create_account(state, address).cash_musdc += each
        registry.operators[address].fees_earned += each
        events.append(LedgerEvent(address, "operatorFee", each, None, state.time_ms))


def record_sequencer_duty(state: State, gov: GovState, txs: tuple[Tx, ...]) -> None:
    """Reputation: the on-duty sequencer gets this block; slots since the last block with no
    block at all are missed by their on-duty sequencers (at most 1,000 slots are scanned)."""
    active = gov.registry.active("sequencer")  # the rotation, read once per block
    if not active:
        return
    slot = state.time_ms // gov.slot_ms
    if gov.last_slot >= 0 and slot - gov.last_slot <= 1_000:
        for missed in range(gov.last_slot + 1, slot):  # Registry.on_duty's round robin
            active[missed % len(active)].blocks_missed += 1
    gov.last_slot = slot
    op = active[slot % len(active)]
    op.blocks_on_duty += 1
    now = state.time_ms - state.dev_time_offset_ms
    for tx in txs:
        if tx.signer is not None and 0 <= now - tx.nonce <= 60_000:
            op.inclusion_latency_ms_sum += now - tx.nonce
            op.inclusions += 1


def process_governance_end(state: State) -> None:
    """End of a block: open an incident record for each circuit breaker or outage the engine
    recorded (the stewards or guardians explain it)."""
    gov = state.gov
    while gov.engine_incidents_seen < len(state.incidents):
        incident = state.incidents[gov.engine_incidents_seen]
        gov.engine_incidents_seen += 1
        subject = "venue" if incident.asset < 0 else f"market {incident.asset}"
        record = _open_incident(state, gov, incident.kind, subject, "stewards",
                                state.time_ms + gov.guardians.report_deadline_ms)
        record.asset = incident.asset
        record.timeline.append((incident.time_ms, f"{incident.kind}: {incident.before} -> "
                                                  f"{incident.after}"))
