"""The deterministic perpetuals state machine: pure, integer-only (DESIGN.md §1-§4).

Entry point: `stf.apply_block(state, block) -> BlockReceipts`; genesis: `genesis.genesis_state`.
"""
