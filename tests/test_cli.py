"""The installed `l2perp` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.tx import BridgeCredit, Tx
from l2perp.node.log import BlockLog
from l2perp.node.sequencer import Sequencer
from tests.venue import ADMIN, T0, addr

BIN = Path(sys.executable).parent / "l2perp"


def test_version_and_replay(tmp_path) -> None:
    assert subprocess.run([str(BIN), "version"], capture_output=True, text=True,
                          check=True).stdout.startswith("l2perp ")
    seq = Sequencer(BlockLog(tmp_path / "node.sqlite"),
                    Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    for i in range(5):
        seq.mempool.push(Tx(None, 0, BridgeCredit(addr(i + 1), 10**6)))
        seq.produce_block(T0 + 200 * (i + 1))
    seq.log.close()
    out = subprocess.run([str(BIN), "replay", "--data", str(tmp_path)], capture_output=True,
                         text=True)
    assert out.returncode == 0 and "verified 5 blocks" in out.stdout
    missing = subprocess.run([str(BIN), "replay", "--data", str(tmp_path / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode == 2
