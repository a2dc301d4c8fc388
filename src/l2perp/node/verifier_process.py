"""The honest verifier as its own process (`l2perp verify`): it follows the L1 file read-only,
re-executes every posted batch from L1 data alone and sends a challenge through the node's
`POST /l1` when a claimed result is wrong. It shares nothing with the sequencer but the L1.

Beside a sequencer on the same machine it runs at a lower priority (`lower_priority`): it may
fall behind under load and catches up in batches (each poll takes every batch posted since the
last one). After every poll it writes its progress to a status file (`write_status`); the node
reads it (`verifier_lag`) and serves how far behind L1 the verifier is, against the challenge
window inside which it must have checked every batch.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

from ..rollup.contract import Settlement
from ..rollup.verifier import Verifier

VERIFIER_STATUS = "verifier.json"  # the status file of the verifier `l2perp up` starts, in DATA
from .l1client import L1Client
from .l1host import L1Host


def exit_on_sigterm() -> None:
    """Let SIGTERM end this process like an ordinary exit (SystemExit in the main thread), so
    that exit handlers run: the pool of signature workers is shut down with it instead of
    outliving the verifier."""
    def stop(signum, frame) -> None:
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)


def exit_with_parent(parent: int, grace_s: float = 5.0) -> None:
    """Exit this process once `parent` is no longer its parent (checked every second from a
    daemon thread): the verifier that `l2perp up` spawned goes when the node goes. The exit is
    an ordinary one (SIGTERM to itself, see `exit_on_sigterm`); after `grace_s` without it, a
    hard one."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def lower_priority(increment: int) -> int:
    """Raise this process's niceness by `increment` (0: unchanged); the niceness now. Children
    started afterwards (the signature workers) inherit it."""
    if increment <= 0:
        return os.nice(0)
    return os.nice(increment)


def write_status(path: Path, verifier: Verifier, poll_ms: float, max_poll_ms: float) -> None:
    """The verifier's progress, replaced atomically: how many of L1's batches it examined
    (`seen`, in L1's order), how many it verified, the L1 time it saw, and how long its last
    and its longest poll took. A write that fails is skipped (the next poll tries again)."""
    l1 = verifier.l1
    status = {"pid": os.getpid(), "at": time.time_ns() // 1_000_000, "seen": verifier.seen,
              "verified": verifier.verified, "challenges": len(verifier.challenges),
              "failures": len(verifier.failures), "l1Batches": len(l1.batches),
              "l1Time": l1.time_ms, "pollMs": round(poll_ms, 1),
              "maxPollMs": round(max_poll_ms, 1)}
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(status))
        os.replace(temporary, path)
    except OSError:
        pass


def verifier_lag(path: Path, l1: Settlement, l2_height: int, now_ms: int) -> dict | None:
    """How far the verifier writing `path` is behind, judged against `l1` as it stands now:
    `behindBatches` posted but not yet examined, `behindBlocks` L2 blocks the sequencer holds
    above the last examined batch, `lagMs` how long the oldest unexamined batch has been on L1
    (L1 time), `marginMs` the time left before that batch's challenge window closes (every
    batch must be checked inside it), `updatedMsAgo` since the verifier last wrote (a large
    value: it is stuck in a long poll, or gone). None when there is no status file."""
    try:
        status = json.loads(path.read_text())
        seen = int(status["seen"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    batches = l1.batches
    seen = max(0, min(seen, len(batches)))
    checked = batches[seen - 1].header.last_height if seen else 0
    oldest = batches[seen] if seen < len(batches) else None
    return {
        "seen": seen, "verified": status.get("verified"), "checkedHeight": checked,
        "behindBatches": len(batches) - seen, "behindBlocks": max(0, l2_height - checked),
        "lagMs": l1.time_ms - oldest.posted_ms if oldest is not None else 0,
        "marginMs": oldest.deadline_ms - l1.time_ms if oldest is not None else None,
        "challengeWindowMs": l1.params.challenge_window_ms,
        "pollMs": status.get("pollMs"), "maxPollMs": status.get("maxPollMs"),
        "updatedMsAgo": now_ms - int(status.get("at", now_ms)),
        "challenges": status.get("challenges"), "failures": status.get("failures"),
    }


def run_verifier(l1_path: Path, url: str, private_key: str, poll_s: float = 0.5,
                 rounds: int | None = None, log=print,
                 status_file: Path | None = None) -> Verifier:
    """Follow the L1 until killed (or for `rounds` polls); returns the verifier. A judge
    failure (an engine exception on a well-formed batch) is logged loudly and not challenged.
    With `status_file`, its progress is written there after every poll (`write_status`)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s "
                        "%(message)s")
    while not Path(l1_path).exists():
        time.sleep(poll_s)
    host = L1Host(l1_path, readonly=True)
    while not host.deployed:
        time.sleep(poll_s)
        host = L1Host(l1_path, readonly=True)
    client = L1Client(private_key, url=url)
    verifier = Verifier(client.address, host.l1, submit=client.challenge)
    done = 0
    max_poll_ms = 0.0
    while rounds is None or done < rounds:
        started = time.perf_counter()
        host.follow()
        try:
            for batch_no, verdict in verifier.poll():
                log(f"challenged batch {batch_no}: fraud={verdict.fraud} ({verdict.reason})")
        except OSError as exc:  # the node is away: try again on the next round
            log(f"could not reach {url}: {exc}")
        poll_ms = (time.perf_counter() - started) * 1000
        max_poll_ms = max(max_poll_ms, poll_ms)
        if status_file is not None:
            write_status(Path(status_file), verifier, poll_ms, max_poll_ms)
        done += 1
        time.sleep(poll_s)
    return verifier
