"""Hyperliquid wire actions -> engine transactions."""

from __future__ import annotations

import pytest

from l2perp.engine import tx as T
from l2perp.engine.governance.transactions import GOV_TXS, gov_args
from l2perp.engine.governance.txs import TRANSACTIONS
from l2perp.wire.actions import WireError, parse_action
from l2perp.wire.governance import GOV_ACTIONS, gov_action_to_wire
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


def test_governance_actions_become_typed_transactions_with_the_same_json() -> None:
    """Each gov* / guardian* / steward* / operator* / incident* wire type has one typed
    transaction whose fields are the wire's, in order, with the engine's field names."""
    assert sorted(cls.__name__ for cls, _ in GOV_ACTIONS.values()) == \
        sorted(cls.__name__ for cls in GOV_TXS)
    for wire, (cls, fields) in GOV_ACTIONS.items():
        assert len(fields) == len(cls.__slots__)
        assert tuple(name for name, _ in TRANSACTIONS[cls][0]) == fields
    user = "0x" + "ab" * 20
    vote = parse_action({"type": "govVote", "proposal": 3, "support": 1})
    assert vote == T.GovVote(3, 1)
    propose = parse_action({"type": "govPropose", "actions": [
        ["setRiskParam", "0.cbBand", 120_000_000], ["treasuryTransfer", "0x" + "AB" * 20, 4]]})
    assert propose == T.GovPropose((("setRiskParam", "0.cbBand", 120_000_000),
                                    ("treasuryTransfer", user, 4)))
    sign = parse_action({"type": "guardianSign", "nonce": 1, "kind": "pauseMarket",
                         "args": [0]})
    assert sign == T.GuardianSign(1, "pauseMarket", (0,))
    assert parse_action({"type": "operatorRelease"}) == T.OperatorRelease()
    opened = {"type": "incidentOpen", "kind": "oracleOutage", "subject": "feed", "start": 1,
              "end": 2, "detail": "down"}
    assert parse_action(opened) == T.IncidentOpen("oracleOutage", "feed", 1, 2, "down")
    for action in (vote, propose, sign, T.OperatorRelease(), parse_action(opened)):
        wire = gov_action_to_wire(action)
        assert parse_action(wire) == action
        assert list(wire)[1:] == list(GOV_ACTIONS[wire["type"]][1])
    assert gov_action_to_wire(propose)["actions"] == [
        ["setRiskParam", "0.cbBand", 120_000_000], ["treasuryTransfer", user, 4]]
    assert gov_args(sign) == (1, "pauseMarket", (0,))


@pytest.mark.parametrize("action, text", [
    ({"type": "govVote", "proposal": 1}, "Invalid govVote action: missing 'support'"),
    ({"type": "govDelegate", "to": "bob"}, "Invalid address: 'bob'"),
    ({"type": "govVote", "proposal": 2**63, "support": 1}, "Invalid governance argument"),
    ({"type": "govVote", "proposal": 1.5, "support": 1}, "Invalid governance argument: 1.5"),
])
def test_malformed_governance_actions_raise_wire_errors(action, text) -> None:
    with pytest.raises(WireError, match=text.replace("*", r"\*").replace("(", r"\(")):
        parse_action(action)


def test_a_field_of_the_wrong_kind_is_left_to_the_engine() -> None:
    """The engine refuses it with its governance text (a receipt, not a parse error)."""
    assert parse_action({"type": "govVote", "proposal": "one", "support": True}) == \
        T.GovVote("one", True)
