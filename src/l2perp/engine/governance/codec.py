"""The governance state <-> the nested lists of the shared leaf (canonical msgpack elsewhere).

Every dict is written as rows sorted by key, every list in its own order, so the encoding is a
function of the state alone. `decode_gov(gov_leaf(g))` rebuilds an equal state.
"""

from __future__ import annotations

from .gov_state import GovState, IncidentRecord, Upgrade
from .guardians import GuardianAction, Guardians
from .operators import Operator, PendingSlash, Registry
from .power import Checkpoints, GovToken
from .proposals import Governor, Lane, Proposal
from .stewards import Bounds, Change, RiskTable


def _rows(d: dict) -> list:
    return [[k, d[k]] for k in sorted(d)]


def _lane(lane: Lane) -> list:
    return [lane.threshold_bps, lane.quorum_bps, lane.differential_bps, lane.review_ms,
            lane.voting_ms, lane.timelock_ms, lane.grace_ms]


def _actions(actions) -> list:
    return [_plain(a) for a in actions]


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _tuple(value):
    if isinstance(value, list):
        return tuple(_tuple(v) for v in value)
    return value


def gov_leaf(gov: GovState) -> list:
    t, g, r, tb, gs = gov.token, gov.governor, gov.registry, gov.table, gov.guardians
    token = [_rows(t.balances), _rows(t.delegates),
             [[a, t.checkpoints[a].heights, t.checkpoints[a].votes] for a in sorted(t.checkpoints)],
             [[a, [list(x) for x in t.activity[a]]] for a in sorted(t.activity)], t.supply]
    proposals = [[p.pid, p.proposer, p.lane, _actions(p.actions), p.hash, p.created_height,
                  p.created_ms, p.voting_start_ms, p.deadline_ms, p.snapshot_height,
                  p.snapshot_epoch, p.active_supply, _lane(p.rules), list(p.votes),
                  [[v, *p.voters[v]] for v in sorted(p.voters)], p.eta_ms, p.canceled,
                  p.vetoed, p.executed] for p in (g.proposals[k] for k in sorted(g.proposals))]
    governor = [[_lane(lane) for lane in g.lanes], g.activity_epochs, g.epoch_ms, proposals,
                g.next_pid]
    table = [_rows(tb.values),
             [[k, b.low, b.high, b.max_step_bps, b.debounce_ms]
              for k, b in sorted(tb.bounds.items())],
             list(tb.stewards), _rows(tb.last_steward_ms),
             [[c.key, c.old, c.new, c.source, c.author, c.time_ms] for c in tb.log]]
    actions = [[a.nonce, a.kind, _plain(a.args), list(a.signers), a.executed_ms, a.expires_ms,
                a.ratified, a.report, a.report_ms, _plain(a.prior), a.lapsed]
               for a in (gs.actions[k] for k in sorted(gs.actions))]
    guardians = [list(gs.members), gs.threshold, gs.expiry_ms, gs.report_deadline_ms, actions,
                 gs.next_nonce, _rows(gs.cohorts), list(gs.term_ends_ms), gs.liveness_ms,
                 _rows(gs.last_active_ms)]
    operators = [[o.address, o.role, o.bond, [list(u) for u in o.unbonding], o.tombstoned,
                  o.slashed_total, o.slashes, o.blocks_on_duty, o.blocks_missed,
                  o.inclusion_latency_ms_sum, o.inclusions, o.oracle_rounds_missed,
                  o.fees_earned] for o in (r.operators[k] for k in sorted(r.operators))]
    registry = [_rows(r.min_bond), r.evidence_window_ms, r.unbonding_ms, r.period_ms,
                r.correlation_window_ms, r.whistleblower_bps, r.veto_window_ms, r.fee_share_bps,
                operators, [[a, p, bps] for (a, p), bps in sorted(r.infractions.items())],
                [list(x) for x in r.slash_log],
                [[p.sid, p.operator, p.bps, p.reason, p.requested_ms, p.vetoed, p.executed]
                 for p in (r.pending[k] for k in sorted(r.pending))], r.next_sid, r.burned]
    incidents = [[i.iid, i.kind, i.subject, i.opened_ms, i.opened_height, i.responsible,
                  i.deadline_ms, [list(x) for x in i.timeline], i.report, i.report_hash,
                  i.filed_ms, i.filed_by, i.guardian_nonce, i.asset] for i in gov.incidents]
    return [token, governor, table, guardians, registry, incidents, gov.engine_incidents_seen,
            gov.outflow_cap_per_epoch, _rows(gov.outflow_by_epoch), _rows(gov.pending_fees),
            gov.pending_fees_day, gov.rule_version,
            [[u.version, u.activation_height, u.scheduled_height, u.proposal]
             for u in gov.upgrades],
            gov.upgrade_exit_blocks, gov.slot_ms, list(gov.used_evidence),
            _rows(gov.oracle_rounds_missed), gov.fee_day, gov.last_slot, gov.halted]


def decode_gov(row: list) -> GovState:
    (token, governor, table, guardians, registry, incidents, seen, outflow_cap, outflow,
     pending_fees, pending_day, rule_version, upgrades, exit_blocks, slot_ms, used, missed,
     fee_day, last_slot, halted) = row
    balances, delegates, checkpoints, activity, supply = token
    t = GovToken(dict(balances), dict(delegates),
                 {a: Checkpoints(list(h), list(v)) for a, h, v in checkpoints},
                 {a: [tuple(x) for x in rows] for a, rows in activity}, supply)
    lanes, activity, epoch_ms, proposals, next_pid = governor
    g = Governor(t, tuple(Lane(*lane) for lane in lanes), activity, epoch_ms, {}, next_pid)
    for (pid, proposer, lane, actions, digest, created_height, created_ms, start, deadline,
         snapshot, snapshot_epoch, active, rules, votes, voters, eta, canceled, vetoed,
         executed) in proposals:
        g.proposals[pid] = Proposal(
            pid, proposer, lane, _tuple(actions), digest, created_height, created_ms, start,
            deadline, snapshot, snapshot_epoch, active, Lane(*rules), list(votes),
            {v: (s, w) for v, s, w in voters}, eta, canceled, vetoed, executed)
    values, bounds, stewards, last_steward, log = table
    tb = RiskTable(dict(values), {k: Bounds(*b) for k, *b in bounds}, tuple(stewards),
                   dict(last_steward), [Change(*c) for c in log])
    (members, threshold, expiry, deadline_ms, actions, next_nonce, cohorts, term_ends,
     liveness, last_active_ms) = guardians
    gs = Guardians(tuple(members), threshold, expiry, deadline_ms, {}, next_nonce,
                   dict(cohorts), tuple(term_ends), liveness, dict(last_active_ms))
    for (nonce, kind, args, signers, executed_ms, expires_ms, ratified, report, report_ms,
         prior, lapsed) in actions:
        gs.actions[nonce] = GuardianAction(nonce, kind, _tuple(args), list(signers),
                                           executed_ms, expires_ms, ratified, report,
                                           report_ms, _tuple(prior), lapsed)
    (min_bond, evidence, unbonding, period, correlation, whistle, veto, fee_share, operators,
     infractions, slash_log, pending, next_sid, burned) = registry
    r = Registry(dict(min_bond), evidence, unbonding, period, correlation, whistle, veto,
                 fee_share)
    for (address, role, bond, unbond, tomb, slashed, slashes, on_duty, missed_blocks, lat_sum,
         inclusions, rounds_missed, fees) in operators:
        r.operators[address] = Operator(address, role, bond, [tuple(u) for u in unbond], tomb,
                                        slashed, slashes, on_duty, missed_blocks, lat_sum,
                                        inclusions, rounds_missed, fees)
    r.infractions = {(a, p): bps for a, p, bps in infractions}
    r.slash_log = [tuple(x) for x in slash_log]
    r.pending = {p[0]: PendingSlash(*p) for p in pending}
    r.next_sid, r.burned = next_sid, burned
    gov = GovState(t, g, tb, gs, r)
    for (iid, kind, subject, opened, height, responsible, deadline, timeline, report, digest,
         filed, by, nonce, asset) in incidents:
        gov.incidents.append(IncidentRecord(iid, kind, subject, opened, height, responsible,
                                            deadline, [tuple(x) for x in timeline], report,
                                            digest, filed, by, nonce, asset))
    gov.engine_incidents_seen = seen
    gov.outflow_cap_per_epoch = outflow_cap
    gov.outflow_by_epoch = dict(outflow)
    gov.pending_fees, gov.pending_fees_day = dict(pending_fees), pending_day
    gov.rule_version = rule_version
    gov.upgrades = [Upgrade(*u) for u in upgrades]
    gov.upgrade_exit_blocks, gov.slot_ms = exit_blocks, slot_ms
    gov.used_evidence = list(used)
    gov.oracle_rounds_missed = dict(missed)
    gov.fee_day, gov.last_slot, gov.halted = fee_day, last_slot, halted
    return gov
