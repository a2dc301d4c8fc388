"""24-hour market statistics for metaAndAssetCtxs and activeAssetCtx (prevDayPx, dayNtlVlm,
dayBaseVlm), read from the indexer's fills over the 24 hours of block time up to the state's
time, and cached by state height: a burst of requests at one height costs one query set.
"""

from __future__ import annotations

from ..node import indexer
from .info import DayStats


class DayStatsCache:
    """Every market's DayStats at the node's current height (computed on first use)."""

    def __init__(self) -> None:
        self.height = -1
        self.stats: dict[int, DayStats] = {}

    def get(self, node) -> dict[int, DayStats]:
        """asset -> DayStats at `node.state`'s height and time."""
        state = node.state
        if state.height != self.height:
            db = node.sequencer.log.db
            stats = {}
            for market in state.markets:
                prev, ntl, base = indexer.day_stats(db, market.asset, state.time_ms)
                stats[market.asset] = DayStats(prev, ntl, base)
            self.stats, self.height = stats, state.height
        return self.stats
