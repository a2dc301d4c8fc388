"""What every wire parser shares: the error a malformed action raises and the address rule.

`actions.py` (trading, transfers, admin) and `governance.py` (the governance extensions) both
build on it, so neither imports the other for it.
"""

from __future__ import annotations


class WireError(ValueError):
    """The action cannot be parsed; the message is what the API answers."""


HEX_DIGITS = frozenset("0123456789abcdef")


def parse_address(value: object) -> str:
    """A 0x + 40 hex address, lower-cased."""
    if not isinstance(value, str) or len(value) != 42 or not value.startswith(("0x", "0X")):
        raise WireError(f"Invalid address: {value!r}")
    text = "0x" + value[2:].lower()
    if not set(text[2:]) <= HEX_DIGITS:
        raise WireError(f"Invalid address: {value!r}")
    return text
