"""An index that finds the units that may be below maintenance without scanning every account.

Each single-market unit (a cross account with one cross position, or an isolated position) is
filed under two trigger prices around the mark at which it was last checked: while the mark stays
strictly between them the unit provably stays at or above maintenance, because its value moves by
size x Δmark and its maintenance margin by at most size x Δmark x the market's highest
maintenance rate (+1 for rounding). Units with several cross markets, units touched in the block
and units left liquidatable by the per-block cap are checked every time. The index never decides
anything: it only narrows which units get the exact check, so the result equals a full scan.
It is derived data (not part of the digest) and is rebuilt from the state when missing.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush

from ..units import E9
from .margin import leverage_of, maintenance_margin
from .state import Account, State, is_fund


class LiquidationIndex:
    __slots__ = ("lows", "highs", "version", "always", "rebuild")

    def __init__(self, n_markets: int) -> None:
        self.lows: list[list] = []
        self.highs: list[list] = []
        self.version: dict[tuple[str, int], int] = {}
        self.always: dict[tuple[str, int], None] = {}
        self.reset(n_markets)

    def reset(self, n_markets: int) -> None:
        """Forget everything: the next `candidates` checks every account."""
        self.lows = [[] for _ in range(n_markets)]  # max-heaps of (-price, key, v)
        self.highs = [[] for _ in range(n_markets)]  # min-heaps of (price, key, v)
        self.version = {}
        self.always = {}  # units checked in every block
        self.rebuild = True

    def candidates(self, state: State, touched: list[str]) -> list[tuple[str, int]]:
        """Units to check exactly this block (address, -1 for cross or the isolated asset), in
        no meaningful order: `liquidation.liquidatable_units` sorts what it finds by a total
        key, and filing a unit does not depend on the order of the others."""
        out: dict[tuple[str, int], None] = dict(self.always)
        if self.rebuild or len(self.lows) != len(state.markets):
            self.reset(len(state.markets))
            self.rebuild = False
            touched = list(state.accounts)
        for address in touched:
            account = state.accounts.get(address)
            if account is None or is_fund(address):
                continue
            out[(address, -1)] = None
            for asset in account.positions:
                out[(address, asset)] = None
        version = self.version
        for asset, market in enumerate(state.markets):
            mark = market.mark_pips
            lows, highs = self.lows[asset], self.highs[asset]
            while lows and -lows[0][0] >= mark:
                _, key, v = heappop(lows)
                if version.get(key) == v:
                    out[key] = None
            while highs and highs[0][0] <= mark:
                _, key, v = heappop(highs)
                if version.get(key) == v:
                    out[key] = None
        return list(out)

    def file(self, state: State, account: Account, unit: int, value: int, mm: int,
             assets: list[int]) -> None:
        """(Re)file a unit after its exact check; `value` and `mm` are its current figures."""
        key = (account.address, unit)
        v = self.version.get(key, 0) + 1
        self.version[key] = v
        self.always.pop(key, None)
        if not assets:
            del self.version[key]
            return
        if len(assets) != 1 or mm <= 0 or value < mm:
            self.always[key] = None
            return
        asset = assets[0]
        market = state.markets[asset]
        size = abs(account.positions[asset].size_lots)
        slope = size * (E9 + max(market.mm_rates_e9))
        allowance = (value - mm - 1) * E9 // slope if slope else 0
        if allowance < 1:
            self.always[key] = None
            return
        mark = market.mark_pips
        lows, highs = self.lows[asset], self.highs[asset]
        heappush(lows, (-(mark - allowance - 1), key, v))
        heappush(highs, (mark + allowance + 1, key, v))
        if len(lows) > 2 * len(self.version) + 64:  # mostly superseded filings: drop them
            self.lows[asset] = self.current(lows)
            self.highs[asset] = self.current(highs)

    def current(self, heap: list) -> list:
        """A heap of the entries of `heap` whose filing is still the unit's current one (a
        superseded entry would be skipped when popped: dropping it changes no candidate)."""
        version = self.version
        kept = [entry for entry in heap if version.get(entry[1]) == entry[2]]
        heapify(kept)
        return kept


def unit_figures(state: State, account: Account, unit: int) -> tuple[int, int, list[int]]:
    """(value, maintenance margin, assets) of a unit: -1 is the cross account, else one isolated
    position (empty assets when the unit no longer exists)."""
    markets = state.markets
    if unit >= 0:
        pos = account.positions.get(unit)
        if pos is None or leverage_of(state.config, account, markets[unit]).is_cross:
            return 0, 0, []
        market = markets[unit]
        ntl = abs(pos.size_lots) * market.mark_pips
        return (pos.iso_raw_musdc + pos.size_lots * market.mark_pips,
                maintenance_margin(market, ntl), [unit])
    value = account.cash_musdc
    mm = 0
    assets = []
    for a in sorted(account.positions):
        market = markets[a]
        if not leverage_of(state.config, account, market).is_cross:
            continue
        pos = account.positions[a]
        value += pos.size_lots * market.mark_pips
        mm += maintenance_margin(market, abs(pos.size_lots) * market.mark_pips)
        assets.append(a)
    return value, mm, assets
