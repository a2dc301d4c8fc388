"""The governance state at height 0, built over the engine's genesis state."""

from __future__ import annotations

from ..state import State
from .execute import governance_values
from .gov_state import GovGenesis, GovState, make_gov_state
from .params import engine_keys, get_param


def genesis_governance(state: State, genesis: GovGenesis) -> GovState:
    """Token allocations, council, stewards and operators; the risk table starts with every
    governed value as the engine genesis has it."""
    values = {key: get_param(state, key) for key in engine_keys(state)}
    gov = make_gov_state(genesis, state.time_ms, values)
    gov.table.values.update(governance_values(gov))
    return gov
