"""TP/SL groups under cancel and modify, cloids in groups, isolated margin by the whole
position's tier, isolated flips, and funds sent to API-wallet addresses."""

from __future__ import annotations

from l2perp.engine.margin import isolated_equity
from l2perp.engine.params import EngineConfig, MarginTier, MarketSpec
from l2perp.engine.tx import OrderError, Resting
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, Venue, addr, limit, single_tier, trigger

A, B, C = addr(1), addr(2), addr(3)
CLOID = "0x" + "11" * 16


def _venue(markets=None) -> Venue:
    v = Venue(markets=markets or (single_tier(),))
    for user in (A, B, C):
        v.deposit(user, 1_000_000)
    v.set_price(0, 1_000_000)  # $100
    return v


def _bracket(v: Venue, parent_tif: str = "Gtc") -> list:
    return v.order(A, limit(0, True, "100", "1", parent_tif),
                   trigger(0, False, "120", "1", "120", "tp"),
                   trigger(0, False, "80", "1", "80", "sl"), grouping="normalTpsl")


def test_children_get_oids_after_their_parent() -> None:
    v = _venue()
    statuses = _bracket(v)
    parent = statuses[0].oid
    assert sorted(v.account(A).orders) == [parent, parent + 1, parent + 2]


def test_cancelling_one_live_child_leaves_its_sibling() -> None:
    v = _venue()
    v.order(B, limit(0, False, "100", "1"))
    statuses = _bracket(v)
    assert statuses[1:] == ["waitingForTrigger", "waitingForTrigger"]
    tp, sl = sorted(v.state.triggers[0])
    assert v.cancel(A, 0, tp) == ["success"]
    assert list(v.state.triggers[0]) == [sl] and sl in v.account(A).orders


def test_cancelling_an_unfilled_parent_cancels_its_children() -> None:
    v = _venue()
    parent = _bracket(v)[0].oid
    assert v.cancel(A, 0, parent) == ["success"]
    assert v.account(A).orders == {}


def test_duplicate_cloid_inside_a_group_is_refused() -> None:
    v = _venue()
    tp = trigger(0, False, "120", "1", "120", "tp")
    tp["c"] = CLOID
    parent = limit(0, True, "100", "1", cloid=CLOID)
    statuses = v.order(A, parent, tp, grouping="normalTpsl")
    assert statuses == [OrderError("Duplicate cloid."), OrderError("Duplicate cloid.")]
    assert v.account(A).orders == {} and v.account(A).cloids == {}


def test_modifying_a_waiting_child_keeps_it_waiting_for_its_parent() -> None:
    v = _venue()
    parent = _bracket(v)[0].oid
    child = parent + 1
    receipt = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": child, "order": trigger(0, False, "125", "1", "125", "tp")}]})
    new = receipt.statuses[0].oid
    assert v.state.triggers[0] == {}  # still waiting: the parent has not filled
    v.order(B, limit(0, False, "100", "1", "Ioc"))  # the parent fills
    assert sorted(v.state.triggers[0]) == [child + 1, new]


def test_modify_cannot_change_asset_or_turn_a_tpsl_into_a_limit() -> None:
    v = _venue((single_tier("AAA"), single_tier("BBB")))
    oid = v.order(A, limit(0, True, "99", "1"))[0].oid
    moved = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": oid, "order": limit(1, False, "99", "1")}]})
    assert moved.statuses == [OrderError(
        "A modify cannot move an order to another asset. asset=1")]
    child = _bracket(v)[0].oid + 1
    into_limit = v.one(A, {"type": "batchModify", "modifies": [
        {"oid": child, "order": limit(0, False, "120", "1")}]})
    assert into_limit.statuses == [OrderError("Invalid TP/SL price. asset=0")]


def test_isolated_margin_uses_the_whole_positions_tier() -> None:
    tiered = MarketSpec("AAA", 3, (MarginTier(0, 20), MarginTier(2_000_000 * ONE_USDC, 10)))
    equities = []
    for chunks in (["3000"], ["1500", "1500"]):
        v = Venue(markets=(tiered,))
        v.set_price(0, 1_000_000)  # $1,000 (szDecimals 3: pips are $0.001)
        v.deposit(A, 1_000_000)
        v.deposit(B, 10_000_000)
        v.one(A, {"type": "updateLeverage", "asset": 0, "isCross": False, "leverage": 20})
        for chunk in chunks:
            v.order(B, limit(0, False, "1000", chunk))
            v.order(A, limit(0, True, "1000", chunk, "Ioc"))
        market = v.state.markets[0]
        equities.append(isolated_equity(market, v.account(A).positions[0]))
    # $3M is above the $2M boundary: 10x, $300,000 of margin, less the $1,350 taker fee.
    assert equities == [298_650 * ONE_USDC, 298_650 * ONE_USDC]


def test_an_underwater_isolated_position_cannot_flip() -> None:
    v = Venue(markets=(single_tier(),), config=EngineConfig(admin=ADMIN,
                                                            max_liquidations_per_block=0))
    for user in (A, B, C):
        v.deposit(user, 1_000_000)
    v.set_price(0, 1_000_000)
    poor = addr(9)
    v.deposit(poor, 190)
    v.one(poor, {"type": "updateLeverage", "asset": 0, "isCross": False, "leverage": 10})
    v.order(B, limit(0, False, "100", "10"))
    v.order(poor, limit(0, True, "100", "10", "Ioc"))
    v.set_price(0, 850_000)  # $85: the isolated long is under water
    v.order(B, limit(0, True, "85", "20"))
    assert v.order(poor, limit(0, False, "85", "20", "Ioc")) == [OrderError(
        "Insufficient margin to place order. asset=0")]
    assert v.size(poor, 0) == 1_000 and v.cash(poor) == 90 * ONE_USDC


def test_usd_send_to_an_api_wallet_is_refused_and_a_funded_agent_can_withdraw() -> None:
    v = _venue()
    agent = addr(99)
    assert v.one(A, {"type": "approveAgent", "agentAddress": agent, "agentName": "",
                     "nonce": 1}).ok
    sent = v.one(B, {"type": "usdSend", "destination": agent, "amount": "50", "time": 1})
    assert sent.error == "Destination is an API wallet, not a user."
    v.deposit(agent, 50)  # the L1 bridge cannot refuse a deposit
    out = v.one(agent, {"type": "withdraw3", "destination": agent, "amount": "50", "time": 1})
    assert out.ok and v.cash(agent) == 0
    assert isinstance(v.order(agent, limit(0, True, "99", "1"))[0], Resting)  # still A's agent
    assert len(v.account(A).orders) == 1
