"""Our verifier against the pinned hyperliquid-python-sdk: whatever the SDK signs, we recover the
same wallet; whatever we sign, the SDK's own recovery helpers agree."""

from __future__ import annotations

import copy

import pytest
from eth_account import Account
from hyperliquid.utils import signing as sdk

from l2perp.crypto.eip712 import keccak256
from l2perp.crypto.signatures import (
    HIGH_S_SIGNATURE, SECP256K1_HALF_N, SECP256K1_N, SignatureError, action_connection_id,
    address_of, l1_digest, parse_signature, recover_address, sign_l1_action, sign_user_signed,
    user_signed_digest,
)

KEYS = [keccak256(f"l2perp test key {i}".encode()) for i in range(4)]
ORDER = {"type": "order", "orders": [{"a": 4, "b": True, "p": "1100", "s": "0.2", "r": False,
                                      "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}
CLOID_ORDER = {"type": "order", "orders": [{"a": 0, "b": False, "p": "50000.5", "s": "0.001",
                                            "r": True, "t": {"trigger": {
                                                "isMarket": True, "triggerPx": "49000",
                                                "tpsl": "sl"}},
                                            "c": "0x" + "12" * 16}], "grouping": "normalTpsl",
               "builder": {"b": "0x" + "ab" * 20, "f": 10}}
CANCEL = {"type": "cancel", "cancels": [{"a": 1, "o": 123456789}]}


def test_our_keccak_and_addresses_match_eth_account() -> None:
    for key in KEYS:
        assert address_of(key) == Account.from_key(key).address.lower()


def test_connection_id_matches_the_sdk() -> None:
    for action in (ORDER, CLOID_ORDER, CANCEL):
        for vault in (None, "0x" + "cd" * 20):
            for expires in (None, 1_700_000_123_456):
                assert action_connection_id(action, vault, 1_700_000_000_000, expires) == \
                    sdk.action_hash(action, vault, 1_700_000_000_000, expires)


@pytest.mark.parametrize("is_mainnet", [False, True])
@pytest.mark.parametrize("action", [ORDER, CLOID_ORDER, CANCEL])
def test_we_recover_what_the_sdk_signs_for_l1_actions(action, is_mainnet: bool) -> None:
    for key in KEYS:
        wallet = Account.from_key(key)
        for vault, expires in ((None, None), (None, 1_700_000_999_999), ("0x" + "cd" * 20, None)):
            nonce = 1_700_000_000_000 + len(vault or "")
            sig = sdk.sign_l1_action(wallet, action, vault, nonce, expires, is_mainnet)
            digest = l1_digest(action, vault, nonce, expires, is_mainnet)
            assert recover_address(digest, sig) == wallet.address.lower()
            wrong_network = l1_digest(action, vault, nonce, expires, not is_mainnet)
            assert recover_address(wrong_network, sig) != wallet.address.lower()


def test_we_recover_what_the_sdk_signs_for_user_signed_actions() -> None:
    wallet = Account.from_key(KEYS[1])
    me = wallet.address.lower()
    cases = [
        (sdk.sign_usd_transfer_action, {"type": "usdSend", "destination": "0x" + "11" * 20,
                                        "amount": "12.5", "time": 1_700_000_000_000}),
        (sdk.sign_withdraw_from_bridge_action, {"type": "withdraw3", "destination": me,
                                                "amount": "1000", "time": 1_700_000_000_001}),
        (sdk.sign_agent, {"type": "approveAgent", "agentAddress": "0x" + "22" * 20,
                          "agentName": "", "nonce": 1_700_000_000_002}),
        (sdk.sign_approve_builder_fee, {"type": "approveBuilderFee", "maxFeeRate": "0.01%",
                                        "builder": "0x" + "33" * 20, "nonce": 7}),
    ]
    for sign, action in cases:
        signed = copy.deepcopy(action)
        sig = sign(wallet, signed, False)  # adds signatureChainId and hyperliquidChain
        assert recover_address(user_signed_digest(signed), sig) == me


def test_the_sdk_recovers_what_we_sign() -> None:
    key = KEYS[2]
    me = address_of(key)
    sig = sign_l1_action(key, ORDER, None, 1_700_000_000_000, None, False)
    assert sdk.recover_agent_or_user_from_l1_action(
        ORDER, sig, None, 1_700_000_000_000, None, False).lower() == me
    action = {"type": "usdSend", "destination": "0x" + "11" * 20, "amount": "1",
              "time": 1_700_000_000_000}
    sig = sign_user_signed(key, action, False)
    assert sdk.recover_user_from_user_signed_action(
        action, sig, sdk.USD_SEND_SIGN_TYPES, "HyperliquidTransaction:UsdSend", False
    ).lower() == me


def test_short_r_and_s_are_accepted_and_garbage_is_refused() -> None:
    assert parse_signature({"r": "0x1", "s": "0x2", "v": 27})[:32] == bytes(31) + b"\x01"
    for bad in ({"r": "0x1", "s": "0x2", "v": 29}, {"r": "zz", "s": "0x2", "v": 27},
                {"r": "0x0", "s": "0x2", "v": 27}, "sig", {"r": "0x1", "v": 27}):
        with pytest.raises(SignatureError):
            parse_signature(bad)
    with pytest.raises(SignatureError):
        user_signed_digest({"type": "usdSend", "destination": "x"})


def _twin(sig: dict) -> dict:
    """The same signature with s replaced by n - s and v flipped: it recovers the same key."""
    return {"r": sig["r"], "s": hex(SECP256K1_N - int(sig["s"], 16)), "v": 55 - sig["v"]}


def test_high_s_twins_are_refused_and_every_signer_we_ship_makes_low_s() -> None:
    for i in range(40):
        wallet = Account.from_key(KEYS[i % len(KEYS)])
        nonce = 1_700_000_000_000 + i
        sig = sdk.sign_l1_action(wallet, ORDER, None, nonce, None, False)
        assert int(sig["s"], 16) <= SECP256K1_HALF_N  # eth_account signs low s
        ours = sign_l1_action(KEYS[i % len(KEYS)], ORDER, None, nonce, None, False)
        assert int(ours["s"], 16) <= SECP256K1_HALF_N  # so does coincurve
        digest = l1_digest(ORDER, None, nonce, None, False)
        assert recover_address(digest, sig) == wallet.address.lower()
        with pytest.raises(SignatureError) as refused:
            recover_address(digest, _twin(sig))
        assert str(refused.value) == HIGH_S_SIGNATURE


def test_r_and_s_must_lie_below_the_group_order() -> None:
    for bad in ({"r": hex(SECP256K1_N), "s": "0x2", "v": 27},
                {"r": "0x1", "s": hex(SECP256K1_N), "v": 27},
                {"r": "0x1", "s": hex(SECP256K1_HALF_N + 1), "v": 28},
                {"r": "0x1", "s": "0x2", "v": 27.0}, {"r": "0x1", "s": "0x2", "v": True}):
        with pytest.raises(SignatureError):
            parse_signature(bad)
    assert parse_signature({"r": "0x1", "s": hex(SECP256K1_HALF_N), "v": 28})[-1] == 1


def test_a_nonce_or_action_that_cannot_be_hashed_is_a_signature_error() -> None:
    with pytest.raises(SignatureError, match="nonce"):
        action_connection_id(ORDER, None, 1 << 64, None)
    with pytest.raises(SignatureError, match="expiresAfter"):
        action_connection_id(ORDER, None, 1, 1 << 64)
    with pytest.raises(SignatureError, match="MessagePack"):
        action_connection_id({"type": "order", "x": 1 << 70}, None, 1, None)
    nested: list = []
    for _ in range(2_000):  # deeper than msgpack's limit (orjson parses such a body)
        nested = [nested]
    with pytest.raises(SignatureError, match="MessagePack"):
        action_connection_id({"type": "order", "x": nested}, None, 1, None)


def test_remembered_addresses_are_the_keccak_ones_and_the_memory_is_bounded(monkeypatch) -> None:
    from coincurve import PrivateKey

    from l2perp.crypto import signatures

    monkeypatch.setattr(signatures, "ADDRESSES_KEPT", 3)
    monkeypatch.setattr(signatures, "_ADDRESSES", {})
    keys = [PrivateKey(bytes([i]) * 32) for i in range(1, 6)]
    for _ in range(2):  # the second round reads what the first remembered (or cleared)
        for key in keys:
            public = key.public_key.format(compressed=False)[1:]
            expected = "0x" + keccak256(public)[-20:].hex()
            assert signatures.address_of_public(public) == expected
            assert signatures.address_of_public(public) == Account.from_key(
                key.secret).address.lower()
            assert len(signatures._ADDRESSES) <= 3
