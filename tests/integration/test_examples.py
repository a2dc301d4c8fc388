"""The SDK example flows (examples/sdk_flows.py) against `l2perp up` with its demo makers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "l2perp"


def test_every_example_flow_runs(tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(BIN), "up", "--port", str(port), "--data", str(tmp_path),
                             "--rate-limits", "off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                book = requests.post(url + "/info", json={"type": "l2Book", "coin": "SOL"},
                                     timeout=1).json()
                if book["levels"][0] and book["levels"][1]:
                    break
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        out = subprocess.run([sys.executable, str(ROOT / "examples" / "sdk_flows.py"),
                              "--url", url, "all"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.count("ok ") == 12
    finally:
        proc.terminate()
        proc.wait()
