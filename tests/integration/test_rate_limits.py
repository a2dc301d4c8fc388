"""Hyperliquid's rate limits when enabled: the IP weight budget (HTTP 429 with code and msg,
which the SDK turns into a ClientError) and the per-address request budget."""

from __future__ import annotations

import pytest
import requests
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError

from l2perp.api.ratelimit import RateLimits
from tests.support.server import DevnetServer


def test_ip_weight_budget(tmp_path) -> None:
    with DevnetServer(tmp_path, rate_limits=RateLimits(ip_weight_per_minute=100)) as devnet:
        codes = [requests.post(devnet.url + "/info", json={"type": "allMids"}, timeout=5)
                 .status_code for _ in range(60)]
        assert codes.count(200) == 50 and codes[-1] == 429  # weight 2 each
        reply = requests.post(devnet.url + "/info", json={"type": "allMids"}, timeout=5)
        assert set(reply.json()) == {"code", "msg"}
        with pytest.raises(ClientError):
            Info(devnet.url, skip_ws=True, timeout=5).all_mids()


def test_address_budget(tmp_path) -> None:
    limits = RateLimits(address_initial=3, exhausted_interval_ms=60_000)
    with DevnetServer(tmp_path, rate_limits=limits) as devnet:
        ex = Exchange(Account.from_key(devnet.keys[1].private_key), devnet.url, timeout=5)
        replies = [ex.order("ETH", True, 0.01, 3000 + i, {"limit": {"tif": "Gtc"}})
                   for i in range(5)]
        assert [r["status"] for r in replies] == ["ok", "ok", "ok", "ok", "err"]
        # the 4th passes as the one request per interval once exhausted
    assert replies[-1]["response"].startswith("Too many cumulative requests sent (4 > 3)")
