"""Bad input: thousands of generated requests to /info and /exchange never get a 5xx, never
stop the server, and a request rejected as a whole changes no account."""

from __future__ import annotations

import pytest
import requests
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hyperliquid.utils.signing import sign_l1_action

from tests.support.server import DevnetServer, stable_hash

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    st.sampled_from(["ETH", "BTC", "0x" + "ab" * 20, "1.5", "-0", "Gtc"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
INFO_TYPES = ["meta", "allMids", "l2Book", "clearinghouseState", "openOrders",
              "frontendOpenOrders", "orderStatus", "userFills", "userFillsByTime",
              "fundingHistory", "userFunding", "candleSnapshot", "metaAndAssetCtxs", "nope"]
ACTION_TYPES = ["order", "cancel", "cancelByCloid", "batchModify", "updateLeverage",
                "updateIsolatedMargin", "scheduleCancel", "usdSend", "withdraw3", "approveAgent",
                "devFaucet", "devSetOracle", "nope"]
FIELDS = ["orders", "cancels", "modifies", "asset", "isCross", "leverage", "ntli", "time",
          "destination", "amount", "agentAddress", "user", "coin", "px", "usd", "grouping",
          "oid", "startTime", "endTime", "req", "interval"]



@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-fuzz"), block_ms=5) as server:
        yield server


def bodies(types: list[str]):
    return st.builds(lambda kind, extra: {"type": kind, **extra}, st.sampled_from(types),
                     st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))


FUZZ = settings(max_examples=1_000, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@FUZZ
@given(body=st.one_of(bodies(INFO_TYPES), json_values))
def test_info_never_fails_with_a_server_error(devnet, body) -> None:
    reply = requests.post(devnet.url + "/info", json=body, timeout=10)
    assert reply.status_code < 500
    if reply.status_code >= 400 and reply.headers.get("content-type", "").startswith(
            "application/json"):
        assert {"code", "msg"} <= set(reply.json())


STRANGER = Account.from_key("0x" + "42" * 32)  # not a user: every action it signs is refused


@FUZZ
@given(action=bodies(ACTION_TYPES), sign=st.booleans(), nonce=st.integers(0, 2**64 - 1),
       raw=st.one_of(st.none(), json_values), user=st.booleans(), fresh=st.booleans())
def test_exchange_rejections_change_nothing(devnet, action, sign, nonce, raw, user,
                                            fresh) -> None:
    wallet = Account.from_key(devnet.keys[1].private_key) if user else STRANGER
    if fresh:
        nonce = devnet.node.state.time_ms + nonce % 1_000_000  # inside the nonce window
    if raw is not None and not sign:
        body = raw
    else:
        try:
            signature = sign_l1_action(wallet, action, None, nonce, None, False)
        except Exception:  # noqa: BLE001 - the SDK cannot even pack it: send it unsigned
            signature = {"r": "0x1", "s": "0x1", "v": 27}
        body = {"action": action, "nonce": nonce, "signature": signature,
                "vaultAddress": None, "expiresAfter": None}
    before = stable_hash(devnet.node.state)
    reply = requests.post(devnet.url + "/exchange", json=body, timeout=10)
    assert reply.status_code < 500
    if reply.status_code == 200 and reply.json()["status"] == "err":
        assert stable_hash(devnet.node.state) == before  # rejected as a whole: no change
