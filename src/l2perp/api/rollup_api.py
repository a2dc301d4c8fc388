"""The rollup on the API (l2perp extensions): info types `rollupStatus`, `batch`, `batches`,
`l1Status`, `block` and `l1Log` (the L1 call log, so anyone can replicate the L1 and check it),
and `POST /l1`, the devnet L1's transaction endpoint, for requests signed by the L1 account
that sends them.

An L1 request is `{"type": <call>, "sender": <0x address>, "nonce": <int, above the sender's
last>, ...call fields, "signature": {r, s, v}}`; the signature is over keccak256 of
"l2perp/l1" and the request without its signature as sorted-key JSON. Binary fields
(roots, leaves, witness parts) travel as 0x-hex.
"""

from __future__ import annotations

from ..crypto.signatures import SignatureError, recover_address
from ..engine.accounts import is_address
from ..node.l1wire import hexb, request_digest, unhex, witness_of_json
from ..rollup.batch import WithdrawalEntry
from ..rollup.contract import FINALIZED, POSTED, REVERTED
from ..rollup.l1 import L1Error
from .errors import INVALID_INTEGER, MAX_INT64

L1_CALLS = ("deposit", "forceWithdrawal", "forceTrade", "claim", "freeze", "challenge",
            "openEscapes", "escape", "reclaim", "faucet")


BATCHES_PAGE = 50  # rows of one `batches` answer
FINALITY = {POSTED: "posted", FINALIZED: "finalized", REVERTED: "reverted"}


def info_answer(node, body: dict) -> object:
    """rollupStatus, batch, batches, l1Status, block, l1Log (ValueError for anything else)."""
    rollup = node.rollup
    if rollup is None:
        raise ValueError("this node runs no rollup")
    kind = body.get("type")
    if kind == "rollupStatus":
        return rollup.status(node.state)
    if kind == "batch":
        key = "batchNo" if "batchNo" in body else "batch"
        return rollup.batch_info(_index(body, key))
    if kind == "batches":
        return batches(rollup.l1, body.get("from"))
    if kind == "l1Status":
        return rollup.l1_status()
    if kind == "block":
        height = _index(body, "height")
        row = node.sequencer.log.db.execute(
            "SELECT height, time_ms, length(txs) FROM blocks WHERE height = ?",
            (height,)).fetchone()
        if row is None:
            raise ValueError(f"no block {height}")
        return {"height": row[0], "time": row[1], "bytes": row[2],
                "finality": rollup.finality(height), "batch": rollup.batch_of(height)}
    if kind == "l1Log":
        start = _index(body, "from")
        rows = rollup.host.db.execute(
            "SELECT seq, method, args FROM calls WHERE seq > ? ORDER BY seq LIMIT 500",
            (start,)).fetchall()
        return {"deployment": hexb(rollup.host.db.execute(
                    "SELECT value FROM meta WHERE key='deployment'").fetchone()[0]),
                "calls": [[seq, method, hexb(args)] for seq, method, args in rows]}
    raise ValueError(f"unknown info type {kind!r}")


ROLLUP_INFO = ("rollupStatus", "batch", "batches", "l1Status", "l1Log", "block")


def _index(body: dict, key: str) -> int:
    """A batch number, height or log position: 0 when absent, else an int in [0, 2^63 - 1)
    (SQLite holds int64 only), else ValueError."""
    value = body.get(key, 0)
    if type(value) is not int or not 0 <= value < MAX_INT64:
        raise ValueError(INVALID_INTEGER.format(key=key))
    return value


def batches(l1, upper: object = None) -> dict:
    """The newest BATCHES_PAGE batches numbered at most `upper` (default: all), newest first,
    as summary rows; `now` is the L1 time (ms) and `finalizedNo` the newest finalized batch
    (0: none). Per row: heights and message indices are L2 heights and L1 queue indices
    ([l1MsgStart, l1MsgEnd)), times are ms of the L1 clock (a posted batch can be challenged
    while now < challengeDeadline), `bond` is micro-USDC (as in `batch`), `revertedBy` the
    batch whose fraud proof reverted it (0: none); `status` is the contract's record status and
    `finality` one of "posted" (standing in its challenge window), "finalized", "reverted"."""
    newest = len(l1.batches)
    if upper is not None:
        if type(upper) is not int or upper < 0:
            raise ValueError("from must be a batch number")
        newest = min(newest, upper)
    rows = []
    for batch_no in range(newest, max(0, newest - BATCHES_PAGE), -1):
        record = l1.batch(batch_no)
        h = record.header
        rows.append({
            "batchNo": h.batch_no, "status": record.status, "finality": FINALITY[record.status],
            "firstHeight": h.first_height, "lastHeight": h.last_height, "nTxs": h.n_txs,
            "postedAt": record.posted_ms, "challengeDeadline": record.deadline_ms,
            "poster": record.poster, "bond": record.bond_musdc, "l1MsgStart": h.l1_msg_start,
            "l1MsgEnd": h.l1_msg_end, "postRoot": "0x" + h.post_root.hex(),
            "revertedBy": record.reverted_by})
    return {"now": l1.time_ms, "finalizedNo": l1.finalized_no, "total": len(l1.batches),
            "batches": rows}


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
