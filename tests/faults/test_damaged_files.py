"""Damaged files: a flipped byte in a snapshot, in a logged block (inside its signed request)
or in the SQLite file makes `l2perp up` refuse to start with one line that says what is
damaged and how to recover, never a traceback; `l2perp repair` recovers a damaged snapshot."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.node_proc import BIN, TRADERS, UpProcess


def trade_and_stop(data: Path) -> None:
    """A node that took a few signed orders, stopped cleanly, its WAL folded into the file."""
    node = UpProcess(data).start()
    try:
        for i in range(3):
            answer = node.order(TRADERS[0], 0, True, str(80000 + i), "0.001")
            assert answer["status"] == "ok"
    finally:
        node.stop(signal.SIGTERM)
    with sqlite3.connect(data / "node.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def up_refuses(data: Path) -> str:
    """Start `l2perp up` on `data`: it must exit 1 with one line and no traceback."""
    done = subprocess.run([str(BIN), "up", "--no-demo", "--no-verifier", "--port", "1",
                           "--data", str(data)], capture_output=True, text=True, timeout=60)
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    return output


def flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1:]


def test_a_flipped_byte_in_a_snapshot_is_refused_and_repair_recovers(tmp_path) -> None:
    trade_and_stop(tmp_path)
    repaired = subprocess.run([str(BIN), "repair", "--data", str(tmp_path)],
                              capture_output=True, text=True)
    assert repaired.returncode == 0, repaired.stdout
    with sqlite3.connect(tmp_path / "node.sqlite") as db:
        height, blob = db.execute("SELECT height, state FROM snapshots").fetchone()
        db.execute("UPDATE snapshots SET state = ? WHERE height = ?",
                   (flip(blob, len(blob) // 2), height))
    line = up_refuses(tmp_path)
    assert "snapshot" in line and "l2perp repair" in line
    repaired = subprocess.run([str(BIN), "repair", "--data", str(tmp_path)],
                              capture_output=True, text=True)
    assert repaired.returncode == 0, repaired.stdout
    node = UpProcess(tmp_path).start()
    try:
        assert len(node.info({"type": "openOrders", "user": TRADERS[0].address})) == 3
    finally:
        node.stop()


def test_a_flipped_byte_in_a_signed_request_of_a_logged_block_is_refused(tmp_path) -> None:
    trade_and_stop(tmp_path)
    with sqlite3.connect(tmp_path / "node.sqlite") as db:
        rows = db.execute("SELECT height, txs FROM blocks ORDER BY height").fetchall()
        # the last block holding a signed order: its row ends with the request's bytes
        height, txs = next((h, t) for h, t in reversed(rows) if b'"order"' in t or b"order" in t)
        db.execute("UPDATE blocks SET txs = ? WHERE height = ?", (flip(txs, len(txs) - 3),
                                                                   height))
    line = up_refuses(tmp_path)
    assert f"block {height} is damaged" in line and "checksum" in line
    replay = subprocess.run([str(BIN), "replay", "--data", str(tmp_path)],
                            capture_output=True, text=True)
    assert replay.returncode == 1 and "Traceback" not in replay.stdout + replay.stderr


@pytest.mark.parametrize("where", ["header", "page"])
def test_a_flipped_byte_in_the_sqlite_file_is_refused(tmp_path, where) -> None:
    trade_and_stop(tmp_path)
    path = tmp_path / "node.sqlite"
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    offset = 0 if where == "header" else 2 * page  # page 3's b-tree page type
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    line = up_refuses(tmp_path)
    assert "damaged" in line or "not a database" in line
    assert str(path) in line or "node.sqlite" in line
