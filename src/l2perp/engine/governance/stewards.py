"""Risk stewards (docs/mechanics.md): a committee that
moves listed risk parameters only inside governance-set bounds, by at most a bounded step,
once per debounce period per parameter, never to zero.

Parameters are integers under string keys (e.g. "0.oiCap", "0.cbBand"). A step is relative to
the current value in basis points: `|new - old| * 10,000 <= max_step_bps * old`; the debounce is
inclusive at its end (`now >= last + debounce`). Every accepted change is logged with its author
and time, so each value in the table is traceable to a steward step (or, elsewhere, to a
proposal or a ratified guardian action).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import GovernanceError

BPS = 10_000


class StewardError(GovernanceError):
    """A steward update that is refused (nothing changes)."""


@dataclass(frozen=True)
class Bounds:
    """What governance lets stewards do to one parameter."""

    low: int
    high: int
    max_step_bps: int
    debounce_ms: int


@dataclass(frozen=True)
class Change:
    key: str
    old: int
    new: int
    source: str  # "steward", "proposal <pid>", "guardian <id>"
    author: str
    time_ms: int


@dataclass
class RiskTable:
    """The governance-controlled parameters, their steward bounds and their change log."""

    values: dict[str, int] = field(default_factory=dict)
    bounds: dict[str, Bounds] = field(default_factory=dict)
    stewards: tuple[str, ...] = ()
    last_steward_ms: dict[str, int] = field(default_factory=dict)
    log: list[Change] = field(default_factory=list)

    def steward_update(self, caller: str, key: str, new: int, now_ms: int) -> Change:
        """One bounded step by a steward (StewardError otherwise)."""
        self.check_steward_update(caller, key, new, now_ms)
        return self._set(key, new, "steward", caller, now_ms, steward=True)

    def check_steward_update(self, caller: str, key: str, new: int, now_ms: int,
                             origin: int | None = None) -> None:
        """What `steward_update` checks, stepping from `origin` (default: the table's value)."""
        if caller not in self.stewards:
            raise StewardError(f"{caller} is not a risk steward")
        if key not in self.bounds or (origin is None and key not in self.values):
            raise StewardError(f"{key} is not a steward-bounded parameter")
        b = self.bounds[key]
        old = self.values[key] if origin is None else origin
        if type(new) is not int or new == 0:
            raise StewardError("a steward never sets a parameter to zero")
        if not b.low <= new <= b.high:
            raise StewardError(f"{key}: {new} outside [{b.low}, {b.high}]")
        if abs(new - old) * BPS > b.max_step_bps * abs(old):
            raise StewardError(f"{key}: a step from {old} to {new} exceeds "
                               f"{b.max_step_bps} bps")
        next_ms = self.next_update_ms(key, now_ms)
        if now_ms < next_ms:
            raise StewardError(f"{key}: next steward update at {next_ms}")

    def next_update_ms(self, key: str, now_ms: int) -> int:
        """When a steward may next move bounded `key`: the end of the debounce after its last
        steward step (inclusive), or now if it has had none."""
        last = self.last_steward_ms.get(key)
        return now_ms if last is None else last + self.bounds[key].debounce_ms

    def governance_set(self, key: str, new: int, source: str, now_ms: int) -> Change:
        """A change made by an executed proposal or a ratified guardian action."""
        return self._set(key, new, source, "governance", now_ms)

    def _set(self, key: str, new: int, source: str, author: str, now_ms: int,
             steward: bool = False) -> Change:
        change = Change(key, self.values.get(key, 0), new, source, author, now_ms)
        self.values[key] = new
        if steward:
            self.last_steward_ms[key] = now_ms
        self.log.append(change)
        return change
