"""Sub-accounts in the engine: the family fee tier, nonce sets per acting account, agents,
and what a master may not do through `vaultAddress`."""

from __future__ import annotations

import pytest

from l2perp.engine import errors as E
from l2perp.engine.fees import compute_fee_rates, day_of
from l2perp.engine.params import EngineConfig
from l2perp.engine.subaccounts import MIN_VOLUME_MUSDC, sub_account_address
from l2perp.engine.tx import (
    ApproveAgent, CreateSubAccount, Noop, SubAccountTransfer, Withdraw,
)
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, Venue, addr

A, B, AGENT = addr(1), addr(2), addr(9)


@pytest.fixture
def v() -> Venue:
    venue = Venue(config=EngineConfig(admin=ADMIN, devnet=True))
    for user in (A, B):
        venue.deposit(user, 100_000)
    return venue


def make_sub(v: Venue, master: str = A, name: str = "desk") -> str:
    receipt = v.one(master, CreateSubAccount(name))
    assert receipt.ok, receipt
    return receipt.statuses[0]


def test_the_address_is_derived_and_in_creation_order(v: Venue) -> None:
    first, second = make_sub(v, name="one"), make_sub(v, name="two")
    assert (first, second) == (sub_account_address(A, 0), sub_account_address(A, 1))
    assert v.state.accounts[A].sub_accounts == [first, second]
    assert v.state.accounts[first].master == A and v.state.accounts[first].name == "one"


def test_a_master_and_its_sub_accounts_pay_the_tier_of_their_combined_volume(v: Venue) -> None:
    sub = make_sub(v)
    state = v.state
    today = day_of(state.time_ms)
    lone = compute_fee_rates(state, state.accounts[B], today)
    # $3M each, yesterday: alone each is in the first tier; together ($6M) above $5M
    state.accounts[A].volume_days[today - 1] = 3_000_000 * ONE_USDC
    state.accounts[sub].volume_days[today - 1] = 3_000_000 * ONE_USDC
    state.accounts[B].volume_days[today - 1] = 3_000_000 * ONE_USDC
    family = compute_fee_rates(state, state.accounts[sub], today)
    assert compute_fee_rates(state, state.accounts[A], today) == family
    assert compute_fee_rates(state, state.accounts[B], today) == lone
    assert family[0] < lone[0]  # a lower taker rate: the $5M tier
    # exactly $5M together is not above the bound: the first tier still
    state.accounts[sub].volume_days[today - 1] = 2_000_000 * ONE_USDC
    assert compute_fee_rates(state, state.accounts[sub], today) == lone


def test_each_acting_account_keeps_its_own_nonces_and_an_agent_its_own(v: Venue) -> None:
    sub = make_sub(v)
    nonce = v.next_nonce()
    assert v.one(A, Noop("noop"), nonce=nonce, vault=sub).ok
    assert v.one(A, Noop("noop"), nonce=nonce).ok  # the master's own set
    again = v.one(A, Noop("noop"), nonce=nonce, vault=sub)
    assert not again.ok and "nonce" in again.error.lower()
    assert v.one(A, ApproveAgent(AGENT, "bot", v.next_nonce())).ok
    agent_nonce = v.next_nonce()
    assert v.one(AGENT, Noop("noop"), nonce=agent_nonce, vault=sub).ok
    assert agent_nonce in v.state.accounts[A].agents[AGENT].nonces.used
    assert agent_nonce not in v.state.accounts[sub].nonces.used


def test_money_leaves_a_sub_account_only_through_its_master(v: Venue) -> None:
    sub = make_sub(v)
    assert v.one(A, SubAccountTransfer(sub, True, 10 * ONE_USDC)).ok
    refused = v.one(A, Withdraw(A, 5 * ONE_USDC, 1), vault=sub)
    assert refused.error == E.VAULT_MAY_NOT_PERFORM
    assert v.one(A, CreateSubAccount("nested"), vault=sub).error == E.VAULT_MAY_NOT_PERFORM
    stranger = v.one(B, SubAccountTransfer(sub, False, ONE_USDC))
    assert stranger.error == E.NOT_YOUR_SUB_ACCOUNT
    assert v.state.accounts[sub].cash_musdc == 10 * ONE_USDC


def test_off_the_devnet_a_master_needs_100k_of_volume() -> None:
    venue = Venue(config=EngineConfig(admin=ADMIN))
    venue.deposit(A, 1_000)
    refused = venue.one(A, CreateSubAccount("desk"))
    assert refused.error == E.SUB_ACCOUNTS_VOLUME_REQUIRED.format(required="100000",
                                                                  traded="0")
    today = day_of(venue.state.time_ms)
    venue.state.accounts[A].volume_days[today] = MIN_VOLUME_MUSDC - 1
    assert not venue.one(A, CreateSubAccount("desk")).ok
    venue.state.accounts[A].volume_days[today] = MIN_VOLUME_MUSDC  # exactly enough
    assert venue.one(A, CreateSubAccount("desk")).ok
