"""Signed Hyperliquid requests -> authenticated engine transactions.

A body is {action, nonce, signature, vaultAddress?, expiresAfter?}. L1 actions are verified
against the phantom-agent digest of the action exactly as received (key order and types kept);
user-signed actions (usdSend, withdraw3, approveAgent, approveBuilderFee) against their own
EIP-712 struct, and must carry the outer nonce in their `time` / `nonce` field and no
`expiresAfter`. The recovered address is the signer; the engine decides whether it is a known
user or agent ("User or API Wallet ... does not exist.").

The transaction keeps the request as received (`Tx.auth`, canonical msgpack), so anyone holding
a batch can authenticate it again: the rollup's verifier and judge do (rollup/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgpack

from ..crypto.signatures import (
    USER_SIGNED_TYPES, SignatureError, l1_digest, recover_address, user_signed_digest,
)
from ..engine import tx as T
from ..units import MAX_WIRE_INT
from .actions import WireError, parse_action


@dataclass(slots=True, frozen=True)
class Network:
    """Which signatures this venue accepts (testnet by default, like the SDK off mainnet)."""

    is_mainnet: bool = False

    @property
    def chain_name(self) -> str:
        return "Mainnet" if self.is_mainnet else "Testnet"


DEVNET_ACTIONS = frozenset(("devFaucet", "devSetOracle", "devAdvanceTime", "devDropWebsockets",
                            "devRateLimitUser", "devPostOnly", "devDelayAcks",
                            "devL1GasSpike"))
UNKNOWN_ACTION = "Unknown action"


class RequestError(ValueError):
    """A whole-request failure: answered as {"status": "err", "response": message}."""


def _int_field(body: dict, key: str, optional: bool = False) -> int | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if type(value) is not int or not 0 <= value <= MAX_WIRE_INT:
        raise RequestError(f"Invalid or missing {key}")
    return value


def decode_request(body: object, network: Network = Network(),
                   sz_decimals_of=None, asset_of=None, devnet: bool = True) -> T.Tx:
    """Verify and parse one /exchange body into a transaction (RequestError if it fails).

    Off the devnet (`devnet` False) the devnet's cheat actions do not exist: "Unknown action"."""
    if not isinstance(body, dict):
        raise RequestError("Invalid request body")
    action = body.get("action")
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        raise RequestError("Invalid or missing action")
    nonce = _int_field(body, "nonce")
    vault = body.get("vaultAddress")
    if vault is not None and (not isinstance(vault, str) or len(vault) != 42):
        raise RequestError("Invalid vaultAddress")
    expires = _int_field(body, "expiresAfter", optional=True)
    kind = action["type"]
    if not devnet and kind in DEVNET_ACTIONS:
        raise RequestError(UNKNOWN_ACTION)
    try:
        if kind in USER_SIGNED_TYPES:
            signer = _user_signer(action, body, nonce, expires, network)
        else:
            digest = l1_digest(action, vault.lower() if vault else None, nonce, expires,
                               network.is_mainnet)
            signer = recover_address(digest, body.get("signature"))
        parsed = parse_action(action, sz_decimals_of, asset_of)
    except SignatureError as exc:
        raise RequestError(str(exc)) from None
    except WireError as exc:
        raise RequestError(str(exc)) from None
    except RequestError:
        raise
    except (ValueError, TypeError, OverflowError):  # an action msgpack cannot hash
        raise RequestError("Invalid request body") from None
    try:
        auth = msgpack.packb([action, nonce, body.get("signature"), vault, expires],
                             use_bin_type=True)
    except (ValueError, TypeError, OverflowError):
        raise RequestError("Invalid request body") from None
    return T.Tx(signer, nonce, parsed, vault.lower() if vault else None, expires, auth)


def _user_signer(action: dict, body: dict, nonce: int, expires: int | None,
                 network: Network) -> str:
    if expires is not None:
        raise RequestError("expiresAfter is not allowed on user-signed actions")
    if body.get("vaultAddress") is not None:
        raise RequestError("vaultAddress is not allowed on user-signed actions")
    field = "time" if action["type"] in ("usdSend", "withdraw3") else "nonce"
    if action.get(field) != nonce:
        raise RequestError(f"Action {field} must equal the request nonce")
    if action.get("hyperliquidChain") != network.chain_name:
        raise RequestError(f"Wrong hyperliquidChain: expected {network.chain_name}")
    signed = dict(action)
    if signed["type"] == "approveAgent" and signed.get("agentName") is None:
        signed["agentName"] = ""  # the SDK signs "" and then drops the key
    return recover_address(user_signed_digest(signed), body.get("signature"))
