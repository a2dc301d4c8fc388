"""`l2perp ...`: the command line: `up` (the devnet), `verify` (the honest verifier), `l1 ...`
(bridge, forced actions, claims, freeze and escape), `keys`, `status`, `replay`, `version`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

import os

from . import __version__
from .node.log import BlockLog, RecoveryError
from .govcli import app as gov_app
from .labcli import app as lab_app
from .l1cli import app as l1_app
from .rollup.l1 import L1Error

app = typer.Typer(add_completion=False, help="l2perp: a Layer-2 perpetuals exchange")
console = Console()
app.add_typer(l1_app, name="l1")
app.add_typer(gov_app, name="gov")
app.add_typer(lab_app, name="lab")


@app.command()
def keys(json_output: bool = typer.Option(False, "--json", help="a JSON list")) -> None:
    """The deterministic devnet keys (exactly one has role admin)."""
    from .node.devnet import dev_keys

    rows = [{"address": k.address, "private_key": k.private_key, "role": k.role}
            for k in dev_keys()]
    if json_output:
        import json

        print(json.dumps(rows))
        return
    for row in rows:
        console.print(f"{row['role']:7} {row['address']}  {row['private_key']}")


def _key_from(file: Path | None, env: str) -> str | None:
    """A private key from a file (its first line) or the environment variable `env`; never
    from the command line, where `ps` shows it to every user of the machine."""
    if file is not None:
        try:
            text = file.read_text().strip().splitlines()
        except OSError as exc:
            console.print(f"[red]cannot read the key file {file}: {exc}[/red]")
            raise typer.Exit(2) from None
        return text[0].strip() if text else None
    value = os.environ.get(env, "").strip()
    return value or None


def _address_of_key(key: str) -> str:
    from .crypto.signatures import address_of

    try:
        secret = bytes.fromhex(key.removeprefix("0x"))
        if len(secret) != 32:
            raise ValueError
        return address_of(secret)
    except ValueError:
        console.print("[red]a private key is 32 bytes of hex[/red]")
        raise typer.Exit(2) from None


@app.command()
def up(port: int = typer.Option(3001, help="HTTP and websocket port"),
       host: str = typer.Option("127.0.0.1", help="interface to listen on"),
       data: Path = typer.Option(Path(".devnet"), help="the node's data directory"),
       block_ms: int = typer.Option(200, help="block interval in ms"),
       no_demo: bool = typer.Option(False, "--no-demo",
                                    help="no demo oracle operators or market makers"),
       rate_limits: bool = typer.Option(None, "--rate-limits/--no-rate-limits",
                                        help="enforce Hyperliquid's rate limits (default: on "
                                        "off the devnet, off on it)"),
       trusted_proxy: list[str] = typer.Option([], "--trusted-proxy",
                                               help="a reverse proxy's address whose "
                                               "X-Forwarded-For is believed (repeatable)"),
       genesis_file: Path = typer.Option(None, "--genesis",
                                         help="a JSON file of markets for a new data dir "
                                         "(\"devnet\": false for a venue without cheats)"),
       l1_path: Path = typer.Option(None, "--l1",
                                    help="the devnet L1's file (default DATA/l1.sqlite)"),
       profile: str = typer.Option("devnet", help="rollup parameters: devnet (windows in "
                                   "seconds, 5,000-tx batches), test or mainnet_like"),
       fault: str = typer.Option(None, help="devnet: the poster posts one bad batch "
                                 "(balance, size, funding, price, withdrawals, cursor, root, "
                                 "drop-deposit)"),
       no_verifier: bool = typer.Option(False, "--no-verifier",
                                        help="do not start the honest verifier process"),
       poster_key_file: Path = typer.Option(None, "--poster-key-file",
                                            help="off the devnet: the batch poster's key "
                                            "(else $L2PERP_POSTER_KEY)"),
       verifier_key_file: Path = typer.Option(None, "--verifier-key-file",
                                              help="off the devnet: the verifier's key "
                                              "(else $L2PERP_VERIFIER_KEY)"),
       ) -> None:
    """Start the node: sequencer, block log, the L1 with the batch poster and reconciler,
    an honest verifier in its own process, and the Hyperliquid API on one port. A devnet by
    default (dev keys, faucet, demo); with a genesis file saying "devnet": false, a venue
    without cheats."""
    import sqlite3
    import subprocess
    import sys

    import uvicorn

    from .api.ratelimit import RateLimits
    from .api.server import create_app
    from .node.devnet import (
        START_PRICES_PIPS, GenesisFileError, dev_keys, devnet_genesis, genesis_from_file,
    )
    from .node.service import Node, NodeRollupSettings, wall_ms
    from .rollup.params import PROFILES
    from .rollup.poster import FAULTS

    if profile not in PROFILES:
        console.print(f"[red]unknown profile {profile}: {', '.join(PROFILES)}[/red]")
        raise typer.Exit(2)
    if fault is not None and fault not in FAULTS:
        console.print(f"[red]unknown fault {fault}: {', '.join(FAULTS)}[/red]")
        raise typer.Exit(2)

    data.mkdir(parents=True, exist_ok=True)
    try:
        existing = BlockLog(data / "node.sqlite")
        genesis = existing.genesis()
        existing.close()
        if genesis is None:
            genesis = (genesis_from_file(str(genesis_file), wall_ms())
                       if genesis_file is not None else devnet_genesis(wall_ms()))
    except (RecoveryError, GenesisFileError) as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    devnet = genesis.config.devnet
    keys_ = dev_keys() if devnet else []
    by_role = {k.role: k for k in keys_}
    if devnet:
        poster_key = by_role["poster"].private_key
        verifier_key: str | None = by_role["verifier"].private_key
        if fault is None and host not in ("127.0.0.1", "localhost", "::1"):
            console.print(f"[yellow]warning: a devnet on {host} is open to the network: its "
                          "admin key is public (anyone can mint, move time and pin "
                          "prices)[/yellow]")
    else:
        poster_key = _key_from(poster_key_file, "L2PERP_POSTER_KEY")
        verifier_key = _key_from(verifier_key_file, "L2PERP_VERIFIER_KEY")
        if poster_key is None:
            console.print("[red]off the devnet the batch poster's key comes from "
                          "--poster-key-file or $L2PERP_POSTER_KEY[/red]")
            raise typer.Exit(2)
        if fault is not None:
            console.print("[red]--fault exists on the devnet only[/red]")
            raise typer.Exit(2)
    poster_address = _address_of_key(poster_key)
    verifier_address = _address_of_key(verifier_key) if verifier_key else None
    l1_path = l1_path or data / "l1.sqlite"
    settings = NodeRollupSettings(l1_path, PROFILES[profile], poster_address, fault,
                                  (verifier_address,) if verifier_address else (),
                                  operator_key=poster_key)
    try:
        node = Node(data, genesis, block_ms=block_ms, rollup=settings)
    except (RecoveryError, L1Error) as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    except sqlite3.DatabaseError as exc:
        console.print(f"[red]a file in {data} (or {l1_path}) is damaged ({exc}); restore it "
                      "from a backup or start a new data directory[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    if devnet:
        prices = {m.asset: START_PRICES_PIPS[m.name] for m in node.state.markets
                  if m.name in START_PRICES_PIPS}
        funded = [k.address for k in keys_ if k.role in ("trader", "maker")]
        node.seed_devnet(funded, prices, keys_[0].private_key, pin=no_demo)
        if not no_demo:
            from .node.demo import DemoActors

            node.demo = DemoActors(
                node, [(k.address, k.private_key) for k in keys_ if k.role == "oracle"],
                [(k.address, k.private_key) for k in keys_ if k.role == "maker"], prices)
    kind = "devnet" if devnet else "venue (no cheats)"
    console.print(f"l2perp {kind} at height {node.state.height}")
    console.print(f"  web app    http://{host}:{port}/   (trade, rollup, governance, lab)")
    console.print(f"  API        http://{host}:{port}   (POST /info, POST /exchange, POST /l1)")
    console.print(f"  websocket  ws://{host}:{port}/ws")
    console.print(f"  L1         {l1_path}   (profile {profile}"
                  + (f", fault {fault}" if fault else "") + ")")
    for k in keys_:
        console.print(f"  {k.role:8} {k.address}  {k.private_key}")
    limits_on = (not devnet) if rate_limits is None else rate_limits
    app_ = create_app(node, rate_limits=RateLimits() if limits_on else None,
                      trusted_proxies=frozenset(trusted_proxy))
    verifier = None
    if not no_verifier and verifier_key is not None:
        verifier = subprocess.Popen([
            sys.executable, "-m", "l2perp.cli", "verify", "--l1", str(l1_path),
            "--url", f"http://{host}:{port}", "--parent", str(os.getpid())],
            env={**os.environ, "L2PERP_VERIFIER_KEY": verifier_key})
    try:
        # proxy headers are the app's business (--trusted-proxy); a stuck request never holds
        # a shutdown for more than five seconds
        uvicorn.run(app_, host=host, port=port, log_level="warning", proxy_headers=False,
                    timeout_graceful_shutdown=5, ws_max_size=1_000_000)
    finally:
        if verifier is not None:
            verifier.terminate()


@app.command()
def verify(l1: Path = typer.Option(..., help="the L1 file to follow (read-only)"),
           url: str = typer.Option("http://127.0.0.1:3001", help="the node's API, for challenges"),
           key_file: Path = typer.Option(None, "--key-file",
                                         help="the verifier's private key (L1 account); else "
                                         "$L2PERP_VERIFIER_KEY"),
           poll_ms: int = typer.Option(500, help="how often to look at L1"),
           parent: int = typer.Option(0, help="exit when this process is gone")) -> None:
    """The honest verifier: re-execute every batch from L1 data, challenge wrong ones."""
    import threading
    import time

    from .node.verifier_process import run_verifier

    key = _key_from(key_file, "L2PERP_VERIFIER_KEY")
    if key is None:
        console.print("[red]the verifier's key comes from --key-file or "
                      "$L2PERP_VERIFIER_KEY[/red]")
        raise typer.Exit(2)
    if parent:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    console.print(f"verifier following {l1}")
    run_verifier(l1, url, key, poll_ms / 1000, log=console.print)


@app.command()
def status(url: str = typer.Option("http://127.0.0.1:3001", help="the node's API")) -> None:
    """Height, markets, mempool and log size of a running node."""
    import json
    import urllib.request

    req = urllib.request.Request(url + "/info", data=b'{"type": "l2perpStatus"}', method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            answer = json.loads(resp.read())
    except OSError as exc:
        console.print(f"[red]no node at {url}: {exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"height {answer['height']}  time {answer['time']}  "
                  f"mempool {answer['mempool']}  log {answer['logBytes']} bytes")
    console.print("markets " + " ".join(answer["markets"]))


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"l2perp {__version__}")


@app.command()
def replay(data: Path = typer.Option(..., help="the node's data directory")) -> None:
    """Re-execute the block log from genesis and verify every recorded digest."""
    path = data / "node.sqlite"
    if not path.exists():
        console.print(f"[red]no block log at {path}[/red]")
        raise typer.Exit(2)
    try:
        log = BlockLog(path)
        genesis = log.genesis()
        if genesis is None:
            console.print("[red]the log has no genesis[/red]")
            raise typer.Exit(2)
        head = log.verify_all(genesis)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"verified {head} blocks: every digest matches")


@app.command()
def repair(data: Path = typer.Option(..., help="the node's data directory")) -> None:
    """Drop the state snapshots, replay the block log from genesis checking every digest, and
    write a fresh snapshot at the head (the remedy for a damaged snapshot)."""
    from .engine.encoding import state_digest
    from .engine.state import genesis_state
    from .engine.stf import apply_block

    path = data / "node.sqlite"
    if not path.exists():
        console.print(f"[red]no block log at {path}[/red]")
        raise typer.Exit(2)
    try:
        log = BlockLog(path)
        genesis = log.genesis()
        if genesis is None:
            console.print("[red]the log has no genesis[/red]")
            raise typer.Exit(2)
        log.check_integrity()
        log.drop_snapshots()
        state = genesis_state(genesis)
        for block, logged in log.blocks_after(0):
            apply_block(state, block)
            if state_digest(state) != logged:
                raise RecoveryError(f"block {block.height}: digest mismatch")
        if state.height:
            log.snapshot(state)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"replayed {state.height} blocks: every digest matches; snapshot rewritten")


if __name__ == "__main__":  # pragma: no cover
    app()
