"""l2perp: a self-hostable Layer-2 perpetual-futures exchange that speaks the Hyperliquid API."""

__version__ = "0.1.0"

from . import build as _build

_build.select()
