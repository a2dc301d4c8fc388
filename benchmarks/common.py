"""Shared benchmark plumbing: workloads, the peer choice, timing and the JSON line format.

Each benchmark prints one JSON line per workload (docs/architecture.md): bench, workload, ops_per_s,
peer, peer_ops_per_s, ratio, state_digest. The peer runs in the same process on the same op
stream; without any peer installed the peer fields are null.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import peers  # noqa: E402
import workloads  # noqa: E402

# Pure-Python peers, fastest first; compiled peers are for scale only (BENCH_PEER=name picks one).
PEER_PREFERENCE = ("akhil4n-orderbook", "lobby", "pyorderbook", "lightmatchingengine")
WORKLOADS = {
    "exchange_core": workloads.exchange_core_mix,
    "lobster": workloads.lobster_mix,
}


def n_ops_default() -> int:
    return int(os.environ.get("BENCH_OPS", "200000"))


def pick_peer():
    """The peer class to compare against, or None when none imports here."""
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
    line = {
        "bench": bench,
        "workload": workload,
        "ops_per_s": round(ops_per_s),
        "peer": None if peer_cls is None else f"{peer_cls.dist}=={peer_cls.version()}",
        "peer_ops_per_s": None if peer_ops is None else round(peer_ops),
        "ratio": None if peer_ops is None else round(ops_per_s / peer_ops, 3),
        "state_digest": digest,
    }
    print(json.dumps(line), flush=True)


def describe_machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()} {platform.machine()}"
