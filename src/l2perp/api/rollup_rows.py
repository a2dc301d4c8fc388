"""The rollup as JSON (l2perp extensions of `/info`): rollupStatus, batch, batches, l1Status,
block and l1Log (the L1 call log, so anyone can replicate the L1 and check it), formatted from
what the node keeps (node/rollup_node.py: the L1, its host, the poster and the reconciler).
Amounts are micro-USDC integers, times ms, roots and hashes 0x-hex.
"""

from __future__ import annotations

from ..node.l1wire import hexb
from ..node.rollup_node import NodeRollup
from ..node.service import Node, wall_ms
from ..node.verifier_process import VERIFIER_STATUS, verifier_lag
from ..rollup.batch import BatchHeader, WithdrawalEntry
from ..rollup.contract import FINALIZED, FORCED_KINDS, POSTED, REVERTED
from .fields import index_field

BATCHES_PAGE = 50  # rows of one `batches` answer
FINALITY = {POSTED: "posted", FINALIZED: "finalized", REVERTED: "reverted"}


def rollup_of(node: Node) -> NodeRollup:
    """The node's rollup; ValueError on a node that runs none."""
    if node.rollup is None:
        raise ValueError("this node runs no rollup")
    return node.rollup


def rollup_status(node: Node) -> dict:
    """Heights and roots posted and finalized, the L1 queue, halts and incidents, the L1 data
    fee's account (reconciler.l1_fee_terms, micro-USDC; null without the fee), and how far
    the honest verifier `l2perp up` started is behind (`verifier`, null without one:
    node/verifier_process.verifier_lag)."""
    rollup = rollup_of(node)
    l1 = rollup.l1
    tip = l1.tip()
    final = l1.batch(l1.finalized_no) if l1.finalized_no else None
    return {
        "l2Height": node.state.height,
        "postedHeight": tip.header.last_height if tip else 0,
        "finalizedHeight": final.header.last_height if final else 0,
        "lastPostedBatch": tip.header.batch_no if tip else 0,
        "lastFinalizedBatch": l1.finalized_no,
        "postedRoot": "0x" + l1.tip_root().hex(),
        "finalizedRoot": "0x" + l1.finalized_root().hex(),
        "batches": len(l1.batches),
        "revertedBatches": sum(1 for b in l1.batches if b.status == "reverted"),
        "l1QueueLength": len(l1.pending()),
        "l1Cursor": l1.cursor,
        "frozen": l1.frozen,
        "halted": rollup.halted,
        "incidents": [{"rule": m.rule, "l1Block": m.l1_block, "detail": m.detail}
                      for m in rollup.reconciler.mismatches],
        "l1DataFee": rollup.reconciler.l1_fee_terms(node.state),
        "poster": rollup.poster.address,
        "postErrors": rollup.post_errors[-5:],
        "profile": rollup.params.name,
        "verifier": verifier_lag(node.data_dir / VERIFIER_STATUS, l1, node.state.height,
                                 wall_ms()),
    }


def batch(node: Node, body: dict) -> dict:
    """One batch by number (`batchNo`, or `batch`): its header, record and withdrawals."""
    rollup = rollup_of(node)
    key = "batchNo" if "batchNo" in body else "batch"
    return batch_json(rollup.l1.batch(index_field(body, key)))


def batch_json(record) -> dict:
    h: BatchHeader = record.header
    return {
        "batchNo": h.batch_no, "status": record.status, "parent": record.parent,
        "prevRoot": "0x" + h.prev_root.hex(), "postRoot": "0x" + h.post_root.hex(),
        "traceRoot": "0x" + h.trace_root.hex(), "withdrawalsRoot": "0x" + h.withdrawals_root.hex(),
        "dataHash": "0x" + h.data_hash.hex(), "l1MsgStart": h.l1_msg_start,
        "l1MsgEnd": h.l1_msg_end, "l1AnchorBlock": h.l1_anchor_block,
        "systemTime": h.system_time, "nTxs": h.n_txs, "firstHeight": h.first_height,
        "lastHeight": h.last_height, "poster": record.poster, "bond": record.bond_musdc,
        "postedAt": record.posted_ms, "challengeDeadline": record.deadline_ms,
        "permissionless": record.permissionless, "revertedBy": record.reverted_by,
        "withdrawals": [withdrawal_json(w) for w in record.withdrawals],
    }


def withdrawal_json(w: WithdrawalEntry) -> dict:
    return {"wid": w.wid, "user": w.user, "destination": w.destination,
            "amount": w.amount_musdc}


def batches(node: Node, body: dict) -> dict:
    """The newest BATCHES_PAGE batches numbered at most `from` (default: all), newest first,
    as summary rows; `now` is the L1 time (ms) and `finalizedNo` the newest finalized batch
    (0: none). Per row: heights and message indices are L2 heights and L1 queue indices
    ([l1MsgStart, l1MsgEnd)), times are ms of the L1 clock (a posted batch can be challenged
    while now < challengeDeadline), `bond` is micro-USDC (as in `batch`), `revertedBy` the
    batch whose fraud proof reverted it (0: none); `status` is the contract's record status and
    `finality` one of "posted" (standing in its challenge window), "finalized", "reverted"."""
    l1 = rollup_of(node).l1
    upper = body.get("from")
    newest = len(l1.batches)
    if upper is not None:
        if type(upper) is not int or upper < 0:
            raise ValueError("from must be a batch number")
        newest = min(newest, upper)
    rows = [batch_summary(l1.batch(batch_no))
            for batch_no in range(newest, max(0, newest - BATCHES_PAGE), -1)]
    return {"now": l1.time_ms, "finalizedNo": l1.finalized_no, "total": len(l1.batches),
            "batches": rows}


def batch_summary(record) -> dict:
    """One row of `batches`."""
    h = record.header
    return {
        "batchNo": h.batch_no, "status": record.status, "finality": FINALITY[record.status],
        "firstHeight": h.first_height, "lastHeight": h.last_height, "nTxs": h.n_txs,
        "postedAt": record.posted_ms, "challengeDeadline": record.deadline_ms,
        "poster": record.poster, "bond": record.bond_musdc, "l1MsgStart": h.l1_msg_start,
        "l1MsgEnd": h.l1_msg_end, "postRoot": "0x" + h.post_root.hex(),
        "revertedBy": record.reverted_by}


def l1_status(node: Node) -> dict:
    """The L1 and its queue. Amounts in micro-USDC, times in ms of the L1 clock. Each queue
    row's `deadline` is when it turns overdue (message time + the force-inclusion delay:
    from then on the next accepted batch must consume it); `forced` rows are the open forced
    requests, with `freezeFrom`, the time from which anyone may freeze the L1 if it is still
    unserved (message time + the freeze grace), and whether a freeze is allowed now."""
    rollup = rollup_of(node)
    l1 = rollup.l1
    delay, grace = rollup.params.force_inclusion_delay_ms, rollup.params.freeze_grace_ms
    forced = l1.open_forced()
    return {
        "height": l1.height, "time": l1.time_ms, "baseFeeGwei": l1.base_fee_gwei,
        "bridgeBalance": l1.bridge_balance_musdc, "queuedDeposits": l1.queued_deposits_musdc(),
        "owedWithdrawals": l1.owed_musdc(), "bondsHeld": l1.bonds_held_musdc(),
        "queue": [{"index": m.index, "kind": m.kind, "sender": m.sender,
                   "time": m.time_ms, "block": m.block, "deadline": m.time_ms + delay,
                   "forced": m.kind in FORCED_KINDS} for m in l1.pending()[:100]],
        "openForced": [m.index for m in forced],
        "forced": [{"index": m.index, "kind": m.kind, "sender": m.sender, "time": m.time_ms,
                    "deadline": m.time_ms + delay, "freezeFrom": m.time_ms + grace,
                    "freezable": l1.freezable(m.index)} for m in forced],
        "frozen": l1.frozen, "escapesOpen": l1.escapes_open(),
        "judgeFailures": [{"batch": f.batch_no, "kind": f.kind, "message": f.message,
                           "challenger": f.challenger, "l1Block": f.l1_block}
                          for f in l1.judge_failures[-100:]],
        "calls": rollup.host.applied,
    }


def block(node: Node, body: dict) -> dict:
    """One L2 block by `height`: its time, size in bytes, finality and batch."""
    rollup = rollup_of(node)
    height = index_field(body, "height")
    row = node.sequencer.log.db.execute(
        "SELECT height, time_ms, length(txs) FROM blocks WHERE height = ?",
        (height,)).fetchone()
    if row is None:
        raise ValueError(f"no block {height}")
    return {"height": row[0], "time": row[1], "bytes": row[2],
            "finality": rollup.finality(height), "batch": rollup.batch_of(height)}


def l1_log(node: Node, body: dict) -> dict:
    """The L1 host's deployment and its calls after position `from`, 500 at most."""
    rollup = rollup_of(node)
    start = index_field(body, "from")
    calls = rollup.host.db.execute(
        "SELECT seq, method, args FROM calls WHERE seq > ? ORDER BY seq LIMIT 500",
        (start,)).fetchall()
    return {"deployment": hexb(rollup.host.db.execute(
                "SELECT value FROM meta WHERE key='deployment'").fetchone()[0]),
            "calls": [[seq, method, hexb(args)] for seq, method, args in calls]}
