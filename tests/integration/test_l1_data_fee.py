"""The L1 data fee on a real `l2perp up` (devnet profile: L1 gas priced at $3,000 per ETH):
`feeSchedule` publishes this hour's and the next hour's rate, a taker filled through the SDK
pays its tier plus the hour's rate (rounded up), the batch poster is paid out of the fee pool
on its ledger, and rollupStatus shows the account the reconciler keeps, L1 and L2 agreeing."""

from __future__ import annotations

import math
import time
from decimal import Decimal

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange

from tests.support.node_proc import KEYS, TRADERS, UpProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("l1-fee")).start()
    yield up
    up.stop()


def test_the_schedule_publishes_this_hour_and_the_next(node) -> None:
    schedule = node.info({"type": "feeSchedule"})
    fee = schedule["l1DataFee"]
    assert fee["next"]["from"] == fee["current"]["until"] == fee["current"]["from"] + 3_600_000
    now = node.info({"type": "l2perpStatus"})["time"]
    assert fee["current"]["from"] <= now < fee["current"]["until"]
    current, upcoming = Decimal(fee["current"]["rate"]), Decimal(fee["next"]["rate"])
    assert current > 0 and abs(upcoming - current) <= Decimal(fee["maxHourlyChange"])
    assert [t["taker"] for t in schedule["tiers"]][0] == "0.00045"
    assert "user" not in schedule


def test_a_taker_pays_its_tier_plus_the_hours_rate(node) -> None:
    maker_key, taker_key = TRADERS[0], TRADERS[1]
    maker = Exchange(Account.from_key(maker_key.private_key), node.url, timeout=10)
    taker = Exchange(Account.from_key(taker_key.private_key), node.url, timeout=10)
    mid = float(node.info({"type": "allMids"})["ETH"])
    px = round(mid, 1)
    assert maker.order("ETH", False, 1.0, px, {"limit": {"tif": "Gtc"}})["status"] == "ok"
    rates = node.info({"type": "feeSchedule", "user": taker_key.address})["user"]
    reply = taker.order("ETH", True, 1.0, px * 1.01, {"limit": {"tif": "Ioc"}})
    assert "filled" in str(reply), reply
    fills = node.info({"type": "userFills", "user": taker_key.address})
    fill = fills[0]
    notional = Decimal(fill["px"]) * Decimal(fill["sz"])
    rate = Decimal(rates["takerRate"])
    assert rate == Decimal(rates["tierTakerRate"]) + Decimal(
        node.info({"type": "feeSchedule"})["l1DataFee"]["current"]["rate"])
    expected = Decimal(math.ceil(notional * rate * 10**6)) / 10**6  # rounded up to a micro-USDC
    assert Decimal(fill["fee"]) == expected


def test_the_poster_is_paid_and_l1_and_l2_agree(node) -> None:
    poster = KEYS["poster"].address
    deadline = time.time() + 30
    while time.time() < deadline:
        # the ledger before the status: payments only grow, so the rows read first are at
        # most what the status reads next
        ledger = node.info({"type": "userNonFundingLedgerUpdates", "user": poster})
        paid = [row for row in ledger if row["delta"]["type"] == "l1DataCost"]
        status = node.info({"type": "rollupStatus"})
        terms = status["l1DataFee"]
        if terms["paid"] > 0 and paid:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no L1 cost was paid: {terms}")
    assert status["incidents"] == [] and status["halted"] is None
    assert terms["l2Costs"] <= terms["l1Recorded"]  # the newest costs wait in the queue
    assert terms["owed"] == terms["l2Costs"] - terms["paid"] >= 0
    assert terms["absorbed"] == terms["charged"] - terms["l2Costs"]
    assert sum(Decimal(row["delta"]["usdc"]) for row in paid) * 10**6 <= terms["paid"]
    pool = node.info({"type": "feeSchedule"})["l1DataFee"]["pool"]
    assert Decimal(pool["charged"]) * 10**6 >= terms["charged"] > 0
