"""The web app's signing (src/l2perp/web/sign.js) against our Python verifier: keccak,
MessagePack and the phantom-agent digest agree byte for byte on varied actions, and a signature
made in JavaScript recovers the signer's address. Runs the file under Node.js (the browser runs
the same file); skipped where no `node` is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from l2perp.crypto.signatures import address_of, l1_digest, recover_address

SIGN_JS = Path(__file__).resolve().parents[2] / "src" / "l2perp" / "web" / "sign.js"
KEY = "0x" + "4c" * 32
ACTIONS = [
    ({"type": "order", "orders": [{"a": 0, "b": True, "p": "94500", "s": "0.01", "r": False,
                                   "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"},
     None, None),
    ({"type": "cancel", "cancels": [{"a": 3, "o": 1234567890123}]}, None, 1_800_000_000_000),
    ({"type": "govPropose", "actions": [["setRiskParam", "0.tier0.maxLeverage", 10],
                                        ["treasuryTransfer", "0x" + "ab" * 20, 70_000]]},
     "0x" + "cd" * 20, None),
    ({"type": "govVote", "proposal": 300, "support": 1}, None, None),
    ({"type": "incidentReport", "incident": 2, "text": "x" * 40 + " é " + "y" * 300}, None, None),
    ({"type": "devAdvanceTime", "ms": -5}, None, None),
    ({"type": "updateLeverage", "asset": 70000, "isCross": False, "leverage": 2**40}, None, None),
]

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")


def run_node(script: str) -> object:
    out = subprocess.run(["node", "-e", f"const S = require({json.dumps(str(SIGN_JS))});\n"
                          + script], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_digests_match_the_python_verifier_byte_for_byte() -> None:
    cases = [[action, vault, 1_700_000_000_000 + i, expires, i % 2 == 0]
             for i, (action, vault, expires) in enumerate(ACTIONS)]
    digests = run_node(f"const cases = {json.dumps(cases)};\n"
                       "console.log(JSON.stringify(cases.map(([a, v, n, e, m]) => "
                       "S.bytesToHex(S.l1Digest(a, v, n, e, m)))));")
    for (action, vault, nonce, expires, mainnet), digest in zip(cases, digests):
        assert digest == "0x" + l1_digest(action, vault, nonce, expires, mainnet).hex()


def test_a_javascript_signature_recovers_the_signer() -> None:
    action, _, _ = ACTIONS[0]
    nonce = 1_700_000_000_123
    key = json.dumps(KEY)
    result = run_node(f"const sig = S.signL1Action({key}, {json.dumps(action)}, {nonce}, false);"
                      f"\nconsole.log(JSON.stringify({{sig, address: S.addressOf({key})}}));")
    secret = bytes.fromhex(KEY[2:])
    assert result["address"] == address_of(secret)
    digest = l1_digest(action, None, nonce, None, False)
    assert recover_address(digest, result["sig"]) == address_of(secret)
    half_n = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
    assert int(result["sig"]["s"], 16) <= half_n  # low s


def test_the_pages_order_and_cancel_requests_are_accepted_by_the_node(tmp_path) -> None:
    """The request builders the page uses (orderAction, exchangeBody), signed in JavaScript
    and posted as the page posts them: the order rests, the cancel removes it."""
    import requests

    from tests.support.server import DevnetServer

    with DevnetServer(tmp_path / "devnet") as devnet:
        key = next(k for k in devnet.keys if k.role == "trader")
        nonce = 1 + int(__import__("time").time() * 1000)
        body = run_node(
            f"console.log(JSON.stringify(S.exchangeBody({json.dumps(key.private_key)}, "
            f"S.orderAction(1, true, '3000', '0.5', 'Alo', false), {nonce})));")
        reply = requests.post(devnet.url + "/exchange", json=body, timeout=10).json()
        status = reply["response"]["data"]["statuses"][0]
        assert "resting" in status, reply
        oid = status["resting"]["oid"]
        cancel = run_node(
            f"console.log(JSON.stringify(S.exchangeBody({json.dumps(key.private_key)}, "
            f"{{type: 'cancel', cancels: [{{a: 1, o: {oid}}}]}}, {nonce + 1})));")
        reply = requests.post(devnet.url + "/exchange", json=cancel, timeout=10).json()
        assert reply["response"]["data"]["statuses"] == ["success"], reply


def test_user_signed_withdraw_and_send_sign_as_the_sdk_does() -> None:
    """withdraw3 and usdSend: the EIP-712 typed-data digest of the page equals the one the SDK
    signs (eth_account's encode_typed_data), and the page's signature recovers the signer."""
    from eth_account.messages import encode_typed_data
    from eth_utils import keccak
    from hyperliquid.utils.signing import (
        USD_SEND_SIGN_TYPES, WITHDRAW_SIGN_TYPES, user_signed_payload,
    )

    cases = [
        ({"type": "withdraw3", "destination": "0x" + "ab" * 20, "amount": "12.5",
          "time": 1_700_000_000_001}, WITHDRAW_SIGN_TYPES, "HyperliquidTransaction:Withdraw"),
        ({"type": "usdSend", "destination": "0x" + "cd" * 20, "amount": "0.000001",
          "time": 1_700_000_000_002}, USD_SEND_SIGN_TYPES, "HyperliquidTransaction:UsdSend"),
    ]
    key = json.dumps(KEY)
    bodies = run_node(f"const cases = {json.dumps([c[0] for c in cases])};\n"
                      f"console.log(JSON.stringify(cases.map((a) => S.userSignedBody({key}, a))));")
    for (action, types, primary), body in zip(cases, bodies):
        full = {**action, "signatureChainId": "0x66eee", "hyperliquidChain": "Testnet"}
        assert body["action"] == full and body["nonce"] == action["time"]
        signable = encode_typed_data(full_message=user_signed_payload(primary, types, full))
        digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
        assert recover_address(digest, body["signature"]) == address_of(bytes.fromhex(KEY[2:]))


def test_market_prices_and_wire_decimals_match_the_sdk() -> None:
    """slippagePrice is the SDK's _slippage_price (5 significant figures, then 6 - szDecimals
    decimals) and wireDecimal its float_to_wire for typed decimals."""
    from hyperliquid.utils.signing import float_to_wire

    mids = [("94763", True, 5), ("94763", False, 5), ("3493.65", True, 4), ("150.305", False, 2),
            ("1.49755", True, 1), ("0.0123456", False, 0)]
    got = run_node(f"console.log(JSON.stringify({json.dumps(mids)}.map(([m, b, d]) => "
                   "S.slippagePrice(m, b, 0.05, d))));")
    for (mid, is_buy, decimals), text in zip(mids, got):
        px = float(mid) * (1.05 if is_buy else 0.95)
        expected = round(float(f"{px:.5g}"), 6 - decimals)
        assert text == float_to_wire(expected), (mid, is_buy, text)
    typed = ["0.50", "1", "100.000", "0.001", ".5", "0012.30"]
    wires = run_node(f"console.log(JSON.stringify({json.dumps(typed)}.map(S.wireDecimal)));")
    assert wires == [float_to_wire(float(t)) for t in typed]
    refused = run_node("const out = []; for (const t of ['-1', '1e3', 'abc', '']) "
                       "{ try { S.wireDecimal(t); out.push(t); } catch (e) { } } "
                       "console.log(JSON.stringify(out));")
    assert refused == []


def test_the_price_rule_is_the_engines() -> None:
    """priceIsValid accepts exactly the prices the engine's price_to_pips accepts, for every
    szDecimals a perp can have, on integers, 5 and 6 significant figures and long decimals."""
    from l2perp.engine.order_rules import price_to_pips
    from l2perp.units import parse_decimal

    prices = ["94501", "945012", "94501.5", "9450.15", "3493.65", "3493.6", "150.305",
              "150.3051", "1.49755", "1.497551", "0.012345", "0.0123456", "0.00001234",
              "0.000012345", "100000", "99999.9", "0.1", "12.5"]
    cases = [(p, d) for p in prices for d in range(0, 6)]
    got = run_node(f"console.log(JSON.stringify({json.dumps(cases)}.map(([p, d]) => "
                   "S.priceIsValid(p, d))));")
    expected = [price_to_pips(parse_decimal(p), d) is not None for p, d in cases]
    assert got == expected
    assert any(got) and not all(got)
