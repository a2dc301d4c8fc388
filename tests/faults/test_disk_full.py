"""A full disk under a real `l2perp up`: the block that cannot be committed is never served
(no unacknowledged order in openOrders or on the book), the sender gets an error at once, the
halt is loud (l2perpStatus and the log), SIGTERM ends the node promptly, and blocks resume when
space returns, in the running node and after a restart.

The disk is a small tmpfs (root may mount one here); where mounting is not allowed, SQLite's
`max_page_count` (the node's L2PERP_LOG_MAX_PAGES) makes the log's writes fail the same way."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.node_proc import TRADERS, UpProcess


def mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


def fill(path: Path) -> Path:
    """Write a file until the filesystem is full (unbuffered: a buffered file would try to
    write its last chunk again when closed, and fail there)."""
    filler = path / "filler"
    chunk = b"\0" * (1 << 16)
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def order_until_refused(node: UpProcess, key, price: int) -> tuple[dict, int]:
    """Place bids until one is refused (the disk is full): the refusal and its price."""
    for i in range(200):
        answer = node.order(key, 0, True, str(price + i), "0.001")
        if answer["status"] != "ok" or "error" in answer["response"]["data"]["statuses"][0]:
            return answer, price + i
    raise AssertionError("the node kept acknowledging orders on a full disk")


def bid_prices(node: UpProcess, key) -> set[str]:
    return {o["limitPx"] for o in node.info({"type": "openOrders", "user": key.address})}


def book_bids(node: UpProcess) -> set[str]:
    return {level["px"] for level in node.info({"type": "l2Book", "coin": "BTC"})["levels"][0]}


def test_a_full_disk_halts_loudly_serves_nothing_unacknowledged_and_recovers(tmp_path) -> None:
    data = tmp_path / "disk"
    mounted = os.environ.get("L2PERP_TEST_NO_TMPFS") is None and mount_tmpfs(data, "48m")
    node = UpProcess(data).start()
    try:
        first = node.order(TRADERS[0], 0, True, "80000", "0.001")
        assert "resting" in first["response"]["data"]["statuses"][0]
        if not mounted:  # cap the log a few pages above its size
            node.stop(signal.SIGTERM)
            with sqlite3.connect(data / "node.sqlite") as db:
                pages = db.execute("PRAGMA page_count").fetchone()[0]
            node = UpProcess(data, env={"L2PERP_LOG_MAX_PAGES": str(pages + 3)}).start()
        filler = fill(data) if mounted else None
        began = time.time()
        refused, price = order_until_refused(node, TRADERS[1], 81000)
        assert time.time() - began < 60
        assert refused["status"] == "err" and "Sequencer halted" in refused["response"], refused
        status = node.info({"type": "l2perpStatus"})
        assert "block production failed" in status["halted"]
        # the refused order's block was never committed: it is nowhere to be seen
        assert str(price) not in bid_prices(node, TRADERS[1])
        assert str(price) not in book_bids(node)
        # new requests are answered at once, never left hanging
        began = time.time()
        again = node.order(TRADERS[2], 0, True, "82000", "0.001")
        assert again["status"] == "err" and "Sequencer halted" in again["response"]
        assert time.time() - began < 5.0  # at once: the halt answers without a block
        if filler is not None:
            filler.unlink()  # space returns: the node retries on its own
            deadline = time.time() + 20
            while node.info({"type": "l2perpStatus"}).get("halted"):
                assert time.time() < deadline, "the node did not resume"
                time.sleep(0.2)
            resumed = node.order(TRADERS[2], 0, True, "83000", "0.001")
            assert "resting" in resumed["response"]["data"]["statuses"][0], resumed
            fill(data)  # and full again: SIGTERM must still end it promptly
            order_until_refused(node, TRADERS[3], 84000)
        took = node.stop(signal.SIGTERM)
        assert took < 10.0, f"SIGTERM took {took:.1f} s"
        assert "sequencer halted" in node.output.lower()
        assert "Traceback" in node.output  # the fault's traceback is logged
        if mounted:
            (data / "filler").unlink()
        node = UpProcess(data).start()  # recovery after a restart with space
        assert "80000" in bid_prices(node, TRADERS[0])
        assert str(price) not in bid_prices(node, TRADERS[1])
        if filler is not None:
            assert "83000" in bid_prices(node, TRADERS[2])
        later = node.order(TRADERS[4], 0, True, "85000", "0.001")
        assert "resting" in later["response"]["data"]["statuses"][0]
        incidents = node.info({"type": "incidents"})
        assert any(i.get("kind") == "sequencerOutage" for i in incidents), incidents
    finally:
        node.stop()
        if mounted:
            subprocess.run(["umount", "-l", str(data)], capture_output=True)
