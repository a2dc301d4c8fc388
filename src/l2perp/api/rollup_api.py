"""`POST /l1` (an l2perp extension): the devnet L1's transaction endpoint, for requests signed
by the L1 account that sends them. The rollup's /info types are in rollup_rows.py.

An L1 request is `{"type": <call>, "sender": <0x address>, "nonce": <int, above the sender's
last>, ...call fields, "signature": {r, s, v}}`; the signature is over keccak256 of
"l2perp/l1" and the request without its signature as sorted-key JSON. Binary fields
(roots, leaves, witness parts) travel as 0x-hex.
"""

from __future__ import annotations

from ..crypto.signatures import SignatureError, recover_address
from ..engine.accounts import is_address
from ..node.l1wire import request_digest, unhex, witness_of_json
from ..rollup.batch import WithdrawalEntry
from ..rollup.l1 import L1Error

L1_CALLS = ("deposit", "forceWithdrawal", "forceTrade", "claim", "freeze", "challenge",
            "openEscapes", "escape", "reclaim", "faucet")


class L1Requests:
    """Checks and runs signed L1 requests against a node's L1 host."""

    def __init__(self, node, faucet_admin: str | None) -> None:
        self.node = node
        self.faucet_admin = faucet_admin

    def handle(self, request: object) -> dict:
        """{"status": "ok", "response": ...} or {"status": "err", "response": text}."""
        rollup = self.node.rollup
        if rollup is None:
            return {"status": "err", "response": "this node runs no rollup"}
        try:
            sender, kind = self._authenticate(request)
            result = self._run(rollup.host, sender, kind, request)
        except (L1Error, ValueError, KeyError, TypeError, OverflowError, SignatureError) as exc:
            return {"status": "err", "response": str(exc)}
        rollup.reconcile()
        return {"status": "ok", "response": result}

    def _authenticate(self, request: object) -> tuple[str, str]:
        if not isinstance(request, dict):
            raise ValueError("an L1 request is a JSON object")
        kind = request.get("type")
        if kind not in L1_CALLS:
            raise ValueError(f"unknown L1 call {kind!r}")
        sender = request.get("sender")
        nonce = request.get("nonce")
        if not isinstance(sender, str) or not is_address(sender.lower()):
            raise ValueError("sender must be a 0x address")
        sender = sender.lower()
        journal = self.node.rollup.journal  # survives restarts: no signed request runs twice
        if type(nonce) is not int or nonce <= journal.last_l1_nonce(sender):
            raise ValueError("nonce must exceed the sender's last")
        if recover_address(request_digest(request), request.get("signature")) != sender:
            raise ValueError("signature does not match the sender")
        return sender, kind

    def _run(self, host, sender: str, kind: str, r: dict) -> object:
        l1 = host.l1
        result: object = None
        if kind == "faucet":  # devnet: test USDC on L1, admin only
            if sender != self.faucet_admin:
                raise ValueError("only the devnet admin runs the L1 faucet")
            host.call("mint", r["user"].lower(), int(r["amount"]))
        elif kind == "deposit":
            m = host.call("deposit", sender, r.get("user", sender).lower(), int(r["amount"]))
            result = {"message": m.index}
        elif kind == "forceWithdrawal":
            result = {"message": host.call("force_withdrawal", sender, int(r["amount"])).index}
        elif kind == "forceTrade":
            m = host.call("force_trade", sender, r["counterparty"].lower(), int(r["asset"]),
                          int(r["size"]), int(r["price"]), int(r["expiry"]),
                          int(r["tradeNonce"]), r["counterpartySignature"])
            result = {"message": m.index}
        elif kind == "claim":
            entry = WithdrawalEntry(int(r["wid"]), r["user"].lower(), r["destination"].lower(),
                                    int(r["amount"]))
            host.call("claim", int(r["batch"]), int(r["k"]), entry,
                      [unhex(x) for x in r["proof"]])
            result = {"paid": entry.amount_musdc}
        elif kind == "freeze":
            host.call("freeze", sender, int(r["message"]))
        elif kind == "challenge":
            verdict = host.call("challenge", sender, int(r["batch"]),
                                witness_of_json(r["witness"]))
            result = {"fraud": verdict.fraud, "reason": verdict.reason,
                      "judgeFailure": None if verdict.failure is None else
                      {"kind": verdict.failure.kind, "message": verdict.failure.message}}
        elif kind == "openEscapes":
            book = host.call("open_escapes", witness_of_json(r["witness"]))
            result = {"pool": book.pool_musdc, "users": book.users_total_musdc,
                      "funds": book.funds_total_musdc}
        elif kind == "escape":
            result = {"paid": host.call("escape", sender, unhex(r["leaf"]),
                                        [unhex(x) for x in r["proof"]])}
        elif kind == "reclaim":
            result = {"paid": host.call("reclaim", sender, int(r["message"]))}
        self.node.rollup.journal.record_l1_nonce(sender, r["nonce"])
        result = result if result is not None else {}
        result["wallet"] = l1.wallets.get(sender, 0)
        return result
