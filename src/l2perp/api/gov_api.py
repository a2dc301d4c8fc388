"""Governance on the API (l2perp extensions of `/info`): govParams, govProposals, govProposal,
govVotes, govPower, guardians, stewards, operators, incidents, one function each (registered in
info_types.py). Every answer is computed from the governance part of the engine state; token
amounts are integers in token units, times in ms.
"""

from __future__ import annotations

from ..engine.governance.execute import governance_values, lane_tuple
from ..engine.governance.gov_state import GovState
from ..engine.governance.proposals import LANE_NAMES
from ..engine.governance.params import get_param
from ..engine.state import State

SUPPORT = ("against", "for", "abstain")
LANE_KEYS = ("thresholdBps", "quorumBps", "differentialBps", "reviewMs", "votingMs",
             "timelockMs", "graceMs")


def gov_of(state: State) -> GovState:
    """The venue's governance state; ValueError where governance is not enabled."""
    if state.gov is None:
        raise ValueError("governance is not enabled on this venue")
    return state.gov


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def proposals(state: State) -> list:
    """govProposals: every proposal, newest first."""
    gov = gov_of(state)
    return [proposal_row(gov, p.pid, state.time_ms) for p in
            sorted(gov.governor.proposals.values(), key=lambda p: -p.pid)]


def proposal(state: State, body: dict) -> dict:
    """govProposal: one proposal (`proposal` or `id`) with its rules and timeline."""
    gov = gov_of(state)
    return proposal_row(gov, _pid(body), state.time_ms, full=True)


def votes(state: State, body: dict) -> list:
    """govVotes: one proposal's votes by voter."""
    gov = gov_of(state)
    p = gov.governor.proposals.get(_pid(body))
    if p is None:
        raise ValueError("unknown proposal")
    return [{"voter": v, "support": SUPPORT[s], "weight": w}
            for v, (s, w) in sorted(p.voters.items())]


def power(state: State, body: dict) -> dict:
    """govPower: a user's tokens, delegate, votes and activity at this block."""
    gov = gov_of(state)
    user = str(body.get("user", "")).lower()
    t, g = gov.token, gov.governor
    epoch = g.epoch(state.time_ms)
    return {"user": user, "balance": t.balances.get(user, 0),
            "delegate": t.delegate_of(user),
            "votes": t.votes_at(user, state.height),
            "active": t.is_active(user, epoch, g.activity_epochs),
            "lastActiveEpoch": t.last_active_epoch(user),
            "epoch": epoch, "supply": t.supply,
            "activeSupply": t.active_supply(state.height, epoch, g.activity_epochs)}


def stewards(state: State) -> dict:
    """stewards: the risk stewards, their bounds (with when each may move next) and log."""
    gov = gov_of(state)
    now = state.time_ms
    tb = gov.table
    bounds = []
    for k, b in sorted(tb.bounds.items()):
        next_ms = tb.next_update_ms(k, now)
        bounds.append({"key": k, "value": _current(state, gov, k), "low": b.low,
                       "high": b.high, "maxStepBps": b.max_step_bps,
                       "debounceMs": b.debounce_ms, "nextUpdate": next_ms,
                       "ready": now >= next_ms})  # the engine's rule, at this block time
    return {"stewards": list(tb.stewards), "bounds": bounds,
            "log": [{"key": c.key, "old": c.old, "new": c.new, "source": c.source,
                     "author": c.author, "time": c.time_ms} for c in tb.log[-200:]]}


def incidents(state: State) -> list:
    """incidents: every incident record, newest first."""
    return [incident_row(r) for r in reversed(gov_of(state).incidents)]


def _pid(body: dict) -> int:
    pid = body.get("proposal", body.get("id"))
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise ValueError("proposal must be an integer id")
    return pid


def _current(state: State, gov: GovState, key: str) -> int:
    try:
        return get_param(state, key)
    except ValueError:
        return gov.table.values.get(key, 0)


def gov_params(state: State) -> dict:
    """govParams: the lanes' rules, rule version, upgrades, parameters and treasury."""
    gov = gov_of(state)
    g = gov.governor
    return {
        "lanes": [{"lane": i, "name": LANE_NAMES[i], **dict(zip(LANE_KEYS, lane_tuple(lane)))}
                  for i, lane in enumerate(g.lanes)],
        "activityEpochs": g.activity_epochs, "epochMs": g.epoch_ms,
        "ruleVersion": gov.rule_version,
        "upgrades": [{"version": u.version, "activationHeight": u.activation_height,
                      "scheduledHeight": u.scheduled_height, "proposal": u.proposal}
                     for u in gov.upgrades],
        "pendingFees": dict(gov.pending_fees),
        "rules": governance_values(gov),
        "params": {k: _current(state, gov, k) for k in sorted(gov.table.values)},
        "treasury": gov.token.balances.get("0x" + "ee" * 19 + "01", 0),
    }


def proposal_row(gov: GovState, pid: int, now_ms: int, full: bool = False) -> dict:
    p = gov.governor.proposals.get(pid)
    if p is None:
        raise ValueError("unknown proposal")
    rules = p.rules
    row = {
        "id": p.pid, "proposer": p.proposer, "lane": LANE_NAMES[p.lane],
        "state": gov.governor.state(pid, now_ms), "hash": "0x" + p.hash.hex(),
        "createdHeight": p.created_height, "created": p.created_ms,
        "votingStart": p.voting_start_ms, "deadline": p.deadline_ms, "eta": p.eta_ms or None,
        "expires": p.eta_ms + rules.grace_ms if p.eta_ms else None,
        "snapshotHeight": p.snapshot_height, "activeSupply": p.active_supply,
        "quorum": -(-rules.quorum_bps * p.active_supply // 10_000),
        # the least (for - against) that passes: (for - against) x 10^4 > differential x supply
        "minMargin": rules.differential_bps * p.active_supply // 10_000 + 1,
        "votes": {"against": p.votes[0], "for": p.votes[1], "abstain": p.votes[2]},
        "actions": _plain(p.actions),
    }
    if full:
        row["rules"] = dict(zip(LANE_KEYS, lane_tuple(rules)))
        row["timeline"] = _timeline(p)
    return row


def _timeline(p) -> list:
    rows = [{"time": p.created_ms, "event": "created"},
            {"time": p.voting_start_ms, "event": "voting opens (after)"},
            {"time": p.deadline_ms, "event": "voting closes"}]
    if p.eta_ms:
        rows.append({"time": p.eta_ms, "event": "executable from"})
        rows.append({"time": p.eta_ms + p.rules.grace_ms, "event": "expires at"})
    return rows


def guardians(state: State) -> dict:
    """guardians: the multisig's members, threshold and actions, newest first."""
    gov = gov_of(state)
    now_ms = state.time_ms
    g = gov.guardians
    return {
        "members": [{"address": m, "cohort": g.cohorts.get(m, 0),
                     "termEnds": g.term_ends_ms[g.cohorts.get(m, 0)],
                     "lastActive": g.last_active_ms.get(m)} for m in g.members],
        "threshold": g.threshold, "expiryMs": g.expiry_ms,
        "reportDeadlineMs": g.report_deadline_ms, "livenessMs": g.liveness_ms,
        "nextNonce": g.next_nonce, "unreported": g.unreported(),
        "actions": [{"nonce": a.nonce, "kind": a.kind, "args": _plain(a.args),
                     "signers": list(a.signers), "executed": a.executed_ms if a.executed else None,
                     "expires": a.expires_ms if a.executed else None,
                     "inForce": g.in_force(a.nonce, now_ms), "ratified": a.ratified,
                     "lapsed": a.lapsed, "reported": a.report is not None}
                    for a in (g.actions[k] for k in sorted(g.actions, reverse=True))],
    }


def operators(state: State) -> dict:
    """operators: the registry's bonds, duty schedule, performance and slashes."""
    gov = gov_of(state)
    now_ms = state.time_ms
    r = gov.registry
    on_duty = r.on_duty("sequencer", gov.slot_ms, now_ms)
    return {
        "minBond": dict(r.min_bond), "feeShareBps": r.fee_share_bps,
        "evidenceWindowMs": r.evidence_window_ms, "unbondingMs": r.unbonding_ms,
        "slotMs": gov.slot_ms, "onDuty": on_duty, "burned": r.burned,
        "schedule": [r.on_duty("sequencer", gov.slot_ms, (now_ms // gov.slot_ms + i) *
                               gov.slot_ms) for i in range(8)],
        "operators": [{
            "address": o.address, "role": o.role, "bond": o.bond,
            "unbonding": [{"amount": a, "release": t} for a, t in o.unbonding],
            "tombstoned": o.tombstoned, "slashedTotal": o.slashed_total, "slashes": o.slashes,
            "blocksOnDuty": o.blocks_on_duty, "blocksMissed": o.blocks_missed,
            "uptimeBps": (o.blocks_on_duty * 10_000 // (o.blocks_on_duty + o.blocks_missed)
                          if o.blocks_on_duty + o.blocks_missed else None),
            "meanInclusionMs": (o.inclusion_latency_ms_sum // o.inclusions
                                if o.inclusions else None),
            "oracleRoundsMissed": gov.oracle_rounds_missed.get(o.address, 0),
            "feesEarned": o.fees_earned,
        } for o in (r.operators[k] for k in sorted(r.operators))],
        "pendingSlashes": [{"id": p.sid, "operator": p.operator, "bps": p.bps,
                            "reason": p.reason, "requested": p.requested_ms,
                            "executableFrom": p.requested_ms + r.veto_window_ms,
                            "vetoed": p.vetoed, "executed": p.executed}
                           for p in (r.pending[k] for k in sorted(r.pending))],
        "slashLog": [{"time": t, "operator": a, "offence": why, "amount": amt}
                     for t, a, why, amt in r.slash_log],
    }


def incident_row(r) -> dict:
    return {"id": r.iid, "kind": r.kind, "subject": r.subject, "opened": r.opened_ms,
            "openedHeight": r.opened_height, "responsible": r.responsible,
            "deadline": r.deadline_ms, "filed": r.filed_ms if r.filed_ms >= 0 else None,
            "filedBy": r.filed_by or None, "late": r.late if r.filed_ms >= 0 else None,
            "report": r.report, "reportHash": "0x" + r.report_hash.hex() if r.report_hash
            else None, "guardianAction": r.guardian_nonce or None,
            "timeline": [{"time": t, "event": e} for t, e in r.timeline]}
