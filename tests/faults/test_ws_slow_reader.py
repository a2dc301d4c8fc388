"""A websocket client that subscribes and never reads, against a real node behind a real
uvicorn: once more than 1,000 messages wait for it, it is dropped and closed with 1008 and a
reason, while the node keeps building blocks and a reading client keeps being served."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time

import orjson
from websockets.sync.client import connect

from l2perp.api.ws import Hub
from tests.support.server import wait_for_blocks

COINS = ["BTC", "ETH", "SOL", "OP"]


class RawWebsocket:
    """A bare RFC 6455 client on a socket with a tiny receive buffer, so the server feels a
    reader that does not read at once."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4_096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4_096)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_json(self, message: object) -> None:
        payload = orjson.dumps(message)
        mask = os.urandom(4)
        size = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | size]) if size < 126
                                  else bytes([0x80 | 126]) + struct.pack(">H", size))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65_536)
            if not chunk:
                raise ConnectionError("closed without a close frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_until_close(self) -> tuple[int, int, str]:
        """Read everything the server sent: (data frames before the close, code, reason)."""
        frames = 0
        while True:
            first, second = self._take(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._take(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(size)
            if first & 0x0F == 0x8:
                return frames, struct.unpack(">H", payload[:2])[0], payload[2:].decode()
            frames += 1

    def close(self) -> None:
        self.sock.close()


def _hub(devnet) -> Hub:
    return next(f.__self__ for f in devnet.node.listeners if isinstance(
        getattr(f, "__self__", None), Hub))


def test_a_reader_that_never_reads_is_closed_and_the_node_runs_on(served) -> None:
    devnet = served(block_ms=20, sndbuf=8_192)
    hub = _hub(devnet)
    with connect(f"ws://127.0.0.1:{devnet.port}/ws") as reader:
        reader.send(orjson.dumps({"method": "subscribe",
                                  "subscription": {"type": "allMids"}}).decode())
        stalled = RawWebsocket(devnet.port)
        for coin in COINS:
            for kind in ("l2Book", "trades", "bbo", "activeAssetCtx"):
                stalled.send_json({"method": "subscribe",
                                   "subscription": {"type": kind, "coin": coin}})
        stalled.send_json({"method": "subscribe", "subscription": {"type": "allMids"}})
        deadline = time.time() + 10
        while len(hub.connections) < 2 or max(len(c.subs) for c in hub.connections) < 17:
            assert time.time() < deadline, "the clients never subscribed"
            time.sleep(0.01)
        conn = next(c for c in hub.connections if len(c.subs) == 17)
        deadline = time.time() + 30
        while conn in hub.connections:
            assert time.time() < deadline, "the stalled reader was never dropped"
            assert len(conn.queue) <= 1_000
            time.sleep(0.02)
        assert conn.dropped is not None and not conn.queue  # its backlog is gone
        assert len(hub.connections) == 1  # the reading client is still served
        wait_for_blocks(devnet, 5)
        height = devnet.node.state.height
        while True:  # the reader gets messages about the blocks built after the drop
            message = orjson.loads(reader.recv(timeout=5))
            if message.get("channel") == "allMids" and devnet.node.state.height > height:
                break
    frames, code, reason = stalled.read_until_close()
    stalled.close()
    assert code == 1008
    assert reason == "reader too slow: more than 1000 messages or 8000000 bytes queued"
    assert frames < 2_000  # what was already in flight, not the backlog


def test_the_byte_bound_drops_a_reader_too(served) -> None:
    devnet = served(block_ms=20, sndbuf=8_192, ws_max_queued_messages=100_000,
                    ws_max_queued_bytes=60_000)
    hub = _hub(devnet)
    stalled = RawWebsocket(devnet.port)
    for coin in COINS:
        for kind in ("l2Book", "bbo", "activeAssetCtx"):
            stalled.send_json({"method": "subscribe",
                               "subscription": {"type": kind, "coin": coin}})
    deadline = time.time() + 10
    while not hub.connections or len(hub.connections[0].subs) < 12:
        assert time.time() < deadline
        time.sleep(0.01)
    conn = hub.connections[0]
    while conn in hub.connections:
        assert time.time() < deadline + 20, "the stalled reader was never dropped"
        assert conn.queued_bytes <= 60_000
        time.sleep(0.02)
    _, code, reason = stalled.read_until_close()
    stalled.close()
    assert (code, reason) == (1008, "reader too slow: more than 100000 messages or 60000 bytes"
                                    " queued")
    wait_for_blocks(devnet, 5)


def test_hostile_messages_get_errors_and_the_connection_lives(served) -> None:
    devnet = served()
    nested = "[" * 500 + '"BTC"' + "]" * 500  # deeper than orjson writes (254)
    with connect(f"ws://127.0.0.1:{devnet.port}/ws") as client:
        for text in ['{"method":"subscribe","subscription":{"type":"l2Book","coin":%s}}' % nested,
                     '{"method":"subscribe","subscription":{"type":"candle","coin":"BTC",'
                     '"interval":{"x":1}}}',
                     '{"method":"subscribe","subscription":{"type":"l2Book","coin":"BTC",'
                     '"extra":%s}}' % nested,
                     '{"method":"subscribe","subscription":{"type":["l2Book"]}}']:
            client.send(text)
        client.send(b"\x00binary")
        for i in range(1_005):  # more distinct subscriptions than Hyperliquid allows
            client.send(orjson.dumps({"method": "subscribe", "subscription": {
                "type": "candle", "coin": "BTC", "interval": f"{i}m"}}).decode())
        client.send(orjson.dumps({"method": "ping"}).decode())
        errors = []
        while True:
            message = orjson.loads(client.recv(timeout=10))
            if message["channel"] == "error":
                errors.append(message["data"])
            if message["channel"] == "pong":
                break
    assert errors[:2] == ["unsupported subscription: coin must be a string",
                          "unsupported subscription: interval must be a string"]
    assert "Invalid message" in errors[2]  # the deep echo cannot be serialised
    assert errors[3] == "unsupported subscription a list"
    assert errors[4] == "Invalid message: binary frame"
    assert errors[5:] == ["Too many subscriptions: at most 1000 per connection"] * 6
    wait_for_blocks(devnet, 5)
