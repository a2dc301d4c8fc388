"""`l2perp up | verify | status | keys | replay | repair | version`: the node's commands. They
parse options, call node/ (which composes the node) and print; `up` then serves the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from .. import __version__, build
from ..node.log import BlockLog, RecoveryError
from .options import DEFAULT_URL, URL

if TYPE_CHECKING:  # node.launch loads the whole node: only `up` and `verify` import it
    from ..node.launch import LaunchError, Launched, LaunchOptions

console = Console()


def _fail(exc: LaunchError) -> typer.Exit:
    """Print why the node (or the verifier) cannot start; the exit to raise."""
    console.print(f"[red]{exc}[/red]", soft_wrap=exc.soft_wrap)
    return typer.Exit(exc.exit_code)


def keys(json_output: bool = typer.Option(False, "--json", help="a JSON list")) -> None:
    """The deterministic devnet keys (exactly one has role admin)."""
    from ..node.devnet import dev_keys

    rows = [{"address": k.address, "private_key": k.private_key, "role": k.role}
            for k in dev_keys()]
    if json_output:
        import json

        print(json.dumps(rows))
        return
    for row in rows:
        console.print(f"{row['role']:7} {row['address']}  {row['private_key']}")


def up(port: int = typer.Option(3001, help="HTTP and websocket port"),
       host: str = typer.Option("127.0.0.1", help="interface to listen on"),
       data: Path = typer.Option(Path(".devnet"), help="the node's data directory"),
       block_ms: int = typer.Option(100, help="block interval in ms (10 to 60,000)"),
       no_demo: bool = typer.Option(False, "--no-demo",
                                    help="no demo oracle operators or market makers"),
       rate_limits: str = typer.Option("on", "--rate-limits",
                                       help="on (the default, devnet included) or off: "
                                       "Hyperliquid's IP weight and per-address limits"),
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
       no_rollup: bool = typer.Option(False, "--no-rollup",
                                      help="devnet only (benchmarks): no L1, batch poster, "
                                      "reconciler or verifier; dev money is credited on L2. "
                                      "Run a data directory always with or always without"),
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
    without cheats. Devnet cheats, /exchange actions signed by the admin key (`l2perp keys`): devFaucet
    {user, usd}; devSetOracle {coin, px}; devAdvanceTime {ms}; and faults for bot developers,
    each lasting `seconds` (1 to 3,600) of block time: devDropWebsockets {} closes every
    websocket (1012); devRateLimitUser {user, seconds} answers that address HTTP 429;
    devPostOnly {seconds} takes only Alo orders in every market (cancels work);
    devDelayAcks {ms (1 to 10,000), seconds} holds every /exchange reply ms after its block;
    devL1GasSpike {multiple (2 to 20), seconds} fills the node's L1 until its base fee is that
    multiple."""
    import uvicorn

    from ..node.launch import LaunchError, LaunchOptions, launch, settle_heap, spawn_verifier
    from ..node.verifier_process import VERIFIER_STATUS

    if rate_limits not in ("on", "off"):
        console.print(f"[red]--rate-limits is on or off (got {rate_limits})[/red]")
        raise typer.Exit(2)
    options = LaunchOptions(data=data, host=host, block_ms=block_ms, demo=not no_demo,
                            genesis_file=genesis_file, l1_path=l1_path, profile=profile,
                            fault=fault, poster_key_file=poster_key_file,
                            verifier_key_file=verifier_key_file, rollup=not no_rollup)
    try:
        launched = launch(options, warn=lambda text: console.print(f"[yellow]{text}[/yellow]"))
    except LaunchError as exc:
        raise _fail(exc) from None
    _print_banner(launched, options, port, rate_limits)
    spawns_verifier = (not no_verifier and launched.keys.verifier is not None
                       and launched.l1_path is not None)
    app_ = _app(launched, rate_limits == "on", trusted_proxy, spawns_verifier)
    settle_heap()
    verifier = None
    if spawns_verifier:
        verifier = spawn_verifier(launched.l1_path, f"http://{host}:{port}",
                                  launched.keys.verifier, options.data / VERIFIER_STATUS)
    try:
        # proxy headers are the app's business (--trusted-proxy); a stuck request never holds
        # a shutdown for more than five seconds
        uvicorn.run(app_, host=host, port=port, log_level="warning", proxy_headers=False,
                    timeout_graceful_shutdown=5, ws_max_size=1_000_000)
    finally:
        if verifier is not None:
            verifier.terminate()


def _app(launched: Launched, limits_on: bool, trusted_proxy: list[str], spawns_verifier: bool):
    """The API over the launched node: Hyperliquid's rate limits when `limits_on`; the
    verifier's challenges pass the IP limits (it shares 127.0.0.1 with local bots)."""
    from ..api.ratelimit import RateLimits
    from ..api.server import create_app
    from ..node.launch import LaunchError, address_of_key

    try:
        challengers = (address_of_key(launched.keys.verifier),) if spawns_verifier else ()
    except LaunchError as exc:
        raise _fail(exc) from None
    return create_app(launched.node, rate_limits=RateLimits() if limits_on else None,
                      trusted_proxies=frozenset(trusted_proxy),
                      unlimited_challengers=challengers)


def _print_banner(launched: Launched, options: LaunchOptions, port: int,
                  rate_limits: str) -> None:
    host, fault = options.host, options.fault
    kind = "devnet" if launched.devnet else "venue (no cheats)"
    console.print(f"l2perp {kind} at height {launched.node.state.height}")
    console.print(f"  {build.describe()}", soft_wrap=True)
    console.print(f"  web app    http://{host}:{port}/   (trade, rollup, governance, lab)")
    console.print(f"  API        http://{host}:{port}   (POST /info, POST /exchange, POST /l1)")
    console.print(f"  websocket  ws://{host}:{port}/ws")
    if launched.l1_path is None:
        console.print("  L1         none (--no-rollup: no batch poster, reconciler or verifier)")
    else:
        console.print(f"  L1         {launched.l1_path}   (profile {options.profile}"
                      + (f", fault {fault}" if fault else "") + ")")
    console.print(f"  blocks     every {options.block_ms} ms")
    console.print(f"  limits     rate limits {rate_limits} (--rate-limits on|off)")
    for k in launched.keys.dev:
        console.print(f"  {k.role:8} {k.address}  {k.private_key}")


def verify(l1: Path = typer.Option(..., help="the L1 file to follow (read-only)"),
           url: str = typer.Option(DEFAULT_URL, envvar="L2PERP_URL",
                                   help="the node's API, for challenges (default: $L2PERP_URL)"),
           key_file: Path = typer.Option(None, "--key-file",
                                         help="the verifier's private key (L1 account); else "
                                         "$L2PERP_VERIFIER_KEY"),
           poll_ms: int = typer.Option(500, help="how often to look at L1"),
           parent: int = typer.Option(0, help="exit when this process is gone"),
           nice: int = typer.Option(0, help="raise this process's niceness by this much "
                                    "first (l2perp up: 10, so the sequencer comes first)"),
           status_file: Path = typer.Option(None, "--status-file",
                                            help="write the verifier's progress here after "
                                            "every poll (JSON; l2perp up serves its lag)")
           ) -> None:
    """The honest verifier: re-execute every batch from L1 data, challenge wrong ones."""
    from ..node.launch import LaunchError, key_from, settle_heap
    from ..node.verifier_process import (
        exit_on_sigterm, exit_with_parent, lower_priority, run_verifier,
    )

    lower_priority(nice)  # before anything starts (its signature workers inherit it)
    exit_on_sigterm()
    settle_heap()

    try:
        key = key_from(key_file, "L2PERP_VERIFIER_KEY")
    except LaunchError as exc:
        raise _fail(exc) from None
    if key is None:
        console.print("[red]the verifier's key comes from --key-file or "
                      "$L2PERP_VERIFIER_KEY[/red]")
        raise typer.Exit(2)
    if parent:
        exit_with_parent(parent)
    console.print(f"verifier following {l1}")
    run_verifier(l1, url, key, poll_ms / 1000, log=console.print, status_file=status_file)


def status(url: str = URL) -> None:
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


def version() -> None:
    """Print the version and which build of the core runs (compiled or interpreted)."""
    console.print(f"l2perp {__version__}")
    console.print(build.describe(), soft_wrap=True)


def _open_log(data: Path):
    """The block log of a data directory and its genesis; exit 2 when there is neither."""
    path = data / "node.sqlite"
    if not path.exists():
        console.print(f"[red]no block log at {path}[/red]")
        raise typer.Exit(2)
    log = BlockLog(path)
    genesis = log.genesis()
    if genesis is None:
        console.print("[red]the log has no genesis[/red]")
        raise typer.Exit(2)
    return log, genesis


def replay(data: Path = typer.Option(..., help="the node's data directory")) -> None:
    """Re-execute the block log from genesis and verify every recorded digest."""
    try:
        log, genesis = _open_log(data)
        head = log.verify_all(genesis)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"verified {head} blocks: every digest matches")


def repair(data: Path = typer.Option(..., help="the node's data directory")) -> None:
    """Drop the state snapshots, replay the block log from genesis checking every digest, and
    write a fresh snapshot at the head (the remedy for a damaged snapshot)."""
    try:
        log, genesis = _open_log(data)
        head = log.repair(genesis)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"replayed {head} blocks: every digest matches; snapshot rewritten")


COMMANDS = (keys, up, verify, status, version, replay, repair)
