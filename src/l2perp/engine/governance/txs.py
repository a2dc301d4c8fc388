"""Governance transactions and the governance steps of a block.

`apply_gov_tx` runs one signed governance transaction (a typed record of transactions.py) in
two phases. `plan_gov_tx` checks it: the argument
shapes (`TRANSACTIONS`, args.py), then every rule the handler applies, reading the state and
changing nothing; a broken rule refuses the transaction with its text. What the check returns
is the step that applies the transaction, and a step refuses nothing: an exception out of it is
a bug, never a refusal. `process_governance_time` runs at the start of a block (lapsing guardian
actions, due fee schedules, upgrade activation, operator fees and the sequencer's duty record)
and `process_governance_end` at its end (incident records for what the engine did on its own).
Token amounts in token units, times in ms of block time.
"""

from __future__ import annotations

from typing import Callable

from ...codec import h256
from ..state import State, get_or_create_account
from ..tx import LedgerEvent, OperatorOffence, Tx
from .args import ADDR, ANY, check_args
from .errors import GovernanceError
from .execute import check_shape, log_change, plan_actions
from .gov_state import BOND_ESCROW, DAY_MS, MAX_REPORT_CHARS, GovState
from .guardian_txs import lapse_guardian_actions, plan_guardian_remove, plan_guardian_sign
from .operators import BPS, OBJECTIVE
from .params import check_param, check_param_name, get_param, set_param
from .proposals import CONSTITUTIONAL, QUEUED, STEWARD, GovError, lane_of
from .transactions import (
    KINDS, ExecuteSlash, GovCancel, GovDelegate, GovExecute, GovPropose, GovQueue, GovTransfer,
    GovVote, GuardianRemove, GuardianSign, IncidentOpen, IncidentReport, OperatorBond,
    OperatorRelease, OperatorUnbond, StewardUpdate, SubmitEvidence, gov_args,
)

Step = Callable[[], None]
OPERATOR_INCIDENTS = ("reconciliationHalt", "sequencerOutage", "oracleOutage")
WHILE_HALTED = ("guardianSign", "incidentReport")


def apply_gov_tx(state: State, signer: str, action, events: list) -> str | None:
    """Run one governance transaction for `signer`; an error text means nothing changed."""
    step = plan_gov_tx(state, signer, action, events)
    if isinstance(step, str):
        return step
    step()
    check_power_invariant(state, state.gov)
    return None


def plan_gov_tx(state: State, signer: str, action, events: list) -> str | Step:
    """Check one governance transaction without changing anything: the refusal text, or the
    step that applies it (and appends what it emits to `events`)."""
    gov = state.gov
    if gov is None:
        return "Governance is not enabled on this venue."
    cls = type(action)
    kind, args = getattr(cls, "KIND", cls.__name__), gov_args(action)
    entry = TRANSACTIONS.get(cls)
    if entry is None:
        return f"Unknown governance action: {kind!r}"
    if gov.halted and kind not in WHILE_HALTED:
        return "Governance is halted: voting power exceeded the token supply."
    fields, planner = entry
    try:
        check_args(kind, fields, args)
        return planner(state, gov, signer, action, events)
    except GovernanceError as exc:
        return f"Governance: {exc}"


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
        record = gov.open_incident("governanceHalt", "voting power", "guardians",
                                   state.time_ms + gov.guardians.report_deadline_ms,
                                   state.time_ms, state.height)
        record.timeline.append((state.time_ms, f"votes {total} vs supply {t.supply}; "
                                               f"over-voted proposals {over}"))


# ----- token and proposals -------------------------------------------------------------------

def _transfer(state: State, gov: GovState, signer: str, tx: GovTransfer,
              events: list) -> Step:
    to, amount = tx.to, tx.amount
    gov.token.check_transfer(signer, amount)
    return lambda: gov.token.transfer(signer, to, amount, state.height)


def _delegate(state: State, gov: GovState, signer: str, tx: GovDelegate,
              events: list) -> Step:
    to = tx.to
    return lambda: gov.token.delegate(signer, to, state.height,
                                      gov.governor.epoch(state.time_ms))


def _propose(state: State, gov: GovState, signer: str, tx: GovPropose, events: list) -> Step:
    actions = tx.actions
    lane_of(actions)
    check_shape(actions)
    new_markets = sum(1 for a in actions if a[0] == "listMarket")
    for action in actions:  # a misspelt or out-of-range key fails now, not at execution
        if action[0] in ("setRiskParam", "stewardStep") or (
                action[0] == "setFeeSchedule" and action[1] != "operatorFeeShareBps"):
            check_param_name(state, action[1], action[2], new_markets)
    outflow = sum(a[2] for a in actions if a[0] == "treasuryTransfer")
    cap = gov.outflow_cap_per_epoch
    min_lane = CONSTITUTIONAL if cap and outflow > cap else STEWARD  # above one epoch's cap
    gov.governor.check_propose(signer, actions, state.height, state.time_ms, min_lane)
    return lambda: gov.governor.propose(signer, actions, state.height, state.time_ms, min_lane)


def _vote(state: State, gov: GovState, signer: str, tx: GovVote, events: list) -> Step:
    pid, support = tx.proposal, tx.support
    gov.governor.check_vote(pid, signer, support, state.time_ms)
    return lambda: gov.governor.vote(pid, signer, support, state.time_ms, state.height)


def _queue(state: State, gov: GovState, signer: str, tx: GovQueue, events: list) -> Step:
    pid, actions = tx.proposal, tx.actions
    gov.governor.check_queue(pid, actions, state.time_ms)
    return lambda: gov.governor.queue(pid, actions, state.time_ms)


def _execute(state: State, gov: GovState, signer: str, tx: GovExecute, events: list) -> Step:
    pid, actions = tx.proposal, tx.actions
    governor = gov.governor
    if governor.state(pid, state.time_ms) != QUEUED:
        raise GovError(f"proposal {pid} is not queued")
    if state.time_ms < governor.proposals[pid].eta_ms:
        raise GovError("the timelock has not elapsed")
    steps = plan_actions(state, gov, pid, actions, state.time_ms, events)
    governor.check_execute(pid, actions, state.time_ms)

    def execute() -> None:
        governor.execute(pid, actions, state.time_ms)
        for step in steps:
            step()
    return execute


def _cancel(state: State, gov: GovState, signer: str, tx: GovCancel, events: list) -> Step:
    pid = tx.proposal
    gov.governor.check_cancel(pid, signer, state.height, state.time_ms)
    return lambda: gov.governor.cancel(pid, signer, state.height, state.time_ms)


# ----- stewards --------------------------------------------------------------------------------

def _steward_update(state: State, gov: GovState, signer: str, tx: StewardUpdate,
                    events: list) -> Step:
    key, value = tx.key, tx.value
    table = gov.table
    live = None
    if key in table.bounds:
        live = get_param(state, key)  # the live value is the step's origin
        check_param(state, key, value)  # tier order etc.: refuse before anything is recorded
    table.check_steward_update(signer, key, value, state.time_ms, origin=live)

    def update() -> None:
        table.values[key] = live
        table.steward_update(signer, key, value, state.time_ms)  # logs the step
        set_param(state, key, value, check=False)
    return update


# ----- operators -------------------------------------------------------------------------------

def _operator_bond(state: State, gov: GovState, signer: str, tx: OperatorBond,
                   events: list) -> Step:
    role, amount = tx.role, tx.amount
    if gov.token.balances.get(signer, 0) < amount:
        raise GovError("insufficient governance token balance to bond")
    gov.registry.check_bond(signer, role, amount)
    gov.token.check_transfer(signer, amount)

    def bond() -> None:
        gov.registry.bond(signer, role, amount)
        gov.token.transfer(signer, BOND_ESCROW, amount, state.height)
    return bond


def _operator_unbond(state: State, gov: GovState, signer: str, tx: OperatorUnbond,
                     events: list) -> Step:
    amount = tx.amount
    gov.registry.check_unbond(signer, amount)
    return lambda: gov.registry.unbond(signer, amount, state.time_ms)


def _operator_release(state: State, gov: GovState, signer: str, tx: OperatorRelease,
                      events: list) -> Step:
    paid = gov.registry.releasable(signer, state.time_ms)
    if paid == 0:
        raise GovError("nothing has finished unbonding")
    gov.token.check_transfer(BOND_ESCROW, paid)

    def release() -> None:
        gov.registry.release(signer, state.time_ms)
        gov.token.transfer(BOND_ESCROW, signer, paid, state.height)
    return release


def _submit_evidence(state: State, gov: GovState, signer: str, tx: SubmitEvidence,
                     events: list) -> Step:
    """Objective evidence the engine can verify itself: an oracle operator's two different
    prices for one round (recorded in `State.oracle_evidence`, referenced by index)."""
    offence, index = tx.offence, tx.index
    if offence != "oracleEquivocation":
        raise GovError(f"{offence!r} evidence arrives from L1 (the settlement contract)")
    if not 0 <= index < len(state.oracle_evidence):
        raise GovError(f"no oracle evidence {index}")
    evidence = state.oracle_evidence[index]
    key = f"oracle:{index}"
    if key in gov.used_evidence:
        raise GovError("this evidence was already used")
    slash = plan_slash(state, gov, offence, evidence.operator, signer, evidence.time_ms,
                       f"oracle round {evidence.round} on market {evidence.asset}: "
                       f"{evidence.first_pips} and {evidence.second_pips}")

    def submit() -> None:
        slash()
        gov.used_evidence.append(key)
    return submit


def plan_slash(state: State, gov: GovState, offence: str, operator: str, reporter: str,
               offence_ms: int, detail: str) -> Step:
    """Check a verified objective offence; the step slashes: it rewards the reporter, burns
    the rest, tombstones where the offence says so and opens an incident record."""
    registry = gov.registry
    if operator not in registry.operators:
        raise GovError(f"{operator} is no bonded operator")
    registry.check_evidence(offence, operator, offence_ms, state.time_ms)

    def slash() -> None:  # bond escrow holds at least every operator's slashable stake
        slashed, reward = registry.submit_evidence(reporter, offence, operator, offence_ms,
                                                   state.time_ms)
        if reward:
            gov.token.transfer(BOND_ESCROW, reporter, reward, state.height)
        if slashed - reward:
            gov.token.burn(BOND_ESCROW, slashed - reward, state.height)
        op = registry.operators[operator]
        if op.tombstoned and operator in state.oracle_stakes and len(state.oracle_stakes) > 3:
            del state.oracle_stakes[operator]
        record = gov.open_incident("slash", operator, operator,
                                   state.time_ms + gov.guardians.report_deadline_ms,
                                   state.time_ms, state.height)
        record.timeline.append((state.time_ms, f"{offence} ({detail}): slashed {slashed}, "
                                               f"reporter {reporter} rewarded {reward}"
                                + (", tombstoned" if op.tombstoned else "")))
    return slash


def apply_operator_offence(state: State, action: OperatorOffence) -> str | None:
    """An L1-proven offence (the message is consumed either way)."""
    gov = state.gov
    offence = action.offence
    if gov is None or type(offence) is not str or offence not in OBJECTIVE \
            or offence == "oracleEquivocation":
        return "Governance: not an L1 offence"
    if not (type(action.operator) is str and type(action.reporter) is str
            and type(action.offence_ms) is int):
        return "Governance: a malformed L1 offence"
    try:  # offence time 0: proven now (the contract's challenge window bounds its age)
        slash = plan_slash(state, gov, offence, action.operator, action.reporter,
                           action.offence_ms or state.time_ms, "proven on L1")
    except GovernanceError as exc:
        return f"Governance: {exc}"
    slash()
    return None


def _execute_slash(state: State, gov: GovState, signer: str, tx: ExecuteSlash,
                   events: list) -> Step:
    sid = tx.slash
    pending = gov.registry.check_execute_slash(sid, state.time_ms)

    def execute_slash() -> None:
        slashed = gov.registry.execute_slash(sid, state.time_ms)
        if slashed:
            gov.token.burn(BOND_ESCROW, slashed, state.height)
        record = gov.open_incident("slash", pending.operator, pending.operator,
                                   state.time_ms + gov.guardians.report_deadline_ms,
                                   state.time_ms, state.height)
        record.timeline.append((state.time_ms, f"vetoable slash {sid} ({pending.reason}) "
                                               f"executed: {slashed}"))
    return execute_slash


# ----- incidents -------------------------------------------------------------------------------

def _incident_report(state: State, gov: GovState, signer: str, tx: IncidentReport,
                     events: list) -> Step:
    iid, text = tx.incident, tx.text
    record = gov.incident(iid)
    if not 1 <= len(text) <= MAX_REPORT_CHARS:
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
    if record.guardian_nonce:
        g.check_report(signer, record.guardian_nonce)

    def report() -> None:
        digest = h256(text.encode())
        if record.guardian_nonce:
            g.report(signer, record.guardian_nonce, digest, state.time_ms)
        record.report, record.report_hash = text, digest
        record.filed_ms, record.filed_by = state.time_ms, signer
        record.timeline.append((state.time_ms, f"report filed by {signer}"
                                               + (" (late)" if record.late else "")))
    return report


def _incident_open(state: State, gov: GovState, signer: str, tx: IncidentOpen,
                   events: list) -> Step:
    """An operator (or a guardian) records what the engine cannot see, such as its node's
    reconciliation halt: it is the responsible party and must file the report."""
    kind, subject, detail = tx.incident_kind, tx.subject, tx.detail
    start_ms, end_ms = tx.start_ms, tx.end_ms
    if kind not in OPERATOR_INCIDENTS:
        raise GovError(f"operators open incidents of kinds {', '.join(OPERATOR_INCIDENTS)}")
    op = gov.registry.operators.get(signer)
    active = op is not None and not op.tombstoned and op.bond >= gov.registry.min_bond[op.role]
    if not (active or gov.guardians.seated(signer, state.time_ms)):
        raise GovError(f"{signer} is neither a bonded operator nor a guardian")
    if not (len(subject) <= 200 and len(detail) <= MAX_REPORT_CHARS
            and 0 <= start_ms <= end_ms <= state.time_ms):
        raise GovError("an incident needs a subject, a detail and start <= end <= now")

    def open_incident() -> None:
        record = gov.open_incident(kind, subject, signer,
                                   state.time_ms + gov.guardians.report_deadline_ms,
                                   state.time_ms, state.height)
        record.timeline += [(start_ms, f"{kind}: {detail}"), (end_ms, "resumed")]
    return open_incident


# transaction -> (its fields in order as (name, kind) pairs, see args.py; the names are the
# wire's and appear in refusal texts; the planner that checks it and returns its step)
TRANSACTIONS: dict[type, tuple[tuple[tuple[str, object], ...], Callable[..., Step]]] = {
    GovTransfer: ((("to", ADDR), ("amount", int)), _transfer),
    GovDelegate: ((("to", ADDR),), _delegate),
    GovPropose: ((("actions", tuple),), _propose),
    GovVote: ((("proposal", int), ("support", int)), _vote),
    GovQueue: ((("proposal", int), ("actions", ANY)), _queue),  # compared by content hash
    GovExecute: ((("proposal", int), ("actions", tuple)), _execute),
    GovCancel: ((("proposal", int),), _cancel),
    GuardianSign: ((("nonce", int), ("kind", str), ("args", tuple)), plan_guardian_sign),
    GuardianRemove: ((("member", str),), plan_guardian_remove),
    StewardUpdate: ((("key", str), ("value", int)), _steward_update),
    OperatorBond: ((("role", str), ("amount", int)), _operator_bond),
    OperatorUnbond: ((("amount", int),), _operator_unbond),
    OperatorRelease: ((), _operator_release),
    SubmitEvidence: ((("offence", str), ("index", int)), _submit_evidence),
    ExecuteSlash: ((("slash", int),), _execute_slash),
    IncidentReport: ((("incident", int), ("text", str)), _incident_report),
    IncidentOpen: ((("kind", str), ("subject", str), ("start", int), ("end", int),
                    ("detail", str)), _incident_open),
}
# every action type stf hands to apply_gov_tx
GOVERNANCE_TXS: frozenset[type] = frozenset(TRANSACTIONS)


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
        record = gov.open_incident(incident.kind, subject, "stewards",
                                   state.time_ms + gov.guardians.report_deadline_ms,
                                   state.time_ms, state.height)
        record.asset = incident.asset
        record.timeline.append((incident.time_ms, f"{incident.kind}: {incident.before} -> "
                                                  f"{incident.after}"))
