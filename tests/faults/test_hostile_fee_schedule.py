"""Hostile feeSchedule, marginTable and predictedFundings queries against a real `l2perp up`:
malformed users and table ids are refused with a clear text and change nothing; an unknown
user pays tier 0; the venue goes on producing blocks.
The L1 data cost itself reaches L2 only as an L1 queue message: a signed /exchange request
that tries to carry one is refused and pays nobody."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.faults.test_hostile_requests import normal_order_is_acknowledged
from tests.support.node_proc import KEYS, TRADERS, UpProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile-fees")).start()
    yield up
    up.stop()


@pytest.mark.parametrize("user", [
    12, -1, 2**80, True, "0x12", "0x" + "1" * 100_000, ["0x" + "11" * 20], {"a": 1}, "",
    "0x" + "zz" * 20,
])
def test_malformed_users_get_422_and_change_nothing(node, user) -> None:
    before = node.info({"type": "feeSchedule"})["l1DataFee"]["pool"]
    reply = node.post_info({"type": "feeSchedule", "user": user})
    assert reply.status_code == 422, reply.text[:200]
    assert reply.text and len(reply.text) < 500
    after = node.info({"type": "feeSchedule"})["l1DataFee"]["pool"]
    assert after["charged"] == before["charged"]  # no fill happened: a read moved nothing
    normal_order_is_acknowledged(node)


def test_an_unknown_user_pays_tier_zero_and_extra_fields_are_ignored(node) -> None:
    answer = node.info({"type": "feeSchedule", "user": "0x" + "ab" * 20, "coin": 2**70,
                        "startTime": -5})
    assert answer["user"]["tierTakerRate"] == "0.00045"
    assert answer["user"]["makerRate"] == "0.00015"
    normal_order_is_acknowledged(node)


def test_another_users_schedule_is_readable_but_changes_nothing(node) -> None:
    other = TRADERS[3].address
    before = node.account(other)
    for _ in range(20):
        assert node.post_info({"type": "feeSchedule", "user": other}).status_code == 200
    assert node.account(other) == before
    node.wait_blocks(3)


@pytest.mark.parametrize("action", [
    {"type": "l1DataCost", "batchNo": 1, "poster": TRADERS[2].address, "gas": 10**9,
     "gasPrice": 30_000, "cost": 3 * 10**10},
    {"type": "L1DataCost", "batch_no": 1, "poster": TRADERS[2].address, "gas": 1,
     "gas_price_nusdc": 1, "cost_musdc": 1, "l1_message_id": 1},
])
def test_a_cost_sent_as_a_user_action_is_refused(node, action) -> None:
    before = node.account(TRADERS[2].address)
    pool = node.info({"type": "feeSchedule"})["l1DataFee"]["pool"]["paid"]
    reply = node.post(node.l1_body(TRADERS[2], action))
    assert reply.status_code in (200, 422), reply.text[:200]
    if reply.status_code == 200:
        assert reply.json()["status"] == "err", reply.text[:200]
    assert node.account(TRADERS[2].address) == before
    paid = node.info({"type": "feeSchedule"})["l1DataFee"]["pool"]["paid"]
    ledger = node.info({"type": "userNonFundingLedgerUpdates", "user": TRADERS[2].address})
    assert not [r for r in ledger if r["delta"]["type"] == "l1DataCost"]
    assert Decimal(paid) >= Decimal(pool)  # only real batch costs moved it
    assert KEYS["poster"].address != TRADERS[2].address
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("table_id", ["1", -1, 2**80, True, 1.5, None, [1], 999])
def test_hostile_margin_table_ids_get_422(node, table_id) -> None:
    body = {"type": "marginTable"} if table_id is None else {"type": "marginTable", "id": table_id}
    reply = node.post_info(body)
    assert reply.status_code == 422, reply.text[:200]
    assert node.post_info({"type": "marginTable", "id": 1}).json()["marginTiers"]
    normal_order_is_acknowledged(node)


def test_predicted_fundings_name_every_listed_market(node) -> None:
    answer = node.info({"type": "predictedFundings"})
    coins = [u["name"] for u in node.info({"type": "meta"})["universe"]]
    assert [coin for coin, _ in answer] == coins
    for _, venues in answer:
        [(venue, figures)] = venues
        assert venue == "HlPerp" and figures["fundingIntervalHours"] == 1
        assert Decimal(figures["fundingRate"]) <= Decimal("0.04")
