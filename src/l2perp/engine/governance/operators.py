"""The operator registry (docs/mechanics.md): sequencers,
oracle operators and relayers (batch posters) bond stake, earn a governance-set fee share, rotate
on a published schedule, carry public reputation figures and are slashed on evidence.

- Unbonding takes longer than the evidence window, and stake stays slashable while it unbonds.
- Objective offences (oracle equivocation, a batch proven fraudulent, a forced request left past
  its deadline, two batches signed with one number) slash automatically on evidence anyone
  submits: a base fraction plus a correlation penalty that grows with what the same role lost in
  the window (Ethereum's min(3 x slashed, total) / total), a whistleblower reward out of the
  slashed amount, the rest burned. Equivocations also tombstone (Cosmos): no return to duty.
- Subjective offences go through a vetoable slash (EigenLayer's VetoableSlasher): the guardians
  may veto while `now < requested + veto_window`; it executes once `now >= requested +
  veto_window`, not vetoed.
- Only the largest infraction per slashing period counts (Cosmos): a second offence in the same
  period slashes only what exceeds the first.

Stake in token units, fractions in basis points (rounded down: the operator keeps the residue),
times in ms of block time. Each state change has a `check_*` twin that raises what the change
would raise and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import GovernanceError

BPS = 10_000
ROLES = ("sequencer", "oracle", "relayer")
OBJECTIVE = {  # offence -> (base slash bps, tombstone)
    "oracleEquivocation": (500, True),
    "fraudulentBatch": (1_000, False),
    "ignoredForcedRequest": (300, False),
    "batchEquivocation": (500, True),
}


class OperatorError(GovernanceError):
    """An operator transaction that is refused (nothing changes)."""


@dataclass
class Operator:
    address: str
    role: str
    bond: int = 0
    unbonding: list[tuple[int, int]] = field(default_factory=list)  # (amount, release ms)
    tombstoned: bool = False
    slashed_total: int = 0
    slashes: int = 0
    blocks_on_duty: int = 0  # reputation: uptime = blocks_on_duty - blocks_missed
    blocks_missed: int = 0
    inclusion_latency_ms_sum: int = 0
    inclusions: int = 0
    oracle_rounds_missed: int = 0
    fees_earned: int = 0

    def slashable(self) -> int:
        return self.bond + sum(amount for amount, _ in self.unbonding)


@dataclass
class PendingSlash:
    sid: int
    operator: str
    bps: int
    reason: str
    requested_ms: int
    vetoed: bool = False
    executed: bool = False


@dataclass
class Registry:
    min_bond: dict[str, int] = field(default_factory=lambda: {r: 1_000 for r in ROLES})
    evidence_window_ms: int = 14 * 86_400_000
    unbonding_ms: int = 21 * 86_400_000
    period_ms: int = 86_400_000  # slashing period: the largest infraction in it counts
    correlation_window_ms: int = 36 * 86_400_000
    whistleblower_bps: int = 1_000  # of the slashed amount, to whoever submitted the evidence
    veto_window_ms: int = 3 * 86_400_000
    fee_share_bps: int = 0  # of venue fees, split among active operators (set by governance)
    operators: dict[str, Operator] = field(default_factory=dict)
    infractions: dict[tuple[str, int], int] = field(default_factory=dict)  # (op, period) -> bps
    slash_log: list[tuple[int, str, str, int]] = field(default_factory=list)  # (ms, op, why, amt)
    pending: dict[int, PendingSlash] = field(default_factory=dict)
    next_sid: int = 1
    burned: int = 0

    def __post_init__(self) -> None:
        if self.unbonding_ms <= self.evidence_window_ms:
            raise OperatorError("unbonding must outlast the evidence window")

    # ----- bonds ----------------------------------------------------------------------------
    def bond(self, address: str, role: str, amount: int) -> Operator:
        self.check_bond(address, role, amount)
        op = self.operators.get(address)
        if op is None:
            op = self.operators[address] = Operator(address, role)
        op.bond += amount
        return op

    def check_bond(self, address: str, role: str, amount: int) -> None:
        if role not in ROLES:
            raise OperatorError(f"unknown role {role!r}")
        op = self.operators.get(address)
        if op is not None and op.role != role:
            raise OperatorError(f"{address} already operates as {op.role}")
        if op is not None and op.tombstoned:
            raise OperatorError(f"{address} is tombstoned")
        if type(amount) is not int or amount <= 0 or \
                (op is None or op.bond == 0) and amount < self.min_bond[role]:
            raise OperatorError(f"a {role} bonds at least {self.min_bond[role]}")

    def unbond(self, address: str, amount: int, now_ms: int) -> int:
        """Start unbonding; the amount stays slashable until its release time."""
        self.check_unbond(address, amount)
        op = self.operators[address]
        op.bond -= amount
        release = now_ms + self.unbonding_ms
        op.unbonding.append((amount, release))
        return release

    def check_unbond(self, address: str, amount: int) -> None:
        op = self._get(address)
        if type(amount) is not int or not 0 < amount <= op.bond:
            raise OperatorError("unbond between 1 and the bonded amount")

    def release(self, address: str, now_ms: int) -> int:
        """Pay out what has finished unbonding (release time inclusive)."""
        ready = self.releasable(address, now_ms)
        op = self.operators[address]
        op.unbonding = [(a, t) for a, t in op.unbonding if t > now_ms]
        return ready

    def releasable(self, address: str, now_ms: int) -> int:
        """What `release` would pay now (OperatorError for no operator)."""
        return sum(a for a, t in self._get(address).unbonding if t <= now_ms)

    def active(self, role: str) -> list[Operator]:
        """Bonded at least the minimum, not tombstoned, by address."""
        return [self.operators[a] for a in sorted(self.operators)
                if self.operators[a].role == role and not self.operators[a].tombstoned
                and self.operators[a].bond >= self.min_bond[role]]

    def on_duty(self, role: str, slot_ms: int, now_ms: int) -> str | None:
        """The published rotation: slot `now // slot_ms` goes to the active operators in
        address order, round robin."""
        active = self.active(role)
        if not active:
            return None
        return active[(now_ms // slot_ms) % len(active)].address

    # ----- slashing -------------------------------------------------------------------------
    def submit_evidence(self, reporter: str, offence: str, address: str, offence_ms: int,
                        now_ms: int) -> tuple[int, int]:
        """Slash for an objective offence the engine has verified; (slashed, reward)."""
        self.check_evidence(offence, address, offence_ms, now_ms)
        op = self.operators[address]
        base, tombstone = OBJECTIVE[offence]
        bps = min(BPS, base + self.correlation_bps(op.role, now_ms))
        slashed = self._slash(op, bps, offence, offence_ms, now_ms)
        reward = slashed * self.whistleblower_bps // BPS
        self.burned += slashed - reward
        if tombstone:
            op.tombstoned = True
        return slashed, reward

    def check_evidence(self, offence: str, address: str, offence_ms: int, now_ms: int) -> None:
        if offence not in OBJECTIVE:
            raise OperatorError(f"{offence!r} is not an objective offence")
        if now_ms - offence_ms > self.evidence_window_ms or offence_ms > now_ms:
            raise OperatorError("evidence outside the evidence window")
        self._get(address)

    def correlation_bps(self, role: str, now_ms: int) -> int:
        """Ethereum's correlation penalty: min(3 x slashed in the window, stake) / stake."""
        since = now_ms - self.correlation_window_ms
        slashed = sum(amount for t, a, _, amount in self.slash_log
                      if t > since and self.operators[a].role == role)
        stake = sum(op.slashable() for op in self.operators.values() if op.role == role)
        if stake == 0:
            return 0
        return min(3 * slashed, stake) * BPS // stake

    def _slash(self, op: Operator, bps: int, why: str, offence_ms: int, now_ms: int) -> int:
        period = offence_ms // self.period_ms
        already = self.infractions.get((op.address, period), 0)
        if bps <= already:
            return 0  # a smaller infraction in a period already slashed counts for nothing
        self.infractions[(op.address, period)] = bps
        amount = op.slashable() * (bps - already) // BPS
        remaining = amount
        take = min(remaining, op.bond)
        op.bond -= take
        remaining -= take
        kept = []
        for a, t in op.unbonding:  # then the unbonding entries, oldest first
            cut = min(remaining, a)
            remaining -= cut
            if a - cut:
                kept.append((a - cut, t))
        op.unbonding = kept
        op.slashed_total += amount
        op.slashes += 1
        self.slash_log.append((now_ms, op.address, why, amount))
        return amount

    def request_slash(self, address: str, bps: int, reason: str, now_ms: int) -> int:
        """A subjective slash (by governance or the incident process): vetoable for a while."""
        self.check_request_slash(address, bps)
        sid = self.next_sid
        self.next_sid += 1
        self.pending[sid] = PendingSlash(sid, address, bps, reason, now_ms)
        return sid

    def check_request_slash(self, address: str, bps: int) -> None:
        self._get(address)
        if type(bps) is not int or not 0 < bps <= BPS:
            raise OperatorError("slash between 1 and 10,000 bps")

    def veto_slash(self, sid: int, now_ms: int) -> None:
        self.check_veto_slash(sid, now_ms).vetoed = True

    def check_veto_slash(self, sid: int, now_ms: int) -> PendingSlash:
        """The open request `sid` while its veto window is open."""
        p = self._pending(sid)
        if now_ms >= p.requested_ms + self.veto_window_ms:
            raise OperatorError("the veto window has closed")
        return p

    def execute_slash(self, sid: int, now_ms: int) -> int:
        p = self.check_execute_slash(sid, now_ms)
        p.executed = True
        slashed = self._slash(self.operators[p.operator], p.bps, p.reason, p.requested_ms,
                              now_ms)
        self.burned += slashed
        return slashed

    def check_execute_slash(self, sid: int, now_ms: int) -> PendingSlash:
        """The open request `sid` once its veto window has closed."""
        p = self._pending(sid)
        if now_ms < p.requested_ms + self.veto_window_ms:
            raise OperatorError("the veto window is still open")
        self._get(p.operator)
        return p

    def _pending(self, sid: int) -> PendingSlash:
        p = self.pending.get(sid) if type(sid) is int else None
        if p is None or p.vetoed or p.executed:
            raise OperatorError(f"no open slash request {sid}")
        return p

    def _get(self, address: str) -> Operator:
        op = self.operators.get(address) if type(address) is str else None
        if op is None:
            raise OperatorError(f"{address} is no operator")
        return op
