"""The verifier: re-derives L2 state from L1 data alone (the genesis on L1 and the bodies of the
batches posted there), compares every claimed result with its own re-execution and challenges
the first wrong batch inside its window. It never reads the sequencer's memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..engine.decoding import decode_state
from ..engine.genesis import genesis_state
from ..engine.state import State
from .batch import decode_body, run_block
from .commitment import Commitment
from .contract import POSTED, REVERTED, BatchRecord, Settlement
from .judge import Verdict, Witness, judge_batch, witness_of
from .l1 import L1Error


LOG = logging.getLogger(__name__)
UNKNOWN = -1  # tip_no when our state is after no batch (a re-execution stopped or was wrong)
CHECKPOINT_EVERY = 16  # the verifier encodes a full state once per this many verified batches


def replay_standing(l1: Settlement, upto_no: int | None = None) -> State:
    """The state after the standing batches (up to batch `upto_no`), from L1 data only."""
    state = genesis_state(l1.genesis)
    for record in l1.canonical_chain():
        if upto_no is not None and record.header.batch_no > upto_no:
            break
        for block in decode_body(record.body):
            run_block(state, block, l1.params.authenticate)
    return state


def check_batch(state: State, commitment: Commitment, record: BatchRecord,
                authenticate: bool = True) -> Verdict:
    """Execute `record` on `state` in place; the judge's verdict on it (rollup/judge.py), so
    the verifier calls fraud exactly what the L1 judge does, and an engine error a failure."""
    return judge_batch(state, commitment, record.header, record.body, record.withdrawals,
                       authenticate)


@dataclass
class Verifier:
    """An honest challenger following one L1."""

    address: str
    l1: Settlement
    state: State | None = None
    commitment: Commitment = field(default_factory=Commitment)
    tip_no: int = 0  # the batch our state stands after (0: genesis; UNKNOWN: none)
    seen: int = 0  # batches examined
    checkpoints: dict[int, Witness] = field(default_factory=dict)  # post-state, every K-th
    verified: int = 0
    challenges: list[tuple[int, Verdict]] = field(default_factory=list)
    findings: list[tuple[int, str]] = field(default_factory=list)
    bad: set = field(default_factory=set)  # batches found wrong, and their descendants
    failures: list[tuple[int, str]] = field(default_factory=list)  # judge failures seen
    unverifiable: set = field(default_factory=set)  # batches that failed, and descendants
    submit: object = None  # challenge(challenger, batch_no, witness); default: the L1's

    def __post_init__(self) -> None:
        state = genesis_state(self.l1.genesis)
        self._set(state)
        if self.commitment.root(state) != self.l1.genesis_root:
            raise ValueError("the L1 genesis root is not this genesis")
        self.checkpoints[0] = witness_of(state)

    def _set(self, state: State) -> None:
        self.state = state
        self.commitment = Commitment()
        self.commitment.refresh(state)

    def state_after(self, batch_no: int) -> State:
        """The state after standing batch `batch_no`: the nearest checkpoint on its line of
        parents, then the batches from there (a pre-state is rebuilt only when needed)."""
        path = []
        number = batch_no
        while number not in self.checkpoints:
            path.append(number)
            number = self.l1.batch(number).parent
        witness = self.checkpoints[number]
        state = decode_state(self.l1.config, witness.shared, list(witness.leaves))
        for later in reversed(path):
            for block in decode_body(self.l1.batch(later).body):
                run_block(state, block, self.l1.params.authenticate)
        return state

    def _rewind(self, batch_no: int) -> None:
        self._set(self.state_after(batch_no))
        self.tip_no = batch_no

    def poll(self) -> list[tuple[int, Verdict]]:
        """Examine every batch posted since the last poll; challenge the wrong ones. A batch
        the engine cannot re-execute is no fraud we can prove: it is logged loudly, never
        challenged, and nothing built on it can be checked."""
        out = []
        l1 = self.l1
        while self.seen < len(l1.batches):
            record = l1.batches[self.seen]
            self.seen += 1
            number = record.header.batch_no
            if record.status == REVERTED or record.parent in self.bad:
                self.bad.add(number)  # built on a batch we proved wrong
                continue
            if record.parent in self.unverifiable:
                self.unverifiable.add(number)  # we have no post-state of its parent
                continue
            if record.parent != self.tip_no:
                self._rewind(record.parent)
            verdict = check_batch(self.state, self.commitment, record, l1.params.authenticate)
            if verdict.failure is not None:
                self._failed(number, verdict.reason)
                self.tip_no = UNKNOWN  # rebuilt when next needed: the engine may fail again
                continue
            if not verdict.fraud:
                self.tip_no = number
                self.verified += 1
                if self.verified % CHECKPOINT_EVERY == 0:
                    self.checkpoints[self.tip_no] = witness_of(self.state)
                continue
            if self._challengeable(record):
                pre = witness_of(self.state_after(record.parent))
                try:
                    answer = (self.submit or l1.challenge)(self.address, number, pre)
                except (L1Error, OSError):  # not sent (gas, bond, the node away): next poll
                    self.tip_no = UNKNOWN
                    self.seen -= 1
                    break
                self.challenges.append((number, answer))
                out.append((number, answer))
                if answer.failure is not None:
                    self._failed(number, f"the L1 judge failed on a batch we found wrong "
                                         f"({verdict.reason}): {answer.reason}")
            self.findings.append((number, verdict.reason))
            self.bad.add(number)
            self.tip_no = UNKNOWN
        self._prune()
        return out

    def _challengeable(self, record: BatchRecord) -> bool:
        """In its window, and not already closed to challenges by a judge failure."""
        l1 = self.l1
        number = record.header.batch_no
        if l1.judge_failed(number):
            self._failed(number, "found wrong, but the L1 judge already failed on it: no "
                                 "challenge can decide it")
            return False
        return record.status == POSTED and l1.time_ms < record.deadline_ms

    def _failed(self, batch_no: int, reason: str) -> None:
        """An incident for the operators: recorded, and logged as an error."""
        self.failures.append((batch_no, reason))
        self.unverifiable.add(batch_no)
        LOG.error("verifier %s: batch %d cannot be judged: %s; later batches built on it are "
                  "not verified", self.address, batch_no, reason)

    def _prune(self) -> None:
        """Keep the newest checkpoint at or below finality and everything after it."""
        final = [n for n in self.checkpoints if n <= self.l1.finalized_no]
        floor = max(final) if final else 0
        for number in [n for n in self.checkpoints if n < floor]:
            del self.checkpoints[number]
