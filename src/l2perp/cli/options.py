"""Options every command shares: the node's URL and the signing key.

The URL comes from `--url`, else `$L2PERP_URL`, else http://127.0.0.1:3001. A key comes from
`--key-file FILE`, else `$L2PERP_KEY_FILE`, else `$L2PERP_KEY`; `--key 0x...` still works but
lands in the shell's history, so nothing requires it.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

DEFAULT_URL = "http://127.0.0.1:3001"
URL_HELP = f"the node's API (default: $L2PERP_URL, else {DEFAULT_URL})"

URL = typer.Option(DEFAULT_URL, "--url", envvar="L2PERP_URL", help=URL_HELP)
KEY_FILE = typer.Option(None, "--key-file", envvar="L2PERP_KEY_FILE",
                        help="a file holding your private key (0x-hex); or set $L2PERP_KEY")
KEY = typer.Option(None, "--key", help="your private key (0x-hex); prefer --key-file or "
                   "$L2PERP_KEY, which stay out of the shell's history")


def private_key(key: str | None, key_file: Path | None, what: str = "your") -> str:
    """The 0x-hex key from --key-file, --key or $L2PERP_KEY; exit 2 with a hint when none."""
    if key_file is not None:
        try:
            return key_file.read_text().strip()
        except OSError as exc:
            typer.echo(f"cannot read the key file: {exc}", err=True)
            raise typer.Exit(2) from None
    if key:
        return key
    env = os.environ.get("L2PERP_KEY")
    if env:
        return env.strip()
    typer.echo(f"give {what} key with --key-file FILE (or $L2PERP_KEY_FILE, $L2PERP_KEY)",
               err=True)
    raise typer.Exit(2)
