"""A real uvicorn server on 127.0.0.1 serving a devnet node, for integration tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import requests
import uvicorn
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

from l2perp.api.server import create_app
from l2perp.node.devnet import START_PRICES_PIPS, dev_keys, devnet_genesis
from l2perp.node.service import Node, NodeRollupSettings, wall_ms
from l2perp.rollup.params import TEST


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevnetServer:
    def __init__(self, data_dir, block_ms: int = 50, rate_limits=None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        keys = dev_keys()
        self.keys = keys
        self._admin: Signer | None = None
        by_role = {k.role: k for k in keys}
        rollup = NodeRollupSettings(Path(data_dir) / "l1.sqlite", TEST, by_role["poster"].address,
                                    l1_funded=(by_role["verifier"].address,))
        self.node = Node(data_dir, devnet_genesis(wall_ms() - 1_000), block_ms=block_ms,
                         rollup=rollup)
        prices = {m.asset: START_PRICES_PIPS[m.name] for m in self.node.state.markets
                  if m.name in START_PRICES_PIPS}
        self.node.seed_devnet([k.address for k in keys[1:]], prices, keys[0].private_key)
        config = uvicorn.Config(create_app(self.node, rate_limits=rate_limits),
                                host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()),
                                       daemon=True)

    def __enter__(self) -> "DevnetServer":
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def admin(self, action: dict) -> dict:
        """Send `action` signed by the devnet admin key (one SDK client for the server's life);
        it must be accepted. Returns the reply."""
        if self._admin is None:
            self._admin = Signer(self, self.keys[0])
        reply = self._admin.send(action)
        assert reply["status"] == "ok", reply
        return reply


class Signer:
    """Posts any L1 action as the SDK does (msgpack + phantom agent, `Exchange._post_action`) to
    anything with a `url`: a DevnetServer, an `l2perp up` process."""

    def __init__(self, devnet, key) -> None:
        self.exchange = Exchange(Account.from_key(key.private_key), devnet.url, timeout=10)
        self.address = key.address
        self.last = 0

    def send(self, action: dict) -> dict:
        nonce = max(get_timestamp_ms(), self.last + 1)
        self.last = nonce
        signature = sign_l1_action(self.exchange.wallet, action, None, nonce, None, False)
        return self.exchange._post_action(action, signature, nonce)


def ccxt_client(devnet, key):
    """ccxt's hyperliquid class against `devnet` (anything with a `url`) for `key`: sandbox
    mode first (testnet signatures), then the URLs, perps only."""
    import ccxt

    exchange = ccxt.hyperliquid({"walletAddress": key.address, "privateKey": key.private_key,
                                 "timeout": 10_000})
    exchange.set_sandbox_mode(True)
    exchange.urls["api"]["public"] = devnet.url
    exchange.urls["api"]["private"] = devnet.url
    exchange.options["fetchMarkets"] = {"types": ["swap"]}
    return exchange


def info(devnet, body: dict) -> object:
    """One /info answer from `devnet` (anything with a `url`); it must be a 200."""
    reply = requests.post(devnet.url + "/info", json=body, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def bid_ladder(url: str, private_key: str, index: int, stop, on_ack) -> None:
    """Place resting BTC bids one after another, each $1 above the last (so every order is
    recognisable by its price), until `stop` is set; `on_ack(price, status)` for each order
    the node acknowledged. A refused connection (the node is down) is no acknowledgement."""
    exchange = Exchange(Account.from_key(private_key), url, timeout=5,
                        meta={"universe": [{"name": "BTC", "szDecimals": 5}]},
                        spot_meta={"universe": [], "tokens": []})
    price = 20_000 + index * 10_000
    while not stop.is_set():
        price += 1
        try:
            reply = exchange.order("BTC", True, 0.001, price, {"limit": {"tif": "Gtc"}})
        except Exception:  # noqa: BLE001 - the server is down: not acknowledged
            time.sleep(0.05)
            continue
        if reply.get("status") == "ok":
            on_ack(price, reply["response"]["data"]["statuses"][0])


def wait_for_blocks(devnet, blocks: int = 5, timeout_s: float = 10.0) -> None:
    """Assert that the node builds `blocks` more blocks within `timeout_s`."""
    start = devnet.node.state.height
    deadline = time.time() + timeout_s
    while devnet.node.state.height < start + blocks:
        assert time.time() < deadline, f"the node stopped at height {devnet.node.state.height}"
        time.sleep(0.02)


def wait_until_serving(url: str, proc, timeout_s: float = 40.0) -> None:
    """Wait until the node at `url` answers /info; RuntimeError if the process `proc` exits
    first (with what it printed, when its output is a pipe) or the time runs out."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout is not None else ""
            raise RuntimeError(f"l2perp up exited: {output}")
        try:
            requests.post(url + "/info", json={"type": "meta"}, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("l2perp up did not start")


def stable_hash(state) -> bytes:
    """accounts_hash read from the test thread while the node's loop runs: retried when a
    block changed a dict under it."""
    from l2perp.engine.encoding import accounts_hash

    for _ in range(20):
        try:
            return accounts_hash(state)
        except RuntimeError:
            continue
    raise AssertionError("state kept changing")
