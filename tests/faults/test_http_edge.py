"""The HTTP edge against a real node behind a real uvicorn: forged proxy headers do not escape
the IP limits, a trusted proxy's header does name the client, and bodies over the cap are
refused with 413 JSON before they are read."""

from __future__ import annotations

import socket
import time

import orjson
import pytest
import requests

from l2perp.api.ratelimit import RateLimits
from tests.support.server import wait_for_blocks

LIMITS = RateLimits(ip_weight_per_minute=100)  # 50 allMids (weight 2) per minute


def _all_mids(devnet, headers: dict) -> int:
    return requests.post(devnet.url + "/info", json={"type": "allMids"}, headers=headers,
                         timeout=5).status_code


@pytest.mark.parametrize("proxy_headers", [True, False])
def test_forged_forwarding_headers_are_still_limited(served, proxy_headers: bool) -> None:
    # proxy_headers=True is uvicorn's default: it rewrites the peer from X-Forwarded-For
    devnet = served(rate_limits=LIMITS, proxy_headers=proxy_headers)
    codes = []
    for i in range(60):
        forged = f"198.51.{i // 250}.{i % 250 + 1}"
        codes.append(_all_mids(devnet, {
            "X-Forwarded-For": forged if i % 2 else f"{forged}:{4000 + i}",
            "Forwarded": f"for={forged}", "X-Real-IP": forged}))
    assert codes.count(200) == 50 and codes[50:] == [429] * 10
    reply = requests.post(devnet.url + "/info", json={"type": "allMids"},
                          headers={"X-Forwarded-For": "203.0.113.99"}, timeout=5)
    assert reply.status_code == 429
    assert reply.json() == {"code": 429, "msg": "Too many requests: rate limited by IP "
                                                "weight (100 per minute)"}


def test_a_trusted_proxy_names_the_client_and_cannot_be_fooled_by_it(served) -> None:
    devnet = served(rate_limits=LIMITS, proxy_headers=False,
                    trusted_proxies=frozenset({"127.0.0.1", "10.0.0.0/8"}))
    # our proxy appends the peer it saw: whatever the client wrote before that is ignored
    codes = [_all_mids(devnet, {"X-Forwarded-For": f"192.0.2.{i}, 203.0.113.7, 10.1.2.3"})
             for i in range(1, 56)]
    assert codes.count(200) == 50 and codes[-1] == 429
    assert _all_mids(devnet, {"X-Forwarded-For": "203.0.113.8"}) == 200  # another client
    assert _all_mids(devnet, {"Forwarded": 'for="203.0.113.9:5000"'}) == 200
    assert _all_mids(devnet, {"X-Real-IP": "203.0.113.7"}) == 429  # the same client
    assert _all_mids(devnet, {}) == 200  # the proxy itself, a client of its own


def test_the_default_limits_are_hyperliquids() -> None:
    limits = RateLimits()
    assert (limits.ip_weight_per_minute, limits.address_initial,
            limits.exhausted_interval_ms, limits.window_ms) == (1_200, 10_000, 10_000, 60_000)


def _raw_post(port: int, head: bytes, body_parts, pause_s: float = 0.0) -> bytes:
    """Send a request head and body parts on a raw socket (stopping quietly if the server
    has closed), then read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        try:
            for part in body_parts:
                sock.sendall(part)
                sent += len(part)
                if pause_s:
                    time.sleep(pause_s)
        except OSError:  # the server answered and closed while we were still sending
            pass
        data = b""
        try:
            while chunk := sock.recv(65_536):
                data += chunk
        except OSError:  # a reset after the answer
            pass
        return data


def _status_and_json(raw: bytes) -> tuple[int, dict, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), orjson.loads(body), head.lower()


@pytest.mark.parametrize("path", ["/info", "/exchange", "/l1"])
def test_a_ten_megabyte_body_is_refused_before_it_is_read(served, path: str) -> None:
    devnet = served()
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10_000_000}\r\n\r\n").encode()
    started = time.monotonic()
    raw = _raw_post(devnet.port, head, [b"[" + b" " * 65_535])  # 64 KB of 10 MB, then wait
    status, body, headers = _status_and_json(raw)
    assert status == 413 and b"connection: close" in headers
    assert body == {"code": 413, "msg": "Request body too large: at most 1000000 bytes"}
    assert time.monotonic() - started < 5  # answered without waiting for the other 9.9 MB
    wait_for_blocks(devnet)


@pytest.mark.parametrize("path", ["/info", "/exchange"])  # /exchange: the fast path
def test_a_chunked_body_is_cut_off_at_the_cap(served, path: str) -> None:
    devnet = served(max_body_bytes=200_000)
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (50_000, b" " * 50_000)
    raw = _raw_post(devnet.port, head, [chunk] * 8, pause_s=0.05)  # 400 KB, never terminated
    status, body, _ = _status_and_json(raw)
    assert status == 413 and body["msg"] == "Request body too large: at most 200000 bytes"
    wait_for_blocks(devnet)


def test_a_body_up_to_the_cap_is_served(served) -> None:
    devnet = served(max_body_bytes=2_000)
    padded = b'{"type": "allMids"}' + b" " * (2_000 - 19)
    assert len(padded) == 2_000
    reply = requests.post(devnet.url + "/info", data=padded, timeout=5)
    assert reply.status_code == 200 and "BTC" in reply.json()
    reply = requests.post(devnet.url + "/info", data=padded + b" ", timeout=5)
    assert reply.status_code == 413 and reply.json()["code"] == 413


def test_unknown_signers_leave_no_address_counters(served) -> None:
    from eth_account import Account
    from hyperliquid.utils.signing import sign_l1_action

    devnet = served(rate_limits=RateLimits(ip_weight_per_minute=10_000))
    limiter = devnet.server.config.app.state.limiter
    action = {"type": "cancel", "cancels": [{"a": 0, "o": 1}]}
    for i in range(30):  # a fresh key per request: each recovers a different address
        wallet = Account.from_key(bytes([i + 1]) * 32)
        nonce = int(time.time() * 1000) + i
        body = {"action": action, "nonce": nonce, "vaultAddress": None,
                "signature": sign_l1_action(wallet, action, None, nonce, None, False)}
        reply = requests.post(devnet.url + "/exchange", json=body, timeout=10).json()
        assert reply["status"] == "err" and "does not exist" in reply["response"], reply
    assert limiter.sent == {} and limiter.last_exhausted == {}
    assert limiter.used_ip("127.0.0.1", int(time.time() * 1000)) == 30  # the IP paid for them


def test_exchange_keeps_hyperliquids_plain_422_and_l1_answers_json(served) -> None:
    devnet = served()
    reply = requests.post(devnet.url + "/exchange", data=b"{not json", timeout=5)
    assert (reply.status_code, reply.text) == (
        422, "Failed to deserialize the JSON body into the target type")
    reply = requests.post(devnet.url + "/l1", data=b"{not json", timeout=5)
    assert reply.status_code == 422 and reply.json() == {
        "code": 422, "msg": "Failed to deserialize the JSON body into the target type"}
    reply = requests.put(devnet.url + "/exchange", json={}, timeout=5)
    assert reply.status_code == 405 and reply.json()["code"] == 405


def test_a_client_gone_in_the_middle_of_an_order_body_stops_nothing(served) -> None:
    """The fast path reads the body itself: a peer that sends half a body and leaves (or
    sends it a byte at a time and leaves) gets nothing, and the venue goes on."""
    devnet = served()
    head = (b"POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5000\r\n\r\n")
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", devnet.port), timeout=5) as sock:
            sock.sendall(head + b'{"action": {"type": "order", "orders": [')
        with socket.create_connection(("127.0.0.1", devnet.port), timeout=5) as sock:
            sock.sendall(head)
            for byte in b'{"action"':
                sock.sendall(bytes([byte]))
    wait_for_blocks(devnet)
    reply = requests.post(devnet.url + "/exchange", data=b"{not json", timeout=5)
    assert (reply.status_code, reply.text) == (
        422, "Failed to deserialize the JSON body into the target type")


def test_a_failure_on_the_fast_path_is_a_logged_500_with_an_error_id(served, caplog) -> None:
    import logging

    async def failing(scope, body):
        return 1 // 0  # a genuine bug in a fast handler

    def add_failing_route(app) -> None:
        app.fast.fast_routes[("POST", "/faults/fast")] = failing

    devnet = served(on_app=add_failing_route)
    with caplog.at_level(logging.ERROR, logger="l2perp.api"):
        reply = requests.post(devnet.url + "/faults/fast", json={}, timeout=10)
    assert reply.status_code == 500 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert set(body) == {"code", "msg", "errorId"} and body["msg"] == "internal error"
    assert [r.exc_info[0] for r in caplog.records
            if body["errorId"] in r.getMessage()] == [ZeroDivisionError]
    reply = requests.post(devnet.url + "/faults/fast", data=b" " * 2_000_000, timeout=10)
    assert reply.status_code == 413  # the cap holds on every fast route
    wait_for_blocks(devnet)
