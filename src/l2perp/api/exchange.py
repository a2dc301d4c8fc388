"""`POST /exchange`: requests are decoded and authenticated by `wire.requests` (re-exported
here); receipts become Hyperliquid's replies."""

from __future__ import annotations

from ..engine import tx as T
from ..units import format_fixed, format_size
from ..wire.requests import Network, RequestError, decode_request

__all__ = ["Network", "RequestError", "decode_request", "format_receipt", "format_status"]

TWAP_KINDS = frozenset((T.KIND_TWAP_ORDER, T.KIND_TWAP_CANCEL))


# ----- replies ------------------------------------------------------------------------------

def format_status(status: object, sz_decimals_of) -> object:
    """One order/cancel status as Hyperliquid writes it."""
    if isinstance(status, T.Resting):
        return {"resting": {"oid": status.oid}}
    if isinstance(status, T.Filled):
        d = sz_decimals_of(status.asset)
        return {"filled": {"totalSz": format_size(status.total_lots, d),
                           "avgPx": average_price(status.notional_musdc, status.total_lots, d),
                           "oid": status.oid}}
    if isinstance(status, T.OrderError):
        return {"error": status.error}
    if isinstance(status, T.TwapRunning):
        return {"running": {"twapId": status.twap_id}}
    return status  # "success", "waitingForFill", "waitingForTrigger"


def average_price(notional_musdc: int, lots: int, sz_decimals: int) -> str:
    """notional / lots in USD, to 6 - szDecimals + 2 decimals, rounded half up (display)."""
    decimals = 6 - sz_decimals + 2
    scaled = (2 * notional_musdc * 100 + lots) // (2 * lots)  # pips x 100, half up
    return format_fixed(scaled, decimals)


def format_receipt(receipt: T.Receipt, sz_decimals_of) -> dict:
    """A receipt as the /exchange reply body."""
    if not receipt.ok:
        return {"status": "err", "response": receipt.error}
    if receipt.statuses is None:
        return {"status": "ok", "response": {"type": "default"}}
    if receipt.kind in (T.KIND_CREATE_SUB_ACCOUNT, T.KIND_CREATE_VAULT):  # the new address
        return {"status": "ok", "response": {"type": receipt.kind, "data": receipt.statuses[0]}}
    if receipt.kind in TWAP_KINDS:  # one status, under data.status
        return {"status": "ok", "response": {"type": receipt.kind, "data": {
            "status": format_status(receipt.statuses[0], sz_decimals_of)}}}
    return {"status": "ok", "response": {"type": receipt.kind, "data": {
        "statuses": [format_status(s, sz_decimals_of) for s in receipt.statuses]}}}
