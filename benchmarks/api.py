"""Signed orders through HTTP, on a node with its rollup and on one without: throughput of
single orders and of bulk actions of 40, ack latency at fixed offered rates (open loop: latency
= reply time - scheduled send time, so a slow server is not hidden by coordinated omission),
the honest verifier's lag under the heaviest load, and our signature verification rate against
the SDK's own recovery helper.

Each node runs as `l2perp up --no-demo --block-ms 100` in its own process (an ack waits for a
committed block): first with the rollup (L1, batch poster, reconciler, and the verifier process
at its lower priority), then with `--no-rollup`, on fresh data directories, the same signed
bodies sent to both. Per node, in this order (the state grows with it: every order rests):
single orders (closed loop, 2,000 in flight), bulk actions of 40 (128 in flight), then open-loop
single orders at 200, 1,000 and 5,000 per second offered. Orders are resting bids of 0.001 BTC,
signed in turn by the 10 dev traders and 100 benchmark accounts the devnet faucet funds at the
start (so that no account reaches its 1,000 open orders, and reordered arrivals stay inside each
signer's 100-nonce window); `errors` counts replies that were not ok or refused an order. Lines
of the rollup-off node carry the suffix `_no_rollup`; every node line says `rollup`, and the
share of one core that the node, the processes below it (verifier) and this client used. The 5,000/s line of the rollup node carries
the verifier's lag, sampled from `rollupStatus` every 250 ms during the load: `behindBatches`
(L1 batches it has not examined), `behindBlocks` (sequencer blocks above the last batch it
examined), `lagMs` (L1 time the oldest unexamined batch has waited), at the end of the load and
at their worst, the devnet challenge window, and how long after the load it caught up with the
height the load ended at.

The client is one asyncio process on the same machine (its CPU competes with the node's).
Orders are signed in advance, outside the timing. Run compiled, the script runs again in a child
process with L2PERP_PURE=1, so that the nodes run the interpreted core (their banners must name
the build), without the SDK peer, and prints one line per workload with both builds
(common.run_builds). The node's state is not deterministic here (wall-clock nonces, batching by
arrival): state_digest is null.

BENCH_API_PYSPY=PREFIX records each workload's node process with py-spy (raw folded stacks,
native frames) into PREFIX<workload>.raw, for the stage breakdown of a profile.
Usage: python benchmarks/api.py [seconds per run]   (BENCH_BUILDS, BENCH_API_PYSPY)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import common  # noqa: E402
from l2perp.crypto.signatures import (  # noqa: E402
    address_of, l1_digest, recover_address, sign_l1_action,
)
from l2perp.node.devnet import dev_keys  # noqa: E402

BIN = Path(sys.executable).parent / "l2perp"
BLOCK_MS = 100
RATES = (200, 1_000, 5_000)  # orders/s offered, open loop
LAG_RATE = 5_000  # the load under which the verifier's lag is sampled
LAG_SAMPLE_S = 0.25
CATCH_UP_TIMEOUT_S = 120.0
BENCH_ACCOUNTS = 100  # funded by the faucet at the start, beside the 10 dev traders
BENCH_FUNDS_USD = 1_000_000
T_NONCE = int(time.time() * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def order_action(n: int, bulk: int, base_px: int) -> dict:
    orders = [{"a": 0, "b": True, "p": str(base_px + (n * bulk + i) % 40_000), "s": "0.001",
               "r": False, "t": {"limit": {"tif": "Gtc"}}} for i in range(bulk)]
    return {"type": "order", "orders": orders, "grouping": "na"}


def bench_keys(count: int = BENCH_ACCOUNTS) -> list[bytes]:
    """Private keys of the benchmark's own accounts (fixed: blake2b of their number)."""
    return [hashlib.blake2b(b"l2perp-bench-account-%d" % i, digest_size=32).digest()
            for i in range(count)]


def signers() -> list[bytes]:
    """Who signs the orders, in turn: the dev traders, then the benchmark's accounts. Many
    signers keep each one's requests few enough in flight that arrival out of order (a node
    that stalls reads its sockets in descriptor order) stays inside the 100-nonce window, and
    the open orders under each account's cap of 1,000."""
    traders = [bytes.fromhex(k.private_key[2:]) for k in dev_keys() if k.role == "trader"]
    return traders + bench_keys()


def presign(count: int, bulk: int, first_nonce: int) -> list[bytes]:
    """Bodies signed by `signers()` in turn, nonces from `first_nonce` upward."""
    keys = signers()
    bodies = []
    for n in range(count):
        key = keys[n % len(keys)]
        nonce = first_nonce + n
        action = order_action(n, bulk, 20_000 + (n % len(keys)) * 401)
        sig = sign_l1_action(key, action, None, nonce, None, False)
        bodies.append(json.dumps({"action": action, "nonce": nonce, "signature": sig,
                                  "vaultAddress": None, "expiresAfter": None}).encode())
    return bodies


async def fund_bench_accounts(url: str) -> None:
    """The devnet admin's faucet credits each benchmark account (through L1 on a rollup
    node: each reply waits for the credit)."""
    admin = next(k for k in dev_keys() if k.role == "admin")
    secret = bytes.fromhex(admin.private_key[2:])
    nonce = int(time.time() * 1000)
    bodies = []
    for i, key in enumerate(bench_keys()):
        action = {"type": "devFaucet", "user": address_of(key), "usd": str(BENCH_FUNDS_USD)}
        sig = sign_l1_action(secret, action, None, nonce + i, None, False)
        bodies.append(json.dumps({"action": action, "nonce": nonce + i, "signature": sig,
                                  "vaultAddress": None, "expiresAfter": None}).encode())
    async with aiohttp.ClientSession() as session:
        async def one(body: bytes) -> None:
            async with session.post(url, data=body,
                                    headers={"content-type": "application/json"}) as resp:
                reply = await resp.json()
            if reply.get("status") != "ok":
                raise RuntimeError(f"the faucet refused a benchmark account: {reply}")
        await asyncio.gather(*(one(body) for body in bodies))


@dataclass
class Workloads:
    """Every body a node is sent, signed once: both nodes get the same ones."""

    single: list[bytes]
    bulk: list[bytes]
    rates: dict[int, list[bytes]] = field(default_factory=dict)

    @classmethod
    def sign(cls, seconds: float) -> "Workloads":
        step = 10_000_000  # nonce ranges of the workloads never meet
        out = cls(presign(int(1_500 * seconds), 1, T_NONCE),
                  presign(int(300 * seconds), 40, T_NONCE + step))
        for k, rate in enumerate(RATES):
            out.rates[rate] = presign(int(rate * seconds), 1, T_NONCE + (k + 2) * step)
        return out


async def closed_loop(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, int]:
    """Send every body as fast as `concurrency` connections allow; (elapsed seconds, replies
    that were not ok or refused an order)."""
    queue = list(reversed(bodies))
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while queue:
            body = queue.pop()
            async with session.post(url, data=body,
                                    headers={"content-type": "application/json"}) as resp:
                reply = await resp.read()
                if b'"status":"ok"' not in reply or b'"error"' in reply:
                    failures += 1
                    if failures == 1:
                        print(f"# not ok: {reply[:200]!r}", file=sys.stderr)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, failures


async def open_loop(url: str, bodies: list[bytes], rate: float
                    ) -> tuple[list[float], float, int]:
    """Send body i at start + i / rate; (sorted latencies of each = reply - scheduled time in
    ms, seconds from the start to the last reply, replies that were not ok or refused an
    order)."""
    latencies: list[float] = []
    failures = 0
    errors: list[bytes] = []
    connector = aiohttp.TCPConnector(limit=2_000)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()

        async def one(i: int, body: bytes) -> None:
            nonlocal failures
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with session.post(url, data=body,
                                    headers={"content-type": "application/json"}) as resp:
                reply = await resp.read()
            latencies.append((time.perf_counter() - scheduled) * 1000)
            if b'"status":"ok"' not in reply or b'"error"' in reply:
                failures += 1
                if len(errors) < 3 and reply not in errors:
                    errors.append(reply)

        await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
        elapsed = time.perf_counter() - start
    for reply in errors:
        print(f"# {failures} replies at {rate}/s were not ok, e.g. {reply[:200]!r}",
              file=sys.stderr)
    return sorted(latencies), elapsed, failures


def percentile(sorted_ms: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank below) of sorted latencies, to 0.1 ms."""
    if not sorted_ms:
        return None
    return round(sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))], 1)


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


# ----- the node under test --------------------------------------------------------------------

@dataclass
class NodeUnderTest:
    """One `l2perp up` process: its URL, pid, the build its banner names, rollup or not."""

    url: str
    pid: int
    build: str
    rollup: bool

    def info(self, body: dict) -> object:
        request = urllib.request.Request(self.url + "/info", data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@contextlib.contextmanager
def running_node(tmp: Path, rollup: bool) -> Iterator[NodeUnderTest]:
    """`l2perp up --no-demo` on a free port over a fresh data directory, until the block."""
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # the banner reaches node.out at once
    banner = tmp / ("node.out" if rollup else "node-no-rollup.out")
    data = tmp / ("node" if rollup else "node-no-rollup")
    args = [str(BIN), "up", "--no-demo", "--port", str(port), "--data", str(data),
            "--block-ms", str(BLOCK_MS), "--rate-limits", "off",
            *([] if rollup else ["--no-rollup"])]
    with open(banner, "wb") as out:
        server = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError("server did not start: " + banner.read_text(
                        errors="replace")[-500:]) from None
                time.sleep(0.1)
        asyncio.run(fund_bench_accounts(f"http://127.0.0.1:{port}/exchange"))
        time.sleep(1.0)
        yield NodeUnderTest(f"http://127.0.0.1:{port}", server.pid,
                            common.node_build(banner.read_text(errors="replace")), rollup)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def profiled(node: NodeUnderTest, workload: str) -> Iterator[None]:
    """With BENCH_API_PYSPY=PREFIX: py-spy records the node while the block runs."""
    prefix = os.environ.get("BENCH_API_PYSPY")
    if not prefix:
        yield
        return
    spy = Path(sys.executable).parent / "py-spy"
    recorder = subprocess.Popen([str(spy), "record", "--native", "--nolineno", "-r", "100",
                                 "-f", "raw", "-o", f"{prefix}{workload}.raw", "--pid",
                                 str(node.pid)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the load starts
    try:
        yield
    finally:
        recorder.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            recorder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()


# ----- where the CPU went ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (its verifier and that one's signature workers), from /proc."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _proc_stat(int(name))
            if fields is not None:
                parents[int(name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, up in parents.items() if up == parent]
        out += children
        frontier += children
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far (those still alive)."""
    total = 0
    for pid in pids:
        fields = _proc_stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


@contextlib.contextmanager
def cpu_use(node: "NodeUnderTest", out: dict) -> Iterator[None]:
    """Fills `out` with the share of one core that the node process, the processes below it
    (verifier, signature workers) and this client used while the block ran (Linux /proc;
    nothing elsewhere)."""
    if not os.path.isdir("/proc"):
        yield
        return
    helpers = descendants(node.pid)
    before = (cpu_seconds([node.pid]), cpu_seconds(helpers), time.process_time(),
              time.perf_counter())
    yield
    helpers = sorted(set(helpers) | set(descendants(node.pid)))
    wall = time.perf_counter() - before[3]
    out["cpu_node_pct"] = round(100 * (cpu_seconds([node.pid]) - before[0]) / wall)
    out["cpu_verifier_pct"] = round(100 * (cpu_seconds(helpers) - before[1]) / wall)
    out["cpu_client_pct"] = round(100 * (time.process_time() - before[2]) / wall)


# ----- the verifier's lag -----------------------------------------------------------------------

class LagSampler:
    """Samples `rollupStatus` from a thread while a load runs: the verifier's lag over time."""

    def __init__(self, node: NodeUnderTest) -> None:
        self.node = node
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> dict | None:
        try:
            status = self.node.info({"type": "rollupStatus"})
        except OSError:
            return None
        lag = status.get("verifier")
        if lag is None:
            return None
        return {**lag, "l2Height": status["l2Height"], "postedHeight": status["postedHeight"]}

    def _run(self) -> None:
        while not self._stop.wait(LAG_SAMPLE_S):
            sample = self._sample()
            if sample is not None:
                self.samples.append(sample)

    def __enter__(self) -> "LagSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def report(self) -> dict:
        """The lag at the end of the load and at its worst, the challenge window, and the
        seconds after the load until the verifier had checked every block the load made."""
        end = self._sample()
        if end is None or not self.samples:
            return {"verifier_lag": None}
        seen = [*self.samples, end]
        out = {
            "verifier_behind_batches_end": end["behindBatches"],
            "verifier_behind_batches_max": max(s["behindBatches"] for s in seen),
            "verifier_behind_blocks_end": end["behindBlocks"],
            "verifier_behind_blocks_max": max(s["behindBlocks"] for s in seen),
            "verifier_lag_ms_end": end["lagMs"],
            "verifier_lag_ms_max": max(s["lagMs"] for s in seen),
            "verifier_max_poll_ms": end["maxPollMs"],
            "challenge_window_ms": end["challengeWindowMs"],
        }
        target = end["l2Height"]
        start = time.perf_counter()
        caught_up = None
        while time.perf_counter() - start < CATCH_UP_TIMEOUT_S:
            now = self._sample()
            if now is not None and now["checkedHeight"] >= target:
                caught_up = round(time.perf_counter() - start, 1)
                break
            time.sleep(LAG_SAMPLE_S)
        out["verifier_caught_up_s"] = caught_up
        return out


# ----- one node's workloads ---------------------------------------------------------------------

def measure_node(node: NodeUnderTest, work: Workloads) -> None:
    """Every workload on one node, a line each."""
    suffix = "" if node.rollup else "_no_rollup"
    url = node.url + "/exchange"
    common_fields = {"rollup": node.rollup, "block_ms": BLOCK_MS, "node_build": node.build}
    for name, bodies, per_body, concurrency in (
            (f"orders_single_http{suffix}", work.single, 1, 2_000),
            (f"orders_bulk40_http{suffix}", work.bulk, 40, 128)):
        cpu: dict = {}
        with profiled(node, name), cpu_use(node, cpu):
            elapsed, failures = asyncio.run(closed_loop(url, bodies, concurrency))
        emit(name, per_body * len(bodies) / elapsed, errors=failures, **common_fields, **cpu)
    for rate in RATES:
        bodies = work.rates[rate]
        name = f"ack_latency_at_{rate}_per_s{suffix}"
        lag: dict = {}
        cpu = {}
        with profiled(node, name):
            if node.rollup and rate == LAG_RATE:
                with LagSampler(node) as sampler, cpu_use(node, cpu):
                    lat, elapsed, failures = asyncio.run(open_loop(url, bodies, rate))
                lag = sampler.report()
            else:
                with cpu_use(node, cpu):
                    lat, elapsed, failures = asyncio.run(open_loop(url, bodies, rate))
        emit(name, len(bodies) / elapsed, offered_per_s=rate, p50_ms=percentile(lat, 0.5),
             p99_ms=percentile(lat, 0.99), p999_ms=percentile(lat, 0.999),
             max_ms=round(lat[-1], 1), errors=failures, **common_fields, **cpu, **lag)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    ours, theirs = verify_rates()
    emit("verify_l1_signature", ours, "hyperliquid-python-sdk==0.24.0 recover helper", theirs)
    work = Workloads.sign(seconds)
    with tempfile.TemporaryDirectory() as tmp:
        for rollup in (True, False):
            with running_node(Path(tmp), rollup) as node:
                measure_node(node, work)


if __name__ == "__main__":
    common.run_builds(main)
