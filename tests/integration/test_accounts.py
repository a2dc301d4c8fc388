"""Sub-accounts, builder fees and vaults through the unmodified SDK and ccxt against a real
server, each checked through /info (not only the replies)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.engine.positions import builder_fee_for as builder_fee
from tests.support.server import DevnetServer, ccxt_client
from tests.support.server import info as info_post

CCXT_BUILDER = "0x6530512a6c89c7cfcebc3ba7fcd9ada5f30827a6"


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-accounts")) as server:
        yield server


def cash(devnet, user: str) -> Decimal:
    state = info_post(devnet, {"type": "clearinghouseState", "user": user})
    return Decimal(state["marginSummary"]["accountValue"])


def ledger_types(devnet, user: str) -> list[str]:
    rows = info_post(devnet, {"type": "userNonFundingLedgerUpdates", "user": user,
                              "startTime": 0})
    return [r["delta"]["type"] for r in rows]


def test_sub_account_create_fund_trade_and_read(devnet) -> None:
    wallet = Account.from_key(devnet.keys[1].private_key)
    master = wallet.address.lower()
    ex = Exchange(wallet, devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)
    assert info.query_sub_accounts(master) is None

    created = ex.create_sub_account("alpha")
    assert created["status"] == "ok" and created["response"]["type"] == "createSubAccount"
    sub = created["response"]["data"]
    assert sub.startswith("0x") and len(sub) == 42
    taken = ex.create_sub_account("alpha")
    assert taken == {"status": "err", "response": "Sub-account name already used."}

    before = cash(devnet, master)
    assert ex.sub_account_transfer(sub, True, 2_500_000_000)["status"] == "ok"
    assert cash(devnet, master) == before - 2500
    listed = info.query_sub_accounts(master)
    assert [(s["name"], s["subAccountUser"], s["master"]) for s in listed] == \
        [("alpha", sub, master)]
    assert listed[0]["clearinghouseState"]["marginSummary"]["accountValue"] == "2500"
    assert info.user_role(sub) == {"role": "subAccount", "data": {"master": master}}

    # the master trades the sub-account: the order and position are the sub-account's
    trader = Exchange(wallet, devnet.url, vault_address=sub, timeout=10)
    maker = Exchange(Account.from_key(devnet.keys[2].private_key), devnet.url, timeout=10)
    maker.order("ETH", False, 1, 3502, {"limit": {"tif": "Gtc"}})
    resting = trader.order("ETH", True, 0.3, 3400, {"limit": {"tif": "Gtc"}})
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert [o["oid"] for o in info.open_orders(sub)] == [oid]
    assert info.open_orders(master) == []
    filled = trader.market_open("ETH", True, 0.2, px=3600)
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.2"
    positions = info.user_state(sub)["assetPositions"]
    assert positions[0]["position"]["szi"] == "0.2"
    assert info.user_state(master)["assetPositions"] == []
    assert trader.cancel("ETH", oid)["status"] == "ok"

    # money goes back to the master only within the sub-account's withdrawable amount
    too_much = ex.sub_account_transfer(sub, False, 2_500_000_000)
    assert too_much == {"status": "err", "response": "Insufficient balance for token transfer"}
    assert ex.sub_account_transfer(sub, False, 1_000_000_000)["status"] == "ok"
    assert ledger_types(devnet, master).count("subAccountTransfer") == 2
    rows = info_post(devnet, {"type": "userNonFundingLedgerUpdates", "user": sub,
                              "startTime": 0})
    deltas = [r["delta"] for r in rows if r["delta"]["type"] == "subAccountTransfer"]
    assert {(d["user"], d["destination"], d["usdc"]) for d in deltas} == {
        (master, sub, "2500"), (sub, master, "1000")}

    # a stranger cannot act for the sub-account, nor move money out with user-signed actions
    stranger = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url,
                        vault_address=sub, timeout=10)
    refused = stranger.order("ETH", True, 0.1, 3400, {"limit": {"tif": "Gtc"}})
    assert refused == {"status": "err", "response": f"Vault not registered: {sub}"}
    # the SDK signs createSubAccount without the vault but sends it: the signature then names
    # another (unknown) signer, and nothing is created
    nested = trader.create_sub_account("beta")
    assert nested["status"] == "err" and nested["response"].endswith("does not exist.")
    assert len(info.query_sub_accounts(master)) == 1


def test_builder_fee_approval_cap_and_payment(devnet) -> None:
    wallet = Account.from_key(devnet.keys[4].private_key)
    me = wallet.address.lower()
    builder = Account.from_key(devnet.keys[5].private_key).address.lower()
    ex = Exchange(wallet, devnet.url, timeout=10)
    info = Info(devnet.url, skip_ws=True, timeout=10)
    body = {"type": "maxBuilderFee", "user": me, "builder": builder}
    assert info_post(devnet, body) == 0

    unapproved = ex.order("ETH", True, 0.1, 3300, {"limit": {"tif": "Gtc"}},
                          builder={"b": builder, "f": 10})
    assert unapproved == {"status": "err", "response": "Builder fee has not been approved."}
    assert ex.approve_builder_fee(builder, "0.05%")["status"] == "ok"
    assert info_post(devnet, body) == 50
    over = ex.order("ETH", True, 0.1, 3300, {"limit": {"tif": "Gtc"}},
                    builder={"b": builder, "f": 51})
    assert over == {"status": "err", "response": "Builder fee has not been approved."}
    assert ex.approve_builder_fee(builder, "0.2%") == {
        "status": "err",
        "response": "Invalid builder fee: at most 0.1% on perps, in steps of 0.001%."}

    maker = Exchange(Account.from_key(devnet.keys[6].private_key), devnet.url, timeout=10)
    maker.order("ETH", False, 1, 3503, {"limit": {"tif": "Gtc"}})
    builder_before = cash(devnet, builder)
    fills_before = len(info.user_fills(me))
    taken = ex.order("ETH", True, 0.5, 3503, {"limit": {"tif": "Ioc"}},
                     builder={"b": builder, "f": 50})
    filled = taken["response"]["data"]["statuses"][0]["filled"]
    assert filled["totalSz"] == "0.5"
    assert len(info.user_fills(me)) == fills_before + 1
    # 0.5 ETH at the fill price; 50 tenths of a bp = 0.05%, rounded up to the micro-USDC
    notional = int(Decimal(filled["avgPx"]) * Decimal("0.5") * 1_000_000)
    fee = builder_fee(notional, 50)
    assert fee == -(-notional * 50 // 100_000)
    fee_text = str(Decimal(fee) / 1_000_000)
    # accountValue shows 4 decimals: the ledger has the exact amount
    assert abs(cash(devnet, builder) - builder_before - Decimal(fee_text)) < Decimal("0.0001")
    received = info_post(devnet, {"type": "userNonFundingLedgerUpdates", "user": builder,
                                  "startTime": 0})
    assert [r["delta"] for r in received if r["delta"]["type"] == "builderFee"] == [
        {"type": "builderFee", "usdc": fee_text, "user": me, "builder": builder}]
    rows = info_post(devnet, {"type": "userNonFundingLedgerUpdates", "user": me,
                              "startTime": 0})
    paid = [r["delta"] for r in rows if r["delta"]["type"] == "builderFee"]
    assert paid == [{"type": "builderFee", "usdc": "-" + fee_text, "user": me,
                     "builder": builder}]

    # revoking (0%) removes the approval: the next order naming the builder is refused
    assert ex.approve_builder_fee(builder, "0%")["status"] == "ok"
    assert info_post(devnet, body) == 0
    assert ex.order("ETH", True, 0.1, 3300, {"limit": {"tif": "Gtc"}},
                    builder={"b": builder, "f": 1})["status"] == "err"


def test_ccxt_handshake_builder_is_paid_on_its_orders(devnet) -> None:
    key = devnet.keys[7]
    exchange = ccxt_client(devnet, key)
    exchange.load_markets()
    me = key.address.lower()
    assert info_post(devnet, {"type": "maxBuilderFee", "user": me, "builder": CCXT_BUILDER}) == 10
    maker = Exchange(Account.from_key(devnet.keys[8].private_key), devnet.url, timeout=10)
    maker.order("SOL", False, 10, 151, {"limit": {"tif": "Gtc"}})
    exchange.create_order("SOL/USDC:USDC", "limit", "buy", 2, 151)
    # 2 SOL x 151 = 302 USDC at 1 bp (f = 10) = 0.0302 USDC to ccxt's builder address
    assert cash(devnet, CCXT_BUILDER) == Decimal("0.0302")


def test_vault_create_deposit_trade_withdraw(devnet) -> None:
    leader_key, follower_key = devnet.keys[9], devnet.keys[10]
    exchange = ccxt_client(devnet, leader_key)
    exchange.load_markets()
    leader = leader_key.address.lower()
    created = exchange.create_vault("Trend", "A test vault", 1000)
    vault = created["response"]["data"]
    assert created["response"]["type"] == "createVault" and len(vault) == 42
    summaries = info_post(devnet, {"type": "vaultSummaries"})
    mine = [s for s in summaries if s["vaultAddress"] == vault]
    assert mine and mine[0]["leader"] == leader and mine[0]["tvl"] == "1000"

    follower = Exchange(Account.from_key(follower_key.private_key), devnet.url, timeout=10)
    me = follower_key.address.lower()
    assert follower.vault_usd_transfer(vault, True, 500_000_000)["status"] == "ok"
    details = info_post(devnet, {"type": "vaultDetails", "vaultAddress": vault, "user": me})
    assert details["tvl"] == "1500" and details["followerState"]["vaultEquity"] == "500"
    assert details["leaderFraction"] == "0.666666"
    equities = Info(devnet.url, skip_ws=True, timeout=10).user_vault_equities(me)
    assert [(e["vaultAddress"], e["equity"]) for e in equities] == [(vault, "500")]
    # locked for a day from the deposit
    locked = follower.vault_usd_transfer(vault, False, 100_000_000)
    assert locked["status"] == "err" and locked["response"].startswith(
        "Vault deposit is locked until")

    # the leader trades the vault through vaultAddress
    trader = Exchange(Account.from_key(leader_key.private_key), devnet.url,
                      vault_address=vault, timeout=10)
    resting = trader.order("BTC", True, 0.001, 60_000, {"limit": {"tif": "Gtc"}})
    assert "resting" in resting["response"]["data"]["statuses"][0]
    assert len(Info(devnet.url, skip_ws=True, timeout=10).open_orders(vault)) == 1
    # a deposit that would leave the leader under 5% of the shares is refused
    diluting = follower.vault_usd_transfer(vault, True, 18_600_000_000)
    assert diluting == {"status": "err",
                        "response": "Vault leader must keep at least 5% of the vault."}
    assert ledger_types(devnet, me).count("vaultDeposit") == 1
    assert ledger_types(devnet, leader).count("vaultCreate") == 1
    assert ledger_types(devnet, vault).count("vaultDeposit") == 1

    # a day later the lockup is over; a donation of 150 USDC is profit for every holder: the
    # follower's 500 is worth 550, and withdrawing it pays the leader 10% of the 50 profit
    devnet.admin({"type": "devAdvanceTime", "ms": 86_400_000 + 1_000})
    assert follower.usd_transfer(150, vault)["status"] == "ok"
    details = info_post(devnet, {"type": "vaultDetails", "vaultAddress": vault, "user": me})
    assert details["followerState"]["vaultEquity"] == "550"
    assert details["followerState"]["pnl"] == "50"
    leader_before = ledger_types(devnet, leader).count("vaultLeaderCommission")
    assert follower.vault_usd_transfer(vault, False, 550_000_000)["status"] == "ok"
    rows = info_post(devnet, {"type": "userNonFundingLedgerUpdates", "user": me,
                              "startTime": 0})
    deltas = [r["delta"] for r in rows]
    assert {"type": "vaultWithdraw", "vault": vault, "user": me, "requestedUsd": "550",
            "usdc": "550"} in deltas
    assert {"type": "vaultLeaderCommission", "usdc": "-5", "user": me,
            "leader": leader} in deltas
    assert ledger_types(devnet, leader).count("vaultLeaderCommission") == leader_before + 1
    assert Info(devnet.url, skip_ws=True, timeout=10).user_vault_equities(me) == []
    details = info_post(devnet, {"type": "vaultDetails", "vaultAddress": vault})
    assert [f["user"] for f in details["followers"]] == [leader]
    assert details["leaderFraction"] == "1"


def test_insurance_fund_is_a_protocol_vault(devnet) -> None:
    fund = "0x" + "ff" * 18 + "0000"
    summaries = info_post(devnet, {"type": "vaultSummaries"})
    funds = [s for s in summaries if s["vaultAddress"] == fund]
    assert funds and funds[0]["relationship"] == {"type": "protocol"}
    tvl = Decimal(funds[0]["tvl"])
    wallet = Account.from_key(devnet.keys[11].private_key)
    me = wallet.address.lower()
    ex = Exchange(wallet, devnet.url, timeout=10)
    assert ex.vault_usd_transfer(fund, True, 1_000_000_000)["status"] == "ok"
    details = info_post(devnet, {"type": "vaultDetails", "vaultAddress": fund, "user": me})
    assert Decimal(details["tvl"]) == tvl + 1000
    assert details["followerState"]["vaultEquity"] == "1000"
    assert details["lockupMillis"] == 4 * 86_400_000
    holders = {f["user"] for f in details["followers"]}
    assert holders == {fund, me}
