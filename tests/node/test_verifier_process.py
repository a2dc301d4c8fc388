"""The verifier process beside a sequencer (node/verifier_process.py): it runs at a lower
priority, writes its progress after every poll, and a SIGTERM ends it like an ordinary exit
(exit handlers run: its pool of signature workers does not outlive it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from l2perp.node.devnet import dev_keys
from l2perp.node.verifier_process import (
    VERIFIER_STATUS, lower_priority, run_verifier, verifier_lag, write_status,
)
from l2perp.rollup.verifier import Verifier
from tests.support.nodes import StillNode

KEYS = {k.role: k for k in dev_keys()}


def test_lower_priority_raises_the_niceness_in_a_child() -> None:
    code = ("import os; from l2perp.node.verifier_process import lower_priority; "
            "before = os.nice(0); print(before, lower_priority(5), lower_priority(0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    before, after, unchanged = map(int, out.stdout.split())
    assert after == min(19, before + 5) and unchanged == after
    assert lower_priority(0) == os.nice(0)  # 0: this process is left as it is


def test_the_status_file_follows_the_polls_and_the_node_reads_the_lag(tmp_path,
                                                                      monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch)
    try:
        still.step(3_000, blocks=4)
        l1 = still.node.rollup.l1
        status = tmp_path / VERIFIER_STATUS
        assert verifier_lag(status, l1, still.node.state.height, 0) is None
        verifier = run_verifier(tmp_path / "l1.sqlite", "http://127.0.0.1:9", KEYS["verifier"]
                                .private_key, poll_s=0.01, rounds=2, log=print,
                                status_file=status)
        written = json.loads(status.read_text())
        assert written["seen"] == verifier.seen == len(l1.batches) > 0
        assert written["verified"] == verifier.verified == len(l1.batches)
        assert written["pid"] == os.getpid() and written["maxPollMs"] >= written["pollMs"]
        lag = verifier_lag(status, l1, still.node.state.height, written["at"] + 5)
        tip = l1.batches[-1].header.last_height
        assert lag["behindBatches"] == 0 and lag["lagMs"] == 0 and lag["marginMs"] is None
        assert lag["checkedHeight"] == tip
        assert lag["behindBlocks"] == still.node.state.height - tip
        assert lag["updatedMsAgo"] == 5 and lag["challengeWindowMs"] == 50_000
    finally:
        still.close()


def test_rollup_status_serves_the_verifiers_lag(tmp_path, monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch)
    try:
        assert still.info("rollupStatus")["verifier"] is None  # no verifier writes here
        still.step(3_000, blocks=3)
        l1 = still.node.rollup.l1
        verifier = Verifier(KEYS["verifier"].address, l1)
        verifier.poll()
        write_status(tmp_path / VERIFIER_STATUS, verifier, 1.0, 2.0)
        still.step(3_000, blocks=3)  # batches the verifier has not examined yet
        lag = still.info("rollupStatus")["verifier"]
        oldest = l1.batches[verifier.seen]
        assert lag["seen"] == verifier.seen and lag["behindBatches"] == len(l1.batches) - \
            verifier.seen > 0
        assert lag["lagMs"] == l1.time_ms - oldest.posted_ms > 0
        assert lag["marginMs"] == oldest.deadline_ms - l1.time_ms
        assert lag["checkedHeight"] == l1.batches[verifier.seen - 1].header.last_height
        assert lag["behindBlocks"] == still.node.state.height - lag["checkedHeight"]
        assert (lag["pollMs"], lag["maxPollMs"]) == (1.0, 2.0)
    finally:
        still.close()


def test_sigterm_ends_the_verifier_with_an_ordinary_exit(tmp_path) -> None:
    env = dict(os.environ, L2PERP_VERIFIER_KEY=KEYS["verifier"].private_key)
    proc = subprocess.Popen([sys.executable, "-m", "l2perp.cli", "verify", "--l1",
                             str(tmp_path / "none.sqlite"), "--poll-ms", "50", "--nice", "3"],
                            env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("verifier following")
        time.sleep(0.3)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(19, os.nice(0) + 3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
