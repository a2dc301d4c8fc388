"""The guardians' emergency lane (reference/governance.md §1.6-1.7, §6 items 1e, 7, 8;
DESIGN.md §6): an M-of-N multisig whose actions collect signatures on-chain, one nonce per
action (a nonce, once executed, can never be signed again), and which can only tighten.

- Allowed: pause a market, make it reduce-only, raise a margin requirement (strictly above
  its current value), switch it to the fallback oracle, veto a queued proposal. Anything that
  would loosen (unpause, lower a requirement, any other change) goes through governance.
- An executed action is in force until `executed + expiry` (exclusive) unless governance ratifies
  it.
- Every executed action needs an incident report by a guardian; until the last one has its
  report no further action executes, and a report later than `executed + report_deadline` is
  recorded as late.

Times in ms of block time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIGHTENING = ("pauseMarket", "reduceOnly", "raiseMargin", "fallbackOracle", "veto")


class GuardianError(ValueError):
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

    def __post_init__(self) -> None:
        if len(set(self.members)) != len(self.members):
            raise GuardianError("guardian seats must be distinct")
        if not 0 < self.threshold <= len(self.members):
            raise GuardianError("threshold must be between 1 and the number of seats")

    def sign(self, member: str, nonce: int, kind: str, args: tuple, now_ms: int,
             current_of=None) -> GuardianAction:
        """Add `member`'s signature to action `nonce` (opening it if it is the next nonce).
        Executes when the threshold is reached; `current_of(key)` gives the value a
        raiseMargin must exceed."""
        if member not in self.members:
            raise GuardianError(f"{member} holds no guardian seat")
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
            if current_of is None or not value > current_of(key):
                raise GuardianError("raiseMargin must raise the requirement")
        if len(action.signers) + 1 >= self.threshold:
            blocker = self.unreported()
            if blocker is not None:
                raise GuardianError(f"guardian action {blocker} has no incident report yet")
        if nonce not in self.actions:
            self.actions[nonce] = action
            self.next_nonce += 1
        action.signers.append(member)
        if len(action.signers) >= self.threshold:
            action.executed_ms = now_ms
            action.expires_ms = now_ms + self.expiry_ms
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
        if member not in self.members:
            raise GuardianError(f"{member} holds no guardian seat")
        action = self.actions.get(nonce)
        if action is None or not action.executed:
            raise GuardianError(f"guardian action {nonce} was not executed")
        if action.report is not None:
            raise GuardianError(f"guardian action {nonce} already has its report")
        action.report = report_hash
        action.report_ms = now_ms
        return now_ms <= action.executed_ms + self.report_deadline_ms
