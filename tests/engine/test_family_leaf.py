"""Sub-accounts, builder approvals, vaults and builder-paying orders in the account leaf: a
trailing item each, present only when used (so other leaves keep their bytes), and every such
leaf decodes to the same account and the same root."""

from __future__ import annotations

import msgpack
import pytest

from l2perp.engine.decoding import DecodeError, copy_state, decode_account
from l2perp.engine.encoding import encode_account, state_digest
from l2perp.engine.params import EngineConfig
from l2perp.engine.tx import (
    ApproveBuilderFee, CreateSubAccount, CreateVault, SubAccountTransfer, VaultTransfer,
)
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, Venue, addr, limit

A, B, BUILDER = addr(1), addr(2), addr(3)


@pytest.fixture
def v() -> Venue:
    venue = Venue(config=EngineConfig(admin=ADMIN, devnet=True))
    for user in (A, B):
        venue.deposit(user, 100_000)
    venue.set_price(0, 500_000)
    return venue


def test_an_account_that_never_used_them_has_no_family_item(v: Venue) -> None:
    leaf = msgpack.unpackb(encode_account(v.state.accounts[A]))
    assert len(leaf) == 16


def test_family_items_and_builder_orders_round_trip(v: Venue) -> None:
    assert v.one(A, CreateSubAccount("desk")).ok
    sub = v.state.accounts[A].sub_accounts[0]
    assert v.one(A, SubAccountTransfer(sub, True, 1_000 * ONE_USDC)).ok
    assert v.one(A, ApproveBuilderFee(BUILDER, 25, 1)).ok
    created = v.one(B, CreateVault("vault", "a test", 500 * ONE_USDC))
    vault = created.statuses[0]
    assert v.one(A, VaultTransfer(vault, True, 100 * ONE_USDC)).ok
    placed = v.one(A, {"type": "order", "orders": [limit(0, True, "49000", "0.01")],
                       "builder": {"b": BUILDER, "f": 25}}, vault=sub)
    assert placed.ok and "Resting" in str(placed.statuses), placed
    for address in (A, sub, vault):
        account = v.state.accounts[address]
        leaf = encode_account(account)
        assert len(msgpack.unpackb(leaf)) == 17
        assert encode_account(decode_account(leaf)) == leaf
    order = next(iter(v.state.accounts[sub].orders.values()))
    assert (order.builder, order.builder_fee) == (BUILDER, 25)
    copy = copy_state(v.state)
    assert state_digest(copy) == state_digest(v.state)
    assert copy.accounts[vault].vault.shares == v.state.accounts[vault].vault.shares
    assert copy.accounts[A].builder_approvals == {BUILDER: 25}


def test_a_second_encoding_of_empty_family_items_is_refused(v: Venue) -> None:
    leaf = msgpack.unpackb(encode_account(v.state.accounts[A]))
    with pytest.raises(DecodeError):
        decode_account(msgpack.packb(leaf + [[None, "", [], [], None]]))
    with pytest.raises(DecodeError):
        decode_account(msgpack.packb(leaf + [[None, "x", [], [], None], 1]))


def test_closing_an_isolated_position_pays_its_builder_from_the_released_margin() -> None:
    """Found in review: the builder fee was charged after the fill had closed the isolated
    position, leaving an empty position with negative margin (unbacked money). It is now
    charged with the venue's fee, before the position changes."""
    from l2perp.engine.margin import withdrawable
    from l2perp.engine.views import account_value

    v = Venue(config=EngineConfig(admin=ADMIN, devnet=True))
    for user in (A, B):
        v.deposit(user, 100_000)
    v.set_price(0, 500_000)
    assert v.one(A, {"type": "updateLeverage", "asset": 0, "isCross": False,
                     "leverage": 10}).ok
    assert v.one(A, ApproveBuilderFee(BUILDER, 100, 1)).ok
    v.order(B, limit(0, False, "50000", "0.1"))
    assert v.one(A, {"type": "order", "orders": [limit(0, True, "50000", "0.1", "Ioc")],
                     "builder": {"b": BUILDER, "f": 100}}).ok
    v.order(B, limit(0, True, "50000", "0.1"))
    assert v.one(A, {"type": "order", "orders": [
        limit(0, False, "50000", "0.1", "Ioc", reduce_only=True)],
        "builder": {"b": BUILDER, "f": 100}}).ok
    account = v.state.accounts[A]
    assert account.positions == {}  # no empty position with a negative isolated margin
    assert account_value(v.state, account) == account.cash_musdc == withdrawable(v.state,
                                                                                 account)
    assert v.state.accounts[BUILDER].cash_musdc == 2 * 5_000_000  # 0.1% of $5,000, twice
