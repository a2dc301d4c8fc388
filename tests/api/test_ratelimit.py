"""IP weights of the /info types the browser reads (Hyperliquid's 2 / 20 / 60 scale)."""

from __future__ import annotations

from l2perp.api.ratelimit import info_weight


def test_extension_info_types_are_weighted_by_their_cost() -> None:
    assert info_weight("devnetKeys") == 2  # a constant answer, as light as l2Book
    assert info_weight("solvency") == 60  # values every account, as heavy as userRole
    assert info_weight("batches") == info_weight("l1Status") == info_weight("rollupStatus") == 20
    assert info_weight("metaAndAssetCtxs") == 20 and info_weight("clearinghouseState") == 2
