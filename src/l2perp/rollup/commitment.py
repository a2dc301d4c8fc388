"""The state root: state_root = H(positions_root, shared_state_hash), where positions_root is
the sparse Merkle root of every account leaf (the engine's `encode_account`, at the account's
dense index) and shared_state_hash hashes the engine's shared leaf (prices, funding indices,
time, config hash, counters)."""

from __future__ import annotations

from ..codec import DOMAIN_STATE, canonical, h256
from ..engine.encoding import encode_account, shared_leaf
from ..engine.state import State
from .merkle import SparseMerkleTree


class Commitment:
    """A tree that follows a state: `refresh` re-hashes only the accounts it is told changed."""

    def __init__(self, history: bool = False) -> None:
        """`history` keeps older roots readable (the tree's node store grows with every update);
        a follower of the live state (poster, verifier, judge) needs only the current one."""
        self.tree = SparseMerkleTree(history=history)

    def refresh(self, state: State, touched: list[str] | None = None) -> bytes:
        """Update the leaves of `touched` addresses (all accounts when None); the state root."""
        addresses = sorted(state.accounts) if touched is None else sorted(set(touched))
        leaves = {}
        for address in addresses:
            account = state.accounts.get(address)
            if account is not None:
                leaves[account.index] = encode_account(account)
        if leaves:
            self.tree.update(leaves)
        return state_root(self.tree.root, state)

    def root(self, state: State) -> bytes:
        """The state root with the tree as it stands (no leaf re-hashed)."""
        return state_root(self.tree.root, state)


def shared_state_hash(state: State) -> bytes:
    return h256(canonical(shared_leaf(state)))


def state_root(positions_root: bytes, state: State) -> bytes:
    return h256(DOMAIN_STATE + positions_root + shared_state_hash(state))
