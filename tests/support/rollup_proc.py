"""A real `l2perp up` process with its rollup (and its verifier process), for integration
tests: start, wait for the API, sign admin cheats, read rollup status, run the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_account import Account
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

from l2perp.node.devnet import dev_keys
from tests.support.server import free_port, wait_until_serving

BIN = Path(sys.executable).parent / "l2perp"
KEYS = {k.role: k for k in reversed(dev_keys())}  # the first key of each role
TRADERS = [k for k in dev_keys() if k.role == "trader"]


class RollupNode:
    def __init__(self, data: Path, l1: Path, *extra: str) -> None:
        self.data, self.l1, self.extra = data, l1, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RollupNode":
        self.proc = subprocess.Popen(
            [str(BIN), "up", "--no-demo", "--port", str(self.port), "--data", str(self.data),
             "--l1", str(self.l1), "--block-ms", "50", "--rate-limits", "off", *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_serving(self.url, self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def info(self, body: dict) -> object:
        return requests.post(self.url + "/info", json=body, timeout=10).json()

    def status(self) -> dict:
        return self.info({"type": "rollupStatus"})

    def admin(self, action: dict) -> dict:
        wallet = Account.from_key(KEYS["admin"].private_key)
        nonce = get_timestamp_ms()
        return requests.post(self.url + "/exchange", json={
            "action": action, "nonce": nonce, "vaultAddress": None, "expiresAfter": None,
            "signature": sign_l1_action(wallet, action, None, nonce, None, False)},
            timeout=30).json()

    def advance(self, ms: int) -> None:
        assert self.admin({"type": "devAdvanceTime", "ms": ms})["status"] == "ok"

    def wait(self, predicate, timeout: float = 30.0, what: str = "condition") -> object:
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120)
