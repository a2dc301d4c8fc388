"""l2perp extensions of /info for the browser, on real devnet nodes: each position's adlRank in
clearinghouseState, the venue's solvency next to the bridge, the devnet keys, and the rollup
reads (batches, l1Status) over HTTP."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange

from l2perp.api.info_types import info_answer
from l2perp.node.devnet import dev_keys, devnet_genesis
from l2perp.node.service import Node, wall_ms
from l2perp.rollup.params import TEST
from l2perp.units import ONE_USDC, usdc_to_musdc
from tests.support.nodes import StillNode, info, settle
from tests.support.server import DevnetServer

SEED_USDC = 1_000_000  # the devnet's shared insurance fund
FUNDED_USDC = 17 * 1_000_000 + SEED_USDC  # 17 dev accounts credited $1M through the bridge


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-account")) as server:
        yield server


def position(devnet, key, coin: str) -> dict:
    state = info(devnet, "clearinghouseState", user=key.address)
    return next(p["position"] for p in state["assetPositions"] if p["position"]["coin"] == coin)


def test_adl_rank_orders_each_side_by_leverage_times_profit(devnet) -> None:
    short, big, small = devnet.keys[5], devnet.keys[6], devnet.keys[7]
    Exchange(Account.from_key(short.private_key), devnet.url, timeout=10).order(
        "SOL", False, 25, 150, {"limit": {"tif": "Gtc"}})
    for key, size in ((big, 20), (small, 5)):
        reply = Exchange(Account.from_key(key.private_key), devnet.url, timeout=10).order(
            "SOL", True, size, 150, {"limit": {"tif": "Ioc"}})
        assert reply["response"]["data"]["statuses"][0]["filled"]["totalSz"] == str(size)
    # same entry and account value: the larger long is deleveraged first
    assert position(devnet, big, "SOL")["adlRank"] == 1
    assert position(devnet, small, "SOL")["adlRank"] == 2
    shorts = position(devnet, short, "SOL")
    assert shorts["szi"] == "-25" and shorts["adlRank"] == 1  # alone on its side


def test_solvency_balances_the_bridge_with_the_l2_total(devnet) -> None:
    maker, taker = devnet.keys[8], devnet.keys[9]
    before = info(devnet, "solvency")
    Exchange(Account.from_key(maker.private_key), devnet.url, timeout=10).order(
        "OP", False, 100, 1.6, {"limit": {"tif": "Gtc"}})
    Exchange(Account.from_key(taker.private_key), devnet.url, timeout=10).order(
        "OP", True, 100, 1.6, {"limit": {"tif": "Ioc"}})
    settle(devnet)
    after = info(devnet, "solvency")
    fees = [f["fee"] for key in (maker, taker)
            for f in info(devnet, "userFills", user=key.address) if f["coin"] == "OP"]
    assert len(fees) == 2
    # the pool gained exactly the fees of that one fill (taker 0.045%, maker 0.015% of $160)
    assert usdc_to_musdc(after["feePool"]) - usdc_to_musdc(before["feePool"]) == sum(
        usdc_to_musdc(f) for f in fees) == 96_000
    # trades move cash, never create it: Σ cash == credits - withdrawals
    assert after["l2Total"] == str(FUNDED_USDC) and after["credits"] == str(FUNDED_USDC)
    assert after["withdrawn"] == "0"
    assert after["funds"][0] == {"partition": 0,
                                 "address": "0xffffffffffffffffffffffffffffffffffff0000",
                                 "cash": str(SEED_USDC), "positions": []}
    assert after["negativeAccounts"] == [] and after["badDebt"] == "0"
    # R1: B == queued deposits + owed withdrawals + bonds + the L2 total at finality
    r1 = after["reconciliation"]["r1"]
    assert after["bridgeMinusL2"] == "0" and after["bridgeBalance"] == r1["bridge"]
    assert usdc_to_musdc(r1["bridge"]) == sum(usdc_to_musdc(r1[k]) for k in (
        "queuedDeposits", "owedWithdrawals", "bondsHeld", "finalizedL2Total"))
    assert usdc_to_musdc(r1["bondsHeld"]) % TEST.proposer_bond_musdc == 0
    assert after["reconciliation"]["halted"] is False
    assert after["reconciliation"]["mismatches"] == []


def test_solvency_lists_accounts_under_water_as_bad_debt(tmp_path) -> None:
    still = StillNode(tmp_path)
    try:
        state = still.node.state
        poor, rich = still.keys[3].address, still.keys[4].address
        # cash moves between two accounts (the total is kept): one is left $500,000 short
        state.accounts[poor].cash_musdc -= 1_500_000 * ONE_USDC
        state.accounts[rich].cash_musdc += 1_500_000 * ONE_USDC
        answer = still.info("solvency")
        assert answer["negativeAccounts"] == [{"user": poor, "accountValue": "-500000"}]
        assert answer["badDebt"] == "500000"
        assert answer["l2Total"] == str(FUNDED_USDC) and answer["bridgeMinusL2"] == "0"
        assert answer["height"] == state.height and answer["time"] == state.time_ms
    finally:
        still.close()


def test_solvency_without_a_rollup_has_no_bridge(tmp_path) -> None:
    node = Node(tmp_path, devnet_genesis(wall_ms()))
    try:
        answer = info_answer(node, {"type": "solvency"})
        assert answer["bridgeBalance"] is None and answer["bridgeMinusL2"] is None
        assert answer["reconciliation"] is None
        assert answer["l2Total"] == str(SEED_USDC) and answer["funds"][0]["cash"] == "1000000"
    finally:
        node.sequencer.log.close()


def test_devnet_keys_are_the_cli_keys(devnet) -> None:
    rows = info(devnet, "devnetKeys")
    assert rows == [{"address": k.address, "privateKey": k.private_key, "role": k.role}
                    for k in dev_keys()]
    assert [r["role"] for r in rows].count("admin") == 1 and len(rows) == 18
    for row in rows:
        assert Account.from_key(row["privateKey"]).address.lower() == row["address"]


def test_devnet_keys_are_refused_off_the_devnet(tmp_path) -> None:
    genesis = devnet_genesis(wall_ms())
    node = Node(tmp_path, replace(genesis, config=replace(genesis.config, devnet=False)))
    try:
        with pytest.raises(ValueError, match="not a devnet"):
            info_answer(node, {"type": "devnetKeys"})
    finally:
        node.sequencer.log.close()


def test_batches_and_l1_status_answer_over_http(devnet) -> None:
    deadline = devnet.node.state.height + 200
    while len(devnet.node.rollup.l1.batches) < 2 and devnet.node.state.height < deadline:
        settle(devnet, 1)
    answer = info(devnet, "batches")
    numbers = [row["batchNo"] for row in answer["batches"]]
    assert numbers == list(range(answer["total"], 0, -1))[:50] and len(numbers) >= 2
    newer, older = answer["batches"][0], answer["batches"][1]
    assert newer["firstHeight"] == older["lastHeight"] + 1
    assert newer["l1MsgStart"] == older["l1MsgEnd"]
    assert newer["challengeDeadline"] - newer["postedAt"] == TEST.challenge_window_ms
    assert info(devnet, "batches", **{"from": 1})["batches"][0]["batchNo"] == 1
    status = info(devnet, "l1Status")
    assert status["forced"] == [] and status["openForced"] == []
