"""The wire form of L1 requests: what a sender signs, and 0x-hex for binary fields."""

from __future__ import annotations

import orjson

from ..crypto.eip712 import keccak256
from ..crypto.signatures import sign_digest
from ..rollup.judge import Witness


def request_digest(request: dict) -> bytes:
    """What an L1 request's sender signs."""
    body = {k: v for k, v in request.items() if k != "signature"}
    return keccak256(b"l2perp/l1" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS))


def sign_request(private_key: bytes, request: dict) -> dict:
    """The request with its signature."""
    return {**request, "signature": sign_digest(private_key, request_digest(request))}


def hexb(data: bytes) -> str:
    return "0x" + data.hex()


def unhex(text: object) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError("expected 0x-hex")
    return bytes.fromhex(text[2:])


def witness_json(witness: Witness) -> dict:
    return {"shared": hexb(witness.shared), "leaves": [hexb(x) for x in witness.leaves]}


def witness_of_json(data: dict) -> Witness:
    return Witness(unhex(data["shared"]), tuple(unhex(x) for x in data["leaves"]))
