"""`l2perp l1 ...`: the L1 side of the devnet from a user's seat. Against a running node
(`--url`) the commands send signed requests to `POST /l1`; with `--l1 FILE` and no node they
act on the L1 file directly, which is how a user leaves when every operator is gone. Reads
(claims, escapes) replicate the L1 from its call log and build proofs locally, trusting
nothing else.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from ..units import format_usdc, usdc_to_musdc
from . import options
from .options import DEFAULT_URL, KEY, KEY_FILE, URL_HELP, private_key

app = typer.Typer(add_completion=False, help="the devnet L1: bridge, forced actions, exits")
console = Console()

URL = typer.Option(None, "--url", envvar="L2PERP_URL", help=URL_HELP)
L1_FILE = typer.Option(None, "--l1", help="the L1 file, when no node is running")


def _client(key: str | None, key_file: Path | None, url: str | None, l1: Path | None):
    from ..node.l1client import L1Client

    if l1 is not None:
        url = None  # the file, not a node
    elif url is None:
        url = DEFAULT_URL
    return L1Client(private_key(key, key_file), url=url, path=l1)


def _run(action):
    from ..rollup.l1 import L1Error

    try:
        return action()
    except (L1Error, ValueError, OSError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@app.command()
def status(url: str = URL, l1: Path = L1_FILE) -> None:
    """Batches, finality, the queue and the bridge, from the L1 replica."""
    from ..node.l1host import L1Host

    if l1 is not None:
        chain = L1Host(l1, readonly=True).l1
    else:
        from ..node.l1client import L1Client

        chain = _run(lambda: L1Client("0x" + "11" * 32, url=url or DEFAULT_URL).l1())
    tip = chain.tip()
    console.print(f"L1 height {chain.height}  batches {len(chain.batches)}  finalized "
                  f"{chain.finalized_no}  tip {tip.header.batch_no if tip else 0}  "
                  f"queue {len(chain.pending())}  frozen {chain.frozen}")
    console.print(f"bridge {format_usdc(chain.bridge_balance_musdc)} USDC  "
                  f"escapes open {chain.escapes_open()}")


@app.command()
def deposit(amount: str = typer.Option(..., help="USDC"), to: str = typer.Option(
        None, help="the L2 account to credit (default: yours)"),
            key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
            l1: Path = L1_FILE) -> None:
    """Lock USDC in the bridge; L2 credits it once the L1 block is confirmed."""
    client = _client(key, key_file, url, l1)
    fields = {"amount": usdc_to_musdc(amount)}
    if to:
        fields["user"] = to.lower()
    answer = _run(lambda: client.send("deposit", **fields))
    console.print(f"deposit queued as L1 message {answer['message']}")


@app.command()
def withdraw(amount: str = typer.Option(..., help="USDC, including the $1 fee"),
             key: str = KEY, key_file: Path = KEY_FILE,
             url: str = options.URL) -> None:
    """An L2 withdrawal (withdraw3 through the node); claim it on L1 once its batch is final."""
    from ..crypto.signatures import address_of, sign_user_signed
    from ..node.l1client import post_json

    secret = bytes.fromhex(private_key(key, key_file).removeprefix("0x"))
    nonce = time.time_ns() // 1_000_000
    action = {"type": "withdraw3", "destination": address_of(secret), "amount": amount,
              "time": nonce}
    signature = sign_user_signed(secret, action, is_mainnet=False)
    answer = _run(lambda: post_json(url.rstrip("/") + "/exchange", {
        "action": action, "nonce": nonce, "signature": signature, "vaultAddress": None}))
    if answer.get("status") != "ok":
        console.print(f"[red]{answer.get('response')}[/red]")
        raise typer.Exit(1)
    console.print("withdrawal debited on L2; `l2perp l1 claim` once its batch is finalized")


@app.command()
def claim(key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
          l1: Path = L1_FILE) -> None:
    """Claim every withdrawal to you in finalized batches (proofs built from L1 data)."""
    from ..node.l1wire import hexb
    from ..rollup.batch import withdrawal_proof

    client = _client(key, key_file, url, l1)
    chain = _run(client.l1)
    total = 0
    for record in chain.batches:
        if record.status != "finalized":
            continue
        entries = list(record.withdrawals)
        for k, w in enumerate(entries):
            if w.destination != client.address or (record.header.batch_no, k) in chain.claimed:
                continue
            proof = [hexb(x) for x in withdrawal_proof(entries, k)]
            _run(lambda: client.send("claim", batch=record.header.batch_no, k=k, wid=w.wid,
                                     user=w.user, destination=w.destination,
                                     amount=w.amount_musdc, proof=proof))
            total += w.amount_musdc
    console.print(f"claimed {format_usdc(total)} USDC")


@app.command("force-withdraw")
def force_withdraw(amount: str = typer.Option(..., help="USDC"), key: str = KEY,
                   key_file: Path = KEY_FILE, url: str = URL, l1: Path = L1_FILE) -> None:
    """Ask L1 to force a withdrawal the sequencer must serve within the freeze grace."""
    client = _client(key, key_file, url, l1)
    answer = _run(lambda: client.send("forceWithdrawal", amount=usdc_to_musdc(amount)))
    console.print(f"forced withdrawal queued as L1 message {answer['message']}")


@app.command("force-trade")
def force_trade(counterparty_key_file: Path = typer.Option(
                    None, help="a file holding the counterparty's key (it signs the terms)"),
                counterparty_key: str = typer.Option(
                    None, help="the counterparty's key; prefer --counterparty-key-file"),
                asset: int = typer.Option(...), size: int = typer.Option(
                    ..., help="lots you buy (negative: sell)"),
                price: int = typer.Option(..., help="price in pips"),
                expiry_s: int = typer.Option(3_600, help="seconds the request stays valid"),
                key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
                l1: Path = L1_FILE) -> None:
    """A trade both sides sign, forced through L1 (to flatten before a forced withdrawal)."""
    from ..crypto.signatures import address_of, sign_digest
    from ..rollup.l1 import forced_trade_digest

    client = _client(key, key_file, url, l1)
    chain = _run(client.l1)
    if counterparty_key_file is None and not counterparty_key:
        console.print("[red]give --counterparty-key-file FILE[/red]")
        raise typer.Exit(2)
    other_key = private_key(counterparty_key, counterparty_key_file, "the counterparty's")
    other = bytes.fromhex(other_key.removeprefix("0x"))
    expiry = chain.time_ms + expiry_s * 1_000
    trade_nonce = time.time_ns()
    terms = (client.address, address_of(other), asset, size, price, expiry, trade_nonce)
    signature = sign_digest(other, forced_trade_digest(terms))
    answer = _run(lambda: client.send(
        "forceTrade", counterparty=terms[1], asset=asset, size=size, price=price,
        expiry=expiry, tradeNonce=trade_nonce, counterpartySignature=signature))
    console.print(f"forced trade queued as L1 message {answer['message']}")


@app.command()
def freeze(message: int = typer.Option(None, help="the overdue request (default: the oldest "
                                                  "open one)"),
           key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
           l1: Path = L1_FILE) -> None:
    """Freeze the exchange over a forced request left unserved past the freeze grace."""
    client = _client(key, key_file, url, l1)
    chain = _run(client.l1)
    if message is None:
        candidates = [m.index for m in chain.pending() if chain.freezable(m.index)]
        if not candidates:
            console.print("[red]nothing is overdue: the exchange cannot be frozen[/red]")
            raise typer.Exit(1)
        message = candidates[0]
    _run(lambda: client.send("freeze", message=message))
    console.print(f"frozen over L1 message {message}")


@app.command()
def escape(key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
           l1: Path = L1_FILE) -> None:
    """Leave a frozen exchange: rebuild the last finalized state from L1 data, prove your
    account against its root, and take its value (with the haircut, if any)."""
    from ..node.l1wire import hexb, witness_json
    from ..rollup.exits import escape_kit

    client = _client(key, key_file, url, l1)
    chain = _run(client.l1)
    if not chain.escapes_open():
        console.print("[red]escapes are not open: the exchange must be frozen with no batch "
                      "left in its challenge window[/red]")
        raise typer.Exit(1)
    kit = escape_kit(chain)
    if chain.escape_book is None:
        _run(lambda: client.send("openEscapes", witness=witness_json(kit.witness)))
    if client.address not in kit.state.accounts:
        console.print("[red]no account of yours at the last finalized root[/red]")
        raise typer.Exit(1)
    leaf, proof = kit.leaf_and_proof(client.address)
    answer = _run(lambda: client.send("escape", leaf=hexb(leaf),
                                      proof=[hexb(x) for x in proof]))
    console.print(f"escaped with {format_usdc(answer['paid'])} USDC")


@app.command()
def reclaim(key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
            l1: Path = L1_FILE) -> None:
    """After a freeze, take back your deposits no finalized batch consumed."""
    client = _client(key, key_file, url, l1)
    chain = _run(client.l1)
    total = 0
    for m in chain.messages[chain.finalized_cursor:]:
        if m.kind == "deposit" and m.sender == client.address and m.index not in chain.reclaimed:
            total += _run(lambda: client.send("reclaim", message=m.index))["paid"]
    console.print(f"reclaimed {format_usdc(total)} USDC")


@app.command()
def faucet(amount: str = typer.Option(..., help="USDC"), to: str = typer.Option(...),
           key: str = KEY, key_file: Path = KEY_FILE, url: str = URL,
           l1: Path = L1_FILE) -> None:
    """Devnet: the admin mints test USDC into an L1 wallet."""
    client = _client(key, key_file, url, l1)
    _run(lambda: client.send("faucet", user=to.lower(), amount=usdc_to_musdc(amount)))
    console.print(f"minted {amount} USDC to {to} on L1")


@app.command()
def mine(ms: int = typer.Option(..., help="how far to move the L1 clock"),
         l1: Path = typer.Option(..., "--l1", help="the L1 file (no node may be running)")
         ) -> None:
    """Devnet L1 with no node: let L1 time pass (blocks are produced, windows run)."""
    from ..node.l1host import L1Host

    host = L1Host(l1)
    if not host.deployed:
        console.print(f"[red]no settlement contract in {l1}[/red]")
        raise typer.Exit(1)
    _run(lambda: host.call("advance_to", host.l1.time_ms + ms))
    console.print(f"L1 at height {host.l1.height}, finalized batch {host.l1.finalized_no}")
