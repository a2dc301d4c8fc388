"""Fixtures every test package may use, and the build of the core in the header. `served`: real
devnet nodes behind real uvicorn servers (tests/support/server.py) with chosen `create_app`
keywords and uvicorn's proxy-header setting, stopped after the test. The shared harnesses
themselves live in tests/support/."""

from __future__ import annotations

import asyncio
import os
import socket
import threading

import pytest

from l2perp import build
from l2perp.api.server import create_app
from tests.support import server as devnet_server


# Every node a test starts (in this process or a child) checks its incrementally kept digest
# against a full encoding after every block (node/service.py).
os.environ.setdefault("L2PERP_VERIFY_LEAVES", "1")


def pytest_report_header(config) -> str:
    return f"l2perp {build.describe()}"


def pytest_collection_modifyitems(config, items) -> None:
    """`interpreted_only` tests patch engine internals, which compiled code calls directly: on
    the compiled core they are skipped (`make test` runs them again with L2PERP_PURE=1)."""
    if build.BUILD != build.COMPILED:
        return
    skip = pytest.mark.skip(reason="patches engine internals: runs on the interpreted core")
    for item in items:
        if item.get_closest_marker("interpreted_only"):
            item.add_marker(skip)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """served(block_ms=50, rate_limits=None, proxy_headers=True, on_app=None, sndbuf=None,
    **app_kwargs) -> a started DevnetServer. `proxy_headers` is uvicorn's flag (True is
    uvicorn's default, which trusts X-Forwarded-For from 127.0.0.1); `on_app(app)` sees the
    app once built; `sndbuf` fixes the kernel send buffer of the server's connections (Linux
    otherwise grows it to 4 MB, which a stalled reader takes long to fill)."""
    started = []

    def start(block_ms: int = 50, rate_limits=None, proxy_headers: bool = True, on_app=None,
              sndbuf: int | None = None, **app_kwargs):
        def make_app(node, rate_limits=None):
            app = create_app(node, rate_limits=rate_limits, **app_kwargs)
            if on_app is not None:
                on_app(app)
            return app

        monkeypatch.setattr(devnet_server, "create_app", make_app)
        devnet = devnet_server.DevnetServer(tmp_path / f"node{len(started)}", block_ms,
                                            rate_limits)
        devnet.server.config.proxy_headers = proxy_headers  # read when the server starts
        if sndbuf is not None:  # accepted connections inherit the listener's buffer size
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            listener.bind(("127.0.0.1", devnet.port))
            devnet.thread = threading.Thread(target=lambda: asyncio.run(
                devnet.server.serve(sockets=[listener])), daemon=True)
        started.append(devnet.__enter__())
        return devnet

    yield start
    for devnet in started:
        devnet.__exit__(None, None, None)
