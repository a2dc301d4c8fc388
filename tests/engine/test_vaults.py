"""Vault share accounting at its boundaries: mint rounds down, burn rounds up, a holder takes
exactly its claim and not a micro-USDC more, the lockup ends at its millisecond, the leader's
5% floor is inclusive, the commission is 10% of profit rounded down, and the insurance fund
becomes a protocol vault on its first deposit."""

from __future__ import annotations

import pytest

from l2perp.engine import errors as E
from l2perp.engine.params import EngineConfig
from l2perp.engine.state import fund_address
from l2perp.engine.tx import CreateVault, DevAdvanceTime, UsdSend, VaultTransfer
from l2perp.engine.vaults import USER_LOCKUP_MS, share_value
from l2perp.engine.views import account_value
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, BLOCK_MS, Venue, addr

LEADER, FOLLOWER, OTHER = addr(1), addr(2), addr(3)


@pytest.fixture
def v() -> Venue:
    venue = Venue(config=EngineConfig(admin=ADMIN, devnet=True,
                                      insurance_seed_musdc=1_000 * ONE_USDC))
    for user in (LEADER, FOLLOWER, OTHER):
        venue.deposit(user, 1_000_000)
    return venue


def open_vault(v: Venue, usd: int = 1_000) -> str:
    receipt = v.one(LEADER, CreateVault("v", "", usd * ONE_USDC))
    assert receipt.ok, receipt
    return receipt.statuses[0]


def advance(v: Venue, ms: int) -> None:
    assert v.one(ADMIN, DevAdvanceTime(ms)).ok
    v.block(dt_ms=ms)


def test_mint_rounds_down_and_burn_rounds_up(v: Venue) -> None:
    vault = open_vault(v)
    # a donation of 1 micro-USDC: 1,000,000,000 shares now back 1,000,000,001 micro-USDC
    assert v.one(OTHER, UsdSend(vault, 1, 1)).ok
    book = v.state.accounts[vault].vault
    assert v.one(FOLLOWER, VaultTransfer(vault, True, 3 * ONE_USDC)).ok
    minted = book.shares[FOLLOWER]
    assert minted == 3_000_000 * 1_000_000_000 // 1_000_000_001  # floor: 2,999,999
    advance(v, USER_LOCKUP_MS)
    value = account_value(v.state, v.state.accounts[vault])
    total = book.total_shares
    assert v.one(FOLLOWER, VaultTransfer(vault, False, 1)).ok
    assert book.shares[FOLLOWER] == minted - (-(-1 * total // value))  # ceil: 1 share


def test_a_holder_takes_exactly_its_claim_and_not_one_micro_usdc_more(v: Venue) -> None:
    vault = open_vault(v)
    assert v.one(FOLLOWER, VaultTransfer(vault, True, 500 * ONE_USDC)).ok
    advance(v, USER_LOCKUP_MS)
    book = v.state.accounts[vault].vault
    claim = share_value(book, book.shares[FOLLOWER],
                        account_value(v.state, v.state.accounts[vault]))
    over = v.one(FOLLOWER, VaultTransfer(vault, False, claim + 1))
    assert over.error == E.VAULT_INSUFFICIENT_SHARES
    cash = v.state.accounts[FOLLOWER].cash_musdc
    assert v.one(FOLLOWER, VaultTransfer(vault, False, claim)).ok
    assert FOLLOWER not in book.shares
    assert v.state.accounts[FOLLOWER].cash_musdc == cash + claim


def test_the_lockup_ends_at_its_millisecond(v: Venue) -> None:
    vault = open_vault(v)
    assert v.one(FOLLOWER, VaultTransfer(vault, True, 100 * ONE_USDC)).ok
    until = v.state.accounts[vault].vault.locked_until[FOLLOWER]
    assert until == v.state.time_ms + USER_LOCKUP_MS
    advance(v, until - 1 - 2 * BLOCK_MS - v.state.time_ms)
    assert v.state.time_ms == until - 1 - BLOCK_MS
    early = v.block(v.tx(FOLLOWER, VaultTransfer(vault, False, ONE_USDC)),
                    dt_ms=BLOCK_MS).receipts[0]
    assert v.state.time_ms == until - 1
    assert early.error == E.VAULT_LOCKED.format(until=until)
    exact = v.block(v.tx(FOLLOWER, VaultTransfer(vault, False, ONE_USDC)), dt_ms=1).receipts[0]
    assert v.state.time_ms == until and exact.ok, exact


def test_the_leaders_five_percent_floor_is_inclusive(v: Venue) -> None:
    vault = open_vault(v, 1_000)  # 1e9 shares at 1 micro-USDC each
    # 19,000 more makes the leader exactly 5% of 20,000: allowed; one micro-USDC more is not
    over = v.one(FOLLOWER, VaultTransfer(vault, True, 19_000 * ONE_USDC + 1))
    assert over.error == E.VAULT_LEADER_SHARE
    assert v.one(FOLLOWER, VaultTransfer(vault, True, 19_000 * ONE_USDC)).ok
    book = v.state.accounts[vault].vault
    assert book.shares[LEADER] * 20 == book.total_shares
    advance(v, USER_LOCKUP_MS)
    leader_out = v.one(LEADER, VaultTransfer(vault, False, ONE_USDC))
    assert leader_out.error == E.VAULT_LEADER_SHARE


def test_the_commission_is_ten_percent_of_profit_rounded_down(v: Venue) -> None:
    vault = open_vault(v, 1_000)
    assert v.one(FOLLOWER, VaultTransfer(vault, True, 1_000 * ONE_USDC)).ok
    assert v.one(OTHER, UsdSend(vault, 2 * 10 * ONE_USDC + 19, 1)).ok  # +20.000019 USDC
    advance(v, USER_LOCKUP_MS)
    book = v.state.accounts[vault].vault
    claim = share_value(book, book.shares[FOLLOWER],
                        account_value(v.state, v.state.accounts[vault]))
    assert claim == 1_010 * ONE_USDC + 9  # half the donation, rounded down
    leader_cash = v.state.accounts[LEADER].cash_musdc
    follower_cash = v.state.accounts[FOLLOWER].cash_musdc
    assert v.one(FOLLOWER, VaultTransfer(vault, False, claim)).ok
    commission = (claim - 1_000 * ONE_USDC) // 10  # 1,000,000.9 -> 1,000,000
    assert commission == 1_000_000
    assert v.state.accounts[LEADER].cash_musdc == leader_cash + commission
    assert v.state.accounts[FOLLOWER].cash_musdc == follower_cash + claim - commission


def test_the_insurance_fund_becomes_a_protocol_vault_on_its_first_deposit(v: Venue) -> None:
    fund = fund_address(0)
    value = account_value(v.state, v.state.accounts[fund])
    assert v.state.accounts[fund].vault is None
    assert v.one(FOLLOWER, VaultTransfer(fund, True, 100 * ONE_USDC)).ok
    book = v.state.accounts[fund].vault
    assert book.leader is None and book.shares[fund] == value
    assert book.shares[FOLLOWER] == 100 * ONE_USDC  # the same price as the protocol's
    assert book.locked_until[FOLLOWER] == v.state.time_ms + 4 * 86_400_000
    assert v.one(LEADER, VaultTransfer(fund, False, ONE_USDC)).error == \
        E.VAULT_INSUFFICIENT_SHARES


def test_a_drained_vault_topped_up_by_a_donation_cannot_take_a_deposit(v: Venue) -> None:
    """Found in review: a leader leaves one share, donates, and a follower's floor-minted
    deposit hands it half the deposit. A deposit must come out worth what it paid (within a
    micro-USDC and a millionth)."""
    vault = open_vault(v, 100)
    advance(v, USER_LOCKUP_MS)
    assert v.one(LEADER, VaultTransfer(vault, False, 100 * ONE_USDC - 1)).ok
    assert v.state.accounts[vault].vault.total_shares == 1
    assert v.one(LEADER, UsdSend(vault, 10_000 * ONE_USDC, 1)).ok
    cash = v.state.accounts[FOLLOWER].cash_musdc
    refused = v.one(FOLLOWER, VaultTransfer(vault, True, 19_999 * ONE_USDC))
    assert refused.error == E.VAULT_DEPOSIT_TOO_SMALL
    assert v.state.accounts[FOLLOWER].cash_musdc == cash
    assert FOLLOWER not in v.state.accounts[vault].vault.shares


def test_a_leader_cannot_route_the_vaults_money_to_a_builder(v: Venue) -> None:
    """Found in review: a vault's orders checked the leader's builder approvals, so a leader
    could pay followers' money to an address it controls. A vault approves nothing, and its
    orders naming a builder are refused as Hyperliquid refuses them."""
    from l2perp.engine.tx import ApproveBuilderFee

    vault = open_vault(v, 1_000)
    assert v.one(LEADER, ApproveBuilderFee(OTHER, 100, 1)).ok
    refused = v.one(LEADER, {"type": "order", "orders": [
        {"a": 0, "b": True, "p": "40000", "s": "0.001", "r": False,
         "t": {"limit": {"tif": "Gtc"}}}], "builder": {"b": OTHER, "f": 100}}, vault=vault)
    assert refused.error == E.BUILDER_FEE_NOT_APPROVED
    assert v.one(LEADER, ApproveBuilderFee(OTHER, 100, 2), vault=vault).error == \
        E.VAULT_MAY_NOT_PERFORM


def test_protocol_money_moved_into_or_out_of_a_fund_leaves_depositors_claims(v: Venue) -> None:
    """Found in review: governance's insuranceTransfer moved a fund's cash, so depositors
    gained a windfall (or lost the protocol's withdrawal). The fund's own shares now follow
    the protocol's money at the current price."""
    from l2perp.engine.vaults import protocol_claim, protocol_transfer

    fund_addr = fund_address(0)
    assert v.one(FOLLOWER, VaultTransfer(fund_addr, True, 500 * ONE_USDC)).ok
    fund = v.state.accounts[fund_addr]
    book = fund.vault

    def claim() -> int:
        return share_value(book, book.shares[FOLLOWER], account_value(v.state, fund))

    before = claim()
    value = account_value(v.state, fund)
    fund.cash_musdc += 1_000 * ONE_USDC  # as governance's move() does, then the shares
    protocol_transfer(fund, value, 1_000 * ONE_USDC)
    assert before - 1 <= claim() <= before
    own = protocol_claim(v.state, fund)
    value = account_value(v.state, fund)
    fund.cash_musdc -= own
    protocol_transfer(fund, value, -own)
    assert before - 2 <= claim() <= before
    assert fund_addr not in book.shares or book.shares[fund_addr] <= 1


def test_governance_lends_out_only_the_protocols_part_of_a_fund() -> None:
    from l2perp.engine.vaults import protocol_claim
    from tests.support.gov_rig import ALICE, BOB, WHALE, GovVenue

    v = GovVenue()
    v.block()
    fund_addr = fund_address(0)
    v.state.fee_pool_musdc += 100_000 * ONE_USDC  # the protocol's money, into the fund
    v.state.credits_musdc += 100_000 * ONE_USDC
    v.enact((("insuranceTransfer", -1, 0, 100_000 * ONE_USDC),), voters=(WHALE, ALICE, BOB))
    v.deposit(FOLLOWER, 1_000_000)
    assert v.one(FOLLOWER, VaultTransfer(fund_addr, True, 400_000 * ONE_USDC)).ok
    fund = v.state.accounts[fund_addr]
    own = protocol_claim(v.state, fund)
    held = share_value(fund.vault, fund.vault.shares[FOLLOWER], account_value(v.state, fund))
    assert own + held <= fund.cash_musdc
    with pytest.raises(AssertionError):  # more than the protocol's part: the proposal fails
        v.enact((("insuranceTransfer", 0, -1, own + 1),), voters=(WHALE, ALICE, BOB))
    pool = v.state.fee_pool_musdc
    v.enact((("insuranceTransfer", 0, -1, own),), voters=(WHALE, ALICE, BOB))
    assert v.state.fee_pool_musdc == pool + own
    after = share_value(fund.vault, fund.vault.shares[FOLLOWER], account_value(v.state, fund))
    assert held - 1 <= after <= held
