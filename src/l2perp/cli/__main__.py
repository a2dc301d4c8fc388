"""`python -m l2perp.cli ...`: the same command line (how `l2perp up` starts its verifier)."""

from . import app

app()
