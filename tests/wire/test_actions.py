"""Hyperliquid wire actions -> engine transactions."""

from __future__ import annotations

import pytest

from l2perp.wire.actions import WireError, parse_action
from l2perp.engine import tx as T
from l2perp.engine.book import TIF_ALO, TIF_TRIGGER, TPSL_SL
from l2perp.units import Dec


def test_order_with_cloid_and_builder() -> None:
    action = parse_action({
        "type": "order", "grouping": "na", "builder": {"b": "0x" + "AB" * 20, "f": 10},
        "orders": [{"a": 1, "b": True, "p": "1100.0", "s": "0.10", "r": False,
                    "t": {"limit": {"tif": "Alo"}}, "c": "0x" + "0F" * 16}],
    })
    assert action == T.PlaceOrders(
        (T.OrderSpec(1, True, Dec(11, 2), Dec(1, -1), False, TIF_ALO, "0x" + "0f" * 16),),
        T.GROUPING_NA, ("0x" + "ab" * 20, 10))


def test_trigger_order_and_position_tpsl_grouping() -> None:
    action = parse_action({"type": "order", "grouping": "positionTpsl", "orders": [
        {"a": 0, "b": False, "p": "45000", "s": "0", "r": True,
         "t": {"trigger": {"isMarket": True, "triggerPx": "45000", "tpsl": "sl"}}}]})
    spec = action.orders[0]
    assert (spec.tif, spec.tpsl, spec.trigger_px, action.grouping) == (
        TIF_TRIGGER, TPSL_SL, Dec(45, 3), T.GROUPING_POSITION_TPSL)


@pytest.mark.parametrize("action", [
    {"type": "order", "orders": [{"a": 0, "b": True, "p": 1.5, "s": "1", "r": False,
                                  "t": {"limit": {"tif": "Gtc"}}}]},  # a float price
    {"type": "order", "orders": [{"a": 0, "b": True, "p": "1", "s": "1", "r": False,
                                  "t": {"limit": {"tif": "Fok"}}}]},
    {"type": "cancel", "cancels": [{"a": 0}]},
    {"type": "usdSend", "destination": "0x12", "amount": "1", "time": 1},
    {"type": "withdraw3", "destination": "0x" + "11" * 20, "amount": "1.0000001", "time": 1},
    {"type": "nope"},
    "order",
])
def test_malformed_actions_raise_wire_errors(action) -> None:
    with pytest.raises(WireError):
        parse_action(action)


def test_oracle_report_rounds_to_the_nearest_pip_ties_to_even() -> None:
    sz = {0: 5}.__getitem__  # BTC-like: pips are $0.1
    report = parse_action({"type": "oracleReport", "asset": 0, "round": 3, "px": "50000.25",
                           "time": 7, "extMid": "50000.35"}, sz)
    assert report == T.OracleReport(0, 3, 500_002, 7, 500_004)  # .25 -> .2, .35 -> .4
    with pytest.raises(WireError):
        parse_action({"type": "oracleReport", "asset": 9, "round": 1, "px": "1", "time": 1}, sz)
