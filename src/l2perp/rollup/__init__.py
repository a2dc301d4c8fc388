"""The rollup: state commitment (sparse Merkle tree), batches, the L1 and its settlement
contract, fraud proofs, forced inclusion, freeze and escape, reconciliation (docs/mechanics.md)."""
