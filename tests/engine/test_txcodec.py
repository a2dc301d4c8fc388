"""The log's and the batch bodies' encoding is fixed by numeric tags, not class names: renaming
a transaction class leaves every byte unchanged, and unknown tags are refused."""

from __future__ import annotations

import pytest

from l2perp.codec import CodecError, canonical
from l2perp.engine import tx as T
from l2perp.engine.txcodec import TAGS, decode_blocks, decode_txs, encode_blocks, encode_txs
from l2perp.units import Dec
from l2perp.wire.actions import parse_action

ORDER = {"type": "order", "orders": [{"a": 0, "b": True, "p": "95000", "s": "0.01", "r": False,
                                      "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}


def sample_block() -> T.Block:
    return T.Block(7, 1_700_000_000_000, (
        T.Tx("0x" + "11" * 20, 5, parse_action(ORDER), None, None, b"signed request"),
        T.Tx(None, 0, T.BridgeCredit("0x" + "22" * 20, 10**6, 3)),
        T.Tx("0x" + "33" * 20, 6, T.GovVote(1, "for"))))


@pytest.mark.parametrize("cls", [T.PlaceOrders, T.OrderSpec, T.Tx, T.Block, Dec, T.GovVote,
                                 T.BridgeCredit])
def test_renaming_a_class_leaves_the_bytes_unchanged(cls) -> None:
    block = sample_block()
    before = (encode_blocks((block,)), encode_txs(block.txs))
    names = cls.__name__, cls.__qualname__, cls.__module__
    try:
        cls.__name__ = cls.__qualname__ = "Renamed" + names[0]
        cls.__module__ = "somewhere.else"
        assert (encode_blocks((block,)), encode_txs(block.txs)) == before
        assert decode_blocks(before[0]) == (block,)
    finally:
        cls.__name__, cls.__qualname__, cls.__module__ = names


def test_the_bytes_of_a_block_are_pinned() -> None:
    """The format itself: a change here changes every logged block and posted batch."""
    data = encode_blocks((sample_block(),))
    assert data.hex() == (
        "9181019307cf0000018bcfe5680093810296d92a30783131313131313131313131313131313131313131"
        "313131313131313131313131313131313131313105810a939181049a00c38103925f0381039201fec200"
        "c0c0c20000c0c0c0c40e7369676e65642072657175657374810296c000811e93d92a3078323232323232"
        "32323232323232323232323232323232323232323232323232323232323232323232ce000f424003c0c0"
        "c0810296d92a307833333333333333333333333333333333333333333333333333333333333333333333"
        "3333333333330681409201a3666f72c0c0c0")
    # [{1 Block: [7, time, [{2 Tx: [signer, 5, {10 PlaceOrders: [[{4 OrderSpec: [0, true,
    #  {3 Dec: [95, 3]}, {3 Dec: [1, -2]}, false, 0, nil, nil, false, 0]}], 0, nil]}, nil,
    #  nil, b"signed request"]}, ...]]}]


def test_tags_are_unique_and_unknown_tags_are_refused() -> None:
    assert len(set(TAGS.values())) == len(TAGS)
    with pytest.raises(CodecError):
        decode_txs(canonical([{999: []}]))
    with pytest.raises(CodecError):
        decode_txs(canonical([{2: [1]}]))  # a Tx needs six fields
    with pytest.raises(CodecError):
        decode_txs(canonical([{"__t": "Tx", "f": []}]))  # the old name-tagged format


def test_typed_governance_transactions_take_their_own_tags() -> None:
    """61.. for the typed governance records; 60 (the retired untyped GovTx) stays unused (tags
    are never reused)."""
    signer = "0x" + "33" * 20
    typed = T.Tx(signer, 6, T.GovVote(1, "for"))
    assert encode_txs((typed,)) == canonical([{2: [signer, 6, {64: [1, "for"]}, None, None,
                                                   None]}])
    assert {tag: cls.__name__ for tag, cls in TAGS.items() if 60 <= tag < 80} == {
        61: "GovTransfer", 62: "GovDelegate", 63: "GovPropose", 64: "GovVote",
        65: "GovQueue", 66: "GovExecute", 67: "GovCancel", 68: "GuardianSign",
        69: "GuardianRemove", 70: "StewardUpdate", 71: "OperatorBond", 72: "OperatorUnbond",
        73: "OperatorRelease", 74: "SubmitEvidence", 75: "ExecuteSlash", 76: "IncidentReport",
        77: "IncidentOpen"}
    every = (T.GovTransfer(signer, 5), T.GovDelegate(signer), T.GovPropose((("x", 1),)),
             T.GovQueue(1, ()), T.GovExecute(1, ()), T.GovCancel(1),
             T.GuardianSign(1, "pauseMarket", (0,)), T.GuardianRemove(signer),
             T.StewardUpdate("0.cbBand", 5), T.OperatorBond("oracle", 5), T.OperatorUnbond(5),
             T.OperatorRelease(), T.SubmitEvidence("oracleEquivocation", 0), T.ExecuteSlash(1),
             T.IncidentReport(1, "text"), T.IncidentOpen("oracleOutage", "feed", 1, 2, "down"))
    txs = tuple(T.Tx(signer, i, action) for i, action in enumerate(every))
    assert decode_txs(encode_txs(txs)) == txs


def test_twap_transactions_take_tags_80_and_81() -> None:
    signer = "0x" + "33" * 20
    order = parse_action({"type": "twapOrder", "twap": {"a": 1, "b": True, "s": "0.25",
                                                        "r": False, "m": 10, "t": True}})
    cancel = parse_action({"type": "twapCancel", "a": 1, "t": 7})
    assert {tag: cls.__name__ for tag, cls in TAGS.items() if 80 <= tag < 90} == {
        80: "TwapOrder", 81: "TwapCancel"}
    txs = (T.Tx(signer, 1, order), T.Tx(signer, 2, cancel))
    assert encode_txs(txs) == canonical([
        {2: [signer, 1, {80: [1, True, {3: [25, -2]}, False, 10, True]}, None, None, None]},
        {2: [signer, 2, {81: [1, 7]}, None, None, None]}])
    assert decode_txs(encode_txs(txs)) == txs


def test_a_block_from_its_logged_transactions_is_the_batch_bodys_block() -> None:
    """The poster joins the sequencer's encoded transactions into a body: byte for byte what
    encoding the blocks gives, for empty, small and long blocks (list headers of every size)."""
    from l2perp.engine.tx import Block, BridgeCredit, Tx
    from l2perp.engine.txcodec import (
        encode_block_packed, encode_blocks, encode_txs, join_packed,
    )

    blocks = tuple(Block(h, 1_700_000_000_000 + h, tuple(
        Tx(None, 0, BridgeCredit("0x" + f"{i:040x}", i)) for i in range(n)))
        for h, n in ((1, 0), (2, 1), (3, 15), (4, 16), (70_000, 70_000)))
    packed = [encode_block_packed(b.height, b.time_ms, encode_txs(b.txs)) for b in blocks]
    assert join_packed(packed) == encode_blocks(blocks)
    assert join_packed([]) == encode_blocks(())
