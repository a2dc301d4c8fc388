"""`served`: start real devnet nodes behind real uvicorn servers (tests/integration/server.py)
with chosen `create_app` keywords and uvicorn's proxy-header setting; stopped after the test."""

from __future__ import annotations

import time

import pytest

from l2perp.api.server import create_app
from tests.integration import server as devnet_server


@pytest.fixture
def served(tmp_path, monkeypatch):
    """served(block_ms=50, rate_limits=None, proxy_headers=True, on_app=None, **app_kwargs)
    -> a started DevnetServer. `proxy_headers` is uvicorn's flag (True is uvicorn's default,
    which trusts X-Forwarded-For from 127.0.0.1); `on_app(app)` sees the app once built."""
    started = []

    def start(block_ms: int = 50, rate_limits=None, proxy_headers: bool = True, on_app=None,
              **app_kwargs):
        def make_app(node, rate_limits=None):
            app = create_app(node, rate_limits=rate_limits, **app_kwargs)
            if on_app is not None:
                on_app(app)
            return app

        monkeypatch.setattr(devnet_server, "create_app", make_app)
        devnet = devnet_server.DevnetServer(tmp_path / f"node{len(started)}", block_ms,
                                            rate_limits)
        devnet.server.config.proxy_headers = proxy_headers  # read when the server starts
        started.append(devnet.__enter__())
        return devnet

    yield start
    for devnet in started:
        devnet.__exit__(None, None, None)


def wait_for_blocks(devnet, blocks: int = 5, timeout_s: float = 10.0) -> None:
    """Assert that the node builds `blocks` more blocks within `timeout_s`."""
    start = devnet.node.state.height
    deadline = time.time() + timeout_s
    while devnet.node.state.height < start + blocks:
        assert time.time() < deadline, f"the node stopped at height {devnet.node.state.height}"
        time.sleep(0.02)
