"""Hostile requests of every action and info type, signed by a funded user so that they get past
authentication: numbers up to 10^40 (as JSON numbers and as decimal strings), wrong types, deep
nesting. After each one: no 5xx without a JSON body, the venue still produces blocks, and a
request refused as a whole leaves the sender's account exactly as it was."""

from __future__ import annotations

import time

import pytest
import requests
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hyperliquid.utils.signing import sign_l1_action, sign_user_signed_action

from l2perp.api.info_types import INFO_TYPES
from l2perp.engine.encoding import encode_account
from l2perp.wire.governance import GOV_ACTIONS
from tests.support.server import DevnetServer

BIG = 10**40
numbers = st.one_of(st.integers(-BIG, BIG), st.integers(-2**64, 2**64),
                    st.sampled_from([0, 1, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, BIG, -BIG]),
                    st.floats(allow_nan=False, allow_infinity=False))
decimal_strings = st.one_of(
    st.integers(-BIG, BIG).map(str),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, BIG), st.integers(0, BIG)),
    st.sampled_from(["1e40", "NaN", "-0", ".5", "1..2", "", " 1", "0x10", "9" * 64]))
scalars = st.one_of(st.none(), st.booleans(), numbers, decimal_strings, st.text(max_size=12),
                    st.sampled_from(["BTC", "ETH", "0x" + "ab" * 20, "0x" + "00" * 16, "Gtc",
                                     "na", "tp", "Testnet"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=10)


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


deep = st.integers(10, 400).map(nested)
WIRE_ACTIONS = ["order", "cancel", "cancelByCloid", "batchModify", "modify", "scheduleCancel",
                "updateLeverage", "updateIsolatedMargin", "usdSend", "withdraw3",
                "approveAgent", "approveBuilderFee", "setReferrer", "devFaucet",
                "devAdvanceTime", "devSetOracle", "oracleReport", "twapOrder", "twapCancel"]
ACTIONS = WIRE_ACTIONS + sorted(GOV_ACTIONS)
FIELDS = sorted({"orders", "cancels", "modifies", "asset", "isCross", "leverage", "ntli",
                 "time", "destination", "amount", "agentAddress", "agentName", "nonce", "user",
                 "coin", "px", "usd", "ms", "grouping", "oid", "order", "round", "extMid",
                 "builder", "isBuy", "twap", "a", "t", *(f for _, fs in GOV_ACTIONS.values() for f in fs)})
INFO_TYPES = sorted({"meta", "spotMeta", "allMids", "l2Book", "clearinghouseState",
                     "spotClearinghouseState", "openOrders", "frontendOpenOrders",
                     "metaAndAssetCtxs", "spotMetaAndAssetCtxs", "exchangeStatus", "perpDexs",
                     "userAbstraction", "userFills", "userFillsByTime", "fundingHistory",
                     "userFunding", "candleSnapshot", "l2perpStatus", "orderStatus",
                     *INFO_TYPES})
INFO_FIELDS = ["user", "coin", "oid", "startTime", "endTime", "req", "interval", "batchNo",
               "height", "proposal", "address", "from", "limit", "dex", "aggregateByTime"]
orders = st.fixed_dictionaries({"a": st.one_of(st.just(0), numbers), "b": st.booleans(),
                                "p": st.one_of(decimal_strings, values),
                                "s": st.one_of(decimal_strings, values), "r": st.booleans(),
                                "t": st.one_of(st.just({"limit": {"tif": "Gtc"}}), values)})


def action_bodies():
    fields = st.dictionaries(st.sampled_from(FIELDS), st.one_of(values, deep), max_size=5)
    order_like = st.builds(lambda o, extra: {"orders": [o], "grouping": "na", **extra}, orders,
                           st.dictionaries(st.sampled_from(FIELDS), values, max_size=2))
    return st.builds(lambda kind, extra: {"type": kind, **extra}, st.sampled_from(ACTIONS),
                     st.one_of(fields, order_like))


def info_bodies():
    return st.one_of(
        st.builds(lambda kind, extra: {"type": kind, **extra}, st.sampled_from(INFO_TYPES),
                  st.dictionaries(st.sampled_from(INFO_FIELDS), st.one_of(values, deep),
                                  max_size=4)),
        st.builds(lambda kind, extra: {"type": kind, **extra},
                  st.one_of(values, st.sampled_from(INFO_TYPES)),
                  st.dictionaries(st.text(max_size=6), values, max_size=2)),
        values, deep)


FUZZ = settings(max_examples=400, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("fuzz-api"), block_ms=5) as server:
        yield server


def leaf(state, address: str) -> bytes:
    """The account's canonical leaf, read while the node's loop runs (retried when a block
    changed a dict under it)."""
    for _ in range(50):
        try:
            account = state.accounts.get(address)
            return b"" if account is None else encode_account(account)
        except RuntimeError:
            time.sleep(0.001)
    raise AssertionError("state kept changing")


def answered_in_json(reply: requests.Response) -> None:
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.text
    body = reply.json()
    if reply.status_code >= 500:
        assert reply.status_code == 500 and body.get("errorId"), body
    elif reply.status_code >= 400:
        assert {"code", "msg"} <= set(body), body


def still_producing(devnet) -> None:
    height = devnet.node.state.height
    deadline = time.time() + 5
    while devnet.node.state.height <= height:
        assert devnet.node.halted is None, devnet.node.halted
        assert time.time() < deadline, "the venue stopped producing blocks"
        time.sleep(0.002)


class Nonces:
    last = 0

    def next(self) -> int:
        self.last = max(int(time.time() * 1000), self.last + 1)
        return self.last


NONCES = Nonces()


@FUZZ
@given(body=info_bodies())
def test_any_info_body_answers_json_and_the_venue_goes_on(devnet, body) -> None:
    answered_in_json(requests.post(devnet.url + "/info", json=body, timeout=10))
    still_producing(devnet)


@FUZZ
@given(action=action_bodies(), trader=st.integers(1, 3))
def test_signed_hostile_actions_are_refused_without_a_trace(devnet, action, trader) -> None:
    key = devnet.keys[trader]
    wallet = Account.from_key(key.private_key)
    nonce = NONCES.next()
    try:
        signature = sign_l1_action(wallet, action, None, nonce, None, False)
    except Exception:  # noqa: BLE001 - the SDK cannot pack it: a body with a bad signature
        signature = {"r": "0x" + "1" * 64, "s": "0x" + "1" * 64, "v": 27}
    before = leaf(devnet.node.state, key.address)
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "signature": signature, "vaultAddress": None,
        "expiresAfter": None}, timeout=10)
    answered_in_json(reply)
    if reply.status_code != 200 or reply.json().get("status") == "err":
        assert leaf(devnet.node.state, key.address) == before, reply.json()
    still_producing(devnet)


@FUZZ
@given(kind=st.sampled_from(["usdSend", "withdraw3"]), amount=st.one_of(decimal_strings, values),
       destination=st.one_of(st.just("0x" + "cd" * 20), values))
def test_user_signed_transfers_with_hostile_amounts(devnet, kind, amount, destination) -> None:
    key = devnet.keys[4]
    wallet = Account.from_key(key.private_key)
    nonce = NONCES.next()
    action = {"type": kind, "signatureChainId": "0x66eee", "hyperliquidChain": "Testnet",
              "destination": destination, "amount": amount, "time": nonce}
    types = [{"name": "hyperliquidChain", "type": "string"},
             {"name": "destination", "type": "string"}, {"name": "amount", "type": "string"},
             {"name": "time", "type": "uint64"}]
    primary = ("HyperliquidTransaction:UsdSend" if kind == "usdSend"
               else "HyperliquidTransaction:Withdraw")
    try:
        signature = sign_user_signed_action(wallet, action, types, primary, False)
    except Exception:  # noqa: BLE001 - eth_account cannot encode it: send a bad signature
        signature = {"r": "0x" + "1" * 64, "s": "0x" + "1" * 64, "v": 27}
    before = leaf(devnet.node.state, key.address)
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "signature": signature}, timeout=10)
    answered_in_json(reply)
    body = reply.json()
    if reply.status_code != 200 or body.get("status") == "err":
        assert leaf(devnet.node.state, key.address) == before, body
    still_producing(devnet)
