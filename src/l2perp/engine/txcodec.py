"""Engine transactions <-> msgpack bytes, for the block log and the batch bodies posted to L1.

Actions are plain dataclasses and NamedTuples of ints, strings, bools, bytes and tuples, encoded
as `codec.Records` under the explicit numeric tags below: the tags, not the class names, are the
format, so renaming a class leaves every logged and posted byte unchanged. A tag is never reused;
a new transaction type takes the next free number.
"""

from __future__ import annotations

import msgpack

from . import tx as T
from ..codec import CodecError, Records, uncanonical
from ..units import Dec

TAGS: dict[int, type] = {
    1: T.Block, 2: T.Tx, 3: Dec, 4: T.OrderSpec,
    10: T.PlaceOrders, 11: T.Cancel, 12: T.CancelByCloid, 13: T.BatchModify,
    14: T.ScheduleCancel, 15: T.UpdateLeverage, 16: T.UpdateIsolatedMargin, 17: T.UsdSend,
    18: T.Withdraw, 19: T.ApproveAgent, 20: T.Noop, 21: T.CreateSubAccount,
    22: T.SubAccountTransfer, 23: T.ApproveBuilderFee, 24: T.CreateVault, 25: T.VaultTransfer,
    30: T.BridgeCredit, 31: T.ForcedWithdrawal, 32: T.ForcedTrade, 33: T.OperatorOffence,
    34: T.L1DataCost,
    40: T.SetPrice, 41: T.SetMarketStatus, 42: T.OracleReport, 43: T.SetOracleSource,
    50: T.DevFaucet, 51: T.DevAdvanceTime,
    52: T.DevDropWebsockets, 53: T.DevRateLimitUser, 54: T.DevPostOnly, 55: T.DevDelayAcks,
    56: T.DevL1GasSpike,
    # 60: retired (the untyped governance form GovTx(kind, args), replaced by 61-77)
    61: T.GovTransfer, 62: T.GovDelegate, 63: T.GovPropose, 64: T.GovVote, 65: T.GovQueue,
    66: T.GovExecute, 67: T.GovCancel, 68: T.GuardianSign, 69: T.GuardianRemove,
    70: T.StewardUpdate, 71: T.OperatorBond, 72: T.OperatorUnbond, 73: T.OperatorRelease,
    74: T.SubmitEvidence, 75: T.ExecuteSlash, 76: T.IncidentReport, 77: T.IncidentOpen,
    80: T.TwapOrder, 81: T.TwapCancel,
}
RECORDS = Records(TAGS)


def pack_tx(tx: T.Tx) -> bytes:
    """The canonical bytes of one transaction (TypeError if it holds a type we cannot encode)."""
    return RECORDS.encode(tx)


def join_packed(items: list[bytes]) -> bytes:
    """A msgpack list from already packed items: `encode_txs` of their transactions."""
    return msgpack.Packer().pack_array_header(len(items)) + b"".join(items)


def encode_txs(txs: tuple[T.Tx, ...]) -> bytes:
    """The canonical bytes of a block's transactions."""
    return join_packed([pack_tx(tx) for tx in txs])


def decode_txs(data: bytes) -> tuple[T.Tx, ...]:
    """The transactions `encode_txs` encoded (codec.CodecError for anything else)."""
    txs = RECORDS.decode(data)
    if type(txs) is not tuple or not all(type(tx) is T.Tx for tx in txs):
        raise CodecError("not a list of transactions")
    return txs


def encode_blocks(blocks: tuple[T.Block, ...]) -> bytes:
    """The canonical bytes of a list of blocks (a batch body)."""
    return RECORDS.encode(list(blocks))


def encode_block_packed(height: int, time_ms: int, txs: bytes) -> bytes:
    """`encode_blocks`' bytes of one block from its transactions already encoded
    (`encode_txs`): the record's header and first fields, then that list as it is (the
    transactions are the block's last field). `join_packed` of such blocks is the body."""
    head = RECORDS.encode(T.Block(height, time_ms, ()))
    return head[:-1] + txs  # the empty list's one byte (0x90) replaced by the list


def decode_blocks(data: bytes) -> tuple[T.Block, ...]:
    """The blocks `encode_blocks` encoded (codec.CodecError for anything else)."""
    return blocks_from_tree(uncanonical(data))


def blocks_from_tree(tree: object) -> tuple[T.Block, ...]:
    """The blocks of a decoded msgpack tree (codec.CodecError for anything else)."""
    blocks = RECORDS.unpack(tree)
    if type(blocks) is not tuple or not all(type(b) is T.Block for b in blocks):
        raise CodecError("not a list of blocks")
    return blocks
