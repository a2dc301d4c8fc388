"""Hostile sub-account, vault and builder-fee requests against a real `l2perp up`: each is
refused with a clear text, changes nothing (the sender's account, the sub-accounts, the vaults,
the approvals), and another trader's order is acknowledged right after."""

from __future__ import annotations

import pytest
from eth_account import Account
from hyperliquid.utils.signing import sign_approve_builder_fee

from tests.faults.test_hostile_requests import HUGE, normal_order_is_acknowledged
from tests.support.node_proc import TRADERS, UpProcess

MASTER, OTHER, BUILDER = TRADERS[0], TRADERS[2], TRADERS[3]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    up = UpProcess(tmp_path_factory.mktemp("hostile-accounts")).start()
    yield up
    up.stop()


@pytest.fixture(scope="module")
def subs(node):
    """MASTER's sub-account and OTHER's, each funded with 1,000 USDC."""
    made = {}
    for key in (MASTER, OTHER):
        answer = node.send(key, {"type": "createSubAccount", "name": "main"})
        assert answer["status"] == "ok", answer
        sub = answer["response"]["data"]
        funded = node.send(key, {"type": "subAccountTransfer", "subAccountUser": sub,
                                 "isDeposit": True, "usd": 1_000_000_000})
        assert funded["status"] == "ok", funded
        made[key.address.lower()] = sub
    return made


def timeless(value):
    """`value` without its "time" keys (the server's clock, not state)."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "time"}
    if isinstance(value, (list, tuple)):
        return [timeless(v) for v in value]
    return value


def snapshot(node, *addresses: str) -> dict:
    """What a refusal must leave unchanged."""
    out = {}
    for address in addresses:
        out[address] = (node.account(address),
                        node.info({"type": "subAccounts", "user": address}),
                        node.info({"type": "userVaultEquities", "user": address}))
    out["vaults"] = node.info({"type": "vaultSummaries"})
    return timeless(out)


def approve_body(node, key, builder: object, rate: object) -> dict:
    nonce = node.nonce()
    action = {"type": "approveBuilderFee", "maxFeeRate": rate, "builder": builder,
              "nonce": nonce}
    signature = sign_approve_builder_fee(Account.from_key(key.private_key), action, False)
    return {"action": action, "nonce": nonce, "signature": signature}


@pytest.mark.parametrize("name, error", [
    ("", "Invalid sub-account name: 1 to 16 printable characters."),
    ("x" * 17, "Invalid sub-account name: 1 to 16 printable characters."),
    ("line\nbreak", "Invalid sub-account name: 1 to 16 printable characters."),
    ("   ", "Invalid sub-account name: 1 to 16 printable characters."),
    ("x" * 100_000, "Invalid name"),
    (12, "Invalid name"),
    (None, "Invalid name"),
    ("main", "Sub-account name already used."),
])
def test_bad_sub_account_names_are_refused(node, subs, name, error) -> None:
    master = MASTER.address.lower()
    before = snapshot(node, master)
    answer = node.send(MASTER, {"type": "createSubAccount", "name": name})
    assert answer == {"status": "err", "response": error}
    assert snapshot(node, master) == before
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("usd, deposit, target, error", [
    (-5, True, "own", "Invalid amount."),
    (2**64 - 1, True, "own", "Invalid amount."),
    (1.5, True, "own", "Invalid amount."),
    ("100", True, "own", "Invalid amount."),
    (True, True, "own", "Invalid amount."),
    (0, True, "own", "Invalid amount."),
    (10**15, True, "own", "Insufficient balance for token transfer"),
    (1_000_000_001, False, "own", "Insufficient balance for token transfer"),
    (1_000_000, True, "other", "Not a sub-account of this user."),
    (1_000_000, False, "other", "Not a sub-account of this user."),
    (1_000_000, True, "self", "Not a sub-account of this user."),
    (1_000_000, True, "0x12", "Invalid address: '0x12'"),
    (1_000_000, "yes", "own", "Invalid isDeposit: 'yes'"),
])
def test_bad_sub_account_transfers_are_refused(node, subs, usd, deposit, target,
                                               error) -> None:
    master, other = MASTER.address.lower(), OTHER.address.lower()
    address = {"own": subs[master], "other": subs[other], "self": master}.get(target, target)
    before = snapshot(node, master, other, subs[master], subs[other])
    answer = node.send(MASTER, {"type": "subAccountTransfer", "subAccountUser": address,
                                "isDeposit": deposit, "usd": usd})
    assert answer["status"] == "err", answer
    assert answer["response"].startswith(error.split(":")[0]), answer
    assert snapshot(node, master, other, subs[master], subs[other]) == before
    normal_order_is_acknowledged(node)


def test_vault_address_is_only_its_masters(node, subs) -> None:
    """Another user's sub-account, an unknown or malformed address, an action that moves money
    or makes accounts: refused; a replayed sub-account order too; the master's own nonce and
    the sub-account's are separate sets."""
    master, other = MASTER.address.lower(), OTHER.address.lower()
    order = {"type": "order", "orders": [{"a": 0, "b": True, "p": "90000", "s": "0.001",
                                          "r": False, "t": {"limit": {"tif": "Gtc"}}}],
             "grouping": "na"}
    before = snapshot(node, master, subs[master], subs[other])
    for vault, error in [(subs[other], f"Vault not registered: {subs[other]}"),
                         ("0x" + "ab" * 20, "Vault not registered: 0x" + "ab" * 20),
                         (master, f"Vault not registered: {master}")]:
        answer = node.post(node.l1_body(MASTER, order, vault=vault)).json()
        assert answer == {"status": "err", "response": error}
    malformed = node.post(node.l1_body(MASTER, order, vault="0x12")).json()
    assert malformed == {"status": "err", "response": "Invalid vaultAddress"}
    for action in ({"type": "createSubAccount", "name": "nested"},
                   {"type": "subAccountTransfer", "subAccountUser": subs[master],
                    "isDeposit": False, "usd": 1_000_000},
                   {"type": "vaultTransfer", "vaultAddress": "0x" + "ff" * 18 + "0000",
                    "isDeposit": True, "usd": 1_000_000},
                   {"type": "createVault", "name": "v", "description": "", "initialUsd": 10**9}):
        answer = node.post(node.l1_body(MASTER, action, vault=subs[master])).json()
        assert answer == {"status": "err", "response": "Vault may not perform this action"}
    assert snapshot(node, master, subs[master], subs[other]) == before

    nonce = node.nonce()
    body = node.l1_body(MASTER, order, nonce, vault=subs[master])
    placed = node.post(body).json()
    assert placed["status"] == "ok", placed
    oid = placed["response"]["data"]["statuses"][0]["resting"]["oid"]
    replay = node.post(body).json()
    assert replay["status"] == "err" and "nonce" in replay["response"], replay
    own = node.post(node.l1_body(MASTER, {"type": "noop"}, nonce)).json()
    assert own["status"] == "ok", own  # the master's own nonces are another set
    assert [o["oid"] for o in node.info({"type": "openOrders", "user": subs[master]})] == [oid]
    cancelled = node.post(node.l1_body(MASTER, {"type": "cancel", "cancels": [
        {"a": 0, "o": oid}]}, vault=subs[master])).json()
    assert cancelled["status"] == "ok"
    normal_order_is_acknowledged(node)


def test_too_many_sub_accounts_is_refused(node, subs) -> None:
    master = OTHER.address.lower()
    for n in range(9):
        assert node.send(OTHER, {"type": "createSubAccount", "name": f"s{n}"})["status"] == "ok"
    before = snapshot(node, master)
    answer = node.send(OTHER, {"type": "createSubAccount", "name": "eleventh"})
    assert answer == {"status": "err", "response": "Too many sub-accounts. Current limit is 10."}
    assert snapshot(node, master) == before
    assert len(node.info({"type": "subAccounts", "user": master})) == 10
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("builder, rate, error", [
    ("builder", "abc", "Invalid maxFeeRate: 'abc'"),
    ("builder", "-0.01%", "Invalid maxFeeRate: '-0.01%'"),
    ("builder", "0.0001%", "Invalid maxFeeRate: '0.0001%'"),
    ("builder", "1" + "0" * 40 + "%", "Invalid maxFeeRate"),
    ("builder", 5, "expected a string"),  # the signed struct's field is a string
    ("builder", "0.101%", "Invalid builder fee: at most 0.1% on perps, in steps of 0.001%."),
    ("self", "0.01%", "A user cannot approve itself as a builder."),
])
def test_bad_builder_approvals_are_refused(node, builder, rate, error) -> None:
    master = MASTER.address.lower()
    address = {"builder": BUILDER.address.lower(), "self": master}.get(builder, builder)
    before = snapshot(node, master)
    approvals = node.info({"type": "maxBuilderFee", "user": master,
                           "builder": BUILDER.address.lower()})
    answer = node.post(approve_body(node, MASTER, address, rate)).json()
    assert answer["status"] == "err" and answer["response"].startswith(error), answer
    assert snapshot(node, master) == before
    assert node.info({"type": "maxBuilderFee", "user": master,
                      "builder": BUILDER.address.lower()}) == approvals
    normal_order_is_acknowledged(node)


def test_builder_approvals_are_capped_and_replays_refused(node) -> None:
    key = TRADERS[4]
    me = key.address.lower()
    builders = ["0x" + f"{i:040x}" for i in range(1, 12)]
    for builder in builders[:10]:
        assert node.post(approve_body(node, key, builder, "0.001%")).json()["status"] == "ok"
    eleventh = node.post(approve_body(node, key, builders[10], "0.001%")).json()
    assert eleventh == {"status": "err", "response":
                        "Too many builder fee approvals. Current limit is 10."}
    assert node.info({"type": "maxBuilderFee", "user": me, "builder": builders[10]}) == 0
    body = approve_body(node, key, builders[0], "0.05%")
    assert node.post(body).json()["status"] == "ok"
    replay = node.post(body).json()
    assert replay["status"] == "err" and "nonce" in replay["response"], replay
    assert node.info({"type": "maxBuilderFee", "user": me, "builder": builders[0]}) == 50
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("builder, error", [
    ({"b": "0x" + "77" * 20, "f": 1}, "Builder fee has not been approved."),
    ({"b": "0x" + "77" * 20, "f": -1}, "Invalid builder fee"),
    ({"b": "0x" + "77" * 20, "f": 2**64 - 1}, "Invalid builder fee"),
    ({"b": "0x" + "77" * 20, "f": "1"}, "Invalid builder fee"),
    ({"b": "0x" + "77" * 20, "f": 101}, "Invalid builder fee: at most 0.1%"),
    ({"b": "nobody", "f": 1}, "Invalid address: 'nobody'"),
    ({"f": 1}, "Invalid order action"),
])
def test_orders_with_bad_builders_are_refused(node, builder, error) -> None:
    master = MASTER.address.lower()
    before = snapshot(node, master)
    answer = node.send(MASTER, {"type": "order", "orders": [
        {"a": 0, "b": True, "p": "90000", "s": "0.001", "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na", "builder": builder})
    assert answer["status"] == "err" and answer["response"].startswith(error), answer
    assert snapshot(node, master) == before
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("action, error", [
    ({"type": "createVault", "name": "v", "description": "", "initialUsd": 99_999_999},
     "A vault's initial deposit must be at least $100."),
    ({"type": "createVault", "name": "v", "description": "", "initialUsd": 2**64 - 1},
     "Invalid amount."),
    ({"type": "createVault", "name": "v", "description": "", "initialUsd": -(10**9)},
     "Invalid amount."),
    ({"type": "createVault", "name": "", "description": "", "initialUsd": 10**9},
     "Invalid vault name or description."),
    ({"type": "createVault", "name": "v" * 51, "description": "", "initialUsd": 10**9},
     "Invalid vault name or description."),
    ({"type": "createVault", "name": "v", "description": "d" * 251, "initialUsd": 10**9},
     "Invalid vault name or description."),
    ({"type": "createVault", "name": "v", "description": "d" * 100_000, "initialUsd": 10**9},
     "Invalid description"),
    ({"type": "createVault", "name": "v", "description": "", "initialUsd": 10**13},
     "Insufficient balance for token transfer"),
    ({"type": "vaultTransfer", "vaultAddress": "0x" + "ab" * 20, "isDeposit": True,
      "usd": 10**6}, "Vault not registered: 0x" + "ab" * 20),
    ({"type": "vaultTransfer", "vaultAddress": "0x12", "isDeposit": True, "usd": 10**6},
     "Invalid address: '0x12'"),
    ({"type": "vaultTransfer", "vaultAddress": "0x" + "ff" * 18 + "0000", "isDeposit": False,
      "usd": 10**6}, "Insufficient vault equity for withdrawal."),
    ({"type": "vaultTransfer", "vaultAddress": "0x" + "ff" * 18 + "0000", "isDeposit": True,
      "usd": -1}, "Invalid amount."),
    ({"type": "vaultTransfer", "vaultAddress": "0x" + "ff" * 18 + "0000", "isDeposit": True,
      "usd": 10**15}, "Insufficient balance for token transfer"),
    ({"type": "vaultTransfer", "vaultAddress": "0x" + "ff" * 18 + "0000", "isDeposit": 1,
      "usd": 10**6}, "Invalid isDeposit: 1"),
])
def test_bad_vault_actions_are_refused(node, action, error) -> None:
    master = MASTER.address.lower()
    before = snapshot(node, master)
    answer = node.send(MASTER, action)
    assert answer["status"] == "err" and answer["response"].startswith(error), answer
    assert snapshot(node, master) == before
    normal_order_is_acknowledged(node)


@pytest.mark.parametrize("body", [
    {"type": "maxBuilderFee", "user": "0x" + "11" * 20},
    {"type": "maxBuilderFee", "user": "0x" + "11" * 20, "builder": "0x12"},
    {"type": "maxBuilderFee", "user": "0x" + "11" * 20, "builder": "0x" + "zz" * 20},
    {"type": "vaultDetails"},
    {"type": "vaultDetails", "vaultAddress": 12},
    {"type": "vaultDetails", "vaultAddress": "0x" + "11" * 20, "user": "nobody"},
    {"type": "subAccounts", "user": ["0x" + "11" * 20]},
    {"type": "userVaultEquities", "user": "0x" + "1" * 100_000},
])
def test_malformed_account_queries_get_422(node, body) -> None:
    reply = node.post_info(body)
    assert reply.status_code == 422, (reply.status_code, reply.text[:200])
    assert reply.json()["msg"].startswith("Failed to deserialize the JSON body")
    normal_order_is_acknowledged(node)


def test_queries_about_nobody_answer_empty(node) -> None:
    nobody = "0x" + "12" * 20
    assert node.info({"type": "subAccounts", "user": nobody}) is None
    assert node.info({"type": "userVaultEquities", "user": nobody}) == []
    assert node.info({"type": "maxBuilderFee", "user": nobody, "builder": nobody}) == 0
    assert node.info({"type": "vaultDetails", "vaultAddress": nobody}) is None
    assert node.info({"type": "userRole", "user": nobody}) == {"role": "missing"}
