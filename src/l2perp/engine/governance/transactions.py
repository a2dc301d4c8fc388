"""The governance transactions as typed records, one frozen dataclass per kind (the engine's
dialect, like engine/tx.py): `wire/governance.py` builds them from the gov* / guardian* /
steward* / operator* / incident* actions, `governance/txs.py` checks and applies them.

A field holds what the wire lets through: an address field a lower-case 0x address (`str`),
any other field a governance argument value (`GovValue`: an int, a string, a bool or a tuple
of them, nested, as JSON carries it). The engine checks every field's kind again (txs.py's
`TRANSACTIONS`, args.py) and refuses a wrong one with its governance text, so a malformed
field gets a receipt, never a parse error. Proposal actions and a guardian action's arguments
stay data, tuples whose shapes governance checks (execute.SHAPES, guardian_txs.GUARDIAN_ARGS).
`KIND` names a transaction in refusal texts ("vote takes 2 arguments"). Token amounts in token
units, times in ms.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Union

GovValue = Union[int, str, bool, tuple]


# ----- token and proposals -----------------------------------------------------------------------

@dataclass(slots=True, frozen=True)
class GovTransfer:
    """Governance tokens from the signer to `to`."""

    KIND: ClassVar[str] = "transfer"
    to: str
    amount: GovValue


@dataclass(slots=True, frozen=True)
class GovDelegate:
    """The signer's voting power to `to` (itself to vote with it)."""

    KIND: ClassVar[str] = "delegate"
    to: str


@dataclass(slots=True, frozen=True)
class GovPropose:
    """A proposal: a list of actions, each `(kind, *arguments)` (execute.SHAPES)."""

    KIND: ClassVar[str] = "propose"
    actions: GovValue


@dataclass(slots=True, frozen=True)
class GovVote:
    """A vote on proposal `proposal`: support 0 against, 1 for, 2 abstain."""

    KIND: ClassVar[str] = "vote"
    proposal: GovValue
    support: GovValue


@dataclass(slots=True, frozen=True)
class GovQueue:
    """Queue a succeeded proposal; `actions` must hash to its content."""

    KIND: ClassVar[str] = "queue"
    proposal: GovValue
    actions: GovValue


@dataclass(slots=True, frozen=True)
class GovExecute:
    """Execute a queued proposal after its timelock; `actions` must hash to its content."""

    KIND: ClassVar[str] = "execute"
    proposal: GovValue
    actions: GovValue


@dataclass(slots=True, frozen=True)
class GovCancel:
    KIND: ClassVar[str] = "cancel"
    proposal: GovValue


# ----- guardians and stewards --------------------------------------------------------------------

@dataclass(slots=True, frozen=True)
class GuardianSign:
    """A guardian's signature on emergency action `nonce`: its kind (pauseMarket, reduceOnly,
    fallbackOracle, raiseMargin, veto, vetoSlash) and that kind's arguments."""

    KIND: ClassVar[str] = "guardianSign"
    nonce: GovValue
    action: GovValue
    args: GovValue


@dataclass(slots=True, frozen=True)
class GuardianRemove:
    """Remove a guardian seat silent for longer than the liveness interval (anyone may)."""

    KIND: ClassVar[str] = "guardianRemove"
    member: str


@dataclass(slots=True, frozen=True)
class StewardUpdate:
    """A risk steward's bounded step of one governed value."""

    KIND: ClassVar[str] = "stewardUpdate"
    key: GovValue
    value: GovValue


# ----- operators and incidents -------------------------------------------------------------------

@dataclass(slots=True, frozen=True)
class OperatorBond:
    KIND: ClassVar[str] = "operatorBond"
    role: GovValue
    amount: GovValue


@dataclass(slots=True, frozen=True)
class OperatorUnbond:
    KIND: ClassVar[str] = "operatorUnbond"
    amount: GovValue


@dataclass(slots=True, frozen=True)
class OperatorRelease:
    """Take back what has finished unbonding."""

    KIND: ClassVar[str] = "operatorRelease"


@dataclass(slots=True, frozen=True)
class SubmitEvidence:
    """Objective evidence the engine verifies itself (`State.oracle_evidence[index]`)."""

    KIND: ClassVar[str] = "submitEvidence"
    offence: GovValue
    index: GovValue


@dataclass(slots=True, frozen=True)
class ExecuteSlash:
    """Execute vetoable slash request `slash` once its veto window has passed."""

    KIND: ClassVar[str] = "executeSlash"
    slash: GovValue


@dataclass(slots=True, frozen=True)
class IncidentReport:
    """The report of incident `incident`, filed by whoever must explain it."""

    KIND: ClassVar[str] = "incidentReport"
    incident: GovValue
    text: GovValue


@dataclass(slots=True, frozen=True)
class IncidentOpen:
    """An operator's (or a guardian's) record of what the engine cannot see, such as its
    node's reconciliation halt."""

    KIND: ClassVar[str] = "incidentOpen"
    incident_kind: GovValue
    subject: GovValue
    start_ms: GovValue
    end_ms: GovValue
    detail: GovValue


GOV_TXS = (
    GovTransfer, GovDelegate, GovPropose, GovVote, GovQueue, GovExecute, GovCancel,
    GuardianSign, GuardianRemove, StewardUpdate, OperatorBond, OperatorUnbond, OperatorRelease,
    SubmitEvidence, ExecuteSlash, IncidentReport, IncidentOpen,
)
KINDS: dict[str, type] = {cls.KIND: cls for cls in GOV_TXS}


def gov_args(tx: object) -> tuple:
    """A governance transaction's field values in order."""
    return tuple(getattr(tx, f.name) for f in dataclasses.fields(tx))


def gov_tx(kind: str, *args: object):
    """The transaction of kind `kind` ("vote", "transfer", ...) with these arguments."""
    return KINDS[kind](*args)
