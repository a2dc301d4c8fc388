"""The governance token and voting power (docs/mechanics.md).

Balances move by transfer; each holder's votes go to its delegate (itself until it delegates,
as in dYdX v3). Votes are checkpointed per block height, so the power behind a proposal is read
at the block before its creation: power bought, borrowed or delegated in the creation block or
later counts zero for it.

Activity rule: power counts only for a delegate (the one who votes, often the holder itself) that
voted or delegated within the last K epochs before the snapshot (an epoch is `epoch_ms` of block
time): active iff `snapshot_epoch - last_active_epoch < K`; tokens parked with a delegate that
has gone quiet count for nobody until it acts or the holders re-delegate. Quorum is measured on
the power of active delegates at the snapshot (the active supply), so a dormant majority cannot
make quorum unreachable and a long-dormant whale cannot wake up to take over a proposal created
while it slept.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from .errors import GovernanceError


class PowerError(GovernanceError):
    """A token operation that would break a balance rule (nothing changes)."""


@dataclass
class Checkpoints:
    """Votes of one delegate after each height where they changed (heights strictly rise)."""

    heights: list[int] = field(default_factory=list)
    votes: list[int] = field(default_factory=list)

    def at(self, height: int) -> int:
        """Votes at the end of block `height` (0 before the first checkpoint)."""
        i = bisect_right(self.heights, height)
        return self.votes[i - 1] if i else 0

    def latest(self) -> int:
        return self.votes[-1] if self.votes else 0

    def write(self, height: int, votes: int) -> None:
        if self.heights and self.heights[-1] > height:
            raise PowerError("checkpoints only move forward in height")
        if self.heights and self.heights[-1] == height:
            self.votes[-1] = votes
        else:
            self.heights.append(height)
            self.votes.append(votes)


@dataclass
class GovToken:
    """Balances, delegation, per-delegate checkpoints and activity, in token units."""

    balances: dict[str, int] = field(default_factory=dict)
    delegates: dict[str, str] = field(default_factory=dict)  # holder -> delegate (if not self)
    checkpoints: dict[str, Checkpoints] = field(default_factory=dict)
    activity: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # (height, epoch)
    supply: int = 0

    def delegate_of(self, holder: str) -> str:
        return self.delegates.get(holder, holder)

    def _move_votes(self, frm: str | None, to: str | None, amount: int, height: int) -> None:
        if amount == 0 or frm == to:
            return
        if frm is not None:
            cp = self.checkpoints.setdefault(frm, Checkpoints())
            cp.write(height, cp.latest() - amount)
        if to is not None:
            cp = self.checkpoints.setdefault(to, Checkpoints())
            cp.write(height, cp.latest() + amount)

    def mint(self, to: str, amount: int, height: int) -> None:
        """Create tokens (genesis allocation, or an executed treasury proposal)."""
        if amount <= 0:
            raise PowerError("mint amount must be positive")
        self.balances[to] = self.balances.get(to, 0) + amount
        self.supply += amount
        self._move_votes(None, self.delegate_of(to), amount, height)

    def transfer(self, frm: str, to: str, amount: int, height: int) -> None:
        """Move tokens; the votes follow from the sender's delegate to the receiver's."""
        self.check_transfer(frm, amount)
        self.balances[frm] -= amount
        self.balances[to] = self.balances.get(to, 0) + amount
        self._move_votes(self.delegate_of(frm), self.delegate_of(to), amount, height)

    def check_transfer(self, frm: str, amount: int) -> None:
        if type(amount) is not int or amount <= 0:
            raise PowerError("transfer amount must be positive")
        if self.balances.get(frm, 0) < amount:
            raise PowerError("insufficient governance token balance")

    def burn(self, frm: str, amount: int, height: int) -> None:
        """Destroy tokens (the burned part of a slash)."""
        if type(amount) is not int or amount <= 0 or self.balances.get(frm, 0) < amount:
            raise PowerError("burn a positive amount the holder has")
        self.balances[frm] -= amount
        self.supply -= amount
        self._move_votes(self.delegate_of(frm), None, amount, height)

    def delegate(self, holder: str, to: str, height: int, epoch: int) -> None:
        """Send the holder's votes to `to` (itself to take them back); counts as activity."""
        old = self.delegate_of(holder)
        if to == holder:
            self.delegates.pop(holder, None)
        else:
            self.delegates[holder] = to
        self._move_votes(old, to, self.balances.get(holder, 0), height)
        self.mark_active(holder, epoch, height)

    def mark_active(self, who: str, epoch: int, height: int = 0) -> None:
        """A vote or a delegation at `height` in `epoch` (genesis allocations: height 0).
        Entries older than 64 epochs before the newest are dropped (no lane looks that far)."""
        rows = self.activity.setdefault(who, [])
        if rows and rows[-1][0] > height:
            raise PowerError("activity only moves forward in height")
        if not rows or rows[-1] != (height, epoch):
            rows.append((height, epoch))
        while rows and rows[0][1] < epoch - 64:
            rows.pop(0)

    def last_active_epoch(self, who: str) -> int | None:
        rows = self.activity.get(who)
        return rows[-1][1] if rows else None

    def votes_at(self, who: str, height: int) -> int:
        cp = self.checkpoints.get(who)
        return cp.at(height) if cp is not None else 0

    def is_active(self, who: str, epoch: int, k_epochs: int,
                  as_of_height: int | None = None) -> bool:
        """Voted or delegated in one of the `k_epochs` epochs up to and including `epoch`, at
        or before `as_of_height` (None: any height). Activity after a snapshot never counts
        for it, so the active supply fixed at creation bounds every tally."""
        for height, at_epoch in reversed(self.activity.get(who, ())):
            if as_of_height is not None and height > as_of_height:
                continue
            return 0 <= epoch - at_epoch < k_epochs
        return False

    def power(self, who: str, snapshot_height: int, epoch: int, k_epochs: int) -> int:
        """Votes `who` may cast on a proposal snapshotted at `snapshot_height` (creation - 1):
        zero unless active, as of that height, within the K epochs up to the snapshot's."""
        if not self.is_active(who, epoch, k_epochs, snapshot_height):
            return 0
        return self.votes_at(who, snapshot_height)

    def active_supply(self, snapshot_height: int, epoch: int, k_epochs: int) -> int:
        """Σ power of active delegates at the snapshot: what quorum is measured on."""
        return sum(self.power(who, snapshot_height, epoch, k_epochs)
                   for who in sorted(self.checkpoints))
