"""Shared benchmark plumbing: workloads, the peer choice, timing, the JSON line format and the
two builds of the core.

Each benchmark prints one JSON line per workload: bench, workload, ops_per_s, peer,
peer_ops_per_s, ratio, state_digest, then the build fields below, then the script's own extras.
The peer runs in the same process on the same op stream; without any peer installed the peer
fields are null.

Both builds in one run (`run_builds`): a script measures the build it runs in (`l2perp.build`).
Run compiled, it then re-runs itself (same interpreter, same arguments, the same environment plus
`L2PERP_PURE=1` and the child marker `L2PERP_BENCH_CHILD`) in a child process that measures the
interpreted build without the peer, and prints per workload ONE combined line: ops_per_s and
ratio are the compiled build's, `build` is "compiled", and

- interpreted_ops_per_s: the child's ops_per_s;
- compiled_vs_interpreted: ops_per_s / interpreted_ops_per_s;
- interpreted_vs_peer: interpreted_ops_per_s / peer_ops_per_s (the parent's peer);
- interpreted_<extra>: the child's own extra fields (latencies, wall time) where they differ.

The child's state_digest must equal the compiled one for every workload (both null counts as
equal): the digests are the differential evidence that the builds computed the same thing. A
mismatch, a missing workload or a failed child is reported loudly on stderr and the script exits
non-zero after printing what it measured. Run interpreted (no usable compiled core, or
`L2PERP_PURE=1` set by the user), a script prints its lines with `build: "interpreted"`,
interpreted_ops_per_s = ops_per_s, interpreted_vs_peer = ratio and the compiled fields null; no
child. `BENCH_BUILDS=compiled` skips the interpreted child (quick runs: interpreted fields null).

To apply it to a script: print each line with `record(line)` instead of `print(json.dumps(...))`
(or use `emit`), skip the peer when `peer_wanted()` is false, and end the script with
`run_builds(main)` instead of `main()`.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import peers  # noqa: E402
import workloads  # noqa: E402

from l2perp import build as core_build  # noqa: E402

# Pure-Python peers, fastest first; compiled peers are for scale only (BENCH_PEER=name picks one).
PEER_PREFERENCE = ("akhil4n-orderbook", "lobby", "pyorderbook", "lightmatchingengine")
WORKLOADS = {
    "exchange_core": workloads.exchange_core_mix,
    "lobster": workloads.lobster_mix,
}

BASE_KEYS = ("bench", "workload", "ops_per_s", "peer", "peer_ops_per_s", "ratio", "state_digest")
BUILD_KEYS = ("build", "interpreted_ops_per_s", "compiled_vs_interpreted", "interpreted_vs_peer")
CHILD_ENV = "L2PERP_BENCH_CHILD"  # set in the interpreted child a compiled run starts
BUILDS_ENV = "BENCH_BUILDS"  # "compiled": no interpreted child


def n_ops_default() -> int:
    """The op count of book.py and engine.py when none is given (BENCH_OPS, else 200,000)."""
    return int(os.environ.get("BENCH_OPS", "200000"))


def is_child() -> bool:
    """Whether this process is the interpreted child of a compiled benchmark run."""
    return bool(os.environ.get(CHILD_ENV))


def peer_wanted() -> bool:
    """Whether this process measures the peer: not in the child (the parent's figures are used)."""
    return not is_child()


def pick_peer():
    """The peer class to compare against, or None when none imports here (or in the child)."""
    if not peer_wanted():
        return None
    wanted = os.environ.get("BENCH_PEER")
    classes = {cls.dist: cls for cls in peers.PEER_CLASSES}
    for name in ([wanted] if wanted else PEER_PREFERENCE):
        cls = classes.get(name)
        if cls is None:
            continue
        try:
            cls.load()
        except Exception:  # noqa: BLE001 - a missing or broken peer is "no peer"
            continue
        return cls
    return None


def time_peer(cls, warm: list, ops: list) -> float | None:
    """Peer throughput (ops/s) on the measured ops after the same warm-up."""
    if cls is None:
        return None
    book = cls()
    peers.run(book, warm)
    gc.collect()
    elapsed = peers.run(book, ops, disable_gc=True)
    return len(ops) * 1e9 / elapsed


def emit(bench: str, workload: str, ops_per_s: float, peer_cls, peer_ops: float | None,
         digest: str) -> None:
    """Record the line of one workload measured against a peer order book (see `record`)."""
    record({
        "bench": bench,
        "workload": workload,
        "ops_per_s": round(ops_per_s),
        "peer": None if peer_cls is None else f"{peer_cls.dist}=={peer_cls.version()}",
        "peer_ops_per_s": None if peer_ops is None else round(peer_ops),
        "ratio": None if peer_ops is None else round(ops_per_s / peer_ops, 3),
        "state_digest": digest,
    })


def describe_machine() -> str:
    """Interpreter, version and machine, for a benchmark's header."""
    return f"{platform.python_implementation()} {platform.python_version()} {platform.machine()}"


# --- both builds in one run -------------------------------------------------------------------

_holding = False  # True while a compiled parent measures: lines wait for the child's
_held: list[dict] = []


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else round(num / den, 3)


def builds_wanted() -> str:
    """`BENCH_BUILDS`: "both" (the default: a compiled run also measures the interpreted build
    in a child) or "compiled" (no child)."""
    value = os.environ.get(BUILDS_ENV, "").strip().lower()
    if value in ("", "both", "compiled,interpreted", "interpreted,compiled"):
        return "both"
    if value == "compiled":
        return "compiled"
    raise SystemExit(f"{BUILDS_ENV}={value!r}: expected 'both' or 'compiled' (set L2PERP_PURE=1 "
                     "to measure the interpreted build alone)")


def single_build_line(line: dict, build: str) -> dict:
    """A workload's line from a run that measured one build: the base fields, the build fields
    (interpreted figures when `build` is interpreted, else null), then the script's extras."""
    out = {key: line[key] for key in BASE_KEYS if key in line}
    interpreted = build == core_build.INTERPRETED
    out["build"] = build
    out["interpreted_ops_per_s"] = line.get("ops_per_s") if interpreted else None
    out["compiled_vs_interpreted"] = None
    out["interpreted_vs_peer"] = line.get("ratio") if interpreted else None
    out.update((key, value) for key, value in line.items() if key not in out)
    return out


def combine(compiled: list[dict], interpreted: list[dict]) -> tuple[list[dict], list[str]]:
    """One line per workload of the compiled run, with the interpreted child's figures; and the
    problems found: a state digest that differs, a workload only one build printed, a child line
    that is not the interpreted build's. Lines are paired by (bench, workload), in order."""
    problems: list[str] = []
    twins: dict[tuple, list[dict]] = {}
    for line in interpreted:
        if line.get("build") != core_build.INTERPRETED:
            problems.append(f"{line.get('bench')}/{line.get('workload')}: the child ran the "
                            f"{line.get('build')} build, not the interpreted one")
        twins.setdefault((line.get("bench"), line.get("workload")), []).append(line)
    out = []
    for line in compiled:
        key = (line.get("bench"), line.get("workload"))
        name = f"{key[0]}/{key[1]}"
        combined = single_build_line(line, core_build.COMPILED)
        pending = twins.get(key)
        if not pending:
            problems.append(f"{name}: the interpreted build printed no line")
            out.append(combined)
            continue
        twin = pending.pop(0)
        if twin.get("state_digest") != line.get("state_digest"):
            problems.append(f"{name}: STATE DIGEST MISMATCH: compiled {line.get('state_digest')} "
                            f"!= interpreted {twin.get('state_digest')}")
            combined["interpreted_state_digest"] = twin.get("state_digest")
        ops = twin.get("ops_per_s")
        combined["interpreted_ops_per_s"] = ops
        combined["compiled_vs_interpreted"] = _ratio(line.get("ops_per_s"), ops)
        combined["interpreted_vs_peer"] = _ratio(ops, line.get("peer_ops_per_s"))
        for extra, value in twin.items():
            if (extra not in BASE_KEYS and extra not in BUILD_KEYS and value is not None
                    and line.get(extra) != value):
                combined[f"interpreted_{extra}"] = value
        out.append(combined)
    for (bench, workload), left in twins.items():
        problems.extend(f"{bench}/{workload}: only the interpreted build printed this workload"
                        for _ in left)
    return out, problems


def record(line: dict) -> None:
    """Print one workload's JSON line (the base fields and the script's extras; the build fields
    are added here) or, in a compiled run that will combine both builds, hold it until the
    interpreted child has run (a '#' progress comment goes to stdout meanwhile)."""
    if _holding:
        _held.append(dict(line))
        print(f"# compiled {line.get('bench')}/{line.get('workload')}: "
              f"{line.get('ops_per_s')} ops/s", flush=True)
    else:
        print(json.dumps(single_build_line(line, core_build.BUILD)), flush=True)


def _child_command() -> list[str]:
    """This script again: the same interpreter, its options and the same arguments."""
    args = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))[1:]
    return [sys.executable, *args]


def run_interpreted_child() -> tuple[list[dict], int]:
    """Re-run this script with the interpreted core (L2PERP_PURE=1, the child marker set, no
    peer); returns its JSON lines and its exit status. Its other output is passed on, each line
    marked "interpreted" (stdout comments to stdout, stderr to stderr)."""
    env = dict(os.environ, L2PERP_PURE="1")
    env[CHILD_ENV] = core_build.INTERPRETED
    sys.stdout.flush()
    sys.stderr.flush()
    proc = subprocess.Popen(_child_command(), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def pass_stderr() -> None:
        for text in proc.stderr:
            sys.stderr.write(f"[interpreted] {text}")
            sys.stderr.flush()

    relay = threading.Thread(target=pass_stderr, daemon=True)
    relay.start()
    lines: list[dict] = []
    try:
        for text in proc.stdout:
            stripped = text.strip()
            if stripped.startswith("{"):
                try:
                    lines.append(json.loads(stripped))
                    continue
                except ValueError:
                    pass
            if stripped:
                print(f"# interpreted: {stripped.lstrip('#').strip()}", flush=True)
        status = proc.wait()
    except BaseException:
        if proc.poll() is None:  # interrupted: let the child clean up (its servers), then stop it
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise
    relay.join(timeout=5)
    return lines, status


def _shout(problems: list[str]) -> None:
    banner = "!!! benchmark: the compiled and the interpreted builds DISAGREE or did not both run"
    print(f"# {banner}", flush=True)
    for problem in problems:
        print(f"# !!! {problem}", flush=True)
    sys.stderr.write("\n" + banner + " !!!\n" + "".join(f"!!! {p}\n" for p in problems) + "\n")
    sys.stderr.flush()


def run_builds(main: Callable[[], None]) -> None:
    """Run a benchmark's `main` (which prints its lines with `record`) in both builds.

    Compiled and not the child (and BENCH_BUILDS not "compiled"): `main` runs here, its lines
    are held, the script re-runs interpreted in a child (`run_interpreted_child`), and one
    combined line per workload is printed (`combine`); exits 1 after the lines when the state
    digests differ, a workload is missing in one build or the child failed. Otherwise `main`
    runs alone and its lines carry this process's build."""
    global _holding
    if core_build.BUILD != core_build.COMPILED or is_child() or builds_wanted() != "both":
        main()
        return
    _holding = True
    try:
        main()
    except BaseException:
        _holding = False
        for line in _held:  # what was measured before the failure is still printed
            record(line)
        raise
    finally:
        _holding = False
    held = list(_held)
    _held.clear()
    print("# compiled build measured; measuring the interpreted build in a child process",
          flush=True)
    twins, status = run_interpreted_child()
    lines, problems = combine(held, twins)
    if status != 0:
        problems.insert(0, f"the interpreted child exited with status {status}")
    for line in lines:
        print(json.dumps(line), flush=True)
    if problems:
        _shout(problems)
        raise SystemExit(1)


def node_build(banner: str) -> str:
    """The build a `l2perp up` process runs, read from its banner (its stdout, "core: <build>
    (why)"); it must be this process's build (the same sources, the same L2PERP_PURE), else the
    figures would be filed under the wrong build: RuntimeError."""
    match = re.search(r"core: (compiled|interpreted)\b", banner)
    if match is None:
        raise RuntimeError(f"the node's banner names no build of the core: {banner[:300]!r}")
    if match.group(1) != core_build.BUILD:
        raise RuntimeError(f"the node runs the {match.group(1)} core, this benchmark the "
                           f"{core_build.BUILD} one ({core_build.describe()})")
    return match.group(1)
