"""The verifier: re-derives L2 state from L1 data alone (the genesis on L1 and the bodies of the
batches posted there), compares every claimed result with its own re-execution and challenges
the first wrong batch inside its window. It never reads the sequencer's memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.decoding import decode_state
from ..engine.state import State, genesis_state
from ..engine.stf import InvalidBlock
from .batch import decode_body, execute_batch, list_root, run_block
from .commitment import Commitment
from .contract import POSTED, REVERTED, BatchRecord, Settlement
from .judge import Verdict, Witness, witness_of
from .l1 import L1Error


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
                authenticate: bool = True) -> str | None:
    """Execute `record` on `state` in place; what is wrong with its claims, or None."""
    try:
        result = execute_batch(state, commitment, decode_body(record.body), authenticate)
    except InvalidBlock as exc:
        return f"invalid block: {exc}"
    except Exception as exc:  # noqa: BLE001 - what the judge calls fraud, so does the verifier
        return f"batch does not execute: {type(exc).__name__}: {exc}"
    header = record.header
    if result.post_root != header.post_root:
        return "post_root"
    if result.trace_root != header.trace_root:
        return "trace_root"
    if tuple(result.withdrawals) != record.withdrawals or \
            list_root([w.encode() for w in result.withdrawals]) != header.withdrawals_root:
        return "withdrawals"
    return None


@dataclass
class Verifier:
    """An honest challenger following one L1."""

    address: str
    l1: Settlement
    state: State | None = None
    commitment: Commitment = field(default_factory=Commitment)
    tip_no: int = 0  # the batch our state stands after (0: genesis)
    seen: int = 0  # batches examined
    checkpoints: dict[int, Witness] = field(default_factory=dict)  # post-state, every K-th
    verified: int = 0
    challenges: list[tuple[int, Verdict]] = field(default_factory=list)
    findings: list[tuple[int, str]] = field(default_factory=list)
    bad: set = field(default_factory=set)  # batches found wrong, and their descendants
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
        """Examine every batch posted since the last poll; challenge the wrong ones."""
        out = []
        l1 = self.l1
        while self.seen < len(l1.batches):
            record = l1.batches[self.seen]
            self.seen += 1
            if record.status == REVERTED or record.parent in self.bad:
                self.bad.add(record.header.batch_no)  # built on a batch we proved wrong
                continue
            if record.parent != self.tip_no:
                self._rewind(record.parent)
            problem = check_batch(self.state, self.commitment, record, l1.params.authenticate)
            if problem is None:
                self.tip_no = record.header.batch_no
                self.verified += 1
                if self.verified % CHECKPOINT_EVERY == 0:
                    self.checkpoints[self.tip_no] = witness_of(self.state)
                continue
            number = record.header.batch_no
            if record.status == POSTED and l1.time_ms < record.deadline_ms:
                pre = witness_of(self.state_after(record.parent))
                try:
                    verdict = (self.submit or l1.challenge)(self.address, number, pre)
                except (L1Error, OSError):  # not sent (gas, bond, the node away): next poll
                    self._rewind(record.parent)
                    self.seen -= 1
                    break
                self.challenges.append((number, verdict))
                out.append((number, verdict))
            self.findings.append((number, problem))
            self.bad.add(number)
            self._rewind(record.parent)
        self._prune()
        return out

    def _prune(self) -> None:
        """Keep the newest checkpoint at or below finality and everything after it."""
        final = [n for n in self.checkpoints if n <= self.l1.finalized_no]
        floor = max(final) if final else 0
        for number in [n for n in self.checkpoints if n < floor]:
            del self.checkpoints[number]
