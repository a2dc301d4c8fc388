"""EIP-712 typed-data hashing for the flat structs Hyperliquid signs.

Supported field types: string, bytes32, address, bool, uint64, uint256. A domain is
(name, version, chainId, verifyingContract); the digest is keccak(0x1901 || domain || struct).
"""

from __future__ import annotations

from functools import lru_cache

from Crypto.Hash import keccak as _keccak

ZERO_ADDRESS = "0x" + "00" * 20
DOMAIN_FIELDS = (("name", "string"), ("version", "string"), ("chainId", "uint256"),
                 ("verifyingContract", "address"))


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak-256 (not SHA3-256)."""
    return _keccak.new(digest_bits=256, data=data).digest()


@lru_cache(maxsize=64)
def type_hash(primary_type: str, fields: tuple[tuple[str, str], ...]) -> bytes:
    """keccak("Name(type1 name1,type2 name2)") (a constant per struct: cached)."""
    inner = ",".join(f"{kind} {name}" for name, kind in fields)
    return keccak256(f"{primary_type}({inner})".encode())


def encode_value(kind: str, value: object) -> bytes:
    """One field, 32 bytes, as EIP-712 encodes atomic and dynamic types."""
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return keccak256(value.encode())
    if kind == "bytes32":
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
        if len(raw) != 32:
            raise ValueError("expected 32 bytes")
        return raw
    if kind == "address":
        if not isinstance(value, str) or len(value) != 42:
            raise ValueError("expected an address")
        return bytes(12) + bytes.fromhex(value[2:])
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("expected a bool")
        return int(value).to_bytes(32, "big")
    if kind in ("uint64", "uint256"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("expected an unsigned integer")
        if kind == "uint64" and value >= 1 << 64:
            raise ValueError("uint64 out of range")
        return value.to_bytes(32, "big")
    raise ValueError(f"unsupported EIP-712 type {kind}")


def hash_struct(primary_type: str, fields: tuple[tuple[str, str], ...], message: dict) -> bytes:
    """keccak(typeHash || enc(field1) || ...); keys not in `fields` are ignored."""
    parts = [type_hash(primary_type, fields)]
    for name, kind in fields:
        if name not in message:
            raise ValueError(f"missing field {name}")
        parts.append(encode_value(kind, message[name]))
    return keccak256(b"".join(parts))


def domain_separator(name: str, version: str, chain_id: int,
                     verifying_contract: str = ZERO_ADDRESS) -> bytes:
    return hash_struct("EIP712Domain", DOMAIN_FIELDS, {
        "name": name, "version": version, "chainId": chain_id,
        "verifyingContract": verifying_contract,
    })


def typed_digest(domain: bytes, struct_hash: bytes) -> bytes:
    """The 32 bytes a wallet signs for typed data."""
    return keccak256(b"\x19\x01" + domain + struct_hash)
