"""Authentication of a batch's transactions from the batch alone.

Every user transaction in a batch carries the signed request it came from (`Tx.auth`). The
verifier and the judge decode that request again with the same wire rules the API used and
recover its signer; a transaction whose request does not yield exactly it (signer, nonce,
action, vault, expiry) is not the user's and is dropped from the block before execution, so a
sequencer that forges or alters a transaction posts a root no honest re-execution reaches.
System transactions (signer None) are L1 messages: the settlement contract matches them to its
queue at commit.

Decoding a request needs two things of the state, both about markets: a market's szDecimals (by
asset id) and a coin's asset id (by name). `market_table` takes exactly those from a state as a
small tuple, which is all a worker process needs (rollup/authpool.py authenticates a batch's
transactions in parallel); `MarketLookups` answers both questions from it in O(1).
"""

from __future__ import annotations

import msgpack

from ..engine.state import State
from ..engine.tx import Block, Tx
from ..engine.txcodec import pack_tx
from ..wire.requests import Network, decode_request

MarketRow = tuple[int, str, int]  # (asset id, name, szDecimals) of one market
MarketTable = tuple[MarketRow, ...]  # every market, in the state's order (index = asset id)


def market_table(state: State) -> MarketTable:
    """What request decoding reads of the state: (asset, name, szDecimals) of every market, in
    the order of `state.markets`. Two states with equal tables authenticate alike."""
    return tuple((m.asset, m.name, m.sz_decimals) for m in state.markets)


class MarketLookups:
    """The two market questions of request decoding, answered from a `MarketTable` exactly as
    the state's market list answers them: szDecimals by list position (IndexError beyond the
    last market), and the asset id of the first market with a given name (None if none)."""

    __slots__ = ("sz_decimals", "asset_by_name")

    def __init__(self, table: MarketTable) -> None:
        self.sz_decimals: tuple[int, ...] = tuple(row[2] for row in table)
        names: dict[str, int] = {}
        for asset, name, _ in table:
            names.setdefault(name, asset)  # the first market of a name, like a linear scan
        self.asset_by_name = names

    def sz_decimals_of(self, asset: int) -> int:
        """szDecimals of the market at index `asset` (IndexError when there is none)."""
        return self.sz_decimals[asset]

    def asset_of(self, coin: object) -> int | None:
        """The asset id of the first market named `coin`, or None (also for a non-string)."""
        if type(coin) is not str:
            return None
        return self.asset_by_name.get(coin)


def authentic_with(lookups: MarketLookups, tx: Tx, network: Network = Network()) -> bool:
    """True when `tx` is exactly what its signed request says (system transactions: True),
    decoding the request against the markets of `lookups`.

    The request bytes are the poster's to choose, so whatever decoding them raises means "not
    the user's" (the transaction is dropped), never an error that escapes into the judge,
    where it would count as the judge's own failure. "Exactly" compares encodings, not `==`,
    for which True equals 1 (governance fields of kind `GovValue` have no narrower type to
    catch that)."""
    if tx.signer is None:
        return True
    if tx.auth is None:
        return False
    try:
        action, nonce, signature, vault, expires = msgpack.unpackb(tx.auth, raw=False)
        body = {"action": action, "nonce": nonce, "signature": signature,
                "vaultAddress": vault, "expiresAfter": expires}
        again = decode_request(body, network, lookups.sz_decimals_of, lookups.asset_of)
        return again == tx and pack_tx(again) == pack_tx(tx)
    except Exception:  # noqa: BLE001 - RequestError, a malformed msgpack blob, anything
        return False


def authentic(state: State, tx: Tx, network: Network = Network()) -> bool:
    """True when `tx` is exactly what its signed request says, decoded against the markets of
    `state` (`authentic_with`; system transactions: True)."""
    return authentic_with(MarketLookups(market_table(state)), tx, network)


def authenticate_serial(table: MarketTable, txs: tuple[Tx, ...] | list[Tx],
                        network: Network = Network()) -> list[bool]:
    """`authentic_with` of every transaction, in this process and in order: one bool each."""
    lookups = MarketLookups(table)
    return [authentic_with(lookups, tx, network) for tx in txs]


def keep_authentic(block: Block, verdicts: list[bool]) -> Block:
    """The block without the transactions whose verdict is False (one verdict per transaction,
    in block order); the block itself when all are True."""
    if all(verdicts):
        return block
    return Block(block.height, block.time_ms,
                 tuple(tx for tx, ok in zip(block.txs, verdicts) if ok))


def authenticated_block(state: State, block: Block, network: Network = Network()) -> Block:
    """The block with every transaction that fails authentication left out (serially, against
    the markets of `state`)."""
    return keep_authentic(block, authenticate_serial(market_table(state), block.txs, network))
