"""Governance as transactions of the same state machine (docs/mechanics.md): voting power, lanes,
proposals, guardians, stewards, operators. Integers only, like the rest of the engine."""
