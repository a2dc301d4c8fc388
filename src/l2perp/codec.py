"""Canonical encoding and hashing shared by the engine and the rollup.

Values are encoded with msgpack restricted to ints, bools, None, str, bytes and lists, in an order
the caller fixes (sorted keys, never dict iteration of unordered data), so equal states encode to
equal bytes in any process. Hashes are blake2b-256 with one-byte domain separation (docs/mechanics.md).

Every integer the engine can hold is encodable: one inside msgpack's native range (-2**63 ..
2**64 - 1) is a plain msgpack integer, one outside it is the extension type `BIGINT_EXT` holding
its two's-complement big-endian bytes. The API refuses numbers beyond the engine's ranges
(`units.py`), so the extension is a safety net: no value that got into the state can stop a block
from being encoded, logged or posted.

`Records` encodes typed records (frozen dataclasses and NamedTuples) under explicit numeric tags,
so renaming a class never changes a byte that was logged or posted.
"""

from __future__ import annotations

import dataclasses
import hashlib

from typing import Any, Final

import msgpack

DOMAIN_LEAF: Final = b"\x00"
DOMAIN_NODE: Final = b"\x01"
DOMAIN_STATE: Final = b"\x02"

BIGINT_EXT: Final = 1  # msgpack extension code of an integer outside msgpack's native range
MAX_NESTING: Final = 64  # lists and records nested deeper than this are not ours


class CodecError(ValueError):
    """Bytes that are not a canonical encoding of what the caller expects."""


def _bigint(value: object) -> msgpack.ExtType:
    if type(value) is int:
        size = (value.bit_length() + 8) // 8  # one spare bit for the sign
        return msgpack.ExtType(BIGINT_EXT, value.to_bytes(size, "big", signed=True))
    raise TypeError(f"not canonically encodable: {type(value).__name__}")


def _ext(code: int, data: bytes) -> int:
    if code != BIGINT_EXT or not data:
        raise CodecError(f"unknown msgpack extension {code}")
    return int.from_bytes(data, "big", signed=True)


def canonical(value: object) -> bytes:
    """Encode a tree of lists, ints, bools, None, str and bytes to canonical msgpack bytes."""
    return msgpack.packb(value, use_bin_type=True, strict_types=True, default=_bigint)


def uncanonical(data: bytes) -> object:
    """The tree `canonical` encoded (lists stay lists); CodecError for anything else."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_ext)
    except CodecError:
        raise
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise CodecError(f"not msgpack: {exc}") from None


def h256(data: bytes) -> bytes:
    """blake2b with a 32-byte digest."""
    return hashlib.blake2b(data, digest_size=32).digest()


def leaf_hash(encoded: bytes) -> bytes:
    """The hash of a leaf's canonical encoding (domain-separated from inner nodes)."""
    return hashlib.blake2b(DOMAIN_LEAF + encoded, digest_size=32).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over two child hashes."""
    return hashlib.blake2b(DOMAIN_NODE + left + right, digest_size=32).digest()


class Records:
    """Typed records <-> msgpack trees under fixed numeric tags.

    A record (a dataclass or NamedTuple whose class has a tag) becomes the one-entry map
    {tag: [field values in declaration order]}; tuples and lists become lists; ints, bools, None,
    str and bytes stay themselves. Decoding turns lists back into tuples and maps back into the
    tagged classes; an unknown tag, a wrong field count or any other map is a CodecError. Tags
    are the format: a class may be renamed or moved freely, a tag never reused."""

    def __init__(self, tags: dict[int, type]) -> None:
        self.class_of = dict(tags)
        self.tag_of = {cls: tag for tag, cls in tags.items()}
        if len(self.tag_of) != len(self.class_of):
            raise ValueError("one class per tag")
        self.fields = {cls: _field_names(cls) for cls in self.tag_of}

    def pack(self, value: Any, depth: int = 0) -> object:
        """The msgpack tree of `value` (TypeError for a type that has no encoding)."""
        if depth > MAX_NESTING:
            raise TypeError("nested too deeply")
        kind = type(value)
        tag = self.tag_of.get(kind)
        if tag is not None:
            return {tag: [self.pack(getattr(value, name), depth + 1)
                          for name in self.fields[kind]]}
        if kind is tuple or kind is list:
            return [self.pack(v, depth + 1) for v in value]
        if value is None or kind is int or kind is bool or kind is str or kind is bytes:
            return value
        raise TypeError(f"no encoding for {kind.__name__}")

    def unpack(self, value: Any, depth: int = 0) -> object:
        """The record tree of a decoded msgpack tree (CodecError if it is not one)."""
        if depth > MAX_NESTING:
            raise CodecError("nested too deeply")
        kind = type(value)
        if kind is list:
            return tuple(self.unpack(v, depth + 1) for v in value)
        if kind is dict:
            if len(value) != 1:
                raise CodecError("a record is a one-entry map")
            ((tag, values),) = value.items()
            cls = self.class_of.get(tag) if type(tag) is int else None
            if cls is None:
                raise CodecError(f"unknown record tag {tag!r}")
            if type(values) is not list or len(values) != len(self.fields[cls]):
                raise CodecError(f"record {tag} needs {len(self.fields[cls])} fields")
            fields = [self.unpack(v, depth + 1) for v in values]
            try:
                return cls(*fields)
            except TypeError as exc:  # a compiled record refuses an ill-typed field
                raise CodecError(f"record {tag}: {exc}") from None
        if value is None or kind is int or kind is bool or kind is str or kind is bytes:
            return value
        raise CodecError(f"unexpected {kind.__name__} in a record tree")

    def encode(self, value: object) -> bytes:
        """Canonical bytes of a record tree."""
        return canonical(self.pack(value))

    def decode(self, data: bytes) -> object:
        """The record tree of `encode`d bytes; CodecError for anything else."""
        return self.unpack(uncanonical(data))


def _field_names(cls: type) -> tuple[str, ...]:
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    names = getattr(cls, "_fields", None)
    if names is None:
        raise ValueError(f"{cls.__name__} is neither a dataclass nor a NamedTuple")
    return tuple(names)
