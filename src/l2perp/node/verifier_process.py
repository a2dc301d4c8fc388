"""The honest verifier as its own process (`l2perp verify`): it follows the L1 file read-only,
re-executes every posted batch from L1 data alone and sends a challenge through the node's
`POST /l1` when a claimed result is wrong. It shares nothing with the sequencer but the L1.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from ..rollup.verifier import Verifier
from .l1client import L1Client
from .l1host import L1Host


def exit_with_parent(parent: int) -> None:
    """Exit this process once `parent` is no longer its parent (checked every second from a
    daemon thread): the verifier that `l2perp up` spawned goes when the node goes."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def run_verifier(l1_path: Path, url: str, private_key: str, poll_s: float = 0.5,
                 rounds: int | None = None, log=print) -> Verifier:
    """Follow the L1 until killed (or for `rounds` polls); returns the verifier. A judge
    failure (an engine exception on a well-formed batch) is logged loudly and not challenged."""
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
    while rounds is None or done < rounds:
        host.follow()
        try:
            for batch_no, verdict in verifier.poll():
                log(f"challenged batch {batch_no}: fraud={verdict.fraud} ({verdict.reason})")
        except OSError as exc:  # the node is away: try again on the next round
            log(f"could not reach {url}: {exc}")
        done += 1
        time.sleep(poll_s)
    return verifier
