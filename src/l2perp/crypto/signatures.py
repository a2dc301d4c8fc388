"""Hyperliquid's two signature schemes, verified with our own code (docs/api.md).

L1 actions: connectionId = keccak(msgpack(action) || nonce (8 bytes BE) || vault flag/address ||
[0x00 || expiresAfter (8 bytes BE)]); the wallet signs the EIP-712 struct
Agent(string source, bytes32 connectionId) in domain ("Exchange", "1", 1337, 0x0), with source
"a" on mainnet and "b" elsewhere. User-signed actions: the wallet signs the action's own fields
as HyperliquidTransaction:<Name> in domain ("HyperliquidSignTransaction", "1",
int(signatureChainId)). Recovery is secp256k1 via coincurve; a wrong payload recovers a
different, valid-looking address, which is why callers compare against known signers. Only
low-s signatures are accepted (EIP-2): (r, n - s) with the other v is a second valid signature
of the same digest, so accepting both would let anyone re-sign a request without the key.
"""

from __future__ import annotations

import msgpack
from coincurve import PrivateKey, PublicKey

from .eip712 import domain_separator, hash_struct, keccak256, type_hash, typed_digest

AGENT_FIELDS = (("source", "string"), ("connectionId", "bytes32"))
L1_DOMAIN = domain_separator("Exchange", "1", 1337)
AGENT_PREFIX = {  # typeHash(Agent) || keccak(source), source "a" on mainnet and "b" elsewhere
    mainnet: type_hash("Agent", AGENT_FIELDS) + keccak256(b"a" if mainnet else b"b")
    for mainnet in (True, False)}

# action type -> (EIP-712 primary type, fields), exactly as hyperliquid-python-sdk 0.24.0 signs.
USER_SIGNED_TYPES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "usdSend": ("HyperliquidTransaction:UsdSend", (
        ("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
        ("time", "uint64"))),
    "withdraw3": ("HyperliquidTransaction:Withdraw", (
        ("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
        ("time", "uint64"))),
    "approveAgent": ("HyperliquidTransaction:ApproveAgent", (
        ("hyperliquidChain", "string"), ("agentAddress", "address"), ("agentName", "string"),
        ("nonce", "uint64"))),
    "approveBuilderFee": ("HyperliquidTransaction:ApproveBuilderFee", (
        ("hyperliquidChain", "string"), ("maxFeeRate", "string"), ("builder", "address"),
        ("nonce", "uint64"))),
}


# secp256k1's group order; an s above half of it is the malleable twin of a low-s signature.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2

MALFORMED_SIGNATURE = "malformed signature"
HIGH_S_SIGNATURE = "Invalid signature: s must be at most n/2 (EIP-2 low-s)"
ACTION_NOT_ENCODABLE = "Invalid action: it cannot be encoded with MessagePack ({reason})"
FIELD_NOT_UINT64 = "Invalid {field}: it must fit in 64 bits"


class SignatureError(ValueError):
    """The signature is malformed or does not recover."""


def action_connection_id(action: object, vault: str | None, nonce: int,
                         expires_after: int | None) -> bytes:
    """The L1 action hash (the phantom agent's connectionId). SignatureError when the action
    cannot be packed (an integer beyond 64 bits, nesting too deep) or the nonce or expiresAfter
    does not fit in 8 bytes: nothing could have signed such a request."""
    try:
        data = msgpack.packb(action)
    except (ValueError, OverflowError, TypeError) as exc:
        raise SignatureError(ACTION_NOT_ENCODABLE.format(reason=exc)) from None
    for field, value in (("nonce", nonce), ("expiresAfter", expires_after)):
        if value is not None and not 0 <= value < 1 << 64:
            raise SignatureError(FIELD_NOT_UINT64.format(field=field))
    data += nonce.to_bytes(8, "big")
    if vault is None:
        data += b"\x00"
    else:
        data += b"\x01" + bytes.fromhex(vault[2:])
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak256(data)


def l1_digest(action: object, vault: str | None, nonce: int, expires_after: int | None,
              is_mainnet: bool) -> bytes:
    """What an L1 action's signer signed."""
    connection_id = action_connection_id(action, vault, nonce, expires_after)
    # hash_struct("Agent", ...) with its two constant parts precomputed
    struct = keccak256(AGENT_PREFIX[is_mainnet] + connection_id)
    return typed_digest(L1_DOMAIN, struct)


def user_signed_digest(action: dict) -> bytes:
    """What a user-signed action's signer signed (the domain's chain id is signatureChainId)."""
    kind = action.get("type")
    if kind not in USER_SIGNED_TYPES:
        raise SignatureError(f"not a user-signed action: {kind!r}")
    primary, fields = USER_SIGNED_TYPES[kind]
    chain = action.get("signatureChainId")
    if not isinstance(chain, str) or not chain.startswith("0x"):
        raise SignatureError("missing signatureChainId")
    domain = domain_separator("HyperliquidSignTransaction", "1", int(chain, 16))
    try:
        return typed_digest(domain, hash_struct(primary, fields, action))
    except ValueError as exc:
        raise SignatureError(str(exc)) from None


def parse_signature(signature: object) -> bytes:
    """{r, s, v} (hex strings that may lack leading zeros, v 27 or 28) -> 65 compact bytes.
    r must lie in [1, n) and s in [1, n/2] (low s, EIP-2); a high s is refused with
    HIGH_S_SIGNATURE, never normalised, so one request has exactly one valid signature."""
    if not isinstance(signature, dict):
        raise SignatureError("signature must be an object")
    try:
        r = int(signature["r"], 16)
        s = int(signature["s"], 16)
        v = signature["v"]
    except (KeyError, TypeError, ValueError):
        raise SignatureError(MALFORMED_SIGNATURE) from None
    if type(v) is not int or v not in (27, 28) or not 0 < r < SECP256K1_N or not 0 < s:
        raise SignatureError(MALFORMED_SIGNATURE)
    if s > SECP256K1_HALF_N:
        raise SignatureError(HIGH_S_SIGNATURE)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27])


def recover_address(digest: bytes, signature: object) -> str:
    """The lower-case address whose key signed `digest`."""
    compact = parse_signature(signature)  # its SignatureError texts reach the client as they are
    try:
        public = PublicKey.from_signature_and_message(compact, digest, hasher=None)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"signature does not recover: {exc}") from None
    return address_of_public(public.format(compressed=False)[1:])


# the addresses of public keys seen lately: a client signs many requests with one key
_ADDRESSES: dict[bytes, str] = {}
ADDRESSES_KEPT = 65_536


def address_of_public(public: bytes) -> str:
    """The lower-case address of a 64-byte uncompressed public key (x || y): the last 20 bytes
    of its keccak, remembered for the last ADDRESSES_KEPT keys (forgotten all at once)."""
    address = _ADDRESSES.get(public)
    if address is None:
        if len(_ADDRESSES) >= ADDRESSES_KEPT:
            _ADDRESSES.clear()
        address = "0x" + keccak256(public)[-20:].hex()
        _ADDRESSES[public] = address
    return address


def address_of(private_key: bytes) -> str:
    """The address of a 32-byte private key."""
    public = PrivateKey(private_key).public_key.format(compressed=False)
    return "0x" + keccak256(public[1:])[-20:].hex()


def sign_digest(private_key: bytes, digest: bytes) -> dict:
    """{r, s, v} as the SDK sends them (hex without leading zeros, v 27/28)."""
    raw = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return {"r": hex(int.from_bytes(raw[:32], "big")), "s": hex(int.from_bytes(raw[32:64], "big")),
            "v": raw[64] + 27}


def sign_l1_action(private_key: bytes, action: object, vault: str | None, nonce: int,
                   expires_after: int | None, is_mainnet: bool) -> dict:
    return sign_digest(private_key, l1_digest(action, vault, nonce, expires_after, is_mainnet))


def sign_user_signed(private_key: bytes, action: dict, is_mainnet: bool,
                     chain_id: str = "0x66eee") -> dict:
    """Adds signatureChainId and hyperliquidChain to `action` (as the SDK does) and signs it."""
    action["signatureChainId"] = chain_id
    action["hyperliquidChain"] = "Mainnet" if is_mainnet else "Testnet"
    return sign_digest(private_key, user_signed_digest(action))
