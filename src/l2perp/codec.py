"""Canonical encoding and hashing shared by the engine and the rollup.

Values are encoded with msgpack restricted to ints, bools, None, str, bytes and lists, in an order
the caller fixes (sorted keys, never dict iteration of unordered data), so equal states encode to
equal bytes in any process. Hashes are blake2b-256 with one-byte domain separation (DESIGN.md §5).
"""

from __future__ import annotations

import hashlib

import msgpack

DOMAIN_LEAF = b"\x00"
DOMAIN_NODE = b"\x01"
DOMAIN_STATE = b"\x02"


def canonical(value: object) -> bytes:
    """Encode a tree of lists, ints, bools, None, str and bytes to canonical msgpack bytes."""
    return msgpack.packb(value, use_bin_type=True, strict_types=True)


def h256(data: bytes) -> bytes:
    """blake2b with a 32-byte digest."""
    return hashlib.blake2b(data, digest_size=32).digest()


def leaf_hash(encoded: bytes) -> bytes:
    """The hash of a leaf's canonical encoding (domain-separated from inner nodes)."""
    return hashlib.blake2b(DOMAIN_LEAF + encoded, digest_size=32).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over two child hashes."""
    return hashlib.blake2b(DOMAIN_NODE + left + right, digest_size=32).digest()
