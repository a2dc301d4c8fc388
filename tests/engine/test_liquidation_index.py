"""The liquidation index only narrows the search: a flow with crashes gives the same digest as
checking every account in every block."""

from __future__ import annotations

import pytest

from l2perp.engine import liqindex
from tests.support.flow import record, replay


@pytest.mark.interpreted_only
def test_index_gives_the_same_result_as_a_full_scan(monkeypatch) -> None:
    blocks = record(1_500, seed=11, crash_every=150)
    indexed = replay(blocks)

    def everything(self, state, touched):
        return sorted((address, unit) for address, account in state.accounts.items()
                      for unit in [-1, *account.positions])

    monkeypatch.setattr(liqindex.LiquidationIndex, "candidates", everything)
    assert replay(blocks) == indexed
    assert indexed[1] > 100
