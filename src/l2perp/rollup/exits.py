"""Ways around the operator, from L1 data alone: the permissionless forced-only batch (when the
sequencer has been silent past the force-inclusion delay) and the escape kit (the witness and
Merkle paths of the last finalized root, rebuilt by replaying the batches on L1).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import h256
from ..engine.state import State
from ..engine.tx import Block
from .batch import BatchHeader, encode_body, execute_batch, list_root
from .commitment import Commitment
from .contract import Settlement
from .judge import Witness, witness_of
from .poster import SignedBatch, due_messages
from .system import message_tx
from .verifier import replay_standing


def forced_only_batch(l1: Settlement, max_messages: int | None = None) -> SignedBatch | None:
    """One batch of one block that carries every confirmed queue message (up to the judge's
    budget) on top of the newest standing batch; None when there is nothing to carry."""
    state = replay_standing(l1)
    limit = l1.params.max_batch_txs if max_messages is None else max_messages
    messages = due_messages(l1, l1.cursor, limit)
    if not messages:
        return None
    commitment = Commitment()
    commitment.refresh(state)
    tip = l1.tip()
    time_ms = max(l1.time_ms, tip.header.system_time if tip else state.time_ms, state.time_ms)
    block = Block(state.height + 1, time_ms, tuple(message_tx(m) for m in messages))
    result = execute_batch(state, commitment, (block,))
    body = encode_body((block,))
    header = BatchHeader(
        batch_no=len(l1.batches) + 1, prev_root=l1.tip_root(), l1_msg_start=l1.cursor,
        l1_msg_end=l1.cursor + len(messages), l1_anchor_block=l1.height,
        l1_anchor_hash=l1.block_hashes[l1.height], system_time=time_ms, n_txs=len(block.txs),
        data_hash=h256(body), post_root=result.post_root, trace_root=result.trace_root,
        withdrawals_root=list_root([w.encode() for w in result.withdrawals]),
        first_height=block.height, last_height=block.height)
    return SignedBatch(header, body, tuple(result.withdrawals))


@dataclass
class EscapeKit:
    """The last finalized state as L1 data determines it, with everything escapes need."""

    state: State
    witness: Witness
    commitment: Commitment

    def leaf_and_proof(self, address: str) -> tuple[bytes, list[bytes]]:
        account = self.state.accounts[address]
        return self.witness.leaves[sorted(self.state.accounts).index(address)], \
            self.commitment.tree.proof(account.index)


def escape_kit(l1: Settlement) -> EscapeKit:
    """Replay the finalized batches from L1 and build the tree of their final state."""
    state = replay_standing(l1, l1.finalized_no)
    commitment = Commitment()
    root = commitment.refresh(state)
    if root != l1.finalized_root():
        raise ValueError("replayed state does not match the finalized root")
    return EscapeKit(state, witness_of(state), commitment)
