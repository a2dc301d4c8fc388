"""Determinism and commitment: I-1 to I-4 of the rollup (docs/mechanics.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import msgpack
import pytest

from l2perp.codec import DOMAIN_STATE, canonical, h256, leaf_hash, node_hash
from l2perp.engine.encoding import account_leaf, encode_account, shared_leaf
from l2perp.rollup.commitment import Commitment
from l2perp.rollup.l1 import L1Error
from l2perp.rollup.merkle import DEPTH, ZERO, SparseMerkleTree, verify_proof
from tests.support.rollup_rig import POSTER, funded, flow_txs, run
from tests.test_determinism_rules import deterministic_files, violations

ROOT = Path(__file__).resolve().parents[2]


def test_I1_replaying_posted_batches_reproduces_every_root_in_another_process(tmp_path) -> None:
    s = funded()
    run(s, flow_txs(150, seed=21, crash_every=50))
    s.idle(4_000)
    chain = s.l1.canonical_chain()
    assert len(chain) > 20 and s.state.next_tid > 50  # trades happened
    path = tmp_path / "bodies.msgpack"
    path.write_bytes(msgpack.packb([r.body for r in chain]))
    for seed in ("0", "12345"):
        out = subprocess.run(
            [sys.executable, "-m", "tests.support.rollup_rig", str(path)], cwd=ROOT, check=True,
            capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}).stdout.split()
        assert out == [r.header.post_root.hex() for r in chain]


def test_I2_no_floats_clocks_or_randomness_in_the_rollup() -> None:
    files = [f for f in deterministic_files() if "/rollup/" in str(f)]
    assert len(files) >= 10
    for path in files:
        assert violations(path.read_text()) == [], path


def _flip(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, bytes):
        return value + b"x"
    if value is None:
        return 0
    return None  # lists: recurse instead


def _mutations(tree: list, path=()):
    for i, value in enumerate(tree):
        if isinstance(value, list):
            yield from _mutations(value, path + (i,))
        else:
            yield path + (i,), _flip(value)


def _set(tree: list, path: tuple, value) -> list:
    copy = msgpack.unpackb(msgpack.packb(tree))
    node = copy
    for i in path[:-1]:
        node = node[i]
    node[path[-1]] = value
    return copy


def test_I3_any_field_of_a_leaf_or_the_shared_state_moves_the_root() -> None:
    s = funded()
    run(s, flow_txs(80, seed=4))
    state = s.state
    trader = max(state.accounts.values(), key=lambda a: (len(a.orders), len(a.positions)))
    assert trader.orders and trader.positions
    leaf = account_leaf(trader)
    tree = Commitment()
    base_positions = tree.refresh(state)
    seen = 0
    for path, value in _mutations(leaf):
        tree.tree.update({trader.index: canonical(_set(leaf, path, value))})
        assert tree.root(state) != base_positions, path
        seen += 1
    tree.tree.update({trader.index: encode_account(trader)})
    assert tree.root(state) == base_positions
    shared = shared_leaf(state)
    for path, value in _mutations(shared):
        bent = h256(DOMAIN_STATE + tree.tree.root + h256(canonical(_set(shared, path, value))))
        assert bent != base_positions, path
        seen += 1
    assert seen > 200


def test_I3_a_path_verifies_only_its_own_key_value_and_root() -> None:
    tree = SparseMerkleTree()
    tree.update({5: b"five", 6: b"six"})
    proof = tree.proof(5)
    assert verify_proof(tree.root, 5, b"five", proof)
    assert not verify_proof(tree.root, 4, b"five", proof)
    assert not verify_proof(tree.root, 5, b"six", proof)
    old = tree.root
    tree.update({5: b"FIVE"})
    assert not verify_proof(tree.root, 5, b"five", proof)
    assert verify_proof(old, 5, b"five", tree.proof(5, old))  # old roots stay readable


def test_I3_an_inner_node_cannot_pass_for_a_leaf() -> None:
    tree = SparseMerkleTree()
    tree.update({0: b"a", 1: b"b"})
    left, right = tree.node(0, 0), tree.node(0, 1)
    assert leaf_hash(left + right) != node_hash(left, right) == tree.node(1, 0)
    # the inner node (1, 0) offered as a leaf with its own path (padded to full depth) fails
    path = tree.proof(0)[1:] + [ZERO[DEPTH - 1]]
    assert not verify_proof(tree.root, 0, left + right, path)
    assert not verify_proof(tree.root, 0, left + right, tree.proof(0))


def test_I4_batches_chain_by_number_and_root_and_l1_refuses_anything_else() -> None:
    s = funded()
    run(s, flow_txs(40, seed=2))
    chain = s.l1.canonical_chain()
    for parent, child in zip(chain, chain[1:]):
        assert child.header.batch_no == parent.header.batch_no + 1
        assert child.header.prev_root == parent.header.post_root
        assert child.header.first_height == parent.header.last_height + 1
    assert chain[0].header.prev_root == s.l1.genesis_root
    s.step(flow_txs(2, seed=3)[1])
    batch = s.poster.next_batch()
    assert batch is not None
    for bad in (replace(batch.header, batch_no=batch.header.batch_no + 1),
                replace(batch.header, batch_no=batch.header.batch_no - 1),
                replace(batch.header, prev_root=b"\x01" * 32)):
        with pytest.raises(L1Error):
            s.l1.commit_batch(POSTER, bad, batch.body, batch.withdrawals)
    s.l1.commit_batch(POSTER, batch.header, batch.body, batch.withdrawals)


def test_I4_only_the_poster_the_rotation_names_may_post() -> None:
    from l2perp.rollup.contract import deploy
    from l2perp.rollup.params import TEST
    from tests.support.rollup_rig import GENESIS, OUTSIDER

    other = "0x" + "0e" * 20
    l1 = deploy(TEST, GENESIS, (POSTER, other))
    slot = TEST.rotation_ms
    assert l1.poster_at(GENESIS.time_ms) == POSTER
    assert l1.poster_at(GENESIS.time_ms + slot - 1) == POSTER
    assert l1.poster_at(GENESIS.time_ms + slot) == other  # the turn passes at the boundary
    assert l1.poster_at(GENESIS.time_ms + 2 * slot) == POSTER
    s = funded()
    s.poster.post_due = lambda force=False: []
    s.step(flow_txs(3, seed=5)[1])
    batch = s.poster.next_batch()
    for stranger in (OUTSIDER, other):
        s.l1.mint(stranger, TEST.proposer_bond_musdc)
        with pytest.raises(L1Error, match="scheduled"):
            s.l1.commit_batch(stranger, batch.header, batch.body, batch.withdrawals)
    s.l1.commit_batch(POSTER, batch.header, batch.body, batch.withdrawals)
