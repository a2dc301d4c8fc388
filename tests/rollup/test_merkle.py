"""The sparse Merkle tree: roots match a naive full computation, proofs and multiproofs verify
for present and empty leaves (and fail for wrong ones), old roots stay readable."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from l2perp.codec import leaf_hash, node_hash
from l2perp.rollup.merkle import (
    EMPTY_LEAF,
    ZERO,
    SparseMerkleTree,
    verify_multiproof,
    verify_proof,
)

DEPTH = 8


def naive_root(leaves: dict[int, bytes], depth: int = DEPTH) -> bytes:
    level = [leaf_hash(leaves[i]) if i in leaves else EMPTY_LEAF for i in range(1 << depth)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, (1 << DEPTH) - 1),
                          st.one_of(st.none(), st.binary(min_size=1, max_size=8))),
                min_size=1, max_size=40))
def test_incremental_updates_match_a_full_recomputation(updates) -> None:
    tree = SparseMerkleTree(DEPTH)
    expected: dict[int, bytes] = {}
    for index, data in updates:
        tree.update({index: data})
        if data is None:
            expected.pop(index, None)
        else:
            expected[index] = data
        assert tree.root == naive_root(expected)


def test_empty_tree_and_depth_32_root() -> None:
    assert SparseMerkleTree().root == ZERO[32]
    tree = SparseMerkleTree()
    tree.update({5: b"a", 2**32 - 1: b"b"})
    assert tree.root != ZERO[32]
    tree.update({5: None, 2**32 - 1: None})
    assert tree.root == ZERO[32]


def test_proofs_for_present_and_empty_leaves_and_old_roots() -> None:
    rng = random.Random(1)
    tree = SparseMerkleTree()
    leaves = {rng.randrange(2**32): bytes([i]) for i in range(50)}
    tree.update(leaves)
    old_root = tree.root
    for index, data in list(leaves.items())[:10]:
        assert verify_proof(tree.root, index, data, tree.proof(index))
        assert not verify_proof(tree.root, index, b"wrong", tree.proof(index))
    assert verify_proof(tree.root, 123, None, tree.proof(123))  # an empty slot
    moved = next(iter(leaves))
    tree.update({moved: b"changed"})
    assert verify_proof(tree.root, moved, b"changed", tree.proof(moved))
    assert verify_proof(old_root, moved, leaves[moved], tree.proof(moved, old_root))
    assert not verify_proof(tree.root, moved, leaves[moved], tree.proof(moved))


def test_multiproofs() -> None:
    rng = random.Random(2)
    tree = SparseMerkleTree()
    leaves = {rng.randrange(2**32): bytes([i]) for i in range(40)}
    tree.update(leaves)
    chosen = sorted(leaves)[:7] + [77]  # 77 is empty
    given_leaves = {i: leaves.get(i) for i in chosen}
    proof = tree.multiproof(chosen)
    assert verify_multiproof(tree.root, given_leaves, proof)
    assert len(proof) < 32 * len(chosen)
    wrong = dict(given_leaves)
    wrong[chosen[0]] = b"forged"
    assert not verify_multiproof(tree.root, wrong, proof)
    assert not verify_multiproof(tree.root, given_leaves, proof[:-1])
    old = tree.root
    tree.update({chosen[0]: b"new"})
    assert verify_multiproof(old, given_leaves, tree.multiproof(chosen, old))
