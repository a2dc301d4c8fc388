"""benchmarks/web.py keeps running and keeps its output format: one JSON line per view and
viewport, with the static-file peer measured in the same run (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["bench", "workload", "ops_per_s", "peer", "peer_ops_per_s", "ratio", "state_digest"]


def test_the_web_benchmark_prints_a_line_per_view_and_viewport(browser) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "web.py"), "1"],
                         capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["workload"] for line in lines] == [
        f"useful_{view}_{viewport}" for viewport in ("desktop", "mobile")
        for view in ("trade", "rollup", "governance", "lab")]
    for line in lines:
        assert list(line)[:len(KEYS)] == KEYS and line["bench"] == "web"
        assert line["ops_per_s"] > 0 and line["peer_ops_per_s"] > 0 and line["ratio"] > 0
        assert line["p50_ms"] > 0 and line["page_kb"] > 0
    assert out.stderr == ""
