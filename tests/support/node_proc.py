"""A real `l2perp up` process for the fault tests: started on a free port with its own data
directory, reached over HTTP with the SDK's signing, killed at the end of the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_account import Account
from hyperliquid.utils.signing import (
    get_timestamp_ms, sign_l1_action, sign_usd_transfer_action,
)

from l2perp.node.devnet import dev_keys
from tests.support.server import free_port, wait_until_serving

BIN = Path(sys.executable).parent / "l2perp"
KEYS = {k.role: k for k in dev_keys()}
TRADERS = [k for k in dev_keys() if k.role == "trader"]


class UpProcess:
    """`l2perp up --no-demo` (a devnet unless `args` say otherwise) as a child process."""

    def __init__(self, data: Path, *args: str, env: dict | None = None,
                 rate_limits: str | None = "off") -> None:
        """`rate_limits`: the `--rate-limits` value (off: the tests' many requests from one
        address never meet the IP budget; None: the node's default, on)."""
        self.data = data
        self.args = args if rate_limits is None else (*args, "--rate-limits", rate_limits)
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.output = ""
        self._nonce = 0

    def start(self, timeout_s: float = 40.0) -> "UpProcess":
        self.proc = subprocess.Popen(
            [str(BIN), "up", "--no-demo", "--no-verifier", "--port", str(self.port), "--data",
             str(self.data), "--block-ms", "50", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(self.env or {})}, start_new_session=True)
        wait_until_serving(self.url, self.proc, timeout_s)
        return self

    def stop(self, sig: int = signal.SIGKILL, timeout_s: float = 15.0) -> float:
        """Send `sig` to the node's process group and wait; the seconds it took to exit."""
        if self.proc is None:
            return 0.0
        began = time.time()
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        took = time.time() - began
        self.output = self.proc.stdout.read() if self.proc.stdout else ""
        self.proc = None
        return took

    # ----- HTTP --------------------------------------------------------------------------
    def info(self, body: dict) -> object:
        return requests.post(self.url + "/info", json=body, timeout=10).json()

    def height(self) -> int:
        return self.info({"type": "l2perpStatus"})["height"]

    def nonce(self) -> int:
        self._nonce = max(get_timestamp_ms(), self._nonce + 1)
        return self._nonce

    def post(self, body: dict, timeout_s: float = 10.0) -> requests.Response:
        return requests.post(self.url + "/exchange", json=body, timeout=timeout_s)

    def post_info(self, body: object, timeout_s: float = 10.0) -> requests.Response:
        """An /info request as sent, whatever the answer's status."""
        return requests.post(self.url + "/info", json=body, timeout=timeout_s)

    def l1_body(self, key, action: dict, nonce: int | None = None,
                vault: str | None = None) -> dict:
        """An L1 action body signed by `key` as the SDK signs it (for `vault`, a sub-account or
        vault address, when given)."""
        nonce = self.nonce() if nonce is None else nonce
        wallet = Account.from_key(key.private_key)
        return {"action": action, "nonce": nonce, "vaultAddress": vault, "expiresAfter": None,
                "signature": sign_l1_action(wallet, action, vault, nonce, None, False)}

    def usd_send_body(self, key, destination: str, amount: str) -> dict:
        nonce = self.nonce()
        action = {"type": "usdSend", "signatureChainId": "0x66eee",
                  "hyperliquidChain": "Testnet", "destination": destination,
                  "amount": amount, "time": nonce}
        signature = sign_usd_transfer_action(Account.from_key(key.private_key), action, False)
        return {"action": action, "nonce": nonce, "signature": signature}

    def send(self, key, action: dict, timeout_s: float = 10.0) -> dict:
        return self.post(self.l1_body(key, action), timeout_s).json()

    def order(self, key, asset: int, is_buy: bool, px: str, sz: str,
              tif: str = "Gtc") -> dict:
        return self.send(key, {"type": "order", "orders": [
            {"a": asset, "b": is_buy, "p": px, "s": sz, "r": False,
             "t": {"limit": {"tif": tif}}}], "grouping": "na"})

    def account(self, address: str) -> dict:
        """What a refusal must leave unchanged: the user's margin summary, positions and
        open orders."""
        state = self.info({"type": "clearinghouseState", "user": address})
        state.pop("time", None)
        return {"state": state,
                "orders": self.info({"type": "openOrders", "user": address})}

    def wait_blocks(self, blocks: int = 2, timeout_s: float = 10.0) -> None:
        start = self.height()
        deadline = time.time() + timeout_s
        while self.height() < start + blocks:
            assert time.time() < deadline, "the node stopped producing blocks"
            time.sleep(0.05)
