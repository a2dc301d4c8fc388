"""Crash safety: `l2perp up` is SIGKILLed at random moments while several SDK clients trade;
after each restart every acknowledged order is there, nothing executed twice, and
`l2perp replay` verifies every digest."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.node.devnet import dev_keys
from tests.support.server import bid_ladder, free_port, wait_until_serving

BIN = Path(sys.executable).parent / "l2perp"


def start(port: int, data: Path) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN), "up", "--no-demo", "--port", str(port), "--data",
                             str(data), "--block-ms", "50", "--rate-limits", "off"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_until_serving(f"http://127.0.0.1:{port}", proc, 30)
    return proc


def test_acknowledged_orders_survive_sigkill(tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    keys = [k for k in dev_keys() if k.role == "trader"][:3]
    acked: dict[str, list[int]] = {k.address: [] for k in keys}
    rng = random.Random(3)
    stop = threading.Event()

    def trade(key, index: int) -> None:
        bid_ladder(url, key.private_key, index, stop,
                   lambda price, status: acked[key.address].append(status["resting"]["oid"]))

    proc = start(port, tmp_path)
    threads = [threading.Thread(target=trade, args=(k, i), daemon=True)
               for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            time.sleep(rng.uniform(0.3, 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc = start(port, tmp_path)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        info = Info(url, skip_ws=True, timeout=5)
        for key in keys:
            orders = info.open_orders(key.address)
            open_oids = {o["oid"] for o in orders}
            assert set(acked[key.address]) <= open_oids  # every acknowledged order is there
            prices = [o["limitPx"] for o in orders]
            assert len(prices) == len(set(prices))  # each signed order executed once
            # Committed but never acknowledged (killed between commit and reply): at most a
            # block's worth per kill.
            assert len(open_oids - set(acked[key.address])) <= 6
            assert len(acked[key.address]) > 5
        # A replayed signed request does not execute again.
        exchange = Exchange(Account.from_key(keys[0].private_key), url, timeout=5)
        body = {}
        original = exchange._post_action

        def capture(action, signature, nonce):
            body.update(action=action, signature=signature, nonce=nonce)
            return original(action, signature, nonce)

        exchange._post_action = capture
        exchange.order("BTC", True, 0.001, 10_000, {"limit": {"tif": "Gtc"}})
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = start(port, tmp_path)
        again = requests.post(url + "/exchange", json={
            "action": body["action"], "nonce": body["nonce"], "signature": body["signature"],
            "vaultAddress": None, "expiresAfter": None}, timeout=5).json()
        assert again["status"] == "err" and "duplicate nonce" in again["response"]
    finally:
        stop.set()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    verified = subprocess.run([str(BIN), "replay", "--data", str(tmp_path)],
                              capture_output=True, text=True)
    assert verified.returncode == 0 and "every digest matches" in verified.stdout
