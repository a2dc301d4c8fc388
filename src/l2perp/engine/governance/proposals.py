"""Lanes and the proposal state machine (docs/mechanics.md).

A proposal is a tuple of typed actions bound by the hash of their canonical encoding; its lane
is the one of its riskiest action. The state is computed from the clock and the tallies, never
stored (OpenZeppelin's model), checked in this order, first match wins:

1. Canceled / Vetoed / Executed flags;
2. `now <= voting_start`: Pending; `now <= deadline`: Active (voting open in
   `(voting_start, deadline]`, `voting_start = created + review`);
3. not passed: Defeated. Passed iff `for >= quorum` and `for - against > differential`, both in
   basis points of the active supply at the snapshot, compared by cross-multiplication;
4. not queued: Succeeded;
5. `now >= eta + grace`: Expired; otherwise Queued, executable in `[eta, eta + grace)`.

The proposal threshold is `>=` the lane's share of the active supply at the snapshot (the block
before creation), like quorum: dormant tokens raise no barrier. Times in ms of block time, shares
in basis points, powers in token units. Each state change has a `check_*` twin that raises
what the change would raise and changes nothing, so a transaction can check everything first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...codec import canonical, h256
from .errors import GovernanceError
from .power import GovToken

DAY_MS = 86_400_000
BPS = 10_000

PENDING, ACTIVE, CANCELED, DEFEATED = "Pending", "Active", "Canceled", "Defeated"
SUCCEEDED, QUEUED, EXPIRED, EXECUTED, VETOED = (
    "Succeeded", "Queued", "Expired", "Executed", "Vetoed")
AGAINST, FOR, ABSTAIN = 0, 1, 2
VETOABLE = (PENDING, ACTIVE, SUCCEEDED, QUEUED)

STEWARD, STANDARD, LISTING, CONSTITUTIONAL = 0, 1, 2, 3  # lanes, riskiest last
LANE_NAMES = ("stewardBounded", "standard", "listingTreasury", "constitutional")


class GovError(GovernanceError):
    """A governance transaction that is refused (nothing changes)."""


@dataclass(frozen=True)
class Lane:
    """One voting lane's rules (shares in basis points, times in ms)."""

    threshold_bps: int  # proposer's power >= this share of the active supply
    quorum_bps: int  # for-votes >= this share of the active supply
    differential_bps: int  # (for - against) > this share of the active supply (0: for > against)
    review_ms: int  # creation -> voting start
    voting_ms: int
    timelock_ms: int  # queue -> eta
    grace_ms: int  # executable in [eta, eta + grace)


# dYdX v3's executors (docs/mechanics.md) for the standard and constitutional lanes, its
# Merkle-pauser lane for steward-bounded moves; listing/treasury sits between.
DEFAULT_LANES = (
    Lane(50, 100, 50, DAY_MS, 2 * DAY_MS, 0, 7 * DAY_MS),
    Lane(50, 200, 50, DAY_MS, 4 * DAY_MS, 2 * DAY_MS, 7 * DAY_MS),
    Lane(100, 300, 100, DAY_MS, 5 * DAY_MS, 3 * DAY_MS, 7 * DAY_MS),
    Lane(200, 1_000, 1_000, DAY_MS, 10 * DAY_MS, 7 * DAY_MS, 7 * DAY_MS),
)

# action kind -> lane (an unknown kind is refused)
ACTION_LANES = {
    "stewardStep": STEWARD,
    "setRiskParam": STANDARD, "setFeeSchedule": STANDARD, "ratifyGuardianAction": STANDARD,
    "setOracleSet": STANDARD, "setStewardBounds": STANDARD, "setMarketStatus": STANDARD,
    "slashOperator": STANDARD,
    "listMarket": LISTING, "delistMarket": LISTING, "treasuryTransfer": LISTING,
    "insuranceTransfer": LISTING,
    "setOperatorSet": CONSTITUTIONAL, "setGovernanceRule": CONSTITUTIONAL,
    "setGuardians": CONSTITUTIONAL, "setStewards": CONSTITUTIONAL,
    "setLaneParams": CONSTITUTIONAL, "scheduleUpgrade": CONSTITUTIONAL,
}
MAX_ACTIONS = 10


def lane_of(actions: tuple) -> int:
    """The lane of the riskiest action (GovError for an empty list or an unknown kind)."""
    if type(actions) is not tuple:
        raise GovError("a proposal's actions are a list")
    if not actions:
        raise GovError("a proposal needs at least one action")
    if len(actions) > MAX_ACTIONS:
        raise GovError(f"a proposal holds at most {MAX_ACTIONS} actions")
    lanes = []
    for action in actions:
        if not isinstance(action, tuple) or not action or action[0] not in ACTION_LANES:
            raise GovError(f"unknown action {action!r}")
        lanes.append(ACTION_LANES[action[0]])
    if len(set(actions)) != len(actions):
        raise GovError("a proposal may not hold the same action twice")
    return max(lanes)


def content_hash(actions: tuple) -> bytes:
    """The hash that binds a proposal's actions (re-checked at queue and execute)."""
    return h256(b"l2perp/gov" + canonical(_lists(actions)))


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, (tuple, list)) else value


@dataclass
class Proposal:
    pid: int
    proposer: str
    lane: int
    actions: tuple
    hash: bytes
    created_height: int
    created_ms: int
    voting_start_ms: int
    deadline_ms: int
    snapshot_height: int  # created_height - 1
    snapshot_epoch: int
    active_supply: int  # the quorum base, fixed at creation
    rules: Lane  # the lane's rules at creation: later changes apply to later proposals only
    votes: list[int] = field(default_factory=lambda: [0, 0, 0])  # against, for, abstain
    voters: dict[str, tuple[int, int]] = field(default_factory=dict)  # voter -> (support, weight)
    eta_ms: int = 0  # 0: not queued
    canceled: bool = False
    vetoed: bool = False
    executed: bool = False


@dataclass
class Governor:
    """Proposals over one token, with lanes and the activity window."""

    token: GovToken
    lanes: tuple[Lane, ...] = DEFAULT_LANES
    activity_epochs: int = 6  # K: power counts if the delegate acted in the last K epochs
    epoch_ms: int = 7 * DAY_MS
    proposals: dict[int, Proposal] = field(default_factory=dict)
    next_pid: int = 1

    def epoch(self, now_ms: int) -> int:
        return now_ms // self.epoch_ms

    def state(self, pid: int, now_ms: int) -> str:
        p = self.proposals.get(pid) if type(pid) is int else None
        if p is None:
            raise GovError(f"unknown proposal {pid}")
        if p.canceled:
            return CANCELED
        if p.vetoed:
            return VETOED
        if p.executed:
            return EXECUTED
        if now_ms <= p.voting_start_ms:
            return PENDING
        if now_ms <= p.deadline_ms:
            return ACTIVE
        if not self.passed(p):
            return DEFEATED
        if p.eta_ms == 0:
            return SUCCEEDED
        if now_ms >= p.eta_ms + p.rules.grace_ms:
            return EXPIRED
        return QUEUED

    def passed(self, p: Proposal) -> bool:
        """for >= quorum and (for - against) > differential, shares of the active supply."""
        lane = p.rules
        against, in_favour = p.votes[AGAINST], p.votes[FOR]
        supply = p.active_supply
        return (in_favour * BPS >= lane.quorum_bps * supply
                and (in_favour - against) * BPS > lane.differential_bps * supply)

    def propose(self, proposer: str, actions: tuple, height: int, now_ms: int,
                min_lane: int = STEWARD) -> int:
        """Create a proposal; the proposer needs `>=` the lane's threshold at `height - 1`.
        The lane is the riskiest action's, or `min_lane` if that is riskier."""
        lane_id, digest, active = self.check_propose(proposer, actions, height, now_ms,
                                                     min_lane)
        lane = self.lanes[lane_id]
        pid = self.next_pid
        self.next_pid += 1
        start = now_ms + lane.review_ms
        self.proposals[pid] = Proposal(
            pid, proposer, lane_id, actions, digest, height, now_ms, start,
            start + lane.voting_ms, height - 1, self.epoch(now_ms), active, lane)
        return pid

    def check_propose(self, proposer: str, actions: tuple, height: int, now_ms: int,
                      min_lane: int = STEWARD) -> tuple[int, bytes, int]:
        """What `propose` checks: (lane, content hash, active supply at the snapshot)."""
        lane_id = max(lane_of(actions), min_lane)
        lane = self.lanes[lane_id]
        digest = content_hash(actions)
        for other in self.proposals.values():
            state = self.state(other.pid, now_ms)
            if other.proposer == proposer and state in (PENDING, ACTIVE):
                raise GovError("the proposer already has a live proposal")
            if other.hash == digest and other.proposer == proposer \
                    and state in (PENDING, ACTIVE, SUCCEEDED, QUEUED):
                raise GovError(f"proposal {other.pid} already holds these actions")
        snapshot = height - 1
        epoch = self.epoch(now_ms)
        power = self.token.power(proposer, snapshot, epoch, self.activity_epochs)
        active = self.token.active_supply(snapshot, epoch, self.activity_epochs)
        if power == 0 or power * BPS < lane.threshold_bps * active:
            raise GovError("proposer power below the lane's threshold")
        return lane_id, digest, active

    def vote(self, pid: int, voter: str, support: int, now_ms: int,
             height: int | None = None) -> int:
        """Cast a vote while Active at block `height` (default: the first block after the
        snapshot); weight = the voter's power at the snapshot (may be 0)."""
        self.check_vote(pid, voter, support, now_ms)
        p = self.proposals[pid]
        weight = self.token.power(voter, p.snapshot_height, p.snapshot_epoch,
                                  self.activity_epochs)
        p.voters[voter] = (support, weight)
        p.votes[support] += weight
        self.token.mark_active(voter, self.epoch(now_ms),
                               p.snapshot_height + 1 if height is None else height)
        return weight

    def check_vote(self, pid: int, voter: str, support: int, now_ms: int) -> None:
        if self.state(pid, now_ms) != ACTIVE:
            raise GovError(f"proposal {pid} is not open for voting")
        if type(support) is not int or support not in (AGAINST, FOR, ABSTAIN):
            raise GovError("support must be 0 (against), 1 (for) or 2 (abstain)")
        if voter in self.proposals[pid].voters:
            raise GovError("already voted")

    def queue(self, pid: int, actions: tuple, now_ms: int) -> int:
        """Succeeded -> Queued: eta = now + timelock; the actions must hash to the bound content."""
        self.check_queue(pid, actions, now_ms)
        p = self.proposals[pid]
        p.eta_ms = now_ms + p.rules.timelock_ms
        return p.eta_ms

    def check_queue(self, pid: int, actions: tuple, now_ms: int) -> None:
        if self.state(pid, now_ms) != SUCCEEDED:
            raise GovError(f"proposal {pid} has not succeeded")
        if content_hash(actions) != self.proposals[pid].hash:
            raise GovError("actions do not match the proposal's content hash")

    def execute(self, pid: int, actions: tuple, now_ms: int) -> tuple:
        """Queued and `now >= eta` (and `< eta + grace`): mark executed, return the actions."""
        self.check_execute(pid, actions, now_ms)
        p = self.proposals[pid]
        p.executed = True
        return p.actions

    def check_execute(self, pid: int, actions: tuple, now_ms: int) -> None:
        if self.state(pid, now_ms) != QUEUED:
            raise GovError(f"proposal {pid} is not queued")
        p = self.proposals[pid]
        if now_ms < p.eta_ms:
            raise GovError("the timelock has not elapsed")
        if content_hash(actions) != p.hash:
            raise GovError("actions do not match the proposal's content hash")

    def cancel(self, pid: int, caller: str, height: int, now_ms: int) -> None:
        """The proposer, any time before execution; anyone else only while the proposer's
        power at `height - 1` is strictly below the lane's threshold (dYdX v3, Bravo)."""
        self.check_cancel(pid, caller, height, now_ms)
        self.proposals[pid].canceled = True

    def check_cancel(self, pid: int, caller: str, height: int, now_ms: int) -> None:
        state = self.state(pid, now_ms)
        if state in (CANCELED, VETOED, EXECUTED, EXPIRED, DEFEATED):
            raise GovError(f"proposal {pid} is {state}")
        p = self.proposals[pid]
        if caller != p.proposer:
            epoch = self.epoch(now_ms)
            power = self.token.power(p.proposer, height - 1, epoch, self.activity_epochs)
            active = self.token.active_supply(height - 1, epoch, self.activity_epochs)
            if power * BPS >= p.rules.threshold_bps * active:
                raise GovError("only the proposer may cancel while at or above the threshold")

    def veto(self, pid: int, now_ms: int) -> None:
        """The guardians' veto of a live proposal, from its review epoch until it executes (the
        caller is checked by the guardian multisig); a distinct terminal state so audits can
        tell it from a cancel."""
        self.check_veto(pid, now_ms)
        self.proposals[pid].vetoed = True

    def check_veto(self, pid: int, now_ms: int) -> None:
        if self.state(pid, now_ms) not in VETOABLE:
            raise GovError("only a pending, active, succeeded or queued proposal can be vetoed")
