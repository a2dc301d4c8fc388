"""The web app's time to useful: for each view at 1280x800 and 390x844, the time from navigation
to the view's first useful content (the live book with bids for Trade, the status cards for
Rollup, the operators table for Governance, the file picker for Lab), in headless Debian
chromium driven by Playwright, against `l2perp up` with its demo in its own process.

Peer, measured in the same run: the same page files served as static files by Python's
http.server (no API behind them), time to the `load` event; the ratio is our loads per second
over the peer's, so it shows what waiting for the node's data costs over fetching the assets.
Also printed: the bytes of the page and its scripts (no dependencies, no build output).

Run compiled, the script runs again in a child process with L2PERP_PURE=1, so that the node
runs the interpreted core (its banner must name the build), without the static-files peer, and
prints one line per view with both builds (common.run_builds). state_digest is null (the demo's
state depends on the wall clock).

Usage: python benchmarks/web.py [loads per view]   (BENCH_BUILDS)
"""

from __future__ import annotations

import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

import common

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "src" / "l2perp" / "web"
BIN = Path(sys.executable).parent / "l2perp"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
VIEWPORTS = {"desktop": (1280, 800), "mobile": (390, 844)}
READY = {"trade": "#book tbody tr.bid", "rollup": "#rollup-cards .stat",
         "governance": "#operator-table tbody tr", "lab": "#lab-files"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(tmp: str) -> tuple[subprocess.Popen, str, str]:
    """`l2perp up` with its demo, data under `tmp`: the process, its URL and its build (from
    its banner, which must name this process's build: common.node_build)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    banner = Path(tmp) / "node.out"
    with open(banner, "wb") as out:
        proc = subprocess.Popen([str(BIN), "up", "--port", str(port), "--data",
                                 str(Path(tmp) / "node"), "--block-ms", "200",
                                 "--rate-limits", "off"], stdout=out,
                                stderr=subprocess.DEVNULL, start_new_session=True,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            book = requests.post(url + "/info", json={"type": "l2Book", "coin": "BTC"},
                                 timeout=1).json()
            if all(book["levels"]):
                try:
                    return proc, url, common.node_build(banner.read_text(errors="replace"))
                except RuntimeError:
                    os.killpg(proc.pid, 15)
                    proc.wait()
                    raise
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("l2perp up did not quote a book within 60 s")


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the peer's request log is not the benchmark's
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a closed tab's broken pipe
        pass


def static_server() -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(QuietFiles, directory=str(WEB))
    server = QuietServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def time_loads(browser, url: str, viewport: str, n: int, ready: str | None) -> list[float]:
    """Milliseconds from navigation to `ready` visible (or to the load event), fresh context
    (no cache) each time."""
    width, height = VIEWPORTS[viewport]
    out = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="load" if ready is None else "commit")
        if ready is not None:
            page.locator(ready).first.wait_for(state="attached", timeout=30_000)
        out.append((time.perf_counter() - start) * 1000)
        context.close()
    return sorted(out)


def emit(workload: str, ms: list[float], peer: str, peer_ms: list[float] | None,
         **extra) -> None:
    """Record one view's JSON line (common.record adds the build fields); no peer figures
    where the peer was not measured (peer_ms None)."""
    ours = statistics.median(ms)
    theirs = None if peer_ms is None else statistics.median(peer_ms)
    common.record({
        "bench": "web", "workload": workload, "ops_per_s": round(1000 / ours, 2),
        "peer": None if theirs is None else peer,
        "peer_ops_per_s": None if theirs is None else round(1000 / theirs, 2),
        "ratio": None if theirs is None else round(theirs / ours, 3),
        "state_digest": None, "p50_ms": round(ours, 1), "max_ms": round(ms[-1], 1),
        "peer_p50_ms": None if theirs is None else round(theirs, 1), **extra})


def main() -> None:
    from playwright.sync_api import sync_playwright

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    page_bytes = sum(p.stat().st_size for p in WEB.iterdir() if p.suffix in (".html", ".js",
                                                                             ".css"))
    with tempfile.TemporaryDirectory() as data, sync_playwright() as pw:
        node, url, build = start_node(data)
        static, static_url = static_server()
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     chromium_sandbox=False, args=FLAGS)
        try:
            time_loads(browser, url + "/#trade", "desktop", 1, READY["trade"])  # warm up
            for viewport in VIEWPORTS:
                peer = None  # the interpreted child uses the compiled run's peer figures
                if common.peer_wanted():
                    peer = time_loads(browser, static_url + "/index.html", viewport, n, None)
                for view, ready in READY.items():
                    ours = time_loads(browser, f"{url}/#{view}", viewport, n, ready)
                    emit(f"useful_{view}_{viewport}", ours,
                         "same files from http.server, load event", peer,
                         loads=n, page_kb=round(page_bytes / 1024, 1), node_build=build)
        finally:
            browser.close()
            static.shutdown()
            os.killpg(node.pid, 15)
            node.wait()


if __name__ == "__main__":
    common.run_builds(main)
