"""IP weights of the /info types the browser reads (Hyperliquid's 2 / 20 / 60 scale), the
sliding window and its memory bound, and the key a request is counted under."""

from __future__ import annotations

from l2perp.api.clientip import UNVERIFIED_KEY, TrustedProxies, client_key
from l2perp.api.info_types import info_items_weight, info_weight
from l2perp.api.ratelimit import Limiter, RateLimits


def test_extension_info_types_are_weighted_by_their_cost() -> None:
    assert info_weight("devnetKeys") == 2  # a constant answer, as light as l2Book
    assert info_weight("solvency") == 60  # values every account, as heavy as userRole
    assert info_weight("batches") == info_weight("l1Status") == info_weight("rollupStatus") == 20
    assert info_weight("metaAndAssetCtxs") == 20 and info_weight("clearinghouseState") == 2


def test_a_type_of_any_shape_has_a_weight() -> None:
    assert info_weight({"a": 1}) == info_weight([1]) == info_weight(None) == 20


def test_history_answers_cost_one_more_per_20_items_and_candles_per_60() -> None:
    assert info_items_weight("userFills", [{}] * 2_000) == 100
    assert info_items_weight("fundingHistory", [{}] * 19) == 0
    assert info_items_weight("candleSnapshot", [{}] * 600) == 10
    assert info_items_weight("allMids", [{}] * 600) == 0
    assert info_items_weight("userFills", {"not": "a list"}) == 0


def test_the_window_slides_instead_of_resetting_each_minute() -> None:
    limiter = Limiter(RateLimits(ip_weight_per_minute=100))
    assert limiter.allow_ip("1.2.3.4", 100, 59_500)  # the end of minute 0
    assert not limiter.allow_ip("1.2.3.4", 1, 60_500)  # a fixed bucket would reset here
    assert not limiter.allow_ip("1.2.3.4", 1, 119_999)
    assert limiter.exhausted_ip("1.2.3.4", 119_999)
    assert limiter.allow_ip("1.2.3.4", 100, 120_000)  # a whole minute after the spend's second
    assert limiter.allow_ip("5.6.7.8", 100, 120_000)  # every IP has its own window


def test_charged_weight_counts_without_being_refused() -> None:
    limiter = Limiter(RateLimits(ip_weight_per_minute=100))
    limiter.charge_ip("1.2.3.4", 150, 0)
    assert limiter.used_ip("1.2.3.4", 0) == 150 and not limiter.allow_ip("1.2.3.4", 1, 1_000)


def test_memory_stays_bounded_under_many_ips() -> None:
    limiter = Limiter(RateLimits(max_tracked_ips=1_000))
    for i in range(50_000):
        assert limiter.allow_ip(f"10.{i // 65_536}.{i // 256 % 256}.{i % 256}", 20,
                                1_000_000 + i)
        assert len(limiter.ip) <= 1_000
    limiter.allow_ip("192.0.2.1", 2, 1_000_000 + 50_000 + 61_000)  # a minute later
    assert list(limiter.ip) == ["192.0.2.1"]  # the idle ones are forgotten
    assert all(len(w.slots) <= 61 for w in limiter.ip.values())


def test_one_ips_window_holds_at_most_one_slot_per_second() -> None:
    limiter = Limiter(RateLimits(ip_weight_per_minute=10**9))
    for ms in range(0, 120_000, 7):
        limiter.allow_ip("1.2.3.4", 1, ms)
    assert len(limiter.ip["1.2.3.4"].slots) == 61


def _scope(peer: str, **headers: str) -> dict:
    return {"client": (peer, 5555), "headers": [(k.replace("_", "-").lower().encode(),
                                                 v.encode()) for k, v in headers.items()]}


def test_without_trusted_proxies_the_socket_peer_is_the_key() -> None:
    none = TrustedProxies()
    assert client_key(_scope("198.51.100.7"), none) == "198.51.100.7"
    for header in ("X_Forwarded_For", "Forwarded", "X_Real_IP"):
        value = "for=203.0.113.1" if header == "Forwarded" else "203.0.113.1"
        assert client_key(_scope("198.51.100.7", **{header: value}), none) == "198.51.100.7"


def test_a_peer_the_server_may_have_taken_from_a_header_is_not_believed() -> None:
    # uvicorn with proxy_headers on rewrites the peer from X-Forwarded-For (port included)
    none = TrustedProxies()
    assert client_key(_scope("203.0.113.1", X_Forwarded_For="203.0.113.1"), none) == \
        UNVERIFIED_KEY
    assert client_key(_scope("203.0.113.1", X_Forwarded_For="10.0.0.1, 203.0.113.1:8080"),
                      none) == UNVERIFIED_KEY


def test_a_trusted_proxy_names_the_right_most_hop_it_does_not_trust() -> None:
    trusted = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    forged_then_real = "1.1.1.1, 203.0.113.5, 10.2.3.4"
    assert client_key(_scope("127.0.0.1", X_Forwarded_For=forged_then_real), trusted) == \
        "203.0.113.5"
    assert client_key(_scope("127.0.0.1", Forwarded='for=1.1.1.1, for="[2001:db8::1]:80"'),
                      trusted) == "2001:db8::/64"  # one IPv6 host owns its /64
    assert client_key(_scope("127.0.0.1", X_Real_IP="203.0.113.6"), trusted) == "203.0.113.6"
    assert client_key(_scope("127.0.0.1"), trusted) == "127.0.0.1"
    assert client_key(_scope("::ffff:127.0.0.1", X_Forwarded_For="203.0.113.7"), trusted) == \
        "203.0.113.7"  # an IPv4-mapped peer is its IPv4 address
