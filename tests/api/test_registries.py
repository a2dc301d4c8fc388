"""The two registries: /info types (info_types.INFO_TYPES, with each type's IP weight) and
websocket channels (channels.CHANNELS, with each subscription's key)."""

from __future__ import annotations

import pytest

from l2perp.api.channels import CHANNELS, identifier
from l2perp.api.info_types import INFO_TYPES, info_answer, info_items_weight, info_weight


def test_an_unknown_info_type_is_refused_before_anything_is_read() -> None:
    for kind, text in (("nope", "unknown info type 'nope'"), (5, "unknown info type 5"),
                       (None, "unknown info type None"), ("x" * 50,
                                                          f"unknown info type '{'x' * 40}...'")):
        with pytest.raises(ValueError) as refused:
            info_answer(None, {"type": kind})  # no node: the type alone decides
        assert str(refused.value) == text


def test_info_weights_are_hyperliquids_2_20_60() -> None:
    light = {kind for kind, entry in INFO_TYPES.items() if entry.weight == 2}
    heavy = {kind for kind, entry in INFO_TYPES.items() if entry.weight == 60}
    assert light == {"l2Book", "allMids", "clearinghouseState", "orderStatus",
                     "spotClearinghouseState", "exchangeStatus", "devnetKeys"}
    assert heavy == {"userRole", "solvency"}
    assert {entry.weight for entry in INFO_TYPES.values()} == {2, 20, 60}
    assert info_weight("nope") == info_weight(["l2Book"]) == 20


def test_history_types_cost_one_more_per_20_items_candles_per_60() -> None:
    per_20 = {kind for kind, entry in INFO_TYPES.items() if entry.per_items == 20}
    assert per_20 == {"userFills", "userFillsByTime", "fundingHistory", "userFunding",
                      "historicalOrders", "userTwapSliceFills", "twapHistory",
                      "delegatorRewards", "delegatorHistory", "userNonFundingLedgerUpdates"}
    assert info_items_weight("candleSnapshot", [{}] * 120) == 2
    assert info_items_weight("nope", [{}] * 120) == 0


def test_subscriptions_are_keyed_per_channel() -> None:
    assert identifier({"type": "l2Book", "coin": "BTC"}) == "l2Book:btc"
    assert identifier({"type": "userFills", "user": "0xAB"}) == "userFills:0xab"
    assert identifier({"type": "candle", "coin": "ETH", "interval": "1m"}) == "candle:eth,1m"
    assert identifier({"type": "allMids"}) == "allMids"
    assert identifier({"type": "l2perpRollup"}) == "l2perpRollup"
    assert identifier({"type": "userTwapHistory", "user": "0xAB"}) == "userTwapHistory:0xab"
    # the SDK's own identifiers (hyperliquid/websocket_manager.py) for the user aggregates
    assert identifier({"type": "webData2", "user": "0xAB"}) == "webData2:0xab"
    assert identifier({"type": "activeAssetData", "user": "0xAB", "coin": "ETH"}) == \
        "activeAssetData:eth,0xab"
    assert set(CHANNELS) == {"allMids", "l2Book", "trades", "bbo", "activeAssetCtx", "candle",
                             "userEvents", "userFills", "orderUpdates", "userTwapSliceFills",
                             "userTwapHistory", "webData2", "activeAssetData", "marginHealth",
                             "l2perpRollup"}


@pytest.mark.parametrize("sub, text", [
    ({"type": "nope"}, "unsupported subscription 'nope'"),
    ({"type": {"a": 1}}, "unsupported subscription a dict"),
    ({"type": ["l2Book"]}, "unsupported subscription a list"),
    ({"type": "l2Book"}, "unsupported subscription: coin must be a string"),
    ({"type": "candle", "coin": "BTC"}, "unsupported subscription: interval must be a string"),
    ({"type": "trades", "coin": "x" * 101}, "unsupported subscription: coin must be a string"),
])
def test_a_subscription_we_do_not_serve_is_refused_with_its_reason(sub, text) -> None:
    with pytest.raises(ValueError) as refused:
        identifier(sub)
    assert str(refused.value) == text


def test_ledger_rows_in_hyperliquids_shapes() -> None:
    from l2perp.api.rows import ledger_row

    a, b, fund = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "ff" * 20
    fee = 1_000_000
    row = ledger_row(a, 5, 7, 0, "deposit", 2_500_000, None, fee)
    assert row["time"] == 5 and row["delta"] == {"type": "deposit", "usdc": "2.5"}
    assert ledger_row(a, 5, 7, 1, "withdraw", -10_000_000, a, fee)["delta"] == {
        "type": "withdraw", "usdc": "10", "fee": "1"}
    sent = ledger_row(a, 5, 7, 2, "send", -1_500_000, b, fee)["delta"]
    received = ledger_row(b, 5, 7, 3, "send", 1_500_000, a, fee)["delta"]
    assert sent == received == {"type": "internalTransfer", "usdc": "1.5", "user": a,
                                "destination": b, "fee": "0"}
    assert ledger_row(a, 5, 7, 4, "backstopLiquidation", -3, fund, fee)["delta"] == {
        "type": "backstopLiquidation", "usdc": "-0.000003", "fund": fund}
    assert ledger_row(a, 5, 7, 5, "settlement", 42, None, fee)["delta"] == {
        "type": "settlement", "usdc": "0.000042"}
    hashes = {ledger_row(a, 5, h, s, "deposit", 1, None, fee)["hash"]
              for h in (7, 8) for s in (0, 1)}
    assert len(hashes) == 4 and all(len(x) == 66 for x in hashes)
