"""Real devnet nodes for the API tests. `DevnetServer` (tests/support/server.py) serves one
over uvicorn on the wall clock; `StillNode` is the same node (log, indexer, L1, poster,
reconciler) without a server: it builds a block only when the test says so, and with a
monkeypatch its clock is the test's, so heights, L1 time and challenge windows are exact."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import requests

from l2perp.api.daystats import DayStatsCache
from l2perp.api.info_types import info_answer
from l2perp.node import service
from l2perp.node.devnet import START_PRICES_PIPS, dev_keys, devnet_genesis
from l2perp.node.service import Node, NodeRollupSettings, wall_ms
from l2perp.rollup.params import TEST
from tests.support.server import Signer  # noqa: F401 - the API tests' signer


def info(devnet, kind: str, **fields) -> object:
    """POST /info on a served devnet; the answer (asserting HTTP 200)."""
    reply = requests.post(devnet.url + "/info", json={"type": kind, **fields}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def settle(devnet, blocks: int = 2) -> None:
    """Let a served node build `blocks` more blocks."""
    height = devnet.node.state.height
    deadline = time.time() + 10
    while devnet.node.state.height < height + blocks and time.time() < deadline:
        time.sleep(0.02)


class StillNode:
    """A seeded devnet node with a rollup (test profile: 1 s L1 blocks, 2 s batch interval,
    50 s challenge window), driven by `step`."""

    def __init__(self, data_dir: Path, monkeypatch=None, fault: str | None = None) -> None:
        self.keys = dev_keys()
        by_role = {k.role: k for k in self.keys}
        settings = NodeRollupSettings(Path(data_dir) / "l1.sqlite", TEST,
                                      by_role["poster"].address, fault=fault,
                                      l1_funded=(by_role["verifier"].address,))
        self.node = Node(data_dir, devnet_genesis(wall_ms() - 1_000), block_ms=20,
                         rollup=settings)
        prices = {m.asset: START_PRICES_PIPS[m.name] for m in self.node.state.markets}
        self.node.seed_devnet([k.address for k in self.keys[1:]], prices,
                              self.keys[0].private_key)
        self.days = DayStatsCache()
        self.now_ms = max(wall_ms(), self.node.state.time_ms) + 1
        if monkeypatch is not None:  # from here on, time moves only in `step`
            monkeypatch.setattr(service, "wall_ms", lambda: self.now_ms)

    def step(self, ms: int = 1_000, blocks: int = 1) -> None:
        """Build `blocks` blocks, `ms` of (patched) clock apart."""
        for _ in range(blocks):
            self.now_ms += ms
            self.node.produce()

    def info(self, kind: str, **fields) -> object:
        """The /info answer as a client reads it (through JSON)."""
        return orjson.loads(orjson.dumps(info_answer(self.node, {"type": kind, **fields},
                                                     self.days)))

    def close(self) -> None:
        self.node.sequencer.log.close()
        if self.node.rollup is not None:
            self.node.rollup.close()
