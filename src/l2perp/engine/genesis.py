"""The state at height 0, built from a `Genesis`: the genesis markets with their books, the
registered oracle operators, the insurance funds' seeds and, when the genesis has one, the
governance state over it (whose risk table starts with every governed value as the engine's
genesis has it). Cash in micro-USDC, times in ms.
"""

from __future__ import annotations

from .l1fee import genesis_book
from ..units import MS_PER_HOUR
from .book import Book
from .governance.gov_state import GovGenesis, GovState, make_gov_state
from .governance.params import engine_keys, get_param, governance_values
from .params import Genesis
from .state import State, fund_account, make_market


def genesis_state(genesis: Genesis | None = None) -> State:
    """The state at height 0: the genesis markets, no accounts, an empty fee pool."""
    genesis = genesis or Genesis()
    markets = [make_market(i, spec, genesis.config) for i, spec in enumerate(genesis.markets)]
    state = State(
        config=genesis.config,
        markets=markets,
        books=[Book(i) for i in range(len(markets))],
        time_ms=genesis.time_ms,
    )
    state.triggers = [{} for _ in markets]
    operators = genesis.config.oracle_operators
    if operators and len(operators) < 3:
        raise ValueError("an oracle needs at least three registered operators")
    state.oracle_stakes = {op: stake for op, stake in operators}
    seeds = [(0, genesis.config.insurance_seed_musdc)] + [
        (m.asset + 1, m.spec.insurance_seed_musdc) for m in markets if m.spec.only_isolated]
    for partition, seed in seeds:
        if seed > 0:
            fund_account(state, partition).cash_musdc += seed
            state.credits_musdc += seed
    hour = genesis.time_ms // MS_PER_HOUR
    for market in markets:
        market.funding_hour = hour
        market.premium_slot = genesis.time_ms // genesis.config.funding_sample_ms
    if genesis.config.l1_fee is not None:
        state.l1_fee = genesis_book(genesis.config.l1_fee, genesis.time_ms)
    if genesis.gov is not None:
        state.gov = genesis_governance(state, genesis.gov)
    return state


def genesis_governance(state: State, genesis: GovGenesis) -> GovState:
    """Token allocations, council, stewards and operators; the risk table starts with every
    governed value as the engine genesis has it."""
    values = {key: get_param(state, key) for key in engine_keys(state)}
    gov = make_gov_state(genesis, state.time_ms, values)
    gov.table.values.update(governance_values(gov))
    return gov
