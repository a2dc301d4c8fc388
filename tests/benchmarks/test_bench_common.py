"""benchmarks/common.py's combined lines: the compiled run's line with the interpreted child's
figures beside it, and every disagreement between the two runs named (no process started)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def common():
    """benchmarks/common.py, imported without leaving benchmarks/ on sys.path."""
    saved = list(sys.path)
    sys.path.insert(0, str(BENCH))
    try:
        import common as module
    finally:
        sys.path[:] = saved
    return module


def line(workload: str, ops: float, digest: str | None, peer_ops: float | None = None,
         **extra) -> dict:
    """A workload's line as a script records it."""
    return {"bench": "t", "workload": workload, "ops_per_s": ops,
            "peer": None if peer_ops is None else "peer==1", "peer_ops_per_s": peer_ops,
            "ratio": None if peer_ops is None else round(ops / peer_ops, 3),
            "state_digest": digest, **extra}


def child(common, *lines: dict) -> list[dict]:
    """The child's printed lines: interpreted, no peer."""
    return [common.single_build_line(x, "interpreted") for x in lines]


def test_the_combined_line_has_both_builds_and_the_parents_peer(common) -> None:
    compiled = [line("a", 300, "d1", peer_ops=100, p50_ms=2.0, loads=5)]
    (out,), problems = common.combine(compiled, child(common, line("a", 150, "d1", p50_ms=4.0,
                                                                   loads=5)))
    assert problems == []
    assert list(out)[:11] == [*common.BASE_KEYS, *common.BUILD_KEYS]
    assert out["build"] == "compiled" and out["ops_per_s"] == 300 and out["ratio"] == 3.0
    assert out["peer"] == "peer==1" and out["peer_ops_per_s"] == 100
    assert out["interpreted_ops_per_s"] == 150 and out["compiled_vs_interpreted"] == 2.0
    assert out["interpreted_vs_peer"] == 1.5
    assert out["p50_ms"] == 2.0 and out["interpreted_p50_ms"] == 4.0
    assert "interpreted_loads" not in out  # the same in both runs: not repeated


def test_every_disagreement_is_a_problem(common) -> None:
    compiled = [line("same", 10, None), line("differs", 10, "aa"), line("only_compiled", 10, "x")]
    interpreted = child(common, line("same", 5, None), line("differs", 5, "bb"),
                        line("only_interpreted", 5, "y"))
    interpreted.append(common.single_build_line(line("same", 7, None), "compiled"))
    out, problems = common.combine(compiled, interpreted)
    assert [x["workload"] for x in out] == ["same", "differs", "only_compiled"]
    assert out[1]["interpreted_state_digest"] == "bb"
    assert out[2]["interpreted_ops_per_s"] is None and out[2]["compiled_vs_interpreted"] is None
    assert problems == [
        "t/same: the child ran the compiled build, not the interpreted one",
        "t/differs: STATE DIGEST MISMATCH: compiled aa != interpreted bb",
        "t/only_compiled: the interpreted build printed no line",
        "t/same: only the interpreted build printed this workload",
        "t/only_interpreted: only the interpreted build printed this workload",
    ]


def test_an_interpreted_run_alone_names_its_build_and_leaves_the_compiled_fields_null(
        common) -> None:
    out = common.single_build_line(line("a", 50, "d", peer_ops=100, wall_s=3), "interpreted")
    assert out["build"] == "interpreted" and out["ops_per_s"] == 50
    assert out["interpreted_ops_per_s"] == 50 and out["interpreted_vs_peer"] == 0.5
    assert out["compiled_vs_interpreted"] is None and out["wall_s"] == 3


def test_a_line_without_throughput_keeps_its_fields(common) -> None:
    summary = {"bench": "t", "workload": "summary", "proof_bytes": 1024}
    (out,), problems = common.combine([summary], child(common, dict(summary)))
    assert problems == [] and out["proof_bytes"] == 1024 and "ops_per_s" not in out
    assert out["build"] == "compiled" and out["interpreted_ops_per_s"] is None


def test_node_build_must_be_this_processs_build(common) -> None:
    this = common.core_build.BUILD
    other = "interpreted" if this == "compiled" else "compiled"
    assert common.node_build(f"l2perp devnet at height 0\n  core: {this} (why)\n") == this
    with pytest.raises(RuntimeError, match=f"the node runs the {other} core"):
        common.node_build(f"  core: {other} (why)\n")
    with pytest.raises(RuntimeError, match="names no build"):
        common.node_build("")


def test_builds_env(common, monkeypatch) -> None:
    for value, wanted in (("", "both"), ("both", "both"), ("compiled", "compiled")):
        monkeypatch.setenv("BENCH_BUILDS", value)
        assert common.builds_wanted() == wanted
    monkeypatch.setenv("BENCH_BUILDS", "fast")
    with pytest.raises(SystemExit, match="BENCH_BUILDS"):
        common.builds_wanted()
