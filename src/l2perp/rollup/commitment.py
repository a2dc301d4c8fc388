"""The state root: state_root = H(positions_root, shared_state_hash), where positions_root is
the sparse Merkle root of every account leaf (the engine's `encode_account`, at the account's
dense index) and shared_state_hash hashes the engine's shared leaf (prices, funding indices,
time, config hash, counters)."""

from __future__ import annotations

from ..codec import DOMAIN_STATE, canonical, h256
from ..engine.encoding import shared_leaf
from ..engine.leafcache import LeafCache
from ..engine.state import State
from .merkle import SparseMerkleTree


class Commitment:
    """A tree that follows a state: `refresh` re-hashes only the accounts it is told changed
    (their leaves from an `engine.leafcache.LeafCache`, so unchanged orders are not re-encoded)."""

    def __init__(self, history: bool = False, verify: bool = False) -> None:
        """`history` keeps older roots readable (the tree's node store grows with every update);
        a follower of the live state (poster, verifier, judge) needs only the current one.
        `verify` checks the leaf cache against a full encoding after every refresh."""
        self.tree = SparseMerkleTree(history=history)
        self.leaves = LeafCache(verify=verify)

    def refresh(self, state: State, touched: list[str] | None = None) -> bytes:
        """Update the leaves of `touched` addresses (all accounts when None, or when the state
        is not the one followed block by block so far); the state root."""
        cache = self.leaves
        if touched is None:
            cache.forget()
        cache.refresh(state, touched)
        changed = cache.take_changed()
        if changed:
            accounts, hashes = state.accounts, cache.hashes
            self.tree.update_hashes({accounts[a].index: hashes[a] for a in changed})
        return h256(DOMAIN_STATE + self.tree.root + cache.shared_hash(state))

    def share_leaves(self, leaves: LeafCache) -> None:
        """Take the leaves from `leaves` from now on: another follower of the live state (the
        sequencer's cache, which encodes each block's touched accounts once for both). Every leaf
        it holds is re-hashed into the tree at the next refresh."""
        leaves.changed.update(leaves.leaves)
        self.leaves = leaves

    def tvl_musdc(self, state: State) -> int:
        """The L2 total of the state last refreshed (`rollup.accounting.tvl_musdc`)."""
        return self.leaves.tvl_musdc(state)

    def root(self, state: State) -> bytes:
        """The state root with the tree as it stands (no leaf re-hashed)."""
        return state_root(self.tree.root, state)


def shared_state_hash(state: State) -> bytes:
    return h256(canonical(shared_leaf(state)))


def state_root(positions_root: bytes, state: State) -> bytes:
    return h256(DOMAIN_STATE + positions_root + shared_state_hash(state))
