"""rollup/txcheck.py: a decoded body holds exactly the field types engine/tx.py declares, so a
poster cannot hand the engine a wrong type (a string, a None or a bool where an int belongs, one
record where another does) and have the engine's exception counted as the judge's failure."""

from __future__ import annotations

import pytest

from l2perp.codec import CodecError, canonical, h256
from l2perp.engine.tx import (
    BatchModify, Block, Cancel, ForcedTrade, GovDelegate, GovPropose, GovVote, Noop, OperatorRelease,
    OrderSpec, PlaceOrders, ScheduleCancel, Tx, UpdateLeverage,
)
from l2perp.engine.txcodec import RECORDS, TAGS
from l2perp.rollup.batch import BatchFormatError, decode_body, encode_body
from l2perp.rollup.txcheck import (
    ACTIONS, MAX_ARGS_DEPTH, check_block, check_tx, check_tx_tree,
)
from l2perp.units import Dec
from tests.support.rollup_rig import flow_txs
from tests.rollup.test_auth import ADMIN_KEY, ALICE_KEY, signed_system
from tests.support.trees import R, tree_of
from tests.support.venue import T0, limit, trigger

USER = "0x" + "11" * 20
SPEC = OrderSpec(0, True, Dec(5, 4), Dec(1, -2), False, 1)


def test_every_action_the_codec_carries_is_an_action_the_check_admits() -> None:
    records = {Block, Tx, Dec, OrderSpec}
    assert set(TAGS.values()) - records == set(ACTIONS.__args__)


def test_recorded_flows_and_signed_requests_are_well_typed() -> None:
    for txs in flow_txs(40, seed=3, crash_every=15):
        for tx in txs:
            assert check_tx(tx) is None, tx
    s, w = signed_system()
    cloid = "0x" + "ab" * 16
    signed = [w.order(ALICE_KEY, True, "49000", "0.1"),
              w.request(ALICE_KEY, {"type": "order", "grouping": "normalTpsl",
                                    "builder": {"b": USER, "f": 10},
                                    "orders": [trigger(0, False, "40000", "0.1", "41000", "sl"),
                                               limit(0, True, "49000", "0.1", cloid=cloid)]}),
              w.request(ALICE_KEY, {"type": "cancel", "cancels": [{"a": 0, "o": 7}]}),
              w.request(ALICE_KEY, {"type": "cancelByCloid",
                                    "cancels": [{"asset": 0, "cloid": cloid}]}),
              w.request(ALICE_KEY, {"type": "batchModify", "modifies": [
                  {"oid": 7, "order": limit(0, True, "48000", "0.1")},
                  {"oid": cloid, "order": limit(0, True, "48000", "0.1")}]}),
              w.request(ALICE_KEY, {"type": "scheduleCancel"}),
              w.request(ALICE_KEY, {"type": "scheduleCancel", "time": T0 + 10**6}),
              w.request(ALICE_KEY, {"type": "updateLeverage", "asset": 0, "isCross": False,
                                    "leverage": 5}),
              w.request(ALICE_KEY, {"type": "updateIsolatedMargin", "asset": 0, "isBuy": True,
                                    "ntli": -5}),
              w.request(ALICE_KEY, {"type": "usdSend", "destination": USER, "amount": "1.5"},
                        user_signed=True),
              w.request(ALICE_KEY, {"type": "withdraw3", "destination": USER, "amount": "2"},
                        user_signed=True),
              w.request(ADMIN_KEY, {"type": "devFaucet", "user": USER, "usd": "5"}),
              w.request(ADMIN_KEY, {"type": "devAdvanceTime", "ms": 1000}),
              w.request(ADMIN_KEY, {"type": "devSetOracle", "coin": "BTC", "px": None}),
              w.request(ALICE_KEY, {"type": "oracleReport", "asset": 0, "round": 3,
                                    "px": "50000.5", "time": T0, "extMid": "50001"}),
              w.request(ALICE_KEY, {"type": "govVote", "proposal": 1, "support": True}),
              w.request(ALICE_KEY, {"type": "govPropose", "actions": [
                  ["setRiskParam", "0.cbBand", 120_000_000], ["treasuryTransfer", USER, 4]]})]
    for tx in signed:
        assert check_tx(tx) is None, tx
    assert decode_body(encode_body((Block(7, 8, tuple(signed)),))) == (Block(7, 8, tuple(signed)),)


@pytest.mark.parametrize("tree, problem", [
    (R(Tx, USER, True, R(Noop, "x")), "Tx.nonce: expected int, got bool"),
    (R(Tx, USER, "1", R(Noop, "x")), "Tx.nonce: expected int, got str"),
    (R(Tx, USER, 1, R(Noop, "x"), auth="signed"), "Tx.auth: expected bytes | None, got str"),
    (R(Tx, USER, 1, SPEC), "Tx.action: expected one of 51 types, got OrderSpec"),
    (R(Tx, USER, 1, R(UpdateLeverage, 0, 1, 5)),
     "Tx.action: UpdateLeverage.is_cross: expected bool, got int"),
    (R(Tx, USER, 1, R(UpdateLeverage, 0, True, "5")),
     "Tx.action: UpdateLeverage.leverage: expected int, got str"),
    (R(Tx, USER, 1, R(ScheduleCancel, None)), None),
    (R(Tx, USER, 1, R(PlaceOrders, (SPEC._replace(asset=None),))),
     "Tx.action: PlaceOrders.orders: [0]: OrderSpec.asset: expected int, got NoneType"),
    (R(Tx, USER, 1, R(PlaceOrders, (SPEC._replace(px=(5, 4)),))),
     "OrderSpec.px: expected Dec, got tuple"),
    (R(Tx, USER, 1, R(PlaceOrders, (SPEC._replace(sz=Dec("1", -2)),))),
     "OrderSpec.sz: Dec.coeff: expected int, got str"),
    (R(Tx, USER, 1, R(PlaceOrders, (SPEC,), builder=(USER, "10"))),
     "PlaceOrders.builder: [1]: expected int, got str"),
    (R(Tx, USER, 1, R(Cancel, ((0, 1, 2),))), "Cancel.cancels: [0]: expected 2 items, got 3"),
    (R(Tx, USER, 1, R(BatchModify, ((b"\x01", SPEC),))),
     "BatchModify.modifies: [0]: [0]: expected int | str, got bytes"),
    (R(Tx, USER, 1, R(GovPropose, (1, (2, "a", True), None))),
     "GovPropose.actions: [2]: expected int, str, bool or tuple, got NoneType"),
    (R(Tx, USER, 1, R(GovVote, 1, (2, "a", True))), None),  # the engine checks a field's kind
    (R(Tx, USER, 1, R(GovVote, 1, None)),
     "GovVote.support: expected int | str | bool | tuple, got NoneType"),
    (R(Tx, USER, 1, R(GovVote, 1, (2, None))), "GovVote.support: [1]: expected int, str, bool or"),
    (R(Tx, USER, 1, R(GovDelegate, 5)), "GovDelegate.to: expected str, got int"),
    (R(Tx, USER, 1, R(OperatorRelease)), None),
    (R(Tx, None, 0, R(ForcedTrade, USER, USER, 0, 1, 2, 3, 10**30)), None),  # size: the engine's
])
def test_each_wrong_type_is_named_with_its_path(tree, problem: str | None) -> None:
    """Checked on the msgpack tree, as a body is; where the records can be built (on the
    interpreted core, always), the check of the built transaction says the same words."""
    found = check_tx_tree(tree)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
    try:
        built = RECORDS.unpack(tree)
    except CodecError:  # a compiled record refused the ill-typed field at construction
        assert problem is not None
        return
    if canonical(RECORDS.pack(built)) != canonical(tree):
        assert problem is not None  # a compiled record stored a bool as the int it declares
        return
    assert check_tx(built) == found


def test_governance_arguments_nest_only_so_deep() -> None:
    args: tuple = (1,)
    for _ in range(MAX_ARGS_DEPTH - 1):
        args = (args,)
    assert check_tx(Tx(USER, 1, GovPropose(args))) is None
    assert "nested too deeply" in check_tx(Tx(USER, 1, GovPropose((args,))))


def test_a_body_with_a_wrong_type_does_not_decode() -> None:
    good = Tx(USER, 1, UpdateLeverage(0, True, 5))
    bad = R(Tx, USER, 2, R(UpdateLeverage, 0, True, "5"))
    assert check_block(Block(1, 2, (good,))) is None
    body = canonical([tree_of(Block(1, 2, (good,))), R(Block, 2, 3, (good, bad))])
    with pytest.raises(BatchFormatError, match=r"block 1: Block.txs: \[1\]: Tx.action: "
                                               r"UpdateLeverage.leverage: expected int"):
        decode_body(body)
    assert h256(body)  # the bytes themselves are a valid encoding: only the types are wrong


def test_decoded_body_checks_once_and_never_keeps_a_body_that_does_not_decode() -> None:
    from l2perp.rollup import batch

    good = Tx(USER, 1, UpdateLeverage(0, True, 5))
    body = encode_body((Block(1, 2, (good,)),))
    first = batch.decoded_body(body)
    assert first == decode_body(body)
    assert batch.decoded_body(bytes(body)) is first  # an equal body: the same blocks
    bad = canonical([R(Block, 2, 3, (R(Tx, USER, 2, R(UpdateLeverage, 0, True, "5")),))])
    for _ in range(2):  # refused every time, never remembered
        with pytest.raises(BatchFormatError, match="expected int"):
            batch.decoded_body(bad)
    assert bad not in batch._DECODED
    for height in range(3, 3 + batch.DECODED_KEPT):  # newer bodies push the oldest out
        batch.decoded_body(encode_body((Block(height, height, (good,)),)))
    assert body not in batch._DECODED and len(batch._DECODED) == batch.DECODED_KEPT
