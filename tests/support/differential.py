"""What the differential test compares between the two builds of the core: one process runs
three recorded histories and prints, per block, a hash of its receipts and events and the state
root, as JSON (tests/test_builds.py runs it compiled and with L2PERP_PURE=1).

- `market`: 1,500 blocks of the recorded order flow with a price crash every 100 blocks
  (liquidations, the backstop, ADL), and a restart half-way: the state goes through its
  encoding (`copy_state`, what a node restored from a snapshot holds) and the flow goes on from
  the copy;
- `governance`: a governance history that changes engine-wide values, fees, a market and its
  own rules (tests/engine/governance/test_gov_commitment.py), replayed block by block;
- `rollup`: the flow through the rollup with a poster that corrupts one batch: every batch's
  roots and final status (the challenge reverts it and its descendants) and the L1 wallets.

Usage: python -m tests.support.differential   (prints one JSON object)
"""

from __future__ import annotations

import hashlib
import json

from l2perp import build
from l2perp.engine.decoding import copy_state
from l2perp.engine.encoding import state_digest
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.genesis import genesis_state
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block, BlockReceipts
from l2perp.rollup.params import TEST
from tests.support.flow import record, to_tx
from tests.support.venue import ADMIN, T0


def block_line(receipts: BlockReceipts, root: bytes) -> str:
    """sha256 of every receipt, event and touched account of a block (their reprs name every
    field), then the state root."""
    text = repr((receipts.receipts, receipts.events, receipts.touched))
    return hashlib.sha256(text.encode()).hexdigest()[:32] + ":" + root.hex()[:32]


def market_history(n_blocks: int = 1500) -> list[str]:
    state = genesis_state(Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    lines = []
    for i, (height, time_ms, txs) in enumerate(record(n_blocks, seed=5, crash_every=100)):
        if i == n_blocks // 2:
            state = copy_state(state)  # a restart from a snapshot
        receipts = apply_block(state, Block(height, time_ms, tuple(to_tx(t) for t in txs)))
        lines.append(block_line(receipts, state_digest(state)))
    return lines


def governance_history() -> list[str]:
    from tests.engine.governance.test_gov_commitment import history
    from tests.support.gov_rig import GovVenue

    blocks = history().blocks
    state = GovVenue().state
    return [block_line(apply_block(state, block), state_digest(state)) for block in blocks]


def rollup_history() -> list[str]:
    from tests.support.rollup_rig import flow_txs, funded

    s = funded()
    s.verifier_poll_ms = 10_000
    for i, txs in enumerate(flow_txs(50, seed=13, crash_every=25)):
        if i == 20:
            s.poster.fault = "balance"
        s.step(txs)
    s.idle(TEST.challenge_window_ms + 10_000)
    lines = [f"{r.header.batch_no}:{r.header.post_root.hex()[:32]}:{r.status}"
             for r in s.l1.batches]
    lines.append(json.dumps(sorted(s.l1.wallets.items())))
    lines.append(state_digest(s.state).hex())
    return lines


def main() -> None:
    print(json.dumps({"build": build.BUILD, "market": market_history(),
                      "governance": governance_history(), "rollup": rollup_history()}))


if __name__ == "__main__":
    main()
