"""Determinism across processes: a recorded 10,000-block flow replayed in fresh interpreters with
different PYTHONHASHSEED values gives the same state digest as in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.flow import load, record, replay, save

ROOT = Path(__file__).resolve().parents[2]


def test_ten_thousand_blocks_replay_to_the_same_digest_in_other_processes(tmp_path) -> None:
    path = str(tmp_path / "flow.msgpack")
    save(record(10_000, seed=7), path)
    digest, fills = replay(load(path))
    assert fills > 1_000  # the flow really trades
    outputs = []
    for hash_seed in ("0", "4242"):
        # this tree's package first (an editable install elsewhere must not be replayed)
        env = dict(os.environ, PYTHONHASHSEED=hash_seed,
                   PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
        out = subprocess.run([sys.executable, "-m", "tests.support.flow", path], env=env,
                             cwd=ROOT, capture_output=True, text=True, check=True)
        outputs.append(out.stdout.split())
    assert outputs[0] == outputs[1] == [digest.hex(), str(fills)]


def test_a_different_flow_gives_a_different_digest() -> None:
    assert replay(record(300, seed=1))[0] != replay(record(300, seed=2))[0]
