"""The batch poster (our "relayer"): follows the sequencer's blocks with the state commitment,
and, on its turn in the rotation schedule, posts the blocks L1 has not yet got as batches of at
most `max_batch_txs` transactions, with their claimed roots and a bond.

What is posted is decided by L1 alone: every block above the newest standing batch. After a
revert the same blocks (the same transactions, acknowledged already) go out again with the
correct roots. A signing journal makes sure one batch number is never signed with two contents
(a batch signed before a crash is re-posted exactly as signed).

A `fault` (devnet only) corrupts one claimed result so anyone can watch a challenge win.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..codec import h256
from ..engine.decoding import copy_state
from ..engine.state import State
from ..engine.tx import (
    BatchModify, Block, BlockReceipts, BridgeCredit, Cancel, CancelByCloid, PlaceOrders, Tx,
)
from ..engine.txcodec import encode_block_packed, join_packed
from .accounting import tvl_musdc
from .batch import BatchHeader, WithdrawalEntry, encode_body, execute_batch, list_root
from .commitment import Commitment
from .contract import Settlement
from .l1 import L1Error, L1Message

FAULTS = ("balance", "size", "funding", "price", "withdrawals", "cursor", "root", "drop-deposit")


@dataclass(frozen=True)
class BlockRecord:
    """A block with what the poster needs for its batch."""

    block: Block
    root: bytes
    withdrawals: tuple[WithdrawalEntry, ...]
    n_txs: int
    tvl_musdc: int | None  # the L2 total after the block, where measured
    n_items: int = 0  # orders, cancels and modifies in it, other transactions one each
    packed: bytes | None = None  # the block as a batch body holds it, when known in advance
    l1_costs_musdc: int | None = None  # the L1 data costs L2 took on by then (an L1 data fee)


def tx_items(tx: Tx) -> int:
    """What a transaction weighs in a batch for the poster's own budget: its orders, cancels
    or modifies (a bulk action of 40 orders is 40), any other transaction 1."""
    action = tx.action
    kind = type(action)
    if kind is PlaceOrders:
        return max(len(action.orders), 1)
    if kind is Cancel or kind is CancelByCloid:
        return max(len(action.cancels), 1)
    if kind is BatchModify:
        return max(len(action.modifies), 1)
    return 1


@dataclass
class SignedBatch:
    header: BatchHeader
    body: bytes
    withdrawals: tuple[WithdrawalEntry, ...]


class SigningJournal:
    """Batch numbers this poster has signed (in memory; the node keeps it in SQLite)."""

    def __init__(self) -> None:
        self.signed: dict[int, SignedBatch] = {}

    def get(self, batch_no: int) -> SignedBatch | None:
        return self.signed.get(batch_no)

    def sign(self, batch: SignedBatch) -> None:
        """Record a signature; refuses a second, different content for one number."""
        old = self.signed.get(batch.header.batch_no)
        if old is not None and old.header.digest() != batch.header.digest():
            raise L1Error(f"batch {batch.header.batch_no} was already signed with other content")
        self.signed[batch.header.batch_no] = batch


def due_messages(l1: Settlement, l1_cursor: int, limit: int) -> list[L1Message]:
    """Queue messages the next block should carry: from the L2 state's cursor, confirmed."""
    out = []
    for m in l1.messages[l1_cursor:l1_cursor + limit]:
        if m.block + l1.params.confirmations > l1.height:
            break
        out.append(m)
    return out


@dataclass
class Poster:
    """Blocks since the last finalized batch, and the posting of those L1 lacks."""

    address: str
    l1: Settlement
    commitment: Commitment = field(default_factory=Commitment)
    records: dict[int, BlockRecord] = field(default_factory=dict)
    journal: SigningJournal = field(default_factory=SigningJournal)
    fault: str | None = None  # one of FAULTS: corrupts the next batch posted, once
    faults_injected: int = 0
    submit: object = None  # commit_batch(sender, header, body, withdrawals); default: the L1's
    # the poster's own cut, below L1's budget (None: L1's alone): a batch closes at this many
    # items (`tx_items`), so that no single post checks and stores a body of 5,000 bulk actions
    max_batch_items: int | None = None
    # batches posted per `post_due` call at most (None: every one due); the node posts one
    # per block, so a backlog drains over several blocks instead of stalling one
    batches_per_call: int | None = None

    def start(self, state: State) -> None:
        """Take the state the sequencer starts from (genesis or recovered)."""
        self.commitment = Commitment()
        self.commitment.refresh(state)

    def on_block(self, state: State, block: Block, receipts: BlockReceipts,
                 measure_tvl: bool = True, txs: bytes | None = None) -> BlockRecord:
        """After each block: its root, its withdrawals, the L2 total.

        The L2 total is kept incrementally (the accounts the block touched); when a batch is due
        to be posted after this block, it is counted afresh over every account, so that a change
        of the state that no block reported (a bug) reaches the reconciler within one batch.
        `txs`: the block's transactions as the sequencer encoded them (`encode_txs`), reused
        for the batch body instead of encoding the block again."""
        root = self.commitment.refresh(state, receipts.touched)
        record = BlockRecord(block, root, tuple(
            WithdrawalEntry(w.wid, w.user, w.destination, w.amount_musdc)
            for w in state.withdrawals), len(block.txs),
            self.commitment.tvl_musdc(state) if measure_tvl else None,
            sum(tx_items(tx) for tx in block.txs),
            None if txs is None else encode_block_packed(block.height, block.time_ms, txs),
            None if state.l1_fee is None else state.l1_fee.costs_musdc)
        self.records[block.height] = record
        if measure_tvl and self.due(self.l1.last_post_ms):
            audited = tvl_musdc(state)
            if audited != record.tvl_musdc:
                record = replace(record, tvl_musdc=audited)
                self.records[block.height] = record
        return record

    def unposted(self) -> list[BlockRecord]:
        tip = self.l1.tip()
        start = tip.header.last_height + 1 if tip else 1
        out = []
        height = start
        while height in self.records:
            out.append(self.records[height])
            height += 1
        return out

    def prune(self) -> None:
        """Forget blocks of finalized batches."""
        if self.l1.finalized_no:
            final = self.l1.batch(self.l1.finalized_no).header.last_height
            for height in [h for h in self.records if h <= final]:
                del self.records[height]

    def due(self, last_post_ms: int) -> bool:
        """Our turn, not frozen, and either the interval passed or a batch is full."""
        l1 = self.l1
        if l1.frozen or l1.poster_at(l1.time_ms) != self.address:
            return False
        pending = self.unposted()
        if not pending:
            return False
        if sum(r.n_txs for r in pending) >= l1.params.max_batch_txs:
            return True
        if self.max_batch_items is not None and \
                sum(r.n_items for r in pending) >= self.max_batch_items:
            return True
        return l1.time_ms - last_post_ms >= l1.params.batch_interval_ms or bool(l1.overdue())

    def post_due(self, force: bool = False) -> list[BatchHeader]:
        """Post every batch due now (several when a backlog exceeds one batch; at most
        `batches_per_call` unless `force`)."""
        posted: list[BatchHeader] = []
        if not (force or self.due(self.l1.last_post_ms)):
            return posted
        self.prune()
        while True:
            if not force and self.batches_per_call is not None and \
                    len(posted) >= self.batches_per_call:
                return posted
            batch = self.next_batch()
            if batch is None:
                return posted
            self.l1.validate_batch(self.address, batch.header, batch.body, batch.withdrawals)
            self.journal.sign(batch)  # only what L1 would take now is ever signed
            commit = self.submit or self.l1.commit_batch
            commit(self.address, batch.header, batch.body, batch.withdrawals)
            posted.append(batch.header)

    def next_batch(self) -> SignedBatch | None:
        """The journal's signed batch for the next number if it still fits, else a new cut."""
        l1 = self.l1
        number = len(l1.batches) + 1
        signed = self.journal.get(number)
        if signed is not None and signed.header.prev_root == l1.tip_root() \
                and signed.header.l1_msg_start == l1.cursor:
            return signed
        pending = self.unposted()
        if not pending:
            return None
        chosen: list[BlockRecord] = []
        n_txs = n_items = 0
        items_cap = self.max_batch_items
        for record in pending:
            if chosen and (n_txs + record.n_txs > l1.params.max_batch_txs
                           or len(chosen) == l1.params.max_batch_blocks
                           or (items_cap is not None and n_items + record.n_items > items_cap)):
                break
            if record.n_txs > l1.params.max_batch_txs:
                raise L1Error(f"block {record.block.height} exceeds the batch budget")
            chosen.append(record)
            n_txs += record.n_txs
            n_items += record.n_items
        blocks = tuple(r.block for r in chosen)
        n_messages = sum(1 for b in blocks for tx in b.txs if tx.signer is None)
        if all(r.packed is not None for r in chosen):  # the sequencer's bytes, reused
            body = join_packed([r.packed for r in chosen])
        else:
            body = encode_body(blocks)
        withdrawals = tuple(w for r in chosen for w in r.withdrawals)
        header = BatchHeader(
            batch_no=number, prev_root=l1.tip_root(), l1_msg_start=l1.cursor,
            l1_msg_end=l1.cursor + n_messages, l1_anchor_block=l1.height,
            l1_anchor_hash=l1.block_hashes[l1.height], system_time=blocks[-1].time_ms,
            n_txs=n_txs, data_hash=h256(body), post_root=chosen[-1].root,
            trace_root=list_root([r.root for r in chosen]),
            withdrawals_root=list_root([w.encode() for w in withdrawals]),
            first_height=blocks[0].height, last_height=blocks[-1].height)
        if self.fault is not None and self.faults_injected == 0 and (
                self.fault != "drop-deposit" or any(
                    type(tx.action) is BridgeCredit for b in blocks for tx in b.txs)):
            header, withdrawals = self.corrupt(header, withdrawals, blocks)
            self.faults_injected += 1
        return SignedBatch(header, body, withdrawals)

    def corrupt(self, header: BatchHeader, withdrawals: tuple, blocks: tuple[Block, ...]):
        """The devnet fault: one wrong effect, with a root that is self-consistent for it."""
        kind = self.fault
        if kind == "root":
            return replace(header, post_root=h256(b"wrong" + header.post_root)), withdrawals
        if kind == "withdrawals":
            extra = WithdrawalEntry(10**9, self.address, self.address, 10**6)
            bad = withdrawals + (extra,)
            return replace(header, withdrawals_root=list_root([w.encode() for w in bad])), bad
        # Re-execute the batch on a copy, bend one effect, and claim the bent state's root.
        state = self.pre_state(header)
        commitment = Commitment()
        commitment.refresh(state)
        result = execute_batch(state, commitment, blocks, self.l1.params.authenticate)
        corrupt_state(state, kind, blocks)
        root = commitment.refresh(state)
        roots = result.block_roots[:-1] + [root]
        return replace(header, post_root=root, trace_root=list_root(roots)), withdrawals

    def pre_state(self, header: BatchHeader) -> State:
        """The state before the batch, rebuilt by replaying L1's standing batches (devnet
        faults only)."""
        from .verifier import replay_standing
        state = replay_standing(self.l1)
        assert state.height == header.first_height - 1
        return copy_state(state)


def corrupt_state(state: State, kind: str, blocks: tuple[Block, ...] = ()) -> None:
    """Bend one effect of a state the way a faulty proposer would."""
    accounts = [state.accounts[a] for a in sorted(state.accounts)]
    credits = [tx.action for b in blocks for tx in b.txs if type(tx.action) is BridgeCredit]
    if kind == "balance" or (kind == "drop-deposit" and not credits):  # (never: see next_batch)
        accounts[-1].cash_musdc += 1_000_000
    elif kind == "drop-deposit":  # the batch consumes the deposit, the state never credits it
        state.accounts[credits[0].user].cash_musdc -= credits[0].amount_musdc
        state.credits_musdc -= credits[0].amount_musdc
    elif kind == "size":
        holder = next((a for a in accounts if a.positions), accounts[-1])
        if holder.positions:
            position = holder.positions[min(holder.positions)]
            position.size_lots += 1
        else:
            holder.cash_musdc += 1
    elif kind == "funding":
        state.markets[0].funding_index += 1
    elif kind == "price":
        state.markets[0].oracle_pips += 1
    elif kind == "cursor":
        state.l1_cursor += 1
    else:
        raise ValueError(f"unknown fault {kind}")
