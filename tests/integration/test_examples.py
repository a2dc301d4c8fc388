"""The examples against `l2perp up` with its demo makers: the SDK flows (examples/sdk_flows.py),
the ccxt TWAP (examples/twap.py, block time advanced 30 s a step), the sub-account bot and the
vault leader."""

from __future__ import annotations

import re
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
        out = subprocess.run([sys.executable, str(ROOT / "examples" / "twap.py"), "--url", url,
                              "--fast"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "finished (Filled.): 0.5 of 0.5" in out.stdout, out.stdout
        slices = set(re.findall(r"  slice order (\d+): ", out.stdout))
        # 5 minutes: 10 slices; one that found the demo book thin is caught up by a later one
        assert 8 <= len(slices) <= 10
        assert out.stdout.splitlines()[-1] == "ok cancel"
        for example, args in (("sub_account_bot.py", ["--rounds", "2"]),
                              ("sub_account_bot.py", ["--rounds", "1"]),  # reuses it
                              ("vault_leader.py", [])):
            out = subprocess.run([sys.executable, str(ROOT / "examples" / example),
                                  "--url", url, *args], capture_output=True, text=True,
                                 timeout=120)
            assert out.returncode == 0, out.stdout + out.stderr
            assert out.stdout.strip().endswith("ok " + example[:-3]), out.stdout
    finally:
        proc.terminate()
        proc.wait()
