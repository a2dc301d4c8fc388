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


def test_hyperliquid_ip_budget_is_inclusive_at_1200(tmp_path) -> None:
    """Hyperliquid's numbers: 59 `meta` (weight 20) and 10 `allMids` (weight 2) use exactly
    1,200 and are all answered; one more request of weight 2 is the first 429."""
    with DevnetServer(tmp_path, rate_limits=RateLimits()) as devnet:
        with requests.Session() as session:
            codes = [session.post(devnet.url + "/info", json={"type": "meta"}, timeout=5)
                     .status_code for _ in range(59)]
            codes += [session.post(devnet.url + "/info", json={"type": "allMids"}, timeout=5)
                      .status_code for _ in range(10)]
            assert codes == [200] * 69
            refused = session.post(devnet.url + "/info", json={"type": "allMids"}, timeout=5)
    assert refused.status_code == 429
    assert refused.json() == {"code": 429, "msg": "Too many requests: rate limited by IP "
                                                  "weight (1200 per minute)"}


def test_user_rate_limit_reports_the_limiters_counters(tmp_path) -> None:
    with DevnetServer(tmp_path, rate_limits=RateLimits()) as devnet:
        ex = Exchange(Account.from_key(devnet.keys[1].private_key), devnet.url, timeout=5)
        info = Info(devnet.url, skip_ws=True, timeout=5)
        user = ex.wallet.address
        assert info.post("/info", {"type": "userRateLimit", "user": user}) == {
            "cumVlm": "0", "nRequestsUsed": 0, "nRequestsCap": 10_000}
        ex.order("ETH", True, 0.01, 2_000, {"limit": {"tif": "Gtc"}})
        ex.bulk_orders([{"coin": "ETH", "is_buy": True, "sz": 0.01, "limit_px": 2_001 + i,
                         "order_type": {"limit": {"tif": "Gtc"}}, "reduce_only": False}
                        for i in range(2)])
        answer = info.post("/info", {"type": "userRateLimit", "user": user})
    assert answer == {"cumVlm": "0", "nRequestsUsed": 3, "nRequestsCap": 10_000}


def test_the_nodes_verifier_challenges_past_an_exhausted_ip_budget(tmp_path, served) -> None:
    """`l2perp up`'s verifier shares 127.0.0.1 with local bots: its signed challenges are not
    refused by the IP limit; anyone else's /l1 request is, and a forged sender gains nothing."""
    import urllib.error

    from l2perp.node.devnet import dev_keys
    from l2perp.node.l1client import L1Client
    from l2perp.rollup.l1 import L1Error

    verifier = next(k for k in dev_keys() if k.role == "verifier")
    devnet = served(rate_limits=RateLimits(ip_weight_per_minute=40),
                    unlimited_challengers=(verifier.address,))
    with requests.Session() as session:
        while session.post(devnet.url + "/info", json={"type": "meta"},
                           timeout=5).status_code != 429:
            pass
    witness = {"shared": "0x", "leaves": []}
    honest = L1Client(verifier.private_key, url=devnet.url)
    with pytest.raises(L1Error) as judged:  # answered by the L1 (no such batch), not limited
        honest.send("challenge", batch=10**6, witness=witness)
    assert str(judged.value) == "no batch 1000000"
    other = L1Client(devnet.keys[3].private_key, url=devnet.url)
    with pytest.raises(urllib.error.HTTPError) as limited:
        other.send("challenge", batch=10**6, witness=witness)
    assert limited.value.code == 429
    forged = requests.post(devnet.url + "/l1", json={
        "type": "challenge", "sender": verifier.address, "nonce": 1, "batch": 1,
        "witness": {"shared": "0x", "leaves": []}, "signature": {"r": "0x1", "s": "0x1",
                                                                 "v": 27}}, timeout=5)
    assert forged.status_code == 200 and forged.json()["status"] == "err"
