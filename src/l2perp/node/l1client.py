"""Talking to the L1 from outside the node: replicate it from its call log (over the API, or
straight from its file) and send signed requests (to a running node's `POST /l1`, or, with no
node running, as calls on the file itself). The verifier process and `l2perp l1 ...` use it.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from ..crypto.signatures import address_of, sign_digest
from ..rollup.batch import WithdrawalEntry
from ..rollup.contract import Settlement
from ..rollup.judge import JudgeError, Verdict, Witness
from ..rollup.l1 import L1Error
from .l1host import L1Host, replica
from .l1wire import request_digest, sign_request, unhex, witness_json


def post_json(url: str, body: dict, timeout: float = 30.0) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class L1Client:
    """One L1 account's view of the L1: `url` (a node's API) or `path` (the L1 file)."""

    def __init__(self, private_key: str, url: str | None = None, path: Path | None = None):
        if (url is None) == (path is None):
            raise ValueError("give the node's url or the L1 file, not both")
        self.key = bytes.fromhex(private_key.removeprefix("0x"))
        self.address = address_of(self.key)
        self.url = url.rstrip("/") if url else None
        self.host = L1Host(path) if path is not None else None
        if self.host is not None and not self.host.deployed:
            raise L1Error(f"no settlement contract in {path}")
        self.nonce = 0
        self._deployment: bytes | None = None
        self._calls: list[tuple[str, bytes]] = []

    # ----- reading ------------------------------------------------------------------------
    def l1(self) -> Settlement:
        """The L1 as it stands now (rebuilt from its call log)."""
        if self.host is not None:
            self.host.follow()
            return self.host.l1
        while True:
            answer = post_json(self.url + "/info", {"type": "l1Log", "from": len(self._calls)})
            self._deployment = unhex(answer["deployment"])
            rows = answer["calls"]
            self._calls.extend((method, unhex(args)) for _, method, args in rows)
            if len(rows) < 500:
                break
        return replica(self._deployment, self._calls)

    # ----- writing ------------------------------------------------------------------------
    def send(self, kind: str, **fields) -> dict:
        """Run one L1 call as this account; the call's result (L1Error when refused)."""
        if self.host is not None:
            return self._call_file(kind, fields)
        import time

        self.nonce = max(self.nonce + 1, time.time_ns() // 1_000)
        request = sign_request(self.key, {"type": kind, "sender": self.address,
                                          "nonce": self.nonce, **fields})
        answer = post_json(self.url + "/l1", request)
        if answer.get("status") != "ok":
            raise L1Error(str(answer.get("response")))
        return answer["response"]

    def _call_file(self, kind: str, f: dict) -> dict:
        host = self.host
        host.follow()
        me = self.address
        if kind == "deposit":
            return {"message": host.call("deposit", me, f.get("user", me), f["amount"]).index}
        if kind == "forceWithdrawal":
            return {"message": host.call("force_withdrawal", me, f["amount"]).index}
        if kind == "forceTrade":
            return {"message": host.call("force_trade", me, f["counterparty"], f["asset"],
                                         f["size"], f["price"], f["expiry"], f["tradeNonce"],
                                         f["counterpartySignature"]).index}
        if kind == "claim":
            entry = WithdrawalEntry(f["wid"], f["user"], f["destination"], f["amount"])
            host.call("claim", f["batch"], f["k"], entry, [unhex(x) for x in f["proof"]])
            return {"paid": entry.amount_musdc}
        if kind == "freeze":
            host.call("freeze", me, f["message"])
            return {}
        if kind == "openEscapes":
            book = host.call("open_escapes", Witness(unhex(f["witness"]["shared"]), tuple(
                unhex(x) for x in f["witness"]["leaves"])))
            return {"pool": book.pool_musdc}
        if kind == "escape":
            return {"paid": host.call("escape", me, unhex(f["leaf"]),
                                      [unhex(x) for x in f["proof"]])}
        if kind == "reclaim":
            return {"paid": host.call("reclaim", me, f["message"])}
        if kind == "faucet":
            host.call("mint", f["user"], f["amount"])
            return {}
        if kind == "challenge":
            verdict = host.call("challenge", me, f["batch"], Witness(
                unhex(f["witness"]["shared"]), tuple(unhex(x) for x in f["witness"]["leaves"])))
            return {"fraud": verdict.fraud, "reason": verdict.reason,
                      "judgeFailure": None if verdict.failure is None else
                      {"kind": verdict.failure.kind, "message": verdict.failure.message}}
        raise L1Error(f"unknown L1 call {kind}")

    def challenge(self, challenger: str, batch_no: int, witness: Witness) -> Verdict:
        """The verifier's submit: one challenge, its verdict."""
        answer = self.send("challenge", batch=batch_no, witness=witness_json(witness))
        failure = answer.get("judgeFailure")
        return Verdict(answer["fraud"], answer["reason"],
                       None if failure is None else JudgeError(failure["kind"],
                                                               failure["message"]))

    def sign_terms(self, digest: bytes) -> dict:
        return sign_digest(self.key, digest)


__all__ = ["L1Client", "post_json", "request_digest"]
