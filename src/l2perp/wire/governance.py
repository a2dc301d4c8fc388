"""Governance wire actions -> the engine's typed governance transactions (GovVote, ...; the
extension actions of docs/api.md on `/exchange`).

They are signed like any Hyperliquid L1 action (msgpack + phantom agent), so the SDK's
`sign_l1_action` and `Exchange._post_action` send them unmodified. Arguments are JSON ints (in
the engine's range), strings, booleans and lists; lists become tuples and address-shaped strings
are lower-cased. The engine checks each argument's kind and refuses a wrong one with its
governance text (a transaction also arrives from L1), so a field of the wrong kind is no parse
error here.
"""

from __future__ import annotations

from ..engine.governance import transactions as G
from ..engine.governance.args import MAX_INT, MIN_INT, is_text
from .common import WireError, parse_address

# wire type -> (engine transaction, its wire fields in the order of the transaction's fields)
GOV_ACTIONS: dict[str, tuple[type, tuple[str, ...]]] = {
    "govTransfer": (G.GovTransfer, ("to", "amount")),
    "govDelegate": (G.GovDelegate, ("to",)),
    "govPropose": (G.GovPropose, ("actions",)),
    "govVote": (G.GovVote, ("proposal", "support")),
    "govQueue": (G.GovQueue, ("proposal", "actions")),
    "govExecute": (G.GovExecute, ("proposal", "actions")),
    "govCancel": (G.GovCancel, ("proposal",)),
    "guardianSign": (G.GuardianSign, ("nonce", "kind", "args")),
    "guardianRemove": (G.GuardianRemove, ("member",)),
    "stewardUpdate": (G.StewardUpdate, ("key", "value")),
    "operatorBond": (G.OperatorBond, ("role", "amount")),
    "operatorUnbond": (G.OperatorUnbond, ("amount",)),
    "operatorRelease": (G.OperatorRelease, ()),
    "submitEvidence": (G.SubmitEvidence, ("offence", "index")),
    "executeSlash": (G.ExecuteSlash, ("slash",)),
    "incidentReport": (G.IncidentReport, ("incident", "text")),
    "incidentOpen": (G.IncidentOpen, ("kind", "subject", "start", "end", "detail")),
}
ADDRESS_FIELDS = ("to", "member")
MAX_DEPTH = 4


def parse_gov_action(action: dict):
    """A governance action dict -> its typed transaction (WireError if a field is missing or
    is no governance argument value)."""
    cls, fields = GOV_ACTIONS[action["type"]]
    args = []
    for name in fields:
        if name not in action:
            raise WireError(f"Invalid {action['type']} action: missing {name!r}")
        value = action[name]
        args.append(parse_address(value) if name in ADDRESS_FIELDS else _value(value, 0))
    return cls(*args)


def _value(value: object, depth: int):
    if depth > MAX_DEPTH:
        raise WireError("Governance arguments are nested too deeply")
    if isinstance(value, list):
        return tuple(_value(v, depth + 1) for v in value)
    if isinstance(value, str):
        if not is_text(value):
            raise WireError("Invalid governance argument: not valid Unicode text")
        if len(value) == 42 and value[:2] in ("0x", "0X"):
            try:
                return parse_address(value)
            except WireError:
                return value
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise WireError("Invalid governance argument: integers lie in [-2**63, 2**63)")
        return value
    raise WireError(f"Invalid governance argument: {value!r}")


def gov_action_to_wire(tx) -> dict:
    """The wire dict of a typed governance transaction (what clients sign)."""
    for wire, (cls, fields) in GOV_ACTIONS.items():
        if cls is type(tx):
            return {"type": wire, **{f: _plain(a) for f, a in zip(fields, G.gov_args(tx))}}
    raise KeyError(type(tx).__name__)


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, tuple) else value
