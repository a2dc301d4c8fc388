"""`l2perp gov ...`: governance from a holder's, guardian's, steward's or operator's seat. Writes
are Hyperliquid L1 actions signed with a key file (or `--key`) and posted to `/exchange`, like
any SDK client; reads are `/info` governance types shown as tables.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .options import KEY, KEY_FILE, URL, private_key

app = typer.Typer(add_completion=False, help="governance: proposals, votes, guardians, "
                  "stewards, operators, incidents")
console = Console()

SUPPORT = {"against": 0, "for": 1, "abstain": 2}


def _post(url: str, path: str, body: dict) -> object:
    from urllib.error import HTTPError

    from ..node.l1client import post_json

    try:
        return post_json(url.rstrip("/") + path, body, timeout=10)
    except HTTPError as exc:
        console.print(f"[red]{exc.code}: {exc.read().decode(errors='replace')}[/red]")
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:  # unreachable (URLError), or a reply that is not JSON
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _info(url: str, kind: str, **kw) -> object:
    return _post(url, "/info", {"type": kind, **kw})


def send(url: str, private_key: str, action: dict) -> None:
    """Sign `action` as an L1 action (testnet domain, like the devnet) and post it."""
    from ..crypto.signatures import address_of, sign_l1_action

    nonce = int(time.time() * 1000)
    secret = bytes.fromhex(private_key.removeprefix("0x"))
    signature = sign_l1_action(secret, action, None, nonce, None, False)
    reply = _post(url, "/exchange", {"action": action, "nonce": nonce, "signature": signature,
                                     "vaultAddress": None, "expiresAfter": None})
    if reply.get("status") != "ok":
        console.print(f"[red]{reply.get('response')}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]ok[/green] {action['type']} from {address_of(secret)}")


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _actions(text: str) -> list:
    """Actions as JSON (`[["setRiskParam", "0.oiCap", 5]]`) or @file."""
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        actions = json.loads(text)
    except json.JSONDecodeError as exc:
        console.print(f"[red]actions are JSON: {exc}[/red]")
        raise typer.Exit(2) from None
    if not isinstance(actions, list) or not all(isinstance(a, list) for a in actions):
        console.print("[red]actions are a JSON list of lists[/red]")
        raise typer.Exit(2)
    return actions


# ----- reads ---------------------------------------------------------------------------------

@app.command()
def proposals(url: str = URL) -> None:
    """Every proposal with its lane, state, tally and deadlines."""
    table = Table("id", "lane", "state", "proposer", "for", "against", "abstain", "quorum",
                  "voting closes", "eta", title="proposals")
    for p in _info(url, "govProposals"):
        v = p["votes"]
        table.add_row(str(p["id"]), p["lane"], p["state"], p["proposer"][:10], str(v["for"]),
                      str(v["against"]), str(v["abstain"]), str(p["quorum"]),
                      _when(p["deadline"]), _when(p["eta"]))
    console.print(table)


@app.command()
def show(proposal: int, url: str = URL) -> None:
    """One proposal: its actions, timeline and votes."""
    p = _info(url, "govProposal", proposal=proposal)
    console.print(f"proposal {p['id']} [bold]{p['state']}[/bold] lane {p['lane']} "
                  f"by {p['proposer']} hash {p['hash'][:18]}...")
    for action in p["actions"]:
        console.print(f"  action {json.dumps(action)}")
    timeline = Table("time (UTC)", "event", title="timeline")
    for row in p["timeline"]:
        timeline.add_row(_when(row["time"]), row["event"])
    console.print(timeline)
    votes = Table("voter", "support", "weight", title="votes")
    for v in _info(url, "govVotes", proposal=proposal):
        votes.add_row(v["voter"], v["support"], str(v["weight"]))
    console.print(votes)


@app.command()
def params(url: str = URL) -> None:
    """Lane rules and every governed parameter."""
    answer = _info(url, "govParams")
    lanes = Table("lane", "threshold bps", "quorum bps", "differential bps", "review", "voting",
                  "timelock", "grace", title=f"lanes (rule version {answer['ruleVersion']})")
    for lane in answer["lanes"]:
        lanes.add_row(lane["name"], *(str(lane[k]) for k in (
            "thresholdBps", "quorumBps", "differentialBps")),
            *(f"{lane[k] / 86_400_000:g} d" for k in ("reviewMs", "votingMs", "timelockMs",
                                                      "graceMs")))
    console.print(lanes)
    values = Table("parameter", "value", title="governed parameters")
    for key, value in answer["params"].items():
        values.add_row(key, str(value))
    console.print(values)


@app.command()
def guardians(url: str = URL) -> None:
    """Seats, threshold and every guardian action with its expiry."""
    g = _info(url, "guardians")
    console.print(f"threshold {g['threshold']} of {len(g['members'])}; next nonce "
                  f"{g['nextNonce']}; waiting for a report: {g['unreported'] or '-'}")
    seats = Table("seat", "cohort", "term ends", "last active", title="seats")
    for m in g["members"]:
        seats.add_row(m["address"], str(m["cohort"]), _when(m["termEnds"]),
                      _when(m["lastActive"]))
    console.print(seats)
    table = Table("nonce", "kind", "args", "signers", "executed", "expires", "in force",
                  "reported", title="actions")
    for a in g["actions"]:
        table.add_row(str(a["nonce"]), a["kind"], json.dumps(a["args"]), str(len(a["signers"])),
                      _when(a["executed"]), _when(a["expires"]), str(a["inForce"]),
                      str(a["reported"]))
    console.print(table)


@app.command()
def stewards(url: str = URL) -> None:
    """Steward-bounded parameters against their bounds."""
    s = _info(url, "stewards")
    console.print(f"stewards: {', '.join(s['stewards']) or '-'}")
    table = Table("parameter", "value", "low", "high", "max step bps", "next update",
                  title="bounds")
    for b in s["bounds"]:
        table.add_row(b["key"], str(b["value"]), str(b["low"]), str(b["high"]),
                      str(b["maxStepBps"]), _when(b["nextUpdate"]))
    console.print(table)


@app.command()
def operators(url: str = URL) -> None:
    """Bonded operators with reputation, slashes and the rotation schedule."""
    o = _info(url, "operators")
    console.print(f"on duty: {o['onDuty'] or '-'}; next slots: "
                  f"{', '.join((a or '-')[:10] for a in o['schedule'])}")
    table = Table("operator", "role", "bond", "uptime bps", "mean inclusion ms",
                  "oracle rounds missed", "slashed", "tombstoned", "fees", title="operators")
    for op in o["operators"]:
        table.add_row(op["address"], op["role"], str(op["bond"]), str(op["uptimeBps"]),
                      str(op["meanInclusionMs"]), str(op["oracleRoundsMissed"]),
                      str(op["slashedTotal"]), str(op["tombstoned"]), str(op["feesEarned"]))
    console.print(table)


@app.command()
def incidents(url: str = URL) -> None:
    """Incident records with their timelines."""
    records = _info(url, "incidents")
    if not records:
        console.print("no incidents recorded")
    for r in records:
        state = "reported" if r["filed"] else "[yellow]report due[/yellow]"
        console.print(f"[bold]incident {r['id']}[/bold] {r['kind']} {r['subject']} - "
                      f"{r['responsible']} - {state} (deadline {_when(r['deadline'])})")
        for row in r["timeline"]:
            console.print(f"  {_when(row['time'])}  {row['event']}")
        if r["report"]:
            console.print(f"  report: {r['report']}")


# ----- writes --------------------------------------------------------------------------------

@app.command()
def propose(actions: str = typer.Argument(..., help='JSON list, e.g. '
                                          '\'[["setRiskParam", "0.oiCap", 5000000000000]]\' '
                                          'or @file.json'),
            url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Create a proposal (its lane follows from its riskiest action)."""
    send(url, private_key(key, key_file), {"type": "govPropose", "actions": _actions(actions)})


@app.command()
def vote(proposal: int, support: str = typer.Argument(..., help="for, against or abstain"),
         url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Vote with your power at the proposal's snapshot."""
    if support not in SUPPORT:
        console.print("[red]support is for, against or abstain[/red]")
        raise typer.Exit(2)
    send(url, private_key(key, key_file), {"type": "govVote", "proposal": proposal,
                                    "support": SUPPORT[support]})


def _with_actions(kind: str, proposal: int, url: str, private_key: str) -> None:
    actions = _info(url, "govProposal", proposal=proposal)["actions"]
    send(url, private_key, {"type": kind, "proposal": proposal, "actions": actions})


@app.command()
def queue(proposal: int, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Queue a succeeded proposal (its actions are re-sent and re-hashed)."""
    _with_actions("govQueue", proposal, url, private_key(key, key_file))


@app.command()
def execute(proposal: int, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Execute a queued proposal once its timelock has passed."""
    _with_actions("govExecute", proposal, url, private_key(key, key_file))


@app.command()
def cancel(proposal: int, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Cancel a proposal: its proposer until it executes, anyone once the proposer fell below
    the proposal threshold."""
    send(url, private_key(key, key_file), {"type": "govCancel", "proposal": proposal})


@app.command()
def delegate(to: str, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Send your votes to `to` (your own address takes them back)."""
    send(url, private_key(key, key_file), {"type": "govDelegate", "to": to})


@app.command("guardian-sign")
def guardian_sign(nonce: int, kind: str, args: str = typer.Argument("[]", help="JSON list"),
                  url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Sign guardian action `nonce` (pauseMarket, reduceOnly, raiseMargin, fallbackOracle,
    veto, vetoSlash)."""
    send(url, private_key(key, key_file), {"type": "guardianSign", "nonce": nonce, "kind": kind,
                                    "args": json.loads(args)})


@app.command()
def steward(param: str, value: int, url: str = URL, key: str = KEY,
            key_file: Path = KEY_FILE) -> None:
    """One bounded steward step."""
    send(url, private_key(key, key_file), {"type": "stewardUpdate", "key": param, "value": value})


@app.command()
def report(incident: int, text: str, url: str = URL, key: str = KEY,
           key_file: Path = KEY_FILE) -> None:
    """File the report of an incident you are responsible for."""
    send(url, private_key(key, key_file), {"type": "incidentReport", "incident": incident,
                                    "text": text})


@app.command()
def bond(role: str, amount: int, url: str = URL, key: str = KEY,
         key_file: Path = KEY_FILE) -> None:
    """Bond governance tokens as a sequencer, oracle or relayer operator."""
    send(url, private_key(key, key_file), {"type": "operatorBond", "role": role, "amount": amount})


@app.command()
def unbond(amount: int, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Start unbonding `amount` of your operator bond (released after the unbonding delay,
    unless slashed first)."""
    send(url, private_key(key, key_file), {"type": "operatorUnbond", "amount": amount})


@app.command()
def evidence(index: int, url: str = URL, key: str = KEY, key_file: Path = KEY_FILE) -> None:
    """Submit recorded oracle equivocation `index` as slashing evidence (you get the reward)."""
    send(url, private_key(key, key_file), {"type": "submitEvidence", "offence": "oracleEquivocation",
                                    "index": index})
