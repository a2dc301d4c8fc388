"""Hyperliquid wire actions -> engine transactions.

Parses the `action` object of a `POST /exchange` body (as the SDK and ccxt send it) into the
engine's typed actions: decimal strings become exact `Dec` pairs or micro-USDC integers, addresses
are lower-cased, cloids checked. A malformed action raises `WireError` with the text to answer.
"""

from __future__ import annotations

from typing import Callable

from ..engine import tx as T
from ..engine.book import TIF_ALO, TIF_GTC, TIF_IOC, TIF_TRIGGER, TPSL_SL, TPSL_TP
from ..engine import errors as E
from ..engine.vaults import MAX_DESCRIPTION_CHARS
from ..engine.devfaults import (
    MAX_ACK_DELAY_MS, MAX_FAULT_SECONDS, MAX_GAS_MULTIPLE, MIN_ACK_DELAY_MS, MIN_FAULT_SECONDS,
    MIN_GAS_MULTIPLE,
)
from ..units import (
    MAX_AMOUNT_MUSDC, MAX_TEXT_CHARS, MAX_WIRE_INT, Dec, in_wire_range, parse_decimal,
    round_half_even, usdc_to_musdc,
)
from .common import HEX_DIGITS, WireError, parse_address
from .governance import GOV_ACTIONS, parse_gov_action

MAX_BATCH = 1_000  # orders, cancels or modifies in one action


def _batch(action: dict, key: str) -> list:
    items = action[key]
    if not isinstance(items, list) or not items:
        raise WireError(f"Invalid {key}")
    if len(items) > MAX_BATCH:
        raise WireError(f"Too many {key} in one action: {len(items)} > {MAX_BATCH}.")
    return items


TIFS = {"Gtc": TIF_GTC, "Ioc": TIF_IOC, "Alo": TIF_ALO}
GROUPINGS = {"na": T.GROUPING_NA, "normalTpsl": T.GROUPING_NORMAL_TPSL,
             "positionTpsl": T.GROUPING_POSITION_TPSL}
TPSLS = {"tp": TPSL_TP, "sl": TPSL_SL}


def parse_cloid(value: object) -> str:
    """A cloid: 0x + 32 hex digits, lower-cased."""
    if not isinstance(value, str) or len(value) != 34 or not value.startswith("0x"):
        raise WireError(f"Invalid cloid: {value!r}")
    text = value.lower()
    if not set(text[2:]) <= HEX_DIGITS:
        raise WireError(f"Invalid cloid: {value!r}")
    return text


# The answer to a price or size string that is malformed or beyond the API's range.
RANGE_ERRORS = {"price": E.ORDER_HAS_INVALID_PRICE, "triggerPx": E.ORDER_HAS_INVALID_PRICE,
                "size": E.ORDER_HAS_INVALID_SIZE}


def _dec(value: object, what: str) -> Dec:
    """A decimal string within `units.in_wire_range`, exactly."""
    if not isinstance(value, str):
        raise WireError(RANGE_ERRORS.get(what, f"Invalid {what}: {value!r}"))
    try:
        parsed = parse_decimal(value)
    except ValueError:
        raise WireError(RANGE_ERRORS.get(what, f"Invalid {what}: {value!r}")) from None
    if not in_wire_range(parsed):
        raise WireError(RANGE_ERRORS.get(what, f"Invalid {what}: out of range"))
    return parsed


def _int(value: object, what: str, low: int = 0, high: int = MAX_WIRE_INT) -> int:
    """An integer in [low, high] (by default 0 .. 2**63 - 1); bools are not integers."""
    if type(value) is not int:
        raise WireError(f"Invalid {what}: {value!r}")
    if not low <= value <= high:
        raise WireError(f"Invalid {what}: out of range")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise WireError(f"Invalid {what}: {value!r}")
    return value


def parse_order(wire: object) -> T.OrderSpec:
    """One wire order {a, b, p, s, r, t, c?} -> OrderSpec."""
    if not isinstance(wire, dict):
        raise WireError("Invalid order")
    try:
        asset = _int(wire["a"], "asset")
        is_buy = _bool(wire["b"], "side")
        px = _dec(wire["p"], "price")
        sz = _dec(wire["s"], "size")
        reduce_only = _bool(wire["r"], "reduceOnly")
        order_type = wire["t"]
    except KeyError as missing:
        raise WireError(f"Order missing field {missing.args[0]}") from None
    cloid = parse_cloid(wire["c"]) if wire.get("c") is not None else None
    if not isinstance(order_type, dict) or len(order_type) != 1:
        raise WireError("Invalid order type")
    if "limit" in order_type:
        tif = order_type["limit"].get("tif") if isinstance(order_type["limit"], dict) else None
        if tif not in TIFS:
            raise WireError(f"Invalid TIF: {tif!r}")
        return T.OrderSpec(asset, is_buy, px, sz, reduce_only, TIFS[tif], cloid)
    trigger = order_type.get("trigger")
    if not isinstance(trigger, dict):
        raise WireError("Invalid order type")
    tpsl = TPSLS.get(trigger.get("tpsl"))
    if tpsl is None:
        raise WireError(f"Invalid tpsl: {trigger.get('tpsl')!r}")
    return T.OrderSpec(
        asset, is_buy, px, sz, reduce_only, TIF_TRIGGER, cloid,
        _dec(trigger.get("triggerPx"), "triggerPx"), _bool(trigger.get("isMarket"), "isMarket"),
        tpsl,
    )


def parse_action(action: object, sz_decimals_of=None, asset_of=None) -> T.Action:
    """A Hyperliquid action dict -> an engine action (WireError if malformed or unknown).

    `sz_decimals_of(asset)` gives a market's szDecimals and `asset_of(coin)` a coin's asset id;
    oracle reports and devSetOracle need them to round decimal prices to the nearest pip (ties
    to even)."""
    if not isinstance(action, dict):
        raise WireError("Invalid action")
    kind = action.get("type")
    try:
        parser = PARSERS.get(kind)
        if parser is not None:
            return parser(action)
        priced = PRICED_PARSERS.get(kind)
        if priced is not None:
            return priced(action, sz_decimals_of, asset_of)
    except (KeyError, TypeError) as exc:  # a missing field, a field of the wrong JSON type
        raise WireError(f"Invalid {kind} action: {exc}") from None
    raise WireError(f"Unknown action type: {kind!r}")


# ----- one parser per action type ----------------------------------------------------------

def _order(action: dict) -> T.PlaceOrders:
    grouping = GROUPINGS.get(action.get("grouping", "na"))
    if grouping is None:
        raise WireError(f"Invalid grouping: {action.get('grouping')!r}")
    builder = action.get("builder")
    builder_t = None
    if builder is not None:
        builder_t = (parse_address(builder["b"]), _int(builder["f"], "builder fee"))
    orders = _batch(action, "orders")
    return T.PlaceOrders(tuple(parse_order(o) for o in orders), grouping, builder_t)


def _cancel(action: dict) -> T.Cancel:
    return T.Cancel(tuple((_int(c["a"], "asset"), _int(c["o"], "oid"))
                          for c in _batch(action, "cancels")))


def _cancel_by_cloid(action: dict) -> T.CancelByCloid:
    return T.CancelByCloid(tuple((_int(c["asset"], "asset"), parse_cloid(c["cloid"]))
                                 for c in _batch(action, "cancels")))


def _order_ref(ref: object) -> int | str:
    """An order named by its oid or its cloid."""
    return parse_cloid(ref) if isinstance(ref, str) else _int(ref, "oid")


def _batch_modify(action: dict) -> T.BatchModify:
    return T.BatchModify(tuple((_order_ref(m["oid"]), parse_order(m["order"]))
                               for m in _batch(action, "modifies")))


def _modify(action: dict) -> T.BatchModify:
    return T.BatchModify(((_order_ref(action["oid"]), parse_order(action["order"])),))


def _schedule_cancel(action: dict) -> T.ScheduleCancel:
    time = action.get("time")
    return T.ScheduleCancel(None if time is None else _int(time, "time"))


def _update_leverage(action: dict) -> T.UpdateLeverage:
    return T.UpdateLeverage(_int(action["asset"], "asset"), _bool(action["isCross"], "isCross"),
                            _int(action["leverage"], "leverage"))


def _update_isolated_margin(action: dict) -> T.UpdateIsolatedMargin:
    return T.UpdateIsolatedMargin(_int(action["asset"], "asset"),
                                  _bool(action["isBuy"], "isBuy"),
                                  _int(action["ntli"], "ntli", -MAX_AMOUNT_MUSDC,
                                       MAX_AMOUNT_MUSDC))


def _usd_send(action: dict) -> T.UsdSend:
    return T.UsdSend(parse_address(action["destination"]), _usd(action["amount"]),
                     _int(action["time"], "time"))


def _withdraw(action: dict) -> T.Withdraw:
    return T.Withdraw(parse_address(action["destination"]), _usd(action["amount"]),
                      _int(action["time"], "time"))


def _approve_agent(action: dict) -> T.ApproveAgent:
    name = action.get("agentName") or ""
    if not isinstance(name, str) or len(name) > MAX_TEXT_CHARS:
        raise WireError("Invalid agentName")
    return T.ApproveAgent(parse_address(action["agentAddress"]), name,
                          _int(action["nonce"], "nonce"))




def _text(value: object, what: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A string of at most `limit` characters, longer ones refused before they reach a block
    (a name or description must fit in a leaf; the engine checks its own limits too)."""
    if not isinstance(value, str) or len(value) > limit:
        raise WireError(f"Invalid {what}")
    return value


def _raw_usd(value: object) -> int:
    """A micro-USDC integer as Hyperliquid's transfer actions send it (`usd`: 1 USDC is
    1,000,000), in [0, MAX_AMOUNT_MUSDC] (the engine refuses 0)."""
    if type(value) is not int or not 0 <= value <= MAX_AMOUNT_MUSDC:
        raise WireError(E.INVALID_AMOUNT)
    return value


def _create_sub_account(action: dict) -> T.CreateSubAccount:
    return T.CreateSubAccount(_text(action["name"], "name"))


def _sub_account_transfer(action: dict) -> T.SubAccountTransfer:
    return T.SubAccountTransfer(parse_address(action["subAccountUser"]),
                                _bool(action["isDeposit"], "isDeposit"),
                                _raw_usd(action["usd"]))


def _create_vault(action: dict) -> T.CreateVault:
    return T.CreateVault(_text(action["name"], "name"),
                         _text(action.get("description", ""), "description",
                               MAX_DESCRIPTION_CHARS + 1),
                         _raw_usd(action["initialUsd"]))


def _vault_transfer(action: dict) -> T.VaultTransfer:
    return T.VaultTransfer(parse_address(action["vaultAddress"]),
                           _bool(action["isDeposit"], "isDeposit"), _raw_usd(action["usd"]))


def parse_fee_rate(value: object) -> int:
    """A percentage string ("0.01%") as tenths of a basis point (10); exact, at most 3
    decimals of a percent (0.001% = 1), else WireError."""
    if not isinstance(value, str) or not value.endswith("%"):
        raise WireError(f"Invalid maxFeeRate: {value!r}")
    try:
        rate = parse_decimal(value[:-1])
    except ValueError:
        raise WireError(f"Invalid maxFeeRate: {value!r}") from None
    if rate.coeff < 0 or rate.decimals() > 3 or rate.exp > 6:
        raise WireError(f"Invalid maxFeeRate: {value!r}")
    return rate.coeff * 10 ** (rate.exp + 3)  # the engine caps it at 0.1% (100)


def _approve_builder_fee(action: dict) -> T.ApproveBuilderFee:
    return T.ApproveBuilderFee(parse_address(action["builder"]),
                               parse_fee_rate(action["maxFeeRate"]),
                               _int(action["nonce"], "nonce"))


def _twap_order(action: dict) -> T.TwapOrder:
    """{"twap": {a, b, s, r, m, t}}: asset, isBuy, size string, reduceOnly, minutes (an
    integer; the engine checks 5..1440), randomize."""
    twap = action["twap"]
    if not isinstance(twap, dict):
        raise WireError("Invalid twap")
    return T.TwapOrder(_int(twap["a"], "asset"), _bool(twap["b"], "side"),
                       _dec(twap["s"], "size"), _bool(twap["r"], "reduceOnly"),
                       _int(twap["m"], "minutes"), _bool(twap["t"], "randomize"))


def _twap_cancel(action: dict) -> T.TwapCancel:
    return T.TwapCancel(_int(action["a"], "asset"), _int(action["t"], "twapId"))


def _noop(action: dict) -> T.Noop:
    return T.Noop(action["type"])


def _dev_faucet(action: dict) -> T.DevFaucet:
    return T.DevFaucet(parse_address(action["user"]), _usd(action["usd"]))


def _dev_advance_time(action: dict) -> T.DevAdvanceTime:
    return T.DevAdvanceTime(_int(action["ms"], "ms"))


def _fault_seconds(action: dict) -> int:
    return _int(action["seconds"], "seconds", MIN_FAULT_SECONDS, MAX_FAULT_SECONDS)


def _dev_drop_websockets(action: dict) -> T.DevDropWebsockets:
    return T.DevDropWebsockets()


def _dev_rate_limit_user(action: dict) -> T.DevRateLimitUser:
    return T.DevRateLimitUser(parse_address(action["user"]), _fault_seconds(action))


def _dev_post_only(action: dict) -> T.DevPostOnly:
    return T.DevPostOnly(_fault_seconds(action))


def _dev_delay_acks(action: dict) -> T.DevDelayAcks:
    return T.DevDelayAcks(_int(action["ms"], "ms", MIN_ACK_DELAY_MS, MAX_ACK_DELAY_MS),
                          _fault_seconds(action))


def _dev_l1_gas_spike(action: dict) -> T.DevL1GasSpike:
    return T.DevL1GasSpike(_int(action["multiple"], "multiple", MIN_GAS_MULTIPLE,
                                MAX_GAS_MULTIPLE), _fault_seconds(action))


def _dev_set_oracle(action: dict, sz_decimals_of, asset_of) -> T.SetPrice:
    if asset_of is None or sz_decimals_of is None:
        raise WireError("devSetOracle needs the market table")
    asset = asset_of(action["coin"])
    if asset is None:
        raise WireError(f"Unknown coin: {action['coin']!r}")
    px = action.get("px")
    pips = 0 if px is None else round_half_even(_dec(px, "px"), 6 - sz_decimals_of(asset))
    return T.SetPrice(asset, pips)


def _oracle_report(action: dict, sz_decimals_of, asset_of) -> T.OracleReport:
    asset = _int(action["asset"], "asset")
    if sz_decimals_of is None:
        raise WireError("Oracle reports need the market table")
    try:
        decimals = 6 - sz_decimals_of(asset)
    except (IndexError, KeyError):
        raise WireError(f"Unknown asset: {asset}") from None
    ext = action.get("extMid")
    return T.OracleReport(
        asset, _int(action["round"], "round"),
        round_half_even(_dec(action["px"], "px"), decimals),
        _int(action["time"], "time"),
        round_half_even(_dec(ext, "extMid"), decimals) if ext is not None else 0,
    )


# wire type -> its parser; the governance extensions parse in wire/governance.py
PARSERS: dict[str, Callable[[dict], T.Action]] = {
    "order": _order,
    "cancel": _cancel,
    "cancelByCloid": _cancel_by_cloid,
    "batchModify": _batch_modify,
    "modify": _modify,
    "scheduleCancel": _schedule_cancel,
    "updateLeverage": _update_leverage,
    "updateIsolatedMargin": _update_isolated_margin,
    "usdSend": _usd_send,
    "withdraw3": _withdraw,
    "approveAgent": _approve_agent,
    "approveBuilderFee": _approve_builder_fee,
    "createSubAccount": _create_sub_account,
    "subAccountTransfer": _sub_account_transfer,
    "createVault": _create_vault,
    "vaultTransfer": _vault_transfer,
    "twapOrder": _twap_order,
    "twapCancel": _twap_cancel,
    "setReferrer": _noop,
    "noop": _noop,  # Hyperliquid's: uses up its nonce and does nothing else
    "devFaucet": _dev_faucet,
    "devAdvanceTime": _dev_advance_time,
    "devDropWebsockets": _dev_drop_websockets,
    "devRateLimitUser": _dev_rate_limit_user,
    "devPostOnly": _dev_post_only,
    "devL1GasSpike": _dev_l1_gas_spike,
    "devDelayAcks": _dev_delay_acks,
    **{wire: parse_gov_action for wire in GOV_ACTIONS},
}
# wire type -> its parser, which rounds decimal prices with the market table
PRICED_PARSERS: dict[str, Callable[[dict, Callable | None, Callable | None], T.Action]] = {
    "devSetOracle": _dev_set_oracle,
    "oracleReport": _oracle_report,
}


def _usd(value: object) -> int:
    """A USD decimal string as micro-USDC in [0, MAX_AMOUNT_MUSDC] (the engine refuses 0)."""
    if not isinstance(value, str):
        raise WireError(E.INVALID_AMOUNT)
    try:
        amount = usdc_to_musdc(value)
    except ValueError:
        raise WireError(E.INVALID_AMOUNT) from None
    if not 0 <= amount <= MAX_AMOUNT_MUSDC:
        raise WireError(E.INVALID_AMOUNT)
    return amount
