"""The rollup's reads for the browser on a real node whose clock the test moves: `batches`
(newest first, 50 a page, finality from the contract's records, reverts included) and
`l1Status`'s inclusion deadlines and open forced requests."""

from __future__ import annotations

import pytest

from l2perp.rollup.params import TEST
from l2perp.rollup.verifier import Verifier
from tests.support.nodes import StillNode

STEP_MS = TEST.batch_interval_ms + TEST.l1_block_ms  # each block is due for its own batch


def test_batches_page_newest_first_with_finality(tmp_path, monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch)
    try:
        still.step(STEP_MS, blocks=60)
        l1 = still.node.rollup.l1
        total = len(l1.batches)
        assert total >= 55
        answer = still.info("batches")
        rows = answer["batches"]
        assert answer["total"] == total and answer["now"] == l1.time_ms
        assert [r["batchNo"] for r in rows] == list(range(total, total - 50, -1))
        final = answer["finalizedNo"]
        assert 0 < final < total  # the oldest windows are over, the newest still run
        for row in rows:
            record = l1.batch(row["batchNo"])
            assert row["status"] == record.status and row["postedAt"] == record.posted_ms
            assert row["lastHeight"] == record.header.last_height
            assert row["bond"] == TEST.proposer_bond_musdc and row["revertedBy"] == 0
            if row["batchNo"] <= final:
                assert row["finality"] == "finalized" and row["challengeDeadline"] <= l1.time_ms
            else:
                assert row["finality"] == "posted" and row["challengeDeadline"] > l1.time_ms
        page = still.info("batches", **{"from": 10})["batches"]
        assert [r["batchNo"] for r in page] == list(range(10, 0, -1))
        assert page[-1]["firstHeight"] == 1 and page[-1]["l1MsgStart"] == 0
        assert still.info("batches", **{"from": 0})["batches"] == []
        with pytest.raises(ValueError):
            still.info("batches", **{"from": "10"})
    finally:
        still.close()


def test_a_reverted_batch_shows_who_reverted_it(tmp_path, monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch, fault="root")
    try:
        still.step(STEP_MS, blocks=3)
        rollup = still.node.rollup
        before = len(rollup.l1.batches)
        verifier_address = next(k.address for k in still.keys if k.role == "verifier")
        verifier = Verifier(verifier_address, rollup.l1, submit=lambda *a: rollup.host.call(
            "challenge", *a))
        assert [(n, v.fraud) for n, v in verifier.poll()] == [(1, True)]  # the corrupted root
        still.step(STEP_MS, blocks=3)  # the honest poster posts the same blocks again
        rows = still.info("batches")["batches"]
        assert before >= 2 and len(rows) > before
        for row in rows:  # the revert took every batch built on batch 1 with it
            if row["batchNo"] <= before:
                assert (row["finality"], row["status"], row["revertedBy"]) == (
                    "reverted", "reverted", 1)
            else:
                assert (row["finality"], row["revertedBy"]) == ("posted", 0)
        assert rows[-before - 1]["firstHeight"] == 1  # the first new batch starts over
    finally:
        still.close()


def test_l1_status_shows_inclusion_deadlines_and_open_forced_requests(tmp_path,
                                                                      monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch)
    try:
        host, l1 = still.node.rollup.host, still.node.rollup.l1
        user = still.keys[5].address
        host.call("mint", user, 50 * 10**6)
        deposit = host.call("deposit", user, user, 50 * 10**6)
        forced = host.call("force_withdrawal", user, 10**6)
        status = still.info("l1Status")
        queue = {row["index"]: row for row in status["queue"]}
        assert queue[deposit.index]["forced"] is False
        assert queue[forced.index]["forced"] is True
        assert queue[forced.index]["deadline"] == forced.time_ms + TEST.force_inclusion_delay_ms
        assert status["openForced"] == [forced.index]
        assert status["forced"] == [{
            "index": forced.index, "kind": "forcedWithdrawal", "sender": user,
            "time": forced.time_ms, "deadline": forced.time_ms + 10_000,
            "freezeFrom": forced.time_ms + TEST.freeze_grace_ms, "freezable": False}]

        host.call("advance_to", forced.time_ms + TEST.freeze_grace_ms)  # L2 served nothing
        assert still.info("l1Status")["forced"][0]["freezable"] is True
        assert l1.freezable(forced.index)

        still.now_ms = l1.time_ms
        still.step(STEP_MS, blocks=3)  # the sequencer takes the queue, a batch consumes it
        status = still.info("l1Status")
        assert status["forced"] == [] and status["openForced"] == [] and status["queue"] == []
    finally:
        still.close()
