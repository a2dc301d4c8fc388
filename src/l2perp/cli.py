"""`l2perp ...`: the command line: `up` (the devnet), `keys`, `replay`, `version`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import __version__
from .node.log import BlockLog, RecoveryError

app = typer.Typer(add_completion=False, help="l2perp: a Layer-2 perpetuals exchange")
console = Console()


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


@app.command()
def up(port: int = typer.Option(3001, help="HTTP and websocket port"),
       host: str = typer.Option("127.0.0.1", help="interface to listen on"),
       data: Path = typer.Option(Path(".devnet"), help="the node's data directory"),
       block_ms: int = typer.Option(200, help="block interval in ms"),
       no_demo: bool = typer.Option(False, "--no-demo",
                                    help="no demo oracle operators or market makers"),
       rate_limits: bool = typer.Option(False, "--rate-limits",
                                        help="enforce Hyperliquid's rate limits"),
       genesis_file: Path = typer.Option(None, "--genesis",
                                         help="a JSON file of markets for a new data dir")) -> None:
    """Start the devnet: sequencer, block log and the Hyperliquid API on one port."""
    import uvicorn

    from .api.server import create_app
    from .node.devnet import START_PRICES_PIPS, dev_keys, devnet_genesis
    from .node.service import Node, wall_ms

    data.mkdir(parents=True, exist_ok=True)
    existing = BlockLog(data / "node.sqlite")
    genesis = existing.genesis()
    if genesis is None:
        if genesis_file is not None:
            from .node.devnet import genesis_from_file

            genesis = genesis_from_file(str(genesis_file), wall_ms())
        else:
            genesis = devnet_genesis(wall_ms())
    existing.close()
    try:
        node = Node(data, genesis, block_ms=block_ms)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    keys_ = dev_keys()
    prices = {m.asset: START_PRICES_PIPS[m.name] for m in node.state.markets
              if m.name in START_PRICES_PIPS}
    funded = [k.address for k in keys_ if k.role in ("trader", "maker")]
    node.seed_devnet(funded, prices, keys_[0].address, pin=no_demo)
    if not no_demo:
        from .node.demo import DemoActors

        node.demo = DemoActors(
            node, [(k.address, k.private_key) for k in keys_ if k.role == "oracle"],
            [(k.address, k.private_key) for k in keys_ if k.role == "maker"], prices)
    console.print(f"l2perp devnet at height {node.state.height}")
    console.print(f"  API        http://{host}:{port}   (POST /info, POST /exchange)")
    console.print(f"  websocket  ws://{host}:{port}/ws")
    for k in keys_:
        console.print(f"  {k.role:7} {k.address}  {k.private_key}")
    from .api.ratelimit import RateLimits

    app_ = create_app(node, rate_limits=RateLimits() if rate_limits else None)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


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
    log = BlockLog(path)
    genesis = log.genesis()
    if genesis is None:
        console.print("[red]the log has no genesis[/red]")
        raise typer.Exit(2)
    try:
        head = log.verify_all(genesis)
    except RecoveryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"verified {head} blocks: every digest matches")


if __name__ == "__main__":  # pragma: no cover
    app()
