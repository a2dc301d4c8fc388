"""The fields of an /info body, checked: each function returns the field's value or raises
ValueError with the text the client reads after Hyperliquid's "Failed to deserialize..."."""

from __future__ import annotations

from ..engine.accounts import is_address
from ..engine.state import State
from .errors import INVALID_INTEGER, INVALID_TIME, MAX_INT64, shown
from .info import asset_by_name


def user_field(body: dict) -> str:
    """`user`: a 42-character address, lowercased."""
    user = body.get("user")
    if not isinstance(user, str) or len(user) != 42:
        raise ValueError("missing user")
    return user.lower()


def address_field(body: dict, key: str) -> str:
    """An address field (`builder`, `vaultAddress`...): 0x + 40 hex digits, lower-cased."""
    value = body.get(key)
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        raise ValueError(f"missing {key}")
    text = value.lower()
    if not is_address(text):
        raise ValueError(f"invalid {key}")
    return text


def asset_field(state: State, coin: object) -> int:
    """The asset id of a listed coin."""
    asset = asset_by_name(state, coin)
    if asset is None:
        raise ValueError(f"unknown coin {shown(coin)}")
    return asset


def ms_field(body: dict, key: str, default: int | None = 0) -> int | None:
    """A time field in ms: `default` when absent or null, else an int in [0, 2^63 - 1)
    (SQLite holds int64 only)."""
    value = body.get(key)
    if value is None:
        return default
    if type(value) is not int or not 0 <= value < MAX_INT64:
        raise ValueError(INVALID_TIME.format(key=key))
    return value


def oid_field(body: dict) -> int | str:
    """orderStatus's `oid`: an order id in [0, 2^63 - 1) or a cloid string."""
    ref = body.get("oid")
    if isinstance(ref, str) and len(ref) <= 66:
        return ref
    if type(ref) is not int or not 0 <= ref < MAX_INT64:
        raise ValueError(INVALID_INTEGER.format(key="oid") + " (or a cloid)")
    return ref


def index_field(body: dict, key: str) -> int:
    """A batch number, height or log position: 0 when absent, else an int in [0, 2^63 - 1)."""
    value = body.get(key, 0)
    if type(value) is not int or not 0 <= value < MAX_INT64:
        raise ValueError(INVALID_INTEGER.format(key=key))
    return value
