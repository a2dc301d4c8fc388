"""The deterministic perpetuals state machine: pure, integer-only (docs/architecture.md, docs/mechanics.md).

Entry point: `stf.apply_block(state, block) -> BlockReceipts`; genesis: `genesis.genesis_state`.
"""
