"""Authentication of a batch's transactions from the batch alone.

Every user transaction in a batch carries the signed request it came from (`Tx.auth`). The
verifier and the judge decode that request again with the same wire rules the API used and
recover its signer; a transaction whose request does not yield exactly it (signer, nonce,
action, vault, expiry) is not the user's and is dropped from the block before execution, so a
sequencer that forges or alters a transaction posts a root no honest re-execution reaches.
System transactions (signer None) are L1 messages: the settlement contract matches them to its
queue at commit.
"""

from __future__ import annotations

import msgpack

from ..engine.state import State
from ..engine.tx import Block, Tx
from ..engine.txcodec import pack_tx
from ..wire.requests import Network, decode_request


def authentic(state: State, tx: Tx, network: Network = Network()) -> bool:
    """True when `tx` is exactly what its signed request says (system transactions: True).

    The request bytes are the poster's to choose, so whatever decoding them raises means "not
    the user's" (the transaction is dropped), never an error that escapes into the judge,
    where it would count as the judge's own failure. "Exactly" compares encodings, not `==`,
    for which True equals 1 (governance fields of kind `GovValue` have no narrower type to catch that)."""
    if tx.signer is None:
        return True
    if tx.auth is None:
        return False
    try:
        action, nonce, signature, vault, expires = msgpack.unpackb(tx.auth, raw=False)
        body = {"action": action, "nonce": nonce, "signature": signature,
                "vaultAddress": vault, "expiresAfter": expires}
        markets = state.markets
        again = decode_request(
            body, network, lambda asset: markets[asset].sz_decimals,
            lambda coin: next((m.asset for m in markets if m.name == coin), None))
        return again == tx and pack_tx(again) == pack_tx(tx)
    except Exception:  # noqa: BLE001 - RequestError, a malformed msgpack blob, anything
        return False


def authenticated_block(state: State, block: Block, network: Network = Network()) -> Block:
    """The block with every transaction that fails authentication left out."""
    kept = tuple(tx for tx in block.txs if authentic(state, tx, network))
    return block if len(kept) == len(block.txs) else Block(block.height, block.time_ms, kept)
