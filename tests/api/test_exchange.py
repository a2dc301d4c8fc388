"""/exchange bodies signed by the unmodified SDK decode to the right signer and transaction."""

from __future__ import annotations

import copy

import pytest
from eth_account import Account
from hyperliquid.utils import signing as sdk

from l2perp.api.exchange import RequestError, decode_request, format_receipt
from l2perp.crypto.eip712 import keccak256
from l2perp.engine import tx as T

WALLET = Account.from_key(keccak256(b"exchange test"))
ME = WALLET.address.lower()
NONCE = 1_700_000_000_000
ORDER = {"type": "order", "orders": [{"a": 0, "b": True, "p": "50000", "s": "0.01", "r": False,
                                      "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}


def body(action: dict, nonce: int = NONCE, vault=None, expires=None, mainnet=False) -> dict:
    sig = sdk.sign_l1_action(WALLET, action, vault, nonce, expires, mainnet)
    return {"action": action, "nonce": nonce, "signature": sig, "vaultAddress": vault,
            "expiresAfter": expires}


def test_l1_order_decodes_with_the_recovered_signer() -> None:
    tx = decode_request(body(ORDER, expires=NONCE + 5_000))
    assert tx.signer == ME and tx.nonce == NONCE and tx.expires_after_ms == NONCE + 5_000
    assert isinstance(tx.action, T.PlaceOrders)


def test_mainnet_signature_recovers_someone_else_on_testnet() -> None:
    tx = decode_request(body(ORDER, mainnet=True))
    assert tx.signer != ME  # Hyperliquid's "User or API Wallet 0x... does not exist." follows


def test_user_signed_usd_send_and_agent_without_name() -> None:
    action = {"type": "usdSend", "destination": "0x" + "11" * 20, "amount": "5", "time": NONCE}
    signed = copy.deepcopy(action)
    sig = sdk.sign_usd_transfer_action(WALLET, signed, False)
    tx = decode_request({"action": signed, "nonce": NONCE, "signature": sig,
                         "vaultAddress": None, "expiresAfter": None})
    assert tx.signer == ME and tx.action == T.UsdSend("0x" + "11" * 20, 5_000_000, NONCE)
    agent = {"type": "approveAgent", "agentAddress": "0x" + "22" * 20, "agentName": "",
             "nonce": NONCE}
    sig = sdk.sign_agent(WALLET, agent, False)
    del agent["agentName"]  # as the SDK posts an unnamed agent
    tx = decode_request({"action": agent, "nonce": NONCE, "signature": sig,
                         "vaultAddress": None, "expiresAfter": None})
    assert tx.signer == ME and tx.action == T.ApproveAgent("0x" + "22" * 20, "", NONCE)


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b.update(nonce="1"), "Invalid or missing nonce"),
    (lambda b: b.update(action=[]), "Invalid or missing action"),
    (lambda b: b.update(signature={"r": "0x1", "s": "0x1", "v": 99}), "malformed signature"),
    (lambda b: b.update(expiresAfter=-1), "Invalid or missing expiresAfter"),
])
def test_malformed_bodies_are_request_errors(mutate, message: str) -> None:
    b = body(ORDER)
    mutate(b)
    with pytest.raises(RequestError, match=message):
        decode_request(b)


def test_user_signed_time_must_equal_the_nonce() -> None:
    action = {"type": "usdSend", "destination": "0x" + "11" * 20, "amount": "5", "time": 1}
    sig = sdk.sign_usd_transfer_action(WALLET, action, False)
    with pytest.raises(RequestError, match="must equal the request nonce"):
        decode_request({"action": action, "nonce": NONCE, "signature": sig})


def test_receipts_format_as_hyperliquid_replies() -> None:
    sz = {0: 5}.__getitem__
    receipt = T.Receipt(True, T.KIND_ORDER, [T.Resting(7), T.Filled(8, 3, 1_500_000 + 1, 0),
                                             T.OrderError("Order has zero size.")])
    assert format_receipt(receipt, sz) == {"status": "ok", "response": {"type": "order", "data": {
        "statuses": [{"resting": {"oid": 7}},
                     {"filled": {"totalSz": "0.00003", "avgPx": "50000.033", "oid": 8}},
                     {"error": "Order has zero size."}]}}}
    assert format_receipt(T.Receipt(False, error="x"), sz) == {"status": "err", "response": "x"}
    assert format_receipt(T.Receipt(True), sz) == {"status": "ok",
                                                   "response": {"type": "default"}}


def test_twap_receipts_answer_one_status_under_data_status() -> None:
    """ccxt's create_twap_order reads data.status.running.twapId; its error handler reads
    data.status.error."""
    sz = {0: 5}.__getitem__
    running = T.Receipt(True, T.KIND_TWAP_ORDER, [T.TwapRunning(77)])
    assert format_receipt(running, sz) == {"status": "ok", "response": {
        "type": "twapOrder", "data": {"status": {"running": {"twapId": 77}}}}}
    refused = T.Receipt(True, T.KIND_TWAP_ORDER, [T.OrderError("Order has zero size.")])
    assert format_receipt(refused, sz)["response"]["data"] == {
        "status": {"error": "Order has zero size."}}
    assert format_receipt(T.Receipt(True, T.KIND_TWAP_CANCEL, ["success"]), sz) == {
        "status": "ok", "response": {"type": "twapCancel", "data": {"status": "success"}}}
