"""Who is asking: the key the IP rate limits count a request under.

The key is the socket peer's address from the raw ASGI scope. Proxy headers (X-Forwarded-For,
then Forwarded, then X-Real-IP) are honoured only when that peer is one of the configured
trusted proxies; the client is then the right-most hop no trusted proxy wrote. By default no
proxy is trusted. IPv6 clients are keyed by their /64 (one host usually owns a whole /64).

An ASGI server may have rewritten the scope's client from X-Forwarded-For before the app sees it
(uvicorn does, for peers in `forwarded_allow_ips`, 127.0.0.1 by default, unless run with
`proxy_headers=False`). A peer address that appears among the request's own forwarded hops may
be such a rewrite, so it is not believed: all those requests share one key, UNVERIFIED_KEY, and
a client cannot mint fresh keys by writing headers.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable

log = logging.getLogger("l2perp.api")

UNVERIFIED_KEY = "forwarded-unverified"  # every request whose peer may come from a header
MAX_HOPS = 64  # forwarded hops read per request (a proxy chain is a handful)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TrustedProxies:
    """A set of proxy addresses and networks ("10.0.0.1", "10.1.0.0/16", "::1")."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks = tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)
        self.warned = False

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, host: str) -> bool:
        address = parse_ip(host)
        return address is not None and any(address in net for net in self.networks)


def parse_ip(text: str) -> Address | None:
    """An address from a peer or hop ("1.2.3.4", "1.2.3.4:80", "[::1]:80", '"[::1]"'), None
    when it is not one (a unix socket, "unknown", an obfuscated Forwarded node)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def key_of(host: str) -> str:
    """The rate-limit key of one host: an IPv4 address, an IPv6 /64, or the text itself."""
    address = parse_ip(host)
    if address is None:
        return host.strip()[:64] or "?"
    if isinstance(address, ipaddress.IPv6Address) and not address.is_loopback:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def forwarded_hops(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The client-to-proxy hops the request claims, oldest first, from the first of
    X-Forwarded-For, Forwarded (its `for=` parameters) and X-Real-IP that is present."""
    found: dict[bytes, list[str]] = {}
    for name, value in headers:
        if name in (b"x-forwarded-for", b"forwarded", b"x-real-ip"):
            found.setdefault(name, []).append(value.decode("latin-1"))
    if b"x-forwarded-for" in found:
        return [h.strip() for v in found[b"x-forwarded-for"] for h in v.split(",")][-MAX_HOPS:]
    if b"forwarded" in found:
        hops = []
        for element in ",".join(found[b"forwarded"]).split(","):
            for pair in element.split(";"):
                key, _, value = pair.partition("=")
                if key.strip().lower() == "for":
                    hops.append(value.strip())
        return hops[-MAX_HOPS:]
    if b"x-real-ip" in found:
        return [found[b"x-real-ip"][-1].strip()]
    return []


def client_key(scope: dict, trusted: TrustedProxies) -> str:
    """The rate-limit key of the request or websocket in `scope` (see the module docstring)."""
    client = scope.get("client")
    peer = str(client[0]) if client else "?"
    hops = forwarded_hops(scope.get("headers") or ())
    if not hops:
        return key_of(peer)
    if peer not in trusted:
        peer_ip = parse_ip(peer)
        if any(h.strip() == peer or (peer_ip is not None and parse_ip(h) == peer_ip)
               for h in hops):
            if not trusted.warned:
                trusted.warned = True
                log.warning("the ASGI server took the client address from a forwarded header;"
                            " run uvicorn with proxy_headers=False (requests carrying such"
                            " headers now share one rate-limit key)")
            return UNVERIFIED_KEY
        return key_of(peer)
    for hop in reversed(hops):  # each proxy appends: the right-most untrusted hop is the client
        if hop.strip() and hop not in trusted:
            return key_of(hop)
    return key_of(hops[0]) if hops[0].strip() else key_of(peer)
