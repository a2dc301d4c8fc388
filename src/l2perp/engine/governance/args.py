"""The shapes of governance arguments, checked before any handler reads them.

A governance transaction (transactions.py) arrives from the wire (`wire/governance.py`) or from
a batch body decoded from L1, so its fields may hold any governance argument value. Each transaction kind and each proposal or
guardian action declares its fields as `(name, kind)` pairs; a kind is `int`, `str`, `bool`,
`tuple` (a nested list), `ADDR` (a lower-case 0x address) or `ANY` (any argument value). Every
argument value is a tree of integers in [-2**63, 2**63) (the engine's range: no governed value
needs more), strings of Unicode scalar values (a lone surrogate cannot be encoded), booleans and
tuples nested at most `MAX_NESTING` deep.
"""

from __future__ import annotations

import re

from .proposals import GovError

ADDR = "address"
ANY = "any value"
MIN_INT = -(2**63)
MAX_INT = 2**63 - 1
MAX_NESTING = 4  # proposal actions -> action -> member list -> member row
_HEX = frozenset("0123456789abcdef")
_SURROGATE = re.compile("[\ud800-\udfff]")  # a str may hold them; UTF-8 cannot
_NAMES = {int: "an integer", str: "a string", bool: "a boolean", tuple: "a list", ADDR: ADDR}


def is_address(value: object) -> bool:
    return type(value) is str and len(value) == 42 and value.startswith("0x") and \
        _HEX.issuperset(value[2:])


def is_text(value: str) -> bool:
    """Unicode scalar values only (a lone surrogate has no UTF-8 encoding)."""
    return value.isascii() or not _SURROGATE.search(value)


def check_value(value: object, depth: int = 0) -> None:
    """GovError unless `value` is an argument value (see the module docstring)."""
    kind = type(value)
    if kind is int:
        if not MIN_INT <= value <= MAX_INT:
            raise GovError("integer arguments lie in [-2**63, 2**63)")
    elif kind is str:
        if not is_text(value):
            raise GovError("string arguments are valid Unicode text")
    elif kind is tuple:
        if depth >= MAX_NESTING:
            raise GovError(f"arguments nest at most {MAX_NESTING} lists deep")
        for item in value:
            check_value(item, depth + 1)
    elif kind is not bool:
        raise GovError("arguments are integers, strings, booleans and lists, "
                       f"not {kind.__name__}")


def is_kind(value: object, kind: object) -> bool:
    """Whether an argument value has a field's kind (bool is no integer here)."""
    if kind is ADDR:
        return is_address(value)
    return kind is ANY or type(value) is kind


def check_args(name: str, fields: tuple[tuple[str, object], ...], args: object) -> tuple:
    """`args` if it has one value of the right kind per field (GovError naming the first field
    that does not)."""
    if type(args) is not tuple or len(args) != len(fields):
        if not fields:
            raise GovError(f"{name} takes no arguments")
        names = ", ".join(field for field, _ in fields)
        count = "1 argument" if len(fields) == 1 else f"{len(fields)} arguments"
        raise GovError(f"{name} takes {count} ({names})")
    for (field, kind), value in zip(fields, args):
        check_value(value)
        if not is_kind(value, kind):
            if kind is ADDR:
                raise GovError(f"not an address: {value!r}")
            raise GovError(f"{name}: {field} must be {_NAMES[kind]}")
    return args
