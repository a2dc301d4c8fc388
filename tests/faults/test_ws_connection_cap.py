"""Websocket connections per client address are capped (Hyperliquid: 100 per IP): one beyond the
cap is closed with 1008 and the reason, the others keep their subscriptions, and a slot frees
when a connection leaves."""

from __future__ import annotations

from contextlib import ExitStack

import orjson
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from l2perp.api.ws import MAX_CONNECTIONS_PER_IP
from tests.support.server import wait_for_blocks

SUBSCRIBE = orjson.dumps({"method": "subscribe", "subscription": {"type": "allMids"}}).decode()


def test_connections_beyond_the_cap_per_address_are_closed_with_the_reason(served) -> None:
    assert MAX_CONNECTIONS_PER_IP == 100
    devnet = served(ws_max_connections_per_ip=3)
    url = devnet.url.replace("http", "ws") + "/ws"
    with ExitStack() as stack:
        open_ = [stack.enter_context(connect(url, open_timeout=5)) for _ in range(3)]
        for ws in open_:
            ws.send(SUBSCRIBE)
        with connect(url, open_timeout=5) as extra:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    extra.recv(timeout=5)
        assert closed.value.rcvd.code == 1008
        assert "at most 3 per IP address" in closed.value.rcvd.reason
        for ws in open_:  # the others are still served
            assert ws.recv(timeout=5)
        open_[0].close()
        wait_for_blocks(devnet, 2)
        with connect(url, open_timeout=5) as again:  # the slot is free again
            again.send(SUBSCRIBE)
            channels = {orjson.loads(again.recv(timeout=5)).get("channel") for _ in range(2)}
            assert channels & {"allMids", "subscriptionResponse"}
