"""Hyperliquid's rate limits (docs/api.md), configurable, on by default (`--rate-limits off`).

Per IP: a budget of request weight over any sliding minute (exchange actions weigh
1 + floor(batch / 40); info requests 2, 20 or 60 by type, plus 1 per 20 items returned by the
history types and 1 per 60 candles, as each type's entry in info_types.py says). Per address
(actions only): one request per USDC of traded volume plus an initial buffer; a batch of n
orders counts n; cancels may use min(limit + 100,000, 2 x limit); once exhausted, one request
every 10 s.

Memory stays bounded: an IP's window is at most one slot per second of the window (plus one),
IPs idle for a whole window are forgotten, and at most `max_tracked_ips` are kept (the least
recently seen go first). Address counters are cumulative, as Hyperliquid's are; the server
counts only addresses that hold an account, whose number deposits bound.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

# Hyperliquid docs (rate limits): the IP weight of an info request
INFO_WEIGHT_LIGHT = 2  # l2Book, allMids, clearinghouseState, orderStatus, exchangeStatus...
INFO_WEIGHT = 20  # every other type
INFO_WEIGHT_HEAVY = 60  # userRole

IP_RATE_LIMITED = "Too many requests: rate limited by IP weight ({limit} per minute)"


@dataclass(frozen=True)
class RateLimits:
    """The budgets; `RateLimits()` is Hyperliquid's."""

    ip_weight_per_minute: int = 1_200  # Hyperliquid: 1,200 per minute per IP
    address_initial: int = 10_000  # Hyperliquid: the initial buffer of requests
    exhausted_interval_ms: int = 10_000  # Hyperliquid: then 1 request per 10 s
    window_ms: int = 60_000  # Hyperliquid: "per minute", here any sliding minute
    max_tracked_ips: int = 100_000  # l2perp: memory bound (about 100 bytes per idle slot)


def action_weight(action: dict) -> tuple[int, int, bool]:
    """(IP weight, address count, is a cancel) of an /exchange action."""
    items = 1
    for key in ("orders", "cancels", "modifies"):
        value = action.get(key)
        if isinstance(value, list):
            items = max(1, len(value))
    is_cancel = action.get("type") in ("cancel", "cancelByCloid")
    return 1 + items // 40, items, is_cancel


class IpWindow:
    """One IP's weight over the sliding window: (second, weight) slots, oldest first. A
    slot leaves the window once all of its second is a whole window old, so any window of
    that length never holds more than the budget (the rounding favours the venue)."""

    __slots__ = ("slots", "total")

    def __init__(self) -> None:
        self.slots: deque[list[int]] = deque()
        self.total = 0

    def expire(self, now_s: int, window_s: int) -> None:
        while self.slots and self.slots[0][0] + 1 + window_s <= now_s:
            self.total -= self.slots.popleft()[1]

    def add(self, now_s: int, weight: int) -> None:
        if self.slots and self.slots[-1][0] == now_s:
            self.slots[-1][1] += weight
        else:
            self.slots.append([now_s, weight])
        self.total += weight


class Limiter:
    """Counters per IP (a sliding window) and per address (cumulative)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        # ip -> its window, least recently seen first
        self.ip: OrderedDict[str, IpWindow] = OrderedDict()
        self.sent: dict[str, int] = {}  # address -> requests counted
        self.last_exhausted: dict[str, int] = {}

    @property
    def refusal(self) -> str:
        """The 429 message (Hyperliquid's words)."""
        return IP_RATE_LIMITED.format(limit=self.limits.ip_weight_per_minute)

    def _window(self, ip: str, now_ms: int) -> IpWindow:
        """`ip`'s window with expired slots dropped, marked as just seen; forgets IPs idle for
        a whole window and, past `max_tracked_ips`, the least recently seen."""
        window_s = max(1, self.limits.window_ms // 1_000)
        now_s = now_ms // 1_000
        entry = self.ip.get(ip)
        if entry is None:
            entry = self.ip[ip] = IpWindow()
        else:
            self.ip.move_to_end(ip)
        entry.expire(now_s, window_s)
        while len(self.ip) > 1:  # amortised O(1): stop at the first live, in-bound entry
            other, oldest = next(iter(self.ip.items()))
            oldest.expire(now_s, window_s)
            if oldest.slots and len(self.ip) <= self.limits.max_tracked_ips:
                break
            del self.ip[other]
        return entry

    def used_ip(self, ip: str, now_ms: int) -> int:
        """The weight `ip` spent in the window ending now."""
        entry = self.ip.get(ip)
        if entry is None:
            return 0
        entry.expire(now_ms // 1_000, max(1, self.limits.window_ms // 1_000))
        return entry.total

    def exhausted_ip(self, ip: str, now_ms: int) -> bool:
        """True when not even a request of weight 1 fits (checked before reading a body)."""
        return self.used_ip(ip, now_ms) >= self.limits.ip_weight_per_minute

    def allow_ip(self, ip: str, weight: int, now_ms: int) -> bool:
        """Count `weight` against `ip` when it fits in the window's budget."""
        entry = self._window(ip, now_ms)
        if entry.total + weight > self.limits.ip_weight_per_minute:
            return False
        entry.add(now_ms // 1_000, weight)
        return True

    def charge_ip(self, ip: str, weight: int, now_ms: int) -> None:
        """Count `weight` against `ip` unconditionally (what an answer cost once given)."""
        if weight > 0:
            self._window(ip, now_ms).add(now_ms // 1_000, weight)

    def address_cap(self, volume_usd: int, is_cancel: bool = False) -> int:
        """The requests an address may have sent in all, given its traded volume in whole USDC
        (Hyperliquid: the initial buffer plus one per USDC; cancels min(cap + 100,000, 2 x
        cap))."""
        cap = self.limits.address_initial + volume_usd
        return min(cap + 100_000, 2 * cap) if is_cancel else cap

    def allow_address(self, address: str, count: int, is_cancel: bool, now_ms: int,
                      volume_usd: int) -> tuple[bool, int, int]:
        """(allowed, sent, cap) for an action of `count` items by `address`, whose traded
        volume is `volume_usd` whole USDC."""
        cap = self.address_cap(volume_usd, is_cancel)
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
