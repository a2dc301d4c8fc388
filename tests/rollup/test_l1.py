"""The L1 clock, the EIP-1559 base fee, the message queue and the profile constraints."""

from __future__ import annotations

from dataclasses import replace

import pytest

from l2perp.rollup.l1 import GAS_LIMIT, GAS_TARGET, L1Chain, L1Error, next_base_fee
from l2perp.rollup.params import MAINNET_LIKE, TEST, TICK_MS, ParamsError

A, B = "0x" + "01" * 20, "0x" + "02" * 20


@pytest.mark.parametrize("used, fee", [
    (GAS_TARGET, 1_000), (GAS_LIMIT, 1_125), (0, 875),  # +12.5% full, -12.5% empty
    (GAS_TARGET + GAS_TARGET // 2, 1_062),  # +6.25% rounded toward zero
])
def test_base_fee_follows_congestion(used: int, fee: int) -> None:
    assert next_base_fee(1_000, used) == fee


def test_base_fee_never_below_one_gwei() -> None:
    assert next_base_fee(1, 0) == 1


def test_a_block_above_target_raises_a_low_fee_by_at_least_one() -> None:
    assert next_base_fee(7, GAS_LIMIT) == 8  # 7 x 12.5% rounds to 0: EIP-1559 adds 1
    assert next_base_fee(7, GAS_TARGET + 1) == 8
    assert next_base_fee(7, GAS_TARGET) == 7  # at target: unchanged


def test_clock_produces_blocks_and_fees_rise_under_load() -> None:
    chain = L1Chain(TEST, genesis_ms=0)
    assert chain.advance_to(3 * TICK_MS - 1) == 2 and chain.height == 2
    before = chain.base_fee_gwei
    chain.advance_to(chain.time_ms + 10 * TICK_MS, congestion_gas=GAS_LIMIT)
    assert chain.base_fee_gwei > before
    with pytest.raises(L1Error):
        chain.spend_gas(GAS_LIMIT + 1)


def test_queue_is_consumed_in_order_and_overdue_messages_must_go_in() -> None:
    chain = L1Chain(TEST, genesis_ms=0)
    with pytest.raises(L1Error, match="holds 0"):
        chain.deposit(A, A, 100)  # nothing in the wallet: nothing queued
    assert chain.messages == []
    chain.mint(A, 100)
    first = chain.deposit(A, A, 100)
    assert chain.wallets[A] == 0
    chain.force_withdrawal(B, 5)
    assert chain.bridge_balance_musdc == 100
    with pytest.raises(L1Error):
        chain.consume(1, 2)  # not from the cursor
    chain.advance_to(TEST.force_inclusion_delay_ms - TICK_MS)
    assert chain.overdue() == []
    chain.advance_to(TEST.force_inclusion_delay_ms)  # exactly the delay: now overdue
    assert [m.index for m in chain.overdue()] == [first.index, 1]
    with pytest.raises(L1Error, match="force-inclusion"):
        chain.consume(0, 1)
    assert [m.kind for m in chain.consume(0, 2)] == ["deposit", "forcedWithdrawal"]
    assert chain.pending() == []


def test_profiles_hold_their_constraints_and_bad_ones_are_refused() -> None:
    assert MAINNET_LIKE.check() and TEST.check()
    with pytest.raises(ParamsError, match="honest operator"):
        replace(TEST, freeze_grace_ms=TEST.force_inclusion_delay_ms + TICK_MS).check()
    with pytest.raises(ParamsError, match="challenge window"):
        replace(TEST, challenge_window_ms=2 * TEST.max_l1_inclusion_delay_ms).check()
    with pytest.raises(ParamsError, match="bond"):
        replace(TEST, challenger_bond_musdc=TEST.proposer_bond_musdc).check()
