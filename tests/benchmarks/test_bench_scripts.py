"""The benchmark scripts keep running and keep their output format (no timing is asserted), and
a compiled run prints both builds on one line per workload, their state digests checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from l2perp import build

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
KEYS = ["bench", "workload", "ops_per_s", "peer", "peer_ops_per_s", "ratio", "state_digest"]
BUILD_KEYS = ["build", "interpreted_ops_per_s", "compiled_vs_interpreted", "interpreted_vs_peer"]
COMPILED = build.BUILD == build.COMPILED  # the scripts see the same sources and environment
needs_compiled = pytest.mark.skipif(not COMPILED, reason="the compiled core is not usable here")


def run_script(args: list[str], check: bool = True, **env: str) -> subprocess.CompletedProcess:
    """A benchmark (or any) script run as `make bench` runs it, with extra environment."""
    return subprocess.run([sys.executable, *args], env=dict(os.environ, **env),
                          capture_output=True, text=True, check=check, cwd=ROOT, timeout=600)


def json_lines(stdout: str) -> list[dict]:
    """The JSON lines of a run's stdout (comments start with '#')."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def ran_interpreted_for_want_of_a_current_core(lines: list[dict]) -> bool:
    """Whether a run chose the interpreted build although this test process runs compiled,
    because the core's sources were edited meanwhile (another checkout user): not a failure."""
    return (COMPILED and any(line["build"] == "interpreted" for line in lines)
            and not build.compiled_state()[0])


def check_build_fields(line: dict) -> None:
    """The build fields of one workload's line, in the build these tests run."""
    if line["build"] == "compiled":  # combined: the child's figures beside the compiled ones
        assert line["interpreted_ops_per_s"] > 0
        assert line["compiled_vs_interpreted"] == pytest.approx(
            line["ops_per_s"] / line["interpreted_ops_per_s"], abs=0.001)
    else:  # interpreted alone: no child, the compiled fields are null
        assert not COMPILED or not build.compiled_state()[0], \
            "the script ran interpreted although the compiled core is usable"
        assert line["build"] == "interpreted" and line["compiled_vs_interpreted"] is None
        assert line["interpreted_ops_per_s"] == line["ops_per_s"]


@pytest.mark.parametrize("script, workloads", [
    ("book.py", ["exchange_core", "lobster"]),
    ("engine.py", ["exchange_core", "lobster", "liquidation_burst"]),
])
def test_benchmark_prints_one_json_line_per_workload(script: str, workloads: list) -> None:
    out = run_script([str(BENCH / script), "4000"], BENCH_PEER="none-installed")
    lines = json_lines(out.stdout)
    assert [line["workload"] for line in lines] == workloads
    for line in lines:
        assert list(line) == KEYS + BUILD_KEYS and line["ops_per_s"] > 0
        assert len(line["state_digest"]) == 64
        assert line["peer"] is None and line["ratio"] is None
        assert line["interpreted_vs_peer"] is None
        check_build_fields(line)


def installed_peer() -> str | None:
    """A pure-Python peer order book that imports here, or None."""
    sys.path.insert(0, str(BENCH))
    try:
        import peers
    finally:
        sys.path.remove(str(BENCH))
    for cls in peers.PEER_CLASSES:
        if cls.dist in ("lobby", "akhil4n-orderbook", "pyorderbook"):
            try:
                cls.load()
            except Exception:  # noqa: BLE001 - not installed here
                continue
            return cls.dist
    return None


def test_book_benchmark_measures_the_peer_once_and_compares_both_builds_to_it() -> None:
    peer = installed_peer()
    if peer is None:
        pytest.skip("no peer order book installed (benchmarks/requirements-peers.txt)")
    out = run_script([str(BENCH / "book.py"), "3000"], BENCH_PEER=peer)
    lines = json_lines(out.stdout)
    assert [line["workload"] for line in lines] == ["exchange_core", "lobster"]
    for line in lines:
        assert line["peer"].startswith(peer + "==") and line["peer_ops_per_s"] > 0
        assert line["ratio"] == pytest.approx(line["ops_per_s"] / line["peer_ops_per_s"],
                                              abs=0.001)
        assert line["interpreted_vs_peer"] == pytest.approx(
            line["interpreted_ops_per_s"] / line["peer_ops_per_s"], abs=0.001)
        check_build_fields(line)


def test_builds_env_skips_the_interpreted_child() -> None:
    out = run_script([str(BENCH / "book.py"), "2000"], BENCH_PEER="none-installed",
                     BENCH_BUILDS="compiled")
    lines = json_lines(out.stdout)
    assert [line["workload"] for line in lines] == ["exchange_core", "lobster"]
    for line in lines:  # one build: its own (interpreted where the core went stale meanwhile)
        assert line["compiled_vs_interpreted"] is None
        assert line["interpreted_ops_per_s"] == (None if line["build"] == "compiled"
                                                 else line["ops_per_s"])
    assert "child" not in out.stdout + out.stderr


FAKE = """\
import sys
sys.path.insert(0, {bench!r})
import common
from l2perp import build

def main():
    if common.is_child() and {fail_child!r}:
        raise SystemExit(3)
    common.record({{"bench": "fake", "workload": "w", "ops_per_s": {ops} if common.is_child()
                   else 2 * {ops}, "peer": None, "peer_ops_per_s": None, "ratio": None,
                   "state_digest": {digest}, "wall_s": 1.5 if common.is_child() else 0.5}})

common.run_builds(main)
"""


def fake_script(tmp_path: Path, digest: str, fail_child: bool = False) -> str:
    """A benchmark that records one line; its digest is a Python expression."""
    path = tmp_path / "fake_bench.py"
    path.write_text(FAKE.format(bench=str(BENCH), digest=digest, ops=100, fail_child=fail_child))
    return str(path)


@needs_compiled
def test_combined_line_of_agreeing_builds(tmp_path: Path) -> None:
    out = run_script([fake_script(tmp_path, "'ab' * 32")])
    (line,) = lines = json_lines(out.stdout)
    if ran_interpreted_for_want_of_a_current_core(lines):
        pytest.skip("the core's sources changed during the test")
    assert line["build"] == "compiled" and line["ops_per_s"] == 200
    assert line["interpreted_ops_per_s"] == 100 and line["compiled_vs_interpreted"] == 2.0
    assert line["wall_s"] == 0.5 and line["interpreted_wall_s"] == 1.5
    assert "interpreted_state_digest" not in line


@needs_compiled
def test_a_state_digest_mismatch_between_the_builds_fails_loudly(tmp_path: Path) -> None:
    out = run_script([fake_script(tmp_path, "build.BUILD")], check=False)
    if ran_interpreted_for_want_of_a_current_core(json_lines(out.stdout)):
        pytest.skip("the core's sources changed during the test")
    assert out.returncode == 1
    assert "STATE DIGEST MISMATCH: compiled compiled != interpreted interpreted" in out.stderr
    (line,) = json_lines(out.stdout)  # the figures are still printed, the other digest beside
    assert line["state_digest"] == "compiled" and line["interpreted_state_digest"] == "interpreted"


@needs_compiled
def test_a_failed_interpreted_child_fails_the_run(tmp_path: Path) -> None:
    out = run_script([fake_script(tmp_path, "'ab' * 32", fail_child=True)], check=False)
    if ran_interpreted_for_want_of_a_current_core(json_lines(out.stdout)):
        pytest.skip("the core's sources changed during the test")
    assert out.returncode == 1
    assert "the interpreted child exited with status 3" in out.stderr
    assert "fake/w: the interpreted build printed no line" in out.stderr
    (line,) = json_lines(out.stdout)
    assert line["ops_per_s"] == 200 and line["interpreted_ops_per_s"] is None


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


def test_api_benchmark_measures_a_node_with_and_one_without_its_rollup() -> None:
    out = run_script([str(BENCH / "api.py"), "0.2"], check=False, BENCH_BUILDS="compiled")
    if out.returncode and COMPILED and not build.compiled_state()[0]:
        pytest.skip("the core's sources changed during the test (the node and the script "
                    "may have chosen different builds)")
    assert out.returncode == 0, out.stderr[-3000:]
    lines = json_lines(out.stdout)
    node = ["orders_single_http", "orders_bulk40_http", "ack_latency_at_200_per_s",
            "ack_latency_at_1000_per_s", "ack_latency_at_5000_per_s"]
    assert [line["workload"] for line in lines] == [
        "verify_l1_signature", *node, *(name + "_no_rollup" for name in node)]
    for line in lines:
        assert list(line)[:len(KEYS + BUILD_KEYS)] == KEYS + BUILD_KEYS
        assert line["ops_per_s"] > 0 and line["state_digest"] is None
    for line in lines[1:]:
        assert line["rollup"] == (not line["workload"].endswith("_no_rollup"))
        assert line["block_ms"] == 100 and line["errors"] == 0
        if line["workload"].startswith("ack_latency"):
            assert line["p50_ms"] <= line["p99_ms"] <= line["p999_ms"] <= line["max_ms"]
    lag = lines[5]
    assert lag["challenge_window_ms"] == 50_000
    assert lag["verifier_behind_batches_max"] >= lag["verifier_behind_batches_end"] >= 0
    assert lag["verifier_lag_ms_max"] >= lag["verifier_lag_ms_end"] >= 0
    assert "verifier_lag_ms_max" not in lines[10]
