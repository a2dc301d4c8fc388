"""The guardians' emergency lane (docs/mechanics.md): an M-of-N multisig whose actions collect signatures on-chain, one nonce per
action (a nonce, once executed, can never be signed again), and which can only tighten.

- Allowed: pause a market, make it reduce-only, raise a margin requirement (strictly above
  its current value), switch it to the fallback oracle, veto a queued proposal, veto a
  subjective slash inside its window (EigenLayer's veto committee). Anything that
  would loosen (unpause, lower a requirement, any other change) goes through governance.
- Seats sit in two cohorts whose terms end half a term apart (Arbitrum's staggered elections);
  a seat whose cohort's term has ended cannot sign until governance re-seats it. A seat that has
  not signed or reported for longer than the liveness interval can be removed by anyone, and the
  threshold is re-derived in proportion, rounded up (OP's liveness module).
- An executed action is in force until `executed + expiry` (exclusive) unless governance ratifies
  it.
- Every executed action needs an incident report by a guardian; until the last one has its
  report no further action executes, and a report later than `executed + report_deadline` is
  recorded as late.

Times in ms of block time. Each state change has a `check_*` twin that raises what the change
would raise and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import GovernanceError

TIGHTENING = ("pauseMarket", "reduceOnly", "raiseMargin", "fallbackOracle", "veto", "vetoSlash")


class GuardianError(GovernanceError):
    """A guardian transaction that is refused (nothing changes)."""


@dataclass
class GuardianAction:
    nonce: int
    kind: str
    args: tuple
    signers: list[str] = field(default_factory=list)  # in signing order
    executed_ms: int = -1
    expires_ms: int = -1
    ratified: bool = False
    report: bytes | None = None  # hash of the incident report
    report_ms: int = -1
    prior: tuple = ()  # what the action replaced, restored when it lapses
    lapsed: bool = False  # expired unratified and undone

    @property
    def executed(self) -> bool:
        return self.executed_ms >= 0


@dataclass
class Guardians:
    members: tuple[str, ...]
    threshold: int
    expiry_ms: int = 7 * 86_400_000
    report_deadline_ms: int = 3 * 86_400_000
    actions: dict[int, GuardianAction] = field(default_factory=dict)
    next_nonce: int = 1
    cohorts: dict[str, int] = field(default_factory=dict)  # seat -> 0 or 1 (default 0)
    term_ends_ms: tuple[int, int] = (2**62, 2**62)  # per cohort, exclusive
    liveness_ms: int = 90 * 86_400_000
    last_active_ms: dict[str, int] = field(default_factory=dict)  # seat -> last sign or report

    def __post_init__(self) -> None:
        if len(set(self.members)) != len(self.members):
            raise GuardianError("guardian seats must be distinct")
        if not 0 < self.threshold <= len(self.members):
            raise GuardianError("threshold must be between 1 and the number of seats")

    def seated(self, member: str, now_ms: int) -> bool:
        """Holds a seat whose cohort's term has not ended (`now < term end`)."""
        return member in self.members and \
            now_ms < self.term_ends_ms[self.cohorts.get(member, 0)]

    def remove_inactive(self, member: str, now_ms: int, since_ms: int = 0) -> int:
        """Anyone may remove a seat silent for more than the liveness interval (counted from
        its last signature or report, or `since_ms`); returns the re-derived threshold."""
        self.check_remove(member, now_ms, since_ms)
        n = len(self.members)
        self.members = tuple(m for m in self.members if m != member)
        self.cohorts.pop(member, None)
        self.last_active_ms.pop(member, None)
        self.threshold = max(1, -(-self.threshold * (n - 1) // n))  # ceil: keep the ratio
        return self.threshold

    def check_remove(self, member: str, now_ms: int, since_ms: int = 0) -> None:
        if member not in self.members:
            raise GuardianError(f"{member} holds no guardian seat")
        last = self.last_active_ms.get(member, since_ms)
        if now_ms - last <= self.liveness_ms:
            raise GuardianError(f"{member} was active within the liveness interval")
        if len(self.members) == 1:
            raise GuardianError("the last seat cannot be removed")

    def sign(self, member: str, nonce: int, kind: str, args: tuple, now_ms: int,
             tightens=None) -> GuardianAction:
        """Add `member`'s signature to action `nonce` (opening it if it is the next nonce).
        Executes when the threshold is reached; `tightens(key, value)` tells whether a
        raiseMargin's new value is strictly tighter than the current one."""
        action = self.check_sign(member, nonce, kind, args, now_ms, tightens)
        if nonce not in self.actions:
            self.actions[nonce] = action
            self.next_nonce += 1
        action.signers.append(member)
        self.last_active_ms[member] = now_ms
        if len(action.signers) >= self.threshold:
            action.executed_ms = now_ms
            action.expires_ms = now_ms + self.expiry_ms
        return action

    def check_sign(self, member: str, nonce: int, kind: str, args: tuple, now_ms: int,
                   tightens=None) -> GuardianAction:
        """What `sign` checks; the action the signature would go to (a new one, unstored, for
        the next nonce)."""
        if member not in self.members:
            raise GuardianError(f"{member} holds no guardian seat")
        if not self.seated(member, now_ms):
            raise GuardianError(f"the term of {member}'s cohort has ended")
        if kind not in TIGHTENING:
            raise GuardianError("guardians can only tighten: pause, reduce-only, raise "
                                "margin, fallback oracle or veto")
        action = self.actions.get(nonce)
        if action is None:
            if nonce != self.next_nonce:
                raise GuardianError(f"the next guardian action has nonce {self.next_nonce}")
            action = GuardianAction(nonce, kind, tuple(args))
        elif action.executed:
            raise GuardianError(f"guardian action {nonce} was already executed")
        elif (action.kind, action.args) != (kind, tuple(args)):
            raise GuardianError(f"guardian action {nonce} has other content")
        if member in action.signers:
            raise GuardianError(f"{member} already signed action {nonce}")
        if kind == "raiseMargin":
            key, value = args
            if tightens is None or not tightens(key, value):
                raise GuardianError("raiseMargin must raise the requirement")
        if len(action.signers) + 1 >= self.threshold:
            blocker = self.unreported()
            if blocker is not None:
                raise GuardianError(f"guardian action {blocker} has no incident report yet")
        return action

    def unreported(self) -> int | None:
        """The first executed action still waiting for its incident report."""
        for nonce in sorted(self.actions):
            action = self.actions[nonce]
            if action.executed and action.report is None:
                return nonce
        return None

    def in_force(self, nonce: int, now_ms: int) -> bool:
        action = self.actions.get(nonce)
        if action is None or not action.executed:
            return False
        return action.ratified or now_ms < action.expires_ms

    def ratify(self, nonce: int, now_ms: int) -> None:
        """Governance keeps an action in force (an executed proposal calls this)."""
        if not self.in_force(nonce, now_ms):
            raise GuardianError(f"guardian action {nonce} is not in force")
        self.actions[nonce].ratified = True

    def report(self, member: str, nonce: int, report_hash: bytes, now_ms: int) -> bool:
        """File the incident report of an executed action; True when it came in time."""
        self.check_report(member, nonce)
        action = self.actions[nonce]
        action.report = report_hash
        action.report_ms = now_ms
        self.last_active_ms[member] = now_ms
        return now_ms <= action.executed_ms + self.report_deadline_ms

    def check_report(self, member: str, nonce: int) -> None:
        if member not in self.members:
            raise GuardianError(f"{member} holds no guardian seat")
        action = self.actions.get(nonce)
        if action is None or not action.executed:
            raise GuardianError(f"guardian action {nonce} was not executed")
        if action.report is not None:
            raise GuardianError(f"guardian action {nonce} already has its report")
