"""Only low-s signatures (EIP-2) pass, against a real node: the high-s twin of a valid SDK
signature (s -> n - s, v flipped; it recovers the same key) is refused as a whole and changes
no account, while the original still goes through; every signer we ship signs low s."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from eth_account import Account
from hyperliquid.utils.signing import sign_l1_action, sign_usd_transfer_action

from l2perp.crypto.signatures import HIGH_S_SIGNATURE, SECP256K1_HALF_N, SECP256K1_N
from tests.support.server import stable_hash, wait_for_blocks

SIGN_JS = Path(__file__).resolve().parents[2] / "src" / "l2perp" / "web" / "sign.js"


def high_s_twin(signature: dict) -> dict:
    return {"r": signature["r"], "s": hex(SECP256K1_N - int(signature["s"], 16)),
            "v": 55 - signature["v"]}



def twin_is_refused_and_changes_nothing(devnet, action: dict, nonce: int,
                                        signature: dict) -> None:
    """Post the high-s twin of `signature`: refused with the EIP-2 text, the state unchanged."""
    before = stable_hash(devnet.node.state)
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "signature": high_s_twin(signature),
        "vaultAddress": None}, timeout=10).json()
    assert reply == {"status": "err", "response": HIGH_S_SIGNATURE}
    wait_for_blocks(devnet, 3)
    assert stable_hash(devnet.node.state) == before


def test_a_high_s_twin_is_refused_and_changes_nothing(served) -> None:
    devnet = served()
    key = next(k for k in devnet.keys if k.role == "trader")
    wallet = Account.from_key(key.private_key)
    action = {"type": "order", "orders": [{"a": 1, "b": True, "p": "3000", "s": "0.01",
                                           "r": False, "t": {"limit": {"tif": "Alo"}}}],
              "grouping": "na"}
    nonce = int(time.time() * 1000)
    signature = sign_l1_action(wallet, action, None, nonce, None, False)
    assert int(signature["s"], 16) <= SECP256K1_HALF_N

    twin_is_refused_and_changes_nothing(devnet, action, nonce, signature)
    assert devnet.node.state.accounts[key.address].orders == {}

    # the nonce was not consumed: the low-s original is accepted
    reply = requests.post(devnet.url + "/exchange", json={
        "action": action, "nonce": nonce, "signature": signature, "vaultAddress": None},
        timeout=10).json()
    assert "resting" in reply["response"]["data"]["statuses"][0], reply


def test_a_user_signed_high_s_twin_is_refused(served) -> None:
    devnet = served()
    key = next(k for k in devnet.keys if k.role == "trader")
    nonce = int(time.time() * 1000)
    action = {"type": "usdSend", "destination": "0x" + "11" * 20, "amount": "1", "time": nonce}
    signature = sign_usd_transfer_action(Account.from_key(key.private_key), action, False)
    twin_is_refused_and_changes_nothing(devnet, action, nonce, signature)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_the_web_app_signs_low_s() -> None:
    script = (f"const S = require({json.dumps(str(SIGN_JS))});\n"
              "const key = '0x' + '4c'.repeat(32);\n"
              "const sigs = [];\n"
              "for (let i = 0; i < 40; i++) sigs.push(S.signL1Action(key, {type: 'cancel', "
              "cancels: [{a: 0, o: i}]}, 1700000000000 + i, false));\n"
              "console.log(JSON.stringify(sigs));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                         timeout=60)
    sigs = json.loads(out.stdout)
    assert len(sigs) == 40  # a signer without normalisation makes ~20 of them high s
    assert all(int(sig["s"], 16) <= SECP256K1_HALF_N for sig in sigs)
