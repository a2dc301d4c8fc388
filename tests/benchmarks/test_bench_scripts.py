"""The benchmark scripts keep running and keep their output format (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["bench", "workload", "ops_per_s", "peer", "peer_ops_per_s", "ratio", "state_digest"]


@pytest.mark.parametrize("script, workloads", [
    ("book.py", ["exchange_core", "lobster"]),
    ("engine.py", ["exchange_core", "lobster", "liquidation_burst"]),
])
def test_benchmark_prints_one_json_line_per_workload(script: str, workloads: list) -> None:
    env = dict(os.environ, BENCH_PEER="none-installed")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "4000"], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["workload"] for line in lines] == workloads
    for line in lines:
        assert list(line) == KEYS and line["ops_per_s"] > 0 and len(line["state_digest"]) == 64
        assert line["peer"] is None and line["ratio"] is None
def test_rollup_benchmark_prints_json_lines_ending_with_the_summary() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "rollup.py"), "2000", "60"],
                         capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["workload"] for line in lines] == [
        "root_update_1_touched", "root_update_100_touched", "root_update_1000_touched",
        "root_update_10000_touched", "proof_verify_per_leaf", "judge_full_batch", "summary"]
    judge = lines[-2]
    assert judge["n_txs"] == 5_000 and judge["judge_ms"] > 0 and judge["fills"] > 0
    assert judge["auth_us_per_tx"] > 0
    assert lines[-1]["proof_bytes"] == 1024 and lines[-1]["us_per_touched_leaf_100"] > 0
