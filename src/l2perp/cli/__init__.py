"""`l2perp ...`: the command line. node.py: `up` (the devnet or a venue), `verify` (the honest
verifier), `status`, `keys`, `replay`, `repair`, `version`; l1.py: `l1 ...` (bridge, forced
actions, claims, freeze and escape); gov.py: `gov ...`; lab.py: `lab ...`."""

from __future__ import annotations

import typer

from . import node
from .gov import app as gov_app
from .l1 import app as l1_app
from .lab import app as lab_app

app = typer.Typer(add_completion=False, help="l2perp: a Layer-2 perpetuals exchange")
for command in node.COMMANDS:
    app.command()(command)
app.add_typer(l1_app, name="l1")
app.add_typer(gov_app, name="gov")
app.add_typer(lab_app, name="lab")
