"""A MODEL of validity-proof settlement, for the risk lab to set beside the optimistic contract
(rollup/contract.py). Nothing here is cryptography: no proof is produced or verified. The
"prover" re-executes each posted batch from L1 data, as the verifier does; where the batch's
claimed result is what its data produce, a proof is taken to exist and to land on L1 after a
latency the caller draws; where it is not, no proof can exist, and the operator withdraws the
commitment. Money in micro-USDC, times in ms of the L1 clock; integers only.

- `ValiditySettlementModel`: the settlement contract with finality by proof instead of a
  challenge window. A batch finalizes when its proof has landed and its parent is final; there
  is no fraud game. A forced request counts as served only once a proven batch consumed it;
  one left unserved past the freeze grace puts the venue in exit mode ("desert mode" in
  StarkEx terms): no state update lands after it, and users exit from the last proven root.
- `ProverModel`: a pool of `workers` proving posted batches oldest first; a prover outage
  pauses every proof in progress and starts none.
- `exit_book`: what each account is owed when the venue exits from a given batch's root, at
  given prices (the contract's `escape_value` and pro-rata `haircut`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from ..engine.params import Genesis
from ..engine.state import State, is_fund
from .commitment import Commitment
from .contract import (
    FORCED_KINDS, POSTED, REVERTED, BatchRecord, EscapeBook, Settlement, deploy, escape_value,
    haircut,
)
from .l1 import KIND_DEPOSIT, L1Error, L1Message
from .params import RollupParams
from .verifier import check_batch, replay_standing

NEVER_MS = 1 << 62  # a validity batch has no challenge deadline: only its proof finalizes it


@dataclass
class ValiditySettlementModel(Settlement):
    """The settlement contract under the validity model: commit, then prove, then final."""

    proven_ms: dict[int, int] = field(default_factory=dict)  # batch -> when its proof landed
    exit_mode_ms: int = 0  # when the venue entered exit mode (0: never)

    # ----- batches ------------------------------------------------------------------------
    def validate_batch(self, sender: str, header, body: bytes, withdrawals) -> bool:
        if self.exit_mode_ms:
            raise L1Error("exit mode: no state update is accepted")
        return super().validate_batch(sender, header, body, withdrawals)

    def commit_batch(self, sender: str, header, body: bytes, withdrawals) -> BatchRecord:
        """Accept the batch's data and claim; it waits for its proof (no challenge window)."""
        record = super().commit_batch(sender, header, body, withdrawals)
        record.deadline_ms = NEVER_MS
        return record

    def challenge(self, challenger: str, batch_no: int, witness) -> None:  # type: ignore[override]
        raise L1Error("the validity model has no fraud game: a wrong claim is never proven")

    def on_block(self) -> None:
        """Each L1 block: finalize the proven batches whose parents are final."""
        self.finalize_proven()

    def finalize_proven(self) -> None:
        """Oldest first, every standing batch with a proof whose parent is final."""
        self.finalize_ready(lambda record: record.header.batch_no in self.proven_ms)

    # ----- proofs -------------------------------------------------------------------------
    def submit_proof(self, sender: str, batch_no: int, post_root: bytes,
                     withdrawals_root: bytes) -> None:
        """A proof of batch `batch_no`'s execution from its parent's root lands: it is accepted
        when what it attests is what the batch claims, and the batch finalizes once its parent
        is final."""
        if self.exit_mode_ms:
            raise L1Error("exit mode: no proof is accepted")
        record = self.batch(batch_no)
        if record.status != POSTED or batch_no in self.proven_ms:
            raise L1Error(f"batch {batch_no} is not waiting for a proof")
        if post_root != record.header.post_root or \
                withdrawals_root != record.header.withdrawals_root:
            raise L1Error(f"the proof of batch {batch_no} attests another result than it claims")
        self.proven_ms[batch_no] = self.time_ms
        self._event("proofLanded", batch=batch_no, prover=sender)
        self.finalize_proven()

    def reject_unprovable(self, sender: str, batch_no: int) -> list[int]:
        """The operator withdraws a commitment its prover cannot prove (the claimed result is
        not what the batch's data produce): it and every later standing batch revert, their
        bonds come back (there is no fraud game to slash them), and the queue cursor returns to
        where the batch began, so the same blocks can be committed again with their true
        result. Returns the batches reverted."""
        if sender not in self.posters:
            raise L1Error(f"{sender} is not a batch poster")
        record = self.batch(batch_no)
        if record.status != POSTED or batch_no in self.proven_ms:
            raise L1Error(f"batch {batch_no} is not an unproven commitment")
        reverted = self.revert_from(batch_no, refund_first=True)
        for number in reverted:
            self.proven_ms.pop(number, None)
        self._event("batchRejected", batch=batch_no, reverted=len(reverted))
        return reverted

    # ----- forced requests and exit mode ----------------------------------------------------
    def oldest_unproven_forced(self) -> L1Message | None:
        """The oldest forced request no proven batch has consumed (served only once proven)."""
        for m in self.messages[self.finalized_cursor:]:
            if m.kind in FORCED_KINDS:
                return m
        return None

    def exit_due(self) -> L1Message | None:
        """The forced request that lets anyone put the venue in exit mode now, if any: one left
        unproven for the freeze grace."""
        m = self.oldest_unproven_forced()
        if self.exit_mode_ms or m is None:
            return None
        return m if self.time_ms >= m.time_ms + self.params.freeze_grace_ms else None

    def enter_exit_mode(self, sender: str) -> None:
        """Exit mode (StarkEx's freeze, Lighter's desert mode): no state update or proof is
        accepted afterwards; the last proven root is the one users exit from. The queue stays
        open in this model, so that the lab's two settlement models see one L1 message
        stream; what it takes after this point is reclaimable, never credited."""
        m = self.exit_due()
        if m is None:
            raise L1Error("exit mode not allowed: no forced request is unproven past the grace")
        self.exit_mode_ms = self.time_ms
        self._event("exitMode", by=sender, message=m.index, root_batch=self.finalized_no)


def deploy_validity(params: RollupParams, genesis: Genesis,
                    posters: tuple[str, ...]) -> ValiditySettlementModel:
    """The validity model's contract at L1 time = the genesis time, holding the genesis state's
    collateral (rollup/contract.py `deploy` with this model's class)."""
    l1 = deploy(params, genesis, posters, ValiditySettlementModel)
    assert isinstance(l1, ValiditySettlementModel)
    return l1


# ----- the prover ---------------------------------------------------------------------------

@dataclass
class ProofJob:
    """One batch's proof: when it lands and what it attests."""

    batch_no: int
    n_txs: int
    done_ms: int
    post_root: bytes
    withdrawals_root: bytes
    landed: bool = False


def proving_end(start_ms: int, work_ms: int, outages: tuple[tuple[int, int], ...]) -> int:
    """When `work_ms` of proving that starts at `start_ms` ends, no work being done inside an
    outage window [start, end)."""
    t, left = start_ms, work_ms
    for begin, end in outages:  # sorted by start
        if end <= t:
            continue
        if begin >= t + left:
            break
        if begin > t:
            left -= begin - t
        t = end
    return t + left


@dataclass
class ProverModel:
    """Proves what the operator posts, from L1 data; a model of timing and cost, not a prover.

    Each posted batch is re-executed on its parent's state when it is first seen (the witness a
    real prover generates first): a batch whose claim its data do not produce is rejected at
    once (`reject_unprovable`); any other gets a job on the earliest free worker, lasting the
    latency the caller drew. A job's proof lands on L1 at its end (`land_due`)."""

    address: str
    l1: ValiditySettlementModel
    workers: int
    cost_per_tx_musdc: int
    outages: tuple[tuple[int, int], ...] = ()  # (start, end) ms: no proving
    jobs: dict[int, ProofJob] = field(default_factory=dict)
    running: list[tuple[int, int]] = field(default_factory=list)  # heap of (done_ms, batch)
    free_at: list[int] = field(default_factory=list)
    seen: int = 0  # batches examined
    cost_musdc: int = 0  # proofs landed x their transactions x the cost per transaction
    failures: list[tuple[int, str]] = field(default_factory=list)  # engine errors: stuck
    state: State | None = None
    commitment: Commitment = field(default_factory=Commitment)
    tip_no: int = 0  # the batch our state stands after (-1: none)

    def __post_init__(self) -> None:
        self.free_at = [0] * self.workers
        self.outages = tuple(sorted(self.outages))
        self._rebuild(0)

    def _rebuild(self, batch_no: int) -> None:
        self.state = replay_standing(self.l1, batch_no)
        self.commitment = Commitment()
        self.commitment.refresh(self.state)
        self.tip_no = batch_no

    def take_new(self, latency_ms: Callable[[int], int]) -> list[int]:
        """Examine each batch posted since the last call; `latency_ms(n_txs)` draws a proof's
        duration. Returns the batches rejected as unprovable (not the descendants that went with
        them)."""
        l1 = self.l1
        rejected: list[int] = []
        while self.seen < len(l1.batches):
            record = l1.batches[self.seen]
            self.seen += 1
            number = record.header.batch_no
            if record.status != POSTED:
                continue
            if record.parent != self.tip_no:
                self._rebuild(record.parent)
            assert self.state is not None
            verdict = check_batch(self.state, self.commitment, record, l1.params.authenticate)
            if verdict.failure is not None:  # the engine raised: no proof either way
                self.failures.append((number, verdict.reason))
                self.tip_no = -1
                continue
            if verdict.fraud:
                l1.reject_unprovable(l1.posters[0], number)
                rejected.append(number)
                self.tip_no = -1
                continue
            self.tip_no = number
            self._schedule(record, latency_ms(record.header.n_txs))
        return rejected

    def _schedule(self, record: BatchRecord, work_ms: int) -> None:
        ready = self.l1.time_ms
        worker = min(range(self.workers), key=lambda i: (self.free_at[i], i))
        start = max(ready, self.free_at[worker])
        done = proving_end(start, work_ms, self.outages)
        self.free_at[worker] = done
        header = record.header
        self.jobs[header.batch_no] = ProofJob(header.batch_no, header.n_txs, done,
                                              header.post_root, header.withdrawals_root)
        heapq.heappush(self.running, (done, header.batch_no))

    def land_due(self) -> list[int]:
        """Submit every proof whose job has ended by now, oldest batch first; returns them."""
        l1 = self.l1
        landed: list[int] = []
        running = self.running
        if l1.exit_mode_ms or not running or running[0][0] > l1.time_ms:
            return landed
        due: list[int] = []
        while running and running[0][0] <= l1.time_ms:
            due.append(heapq.heappop(running)[1])
        for number in sorted(due):
            job = self.jobs[number]
            job.landed = True
            if l1.batch(number).status != POSTED:
                continue  # reverted meanwhile: its proof no longer matters
            l1.submit_proof(self.address, number, job.post_root, job.withdrawals_root)
            self.cost_musdc += job.n_txs * self.cost_per_tx_musdc
            landed.append(number)
        return landed


# ----- exits --------------------------------------------------------------------------------

@dataclass
class ExitBook:
    """What an exit from batch `batch_no`'s root pays, at `prices` (pips per asset)."""

    batch_no: int
    book: EscapeBook
    state: State  # the state at the exit root
    amounts: dict[str, int]  # account -> what it gets, after the haircut
    reclaimable_musdc: int  # deposits no batch at or below the root consumed: back to senders
    claimable_musdc: int  # withdrawals of batches at or below the root: paid as claims


def exit_book(l1: Settlement, batch_no: int, prices: dict[int, int]) -> ExitBook:
    """Exit from standing batch `batch_no` (0: genesis): replay the standing batches up to it
    from L1 data, value every account at `prices` (`escape_value`) and share the contract's free
    balance pro rata (`haircut`: the insurance funds absorb a shortfall first). The free balance
    is what the contract holds beyond the deposits the root never consumed (reclaimable), the
    withdrawals of batches up to the root (claimable) and the bonds (returned)."""
    state = replay_standing(l1, batch_no)
    commitment = Commitment()
    root = commitment.refresh(state)
    standing = [b for b in l1.canonical_chain() if b.header.batch_no <= batch_no]
    cursor = standing[-1].header.l1_msg_end if standing else 0
    reclaimable = sum(m.payload[1] for m in l1.messages[cursor:]
                      if m.kind == KIND_DEPOSIT and m.index not in l1.reclaimed)
    claimable = sum(w.amount_musdc for b in standing for k, w in enumerate(b.withdrawals)
                    if (b.header.batch_no, k) not in l1.claimed)
    bonds = sum(b.bond_musdc for b in l1.batches if b.status == POSTED)
    pool = l1.bridge_balance_musdc - reclaimable - claimable - bonds
    users = funds = 0
    values: dict[str, int] = {}
    for address in sorted(state.accounts):
        value = escape_value(state.accounts[address], prices)
        values[address] = value
        if is_fund(address):
            funds += value
        else:
            users += value
    book = EscapeBook(root, commitment.tree.root, dict(prices), users, funds, pool)
    amounts = {a: haircut(v, is_fund(a), book) for a, v in values.items() if v > 0}
    return ExitBook(batch_no, book, state, amounts, reclaimable, claimable)


__all__ = ["ValiditySettlementModel", "ProverModel", "ProofJob", "ExitBook", "exit_book",
           "proving_end", "deploy_validity", "NEVER_MS"]
