"""/info answers from the engine state, in Hyperliquid's shapes."""

from __future__ import annotations

from l2perp.api import info
from tests.support.venue import Venue, addr, limit, trigger

A, B = addr(1), addr(2)


def _venue() -> Venue:
    v = Venue()
    v.deposit(A, 100_000)
    v.deposit(B, 100_000)
    v.set_price(0, 500_000)  # BTC $50,000
    v.set_price(1, 300_000)  # ETH $3,000
    return v


def test_meta_keeps_asset_ids_and_all_mids_lists_every_priced_coin() -> None:
    v = _venue()
    universe = info.meta(v.state)["universe"]
    assert [u["name"] for u in universe] == ["BTC", "ETH", "SOL", "OP"]
    assert universe[0] == {"name": "BTC", "szDecimals": 5, "maxLeverage": 40,
                           "marginTableId": 1}
    v.order(A, limit(0, True, "49999", "0.1"))
    v.order(B, limit(0, False, "50000", "0.1"))
    assert info.all_mids(v.state) == {"BTC": "49999.5", "ETH": "3000"}
    assert info.spot_meta(v.state) == {"tokens": [], "universe": []}


def test_meta_lists_each_markets_margin_table_as_governance_keeps_it() -> None:
    from dataclasses import replace

    from l2perp.engine.params import MarginTier
    v = _venue()
    answer = info.meta(v.state)
    tables = dict(answer["marginTables"])
    assert tables[1] == {"description": "tiered 40x", "marginTiers": [
        {"lowerBound": "0", "maxLeverage": 40}, {"lowerBound": "150000000", "maxLeverage": 20}]}
    assert [u["marginTableId"] for u in answer["universe"]] == sorted(tables)
    # two markets with the same tiers share a table; a one-tier market's table is flat
    for asset in (2, 3):
        market = v.state.markets[asset]
        market.spec = replace(market.spec, margin_tiers=(MarginTier(0, 10),))
    answer = info.meta(v.state)
    assert [u["marginTableId"] for u in answer["universe"]] == [1, 2, 3, 3]
    assert dict(answer["marginTables"])[3] == {
        "description": "flat 10x", "marginTiers": [{"lowerBound": "0", "maxLeverage": 10}]}
    assert info.margin_table_by_id(v.state, 3) == dict(answer["marginTables"])[3]
    try:
        info.margin_table_by_id(v.state, 4)
    except ValueError as exc:
        assert str(exc) == "Unknown margin table 4"
    else:
        raise AssertionError("table 4 does not exist")


def test_l2_book_levels() -> None:
    v = _venue()
    v.order(A, limit(0, True, "49990", "0.1"), limit(0, True, "49990", "0.2"),
            limit(0, True, "49980", "1"))
    book = info.l2_book(v.state, 0)
    assert book["levels"][0] == [{"px": "49990", "sz": "0.3", "n": 2},
                                 {"px": "49980", "sz": "1", "n": 1}]
    assert book["levels"][1] == [] and book["coin"] == "BTC"


def test_clearinghouse_state_matches_the_position() -> None:
    v = _venue()
    v.order(B, limit(0, False, "50000", "0.1"))
    v.order(A, limit(0, True, "50000", "0.1", "Ioc"))
    ch = info.clearinghouse_state(v.state, A)
    pos = ch["assetPositions"][0]["position"]
    assert pos["coin"] == "BTC" and pos["szi"] == "0.1" and pos["entryPx"] == "50000"
    assert pos["positionValue"] == "5000" and pos["leverage"] == {"type": "cross", "value": 20}
    assert pos["marginUsed"] == "250" and pos["unrealizedPnl"] == "0"
    assert ch["marginSummary"]["accountValue"] == "99997.75"  # $2.25 taker fee
    assert info.clearinghouse_state(v.state, addr(9))["assetPositions"] == []


def test_open_orders_and_frontend_fields() -> None:
    v = _venue()
    v.order(B, limit(0, False, "50000", "0.1"))
    v.order(A, limit(0, True, "50000", "0.1", "Ioc"))
    v.order(A, limit(0, True, "49000", "0.1"), trigger(0, False, "45000", "0.1", "45000", "sl"))
    rows = info.open_orders(v.state, A, frontend=True)
    assert [r["orderType"] for r in rows] == ["Stop Market", "Limit"]
    assert rows[0]["triggerCondition"] == "Price below 45000" and rows[0]["isTrigger"]
    assert rows[1]["tif"] == "Gtc" and rows[1]["side"] == "B"


def test_asset_contexts() -> None:
    v = _venue()
    ctx = info.meta_and_asset_ctxs(v.state)[1][0]
    assert ctx["oraclePx"] == "50000" and ctx["markPx"] == "50000" and ctx["midPx"] is None
    assert ctx["openInterest"] == "0" and ctx["funding"] == "0"


def test_asset_context_day_fields_without_and_with_day_stats() -> None:
    v = _venue()
    plain = info.asset_ctx(v.state, 0)
    assert (plain["prevDayPx"], plain["dayNtlVlm"], plain["dayBaseVlm"]) == ("50000", "0", "0")
    day = info.asset_ctx(v.state, 0, info.DayStats(499_990, 123_456_789, 12_345))
    assert (day["prevDayPx"], day["dayNtlVlm"], day["dayBaseVlm"]) == (
        "49999", "123.456789", "0.12345")
    unpriced = info.asset_ctx(v.state, 0, info.DayStats(None, 0, 0))
    assert unpriced["prevDayPx"] == "50000" and unpriced["dayNtlVlm"] == "0"
