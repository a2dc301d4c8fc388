"""Hyperliquid's rate limits (perp-mechanics §2.8), configurable and off on the devnet.

Per IP: a budget of request weight per minute (exchange actions weigh 1 + floor(batch / 40);
info requests 2, 20 or 60 by type). Per address (actions only): one request per USDC of traded
volume plus an initial buffer; a batch of n orders counts n; cancels may use
min(limit + 100,000, 2 x limit); once exhausted, one request every 10 s.
"""

from __future__ import annotations

from dataclasses import dataclass

LIGHT_INFO = {"l2Book", "allMids", "clearinghouseState", "orderStatus",
              "spotClearinghouseState", "exchangeStatus",
              "devnetKeys"}  # l2perp: a constant answer
HEAVY_INFO = {"userRole",
              "solvency"}  # l2perp: values every account, like a full state scan


@dataclass(frozen=True)
class RateLimits:
    ip_weight_per_minute: int = 1_200  # Hyperliquid: 1,200 per minute per IP
    address_initial: int = 10_000  # Hyperliquid: the initial buffer of requests
    exhausted_interval_ms: int = 10_000  # Hyperliquid: then 1 request per 10 s


def info_weight(kind: object) -> int:
    """The IP weight of an /info request of type `kind`."""
    if kind in LIGHT_INFO:
        return 2
    if kind in HEAVY_INFO:
        return 60
    return 20  # every other type, l2perp extensions (batches, l1Status, ...) included


def action_weight(action: dict) -> tuple[int, int, bool]:
    """(IP weight, address count, is a cancel) of an /exchange action."""
    items = 1
    for key in ("orders", "cancels", "modifies"):
        value = action.get(key)
        if isinstance(value, list):
            items = max(1, len(value))
    is_cancel = action.get("type") in ("cancel", "cancelByCloid")
    return 1 + items // 40, items, is_cancel


class Limiter:
    """Counters per IP (per minute) and per address (cumulative)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.ip: dict[str, list[int]] = {}  # ip -> [minute, weight used]
        self.sent: dict[str, int] = {}  # address -> requests counted
        self.volume_usd: dict[str, int] = {}  # address -> cumulative traded USDC
        self.last_exhausted: dict[str, int] = {}

    def allow_ip(self, ip: str, weight: int, now_ms: int) -> bool:
        minute = now_ms // 60_000
        entry = self.ip.get(ip)
        if entry is None or entry[0] != minute:
            entry = self.ip[ip] = [minute, 0]
        if entry[1] + weight > self.limits.ip_weight_per_minute:
            return False
        entry[1] += weight
        return True

    def allow_address(self, address: str, count: int, is_cancel: bool,
                      now_ms: int) -> tuple[bool, int, int]:
        """(allowed, sent, cap) for an action of `count` items by `address`."""
        cap = self.limits.address_initial + self.volume_usd.get(address, 0)
        if is_cancel:
            cap = min(cap + 100_000, 2 * cap)
        sent = self.sent.get(address, 0)
        if sent + count <= cap:
            self.sent[address] = sent + count
            return True, sent + count, cap
        last = self.last_exhausted.get(address, 0)
        if now_ms - last >= self.limits.exhausted_interval_ms:
            self.last_exhausted[address] = now_ms
            self.sent[address] = sent + count
            return True, sent + count, cap
        return False, sent, cap

    def record_fill(self, taker: str, maker: str, notional_musdc: int) -> None:
        usd = notional_musdc // 1_000_000
        self.volume_usd[taker] = self.volume_usd.get(taker, 0) + usd
        self.volume_usd[maker] = self.volume_usd.get(maker, 0) + usd
