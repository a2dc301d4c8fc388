"""Governance as transactions of the same state machine (DESIGN.md §6): voting power, lanes,
proposals, guardians, stewards, operators. Integers only, like the rest of the engine."""
