"""Governance wire actions -> `GovTx` (the extension actions of DESIGN.md §7 on `/exchange`).

They are signed like any Hyperliquid L1 action (msgpack + phantom agent), so the SDK's
`sign_l1_action` and `Exchange._post_action` send them unmodified. Arguments are JSON ints (in
the engine's range), strings, booleans and lists; lists become tuples and address-shaped strings
are lower-cased. The engine checks each argument's shape again: a `GovTx` also arrives from L1.
"""

from __future__ import annotations

from ..engine.governance.args import MAX_INT, MIN_INT, is_text
from ..engine.tx import GovTx
from .common import WireError, parse_address

# wire type -> (engine kind, fields in order)
GOV_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "govTransfer": ("transfer", ("to", "amount")),
    "govDelegate": ("delegate", ("to",)),
    "govPropose": ("propose", ("actions",)),
    "govVote": ("vote", ("proposal", "support")),
    "govQueue": ("queue", ("proposal", "actions")),
    "govExecute": ("execute", ("proposal", "actions")),
    "govCancel": ("cancel", ("proposal",)),
    "guardianSign": ("guardianSign", ("nonce", "kind", "args")),
    "guardianRemove": ("guardianRemove", ("member",)),
    "stewardUpdate": ("stewardUpdate", ("key", "value")),
    "operatorBond": ("operatorBond", ("role", "amount")),
    "operatorUnbond": ("operatorUnbond", ("amount",)),
    "operatorRelease": ("operatorRelease", ()),
    "submitEvidence": ("submitEvidence", ("offence", "index")),
    "executeSlash": ("executeSlash", ("slash",)),
    "incidentReport": ("incidentReport", ("incident", "text")),
    "incidentOpen": ("incidentOpen", ("kind", "subject", "start", "end", "detail")),
}
ADDRESS_FIELDS = ("to", "member")
MAX_DEPTH = 4


def parse_gov_action(action: dict) -> GovTx:
    """A governance action dict -> GovTx (WireError if a field is missing or malformed)."""
    kind, fields = GOV_ACTIONS[action["type"]]
    args = []
    for name in fields:
        if name not in action:
            raise WireError(f"Invalid {action['type']} action: missing {name!r}")
        value = action[name]
        args.append(parse_address(value) if name in ADDRESS_FIELDS else _value(value, 0))
    return GovTx(kind, tuple(args))


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


def gov_action_to_wire(kind: str, args: tuple) -> dict:
    """The wire dict of an engine governance transaction (what clients sign)."""
    for wire, (engine_kind, fields) in GOV_ACTIONS.items():
        if engine_kind == kind:
            return {"type": wire, **{f: _plain(a) for f, a in zip(fields, args)}}
    raise KeyError(kind)


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, tuple) else value
