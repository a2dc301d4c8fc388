"""`l2perp ...`: the command line. The devnet (`up`, `keys`, `status`) arrives with the node's
HTTP server; `replay` already verifies a data directory's block log."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import __version__
from .node.log import BlockLog, RecoveryError

app = typer.Typer(add_completion=False, help="l2perp: a Layer-2 perpetuals exchange")
console = Console()


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
