"""The one base class of governance refusals. A transaction that breaks a governance rule is
refused with a `GovRefusal` (a subclass names the part that refused) before anything changes;
any other exception out of a governance handler is a bug, never a refusal."""

from __future__ import annotations


class GovRefusal(ValueError):
    """A governance rule refused the transaction (nothing changed)."""
