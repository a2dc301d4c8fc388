"""The one base class of governance refusals. A transaction that breaks a governance rule is
refused with a `GovernanceError` (a subclass names the part that refused: GovError, ParamError,
GuardianError, OperatorError, PowerError, StewardError) before anything changes; any other
exception out of a governance handler is a bug, never a refusal."""

from __future__ import annotations


class GovernanceError(ValueError):
    """A governance rule refused the transaction (nothing changed)."""
