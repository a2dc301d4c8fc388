"""Voting power: checkpoints read at the block before creation, delegation, the activity rule
and the active supply; every boundary pinned on both sides."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2perp.engine.governance.power import GovToken, PowerError

A, B, C, WHALE = "0xa", "0xb", "0xc", "0xw"
K = 4


def token() -> GovToken:
    t = GovToken()
    t.mint(A, 1_000, height=1)
    t.mint(B, 500, height=1)
    return t


def test_power_is_read_at_the_block_before_creation() -> None:
    t = token()
    creation = 10
    t.transfer(B, A, 100, height=creation - 1)  # in time for the snapshot
    t.transfer(B, A, 100, height=creation)  # the creation block itself: too late
    t.mark_active(A, 0)
    assert t.power(A, creation - 1, epoch=0, k_epochs=K) == 1_100
    assert t.votes_at(A, creation) == 1_200


def test_flash_borrowed_power_counts_zero() -> None:
    """Drill: tokens borrowed and returned inside the creation block or after it."""
    t = token()
    t.mint(WHALE, 10_000, height=1)
    creation = 50
    t.transfer(WHALE, C, 10_000, height=creation)  # borrowed ...
    t.mark_active(C, 0)
    assert t.power(C, creation - 1, epoch=0, k_epochs=K) == 0
    t.transfer(C, WHALE, 10_000, height=creation + 1)  # ... and repaid
    assert t.power(C, creation - 1, epoch=0, k_epochs=K) == 0


def test_delegation_moves_votes_and_back() -> None:
    t = token()
    t.delegate(A, C, height=5, epoch=0)
    assert (t.votes_at(A, 5), t.votes_at(C, 5), t.votes_at(A, 4)) == (0, 1_000, 1_000)
    t.transfer(A, B, 300, height=6)  # A's votes sit with C: C loses them
    assert (t.votes_at(C, 6), t.votes_at(B, 6)) == (700, 800)
    t.delegate(A, A, height=7, epoch=0)
    assert (t.votes_at(A, 7), t.votes_at(C, 7)) == (700, 0)
    assert t.delegates == {}


@pytest.mark.parametrize("last, active", [(10 - K + 1, True), (10 - K, False), (10, True),
                                          (None, False)])
def test_active_within_the_last_k_epochs_exactly(last, active) -> None:
    t = token()
    if last is not None:
        t.mark_active(A, last)
    assert t.is_active(A, 10, K) is active
    assert t.power(A, 1, 10, K) == (1_000 if active else 0)


def test_quorum_base_is_the_active_supply() -> None:
    t = token()
    t.mint(WHALE, 100_000, height=1)  # a dormant majority
    t.mark_active(A, 3)
    t.mark_active(B, 1)  # quiet for K epochs by epoch 5
    assert t.active_supply(1, epoch=5, k_epochs=K) == 1_000
    assert t.active_supply(1, epoch=4, k_epochs=K) == 1_500


def test_bad_operations_change_nothing() -> None:
    t = token()
    before = (dict(t.balances), t.votes_at(A, 9), t.supply)
    for bad in (lambda: t.transfer(A, B, 1_001, 9), lambda: t.transfer(A, B, 0, 9),
                lambda: t.mint(A, 0, 9)):
        with pytest.raises(PowerError):
            bad()
    assert (dict(t.balances), t.votes_at(A, 9), t.supply) == before
    t.transfer(A, B, 1, 9)
    with pytest.raises(PowerError):
        t.transfer(A, B, 1, 8)  # heights only move forward


def test_a_checkpoint_in_the_same_block_is_overwritten() -> None:
    t = token()
    t.transfer(A, B, 10, 3)
    t.transfer(A, B, 10, 3)
    assert t.checkpoints[A].heights == [1, 3] and t.votes_at(A, 3) == 980


OPS = st.lists(st.tuples(st.sampled_from(["transfer", "delegate", "mint"]),
                         st.sampled_from([A, B, C, WHALE]), st.sampled_from([A, B, C, WHALE]),
                         st.integers(1, 400)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(ops=OPS)
def test_votes_always_add_up_to_the_supply_and_the_past_never_changes(ops) -> None:
    t = token()
    history: dict[int, dict[str, int]] = {}
    for height, (kind, x, y, amount) in enumerate(ops, start=2):
        try:
            if kind == "transfer":
                t.transfer(x, y, amount, height)
            elif kind == "delegate":
                t.delegate(x, y, height, epoch=height // 10)
            else:
                t.mint(x, amount, height)
        except PowerError:
            pass
        everyone = sorted(set(t.checkpoints) | set(t.balances))
        assert sum(t.votes_at(w, height) for w in everyone) == t.supply
        assert all(t.votes_at(w, height) >= 0 for w in everyone)
        for who in everyone:  # each holder's votes sit with exactly one delegate
            assert t.balances.get(who, 0) >= 0
        history[height] = {w: t.votes_at(w, height) for w in everyone}
    for height, seen in history.items():
        assert {w: t.votes_at(w, height) for w in seen} == seen
