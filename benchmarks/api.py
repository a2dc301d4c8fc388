"""Signed orders through HTTP: throughput of single orders and of bulk actions of 40, ack latency
at fixed offered rates (open loop: latency = reply time - scheduled send time, so a slow server
is not hidden by coordinated omission), and our signature verification rate against the SDK's
own recovery helper.

The node runs as `l2perp up --no-demo` in its own process (block_ms 200, so an ack waits for a
committed block); the client is one asyncio process with many connections (single orders need
about 2,000 in flight to fill the blocks). Orders are signed in advance, outside the timing.
Run compiled, the script runs again in a child process with L2PERP_PURE=1, so that the node
runs the interpreted core (its banner must name the build), without the SDK peer, and prints one
line per workload with both builds (common.run_builds). The node's state is not deterministic
here (wall-clock nonces, batching by arrival): state_digest is null.
Usage: python benchmarks/api.py [seconds per run]   (BENCH_BUILDS)
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import common  # noqa: E402
from l2perp.crypto.signatures import l1_digest, recover_address, sign_l1_action  # noqa: E402
from l2perp.node.devnet import dev_keys  # noqa: E402

BIN = Path(sys.executable).parent / "l2perp"
T_NONCE = int(time.time() * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def order_action(n: int, bulk: int, base_px: int) -> dict:
    orders = [{"a": 0, "b": True, "p": str(base_px + (n * bulk + i) % 40_000), "s": "0.001",
               "r": False, "t": {"limit": {"tif": "Gtc"}}} for i in range(bulk)]
    return {"type": "order", "orders": orders, "grouping": "na"}


def presign(count: int, bulk: int) -> list[bytes]:
    """Bodies signed by the dev traders in turn, nonces from the wall clock upward."""
    traders = [k for k in dev_keys() if k.role == "trader"]
    bodies = []
    for n in range(count):
        key = traders[n % len(traders)]
        nonce = T_NONCE + n
        action = order_action(n, bulk, 20_000 + (n % len(traders)) * 40_001)
        sig = sign_l1_action(bytes.fromhex(key.private_key[2:]), action, None, nonce, None,
                             False)
        bodies.append(json.dumps({"action": action, "nonce": nonce, "signature": sig,
                                  "vaultAddress": None, "expiresAfter": None}).encode())
    return bodies


async def closed_loop(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Send every body as fast as `concurrency` connections allow; returns elapsed seconds."""
    queue = list(reversed(bodies))
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while queue:
            body = queue.pop()
            async with session.post(url, data=body,
                                    headers={"content-type": "application/json"}) as resp:
                reply = await resp.json()
                if reply.get("status") != "ok":
                    failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    if failures:
        print(f"# {failures} requests were not ok", file=sys.stderr)
    return elapsed


async def open_loop(url: str, bodies: list[bytes], rate: float) -> list[float]:
    """Send body i at start + i / rate; latency of each = reply - scheduled time (ms)."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=2_000)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()

        async def one(i: int, body: bytes) -> None:
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with session.post(url, data=body,
                                    headers={"content-type": "application/json"}) as resp:
                await resp.read()
            latencies.append((time.perf_counter() - scheduled) * 1000)

        await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
    return sorted(latencies)


def verify_rates(n: int = 2_000) -> tuple[float, float | None]:
    """Our recovery vs hyperliquid-python-sdk's recover helper, on the same signatures (the
    helper only where the peer is measured: common.peer_wanted)."""
    from eth_account import Account
    from hyperliquid.utils import signing as sdk

    key = dev_keys()[1]
    wallet = Account.from_key(key.private_key)
    actions = [order_action(i, 1, 30_000) for i in range(n)]
    sigs = [sign_l1_action(bytes.fromhex(key.private_key[2:]), a, None, T_NONCE + i, None, False)
            for i, a in enumerate(actions)]
    start = time.perf_counter()
    for i, (a, s) in enumerate(zip(actions, sigs)):
        assert recover_address(l1_digest(a, None, T_NONCE + i, None, False), s) == \
            wallet.address.lower()
    ours = n / (time.perf_counter() - start)
    if not common.peer_wanted():
        return ours, None
    start = time.perf_counter()
    for i, (a, s) in enumerate(zip(actions, sigs)):
        sdk.recover_agent_or_user_from_l1_action(a, s, None, T_NONCE + i, None, False)
    theirs = n / (time.perf_counter() - start)
    return ours, theirs


def emit(workload: str, ops: float, peer: str | None = None, peer_ops: float | None = None,
         **extra) -> None:
    """Record one workload's JSON line (common.record adds the build fields)."""
    common.record({"bench": "api", "workload": workload, "ops_per_s": round(ops),
                   "peer": None if peer_ops is None else peer,
                   "peer_ops_per_s": None if peer_ops is None else round(peer_ops),
                   "ratio": None if peer_ops is None else round(ops / peer_ops, 3),
                   "state_digest": None, **extra})


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    ours, theirs = verify_rates()
    emit("verify_l1_signature", ours, "hyperliquid-python-sdk==0.24.0 recover helper", theirs)
    port = free_port()
    url = f"http://127.0.0.1:{port}/exchange"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONUNBUFFERED="1")  # the banner reaches node.out at once
        banner = Path(tmp) / "node.out"
        with open(banner, "wb") as out:
            server = subprocess.Popen([str(BIN), "up", "--no-demo", "--port", str(port),
                                       "--data", str(Path(tmp) / "node")], stdout=out,
                                      stderr=subprocess.DEVNULL, env=env)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError("server did not start") from None
                    time.sleep(0.1)
            time.sleep(1.0)
            node = common.node_build(banner.read_text(errors="replace"))
            single = presign(int(1_500 * seconds), 1)
            elapsed = asyncio.run(closed_loop(url, single, 2_000))
            emit("orders_single_http", len(single) / elapsed, node_build=node)
            global T_NONCE
            T_NONCE += 10_000_000
            bulk = presign(int(300 * seconds), 40)
            elapsed = asyncio.run(closed_loop(url, bulk, 128))
            emit("orders_bulk40_http", 40 * len(bulk) / elapsed, node_build=node)
            for rate in (200, 500, 1_000):
                T_NONCE += 10_000_000
                bodies = presign(int(rate * seconds), 1)
                lat = asyncio.run(open_loop(url, bodies, rate))
                emit(f"ack_latency_at_{rate}_per_s", len(bodies) / (lat and seconds or 1),
                     offered_per_s=rate, p50_ms=round(lat[len(lat) // 2], 1),
                     p99_ms=round(lat[int(len(lat) * 0.99)], 1), node_build=node)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    common.run_builds(main)
