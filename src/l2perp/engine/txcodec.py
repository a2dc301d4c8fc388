"""Engine transactions <-> msgpack bytes, for the block log.

Actions are plain dataclasses and NamedTuples of ints, strings, bools and tuples, so a generic
tagged encoding covers all of them: a dataclass or NamedTuple becomes [tag, [fields...]].
Decoding looks the tag up in a fixed registry of engine types (never an arbitrary import).
"""

from __future__ import annotations

import dataclasses

import msgpack

from . import tx as T
from ..units import Dec

REGISTRY = {cls.__name__: cls for cls in (
    T.PlaceOrders, T.Cancel, T.CancelByCloid, T.BatchModify, T.ScheduleCancel, T.UpdateLeverage,
    T.UpdateIsolatedMargin, T.UsdSend, T.Withdraw, T.ApproveAgent, T.Noop, T.BridgeCredit,
    T.SetPrice, T.SetMarketStatus, T.OracleReport, T.SetOracleSource, T.DevFaucet,
    T.DevAdvanceTime, T.ForcedWithdrawal, T.ForcedTrade, T.GovTx, T.OperatorOffence,
    T.OrderSpec, T.Tx, T.Block, Dec,
)}
TAG = "__t"


def _pack(value: object) -> object:
    if dataclasses.is_dataclass(value):
        return {TAG: type(value).__name__,
                "f": [_pack(getattr(value, f.name)) for f in dataclasses.fields(value)]}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {TAG: type(value).__name__, "f": [_pack(v) for v in value]}
    if isinstance(value, (list, tuple)):
        return [_pack(v) for v in value]
    return value


def _unpack(value: object) -> object:
    if isinstance(value, dict):
        cls = REGISTRY[value[TAG]]
        return cls(*[_unpack(v) for v in value["f"]])
    if isinstance(value, list):
        return tuple(_unpack(v) for v in value)
    return value


def encode_txs(txs: tuple[T.Tx, ...]) -> bytes:
    return msgpack.packb([_pack(tx) for tx in txs], use_bin_type=True)


def decode_txs(data: bytes) -> tuple[T.Tx, ...]:
    return tuple(_unpack(item) for item in msgpack.unpackb(data, raw=False))
