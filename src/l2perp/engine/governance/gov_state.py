"""The governance part of the exchange state (`State.gov`) and its genesis.

One plain container over the pieces that own the rules: the token (power.py), the proposals
(proposals.py), the risk table with steward bounds (stewards.py), the guardians (guardians.py),
the operator registry (operators.py), plus what only the venue has: incident records, the
treasury's outflow accounting, fee changes waiting for the next UTC day and the rule version
with its scheduled upgrade. Token amounts in token units, times in ms of block time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .guardians import Guardians
from .operators import Registry
from .power import GovToken
from .proposals import DEFAULT_LANES, GovError, Governor, Lane
from .stewards import Bounds, RiskTable

TREASURY = "0x" + "ee" * 19 + "01"  # the DAO treasury's token address
BOND_ESCROW = "0x" + "ee" * 19 + "02"  # bonded operator stake sits here (it never votes)
DAY_MS = 86_400_000
MAX_REPORT_CHARS = 8_000


@dataclass
class IncidentRecord:
    """A first-class incident: who must explain it, by when, and what happened in order."""

    iid: int
    kind: str  # guardianAction, slash, circuitBreaker, outage
    subject: str  # "market 0", an operator address, "guardian action 3"
    opened_ms: int
    opened_height: int
    responsible: str  # "guardians", "stewards" or an operator address
    deadline_ms: int
    timeline: list[tuple[int, str]] = field(default_factory=list)  # (ms, what happened)
    report: str = ""
    report_hash: bytes = b""
    filed_ms: int = -1
    filed_by: str = ""
    guardian_nonce: int = 0  # the guardian action it explains (0: none)
    asset: int = -1  # the market it concerns (-1: none)

    @property
    def late(self) -> bool:
        return self.filed_ms > self.deadline_ms


@dataclass
class Upgrade:
    """A rule version scheduled by a constitutional proposal."""

    version: int
    activation_height: int
    scheduled_height: int
    proposal: int


@dataclass
class GovState:
    token: GovToken
    governor: Governor
    table: RiskTable
    guardians: Guardians
    registry: Registry
    incidents: list[IncidentRecord] = field(default_factory=list)
    engine_incidents_seen: int = 0  # State.incidents already opened as records
    outflow_cap_per_epoch: int = 0  # treasury tokens per governance epoch (0: no cap)
    outflow_by_epoch: dict[int, int] = field(default_factory=dict)
    pending_fees: dict[str, int] = field(default_factory=dict)  # applied at the next UTC day
    pending_fees_day: int = 0
    rule_version: int = 1
    upgrades: list[Upgrade] = field(default_factory=list)
    upgrade_exit_blocks: int = 600  # activation >= execution height + this
    slot_ms: int = 60_000  # sequencer rotation slot
    used_evidence: list[str] = field(default_factory=list)  # evidence already slashed on
    oracle_rounds_missed: dict[str, int] = field(default_factory=dict)  # operator -> rounds
    halted: bool = False  # the voting-power invariant broke: only guardians and reports run
    fee_day: int = -1  # the last UTC day operator fees were paid
    last_slot: int = -1  # the last rotation slot a block was seen in

    def incident(self, iid: int) -> IncidentRecord:
        if type(iid) is not int or not 1 <= iid <= len(self.incidents):
            raise GovError(f"unknown incident {iid}")
        return self.incidents[iid - 1]

    def open_incident(self, kind: str, subject: str, responsible: str, deadline_ms: int,
                      now_ms: int, height: int) -> IncidentRecord:
        """A new incident record, opened now, that `responsible` must explain by the deadline."""
        record = IncidentRecord(len(self.incidents) + 1, kind, subject, now_ms, height,
                                responsible, deadline_ms)
        record.timeline.append((now_ms, f"opened: {kind} {subject}"))
        self.incidents.append(record)
        return record


@dataclass(frozen=True)
class GovGenesis:
    """Who holds what at height 0. Every allocation counts as active in the genesis epoch."""

    allocations: tuple[tuple[str, int], ...] = ()
    treasury: int = 0
    guardians: tuple[str, ...] = ()
    guardian_threshold: int = 1
    guardian_cohorts: tuple[int, ...] = ()  # per seat, 0 or 1 (default: alternate)
    guardian_term_ms: int = 365 * DAY_MS
    stewards: tuple[str, ...] = ()
    steward_bounds: tuple[tuple[str, Bounds], ...] = ()
    lanes: tuple[Lane, ...] = DEFAULT_LANES
    activity_epochs: int = 6
    epoch_ms: int = 7 * DAY_MS
    guardian_expiry_ms: int = 14 * DAY_MS  # outlasts the standard and listing lanes
    report_deadline_ms: int = 3 * DAY_MS
    outflow_cap_per_epoch: int = 0
    operators: tuple[tuple[str, str, int], ...] = ()  # (address, role, bond)


def make_gov_state(genesis: GovGenesis, time_ms: int, engine_values: dict[str, int]) -> GovState:
    """The governance state at height 0; `engine_values` is the governed-parameter table as the
    engine genesis has it (params.engine_keys)."""
    token = GovToken()
    governor = Governor(token, lanes=tuple(genesis.lanes),
                        activity_epochs=genesis.activity_epochs, epoch_ms=genesis.epoch_ms)
    epoch = governor.epoch(time_ms)
    for address, amount in genesis.allocations:
        token.mint(address, amount, 0)
        token.mark_active(address, epoch)
    if genesis.treasury:
        token.mint(TREASURY, genesis.treasury, 0)
    table = RiskTable(values=dict(engine_values), bounds=dict(genesis.steward_bounds),
                      stewards=tuple(genesis.stewards))
    members = genesis.guardians or ("0x" + "00" * 20,)
    cohorts = genesis.guardian_cohorts or tuple(i % 2 for i in range(len(members)))
    half = genesis.guardian_term_ms // 2
    guardians = Guardians(
        tuple(members), genesis.guardian_threshold, expiry_ms=genesis.guardian_expiry_ms,
        report_deadline_ms=genesis.report_deadline_ms,
        cohorts={m: c for m, c in zip(members, cohorts)},
        term_ends_ms=(time_ms + half, time_ms + genesis.guardian_term_ms),
        last_active_ms={m: time_ms for m in members})
    registry = Registry()
    gov = GovState(token, governor, table, guardians, registry,
                   outflow_cap_per_epoch=genesis.outflow_cap_per_epoch)
    for address, role, bond in genesis.operators:
        token.mint(BOND_ESCROW, bond, 0)
        registry.bond(address, role, bond)
    gov.fee_day = time_ms // DAY_MS
    return gov
