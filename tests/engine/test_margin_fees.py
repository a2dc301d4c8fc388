"""Margin tiers, initial margin checks, leverage, isolated margin, withdrawals, fees, nonces."""

from __future__ import annotations

import pytest

from l2perp.engine import errors as E
from l2perp.engine.fees import fee_for, refresh_fee_rates
from l2perp.engine.margin import initial_margin, maintenance_margin, withdrawable
from l2perp.engine.params import EngineConfig, FeeTier
from l2perp.engine.state import Account, get_or_create_account
from l2perp.engine.tx import OrderError, Resting
from l2perp.units import MS_PER_DAY, ONE_USDC
from tests.support.venue import ADMIN, Venue, addr, limit

BTC = 0
A, B = addr(1), addr(2)
FREE = EngineConfig(admin=ADMIN, fee_tiers=(FeeTier(0, 0, 0),), maker_rebates=())


def _venue(config: EngineConfig = FREE, a_usd: int = 10_000) -> Venue:
    v = Venue(config=config)
    v.deposit(A, a_usd)
    v.deposit(B, 10_000_000)
    v.set_price(BTC, 500_000)
    return v


# ----- tiers ------------------------------------------------------------------------------

def test_maintenance_is_continuous_across_the_tier_boundary() -> None:
    market = Venue().state.markets[BTC]  # tiers: <= $150M 40x, > $150M 20x
    bound = 150_000_000 * ONE_USDC
    assert maintenance_margin(market, bound) == 1_875_000 * ONE_USDC  # 1.25%
    assert maintenance_margin(market, bound + 1) == 1_875_000 * ONE_USDC + 1  # 2.5% - deduction
    assert maintenance_margin(market, 2 * bound) == 5_625_000 * ONE_USDC  # 300M x 2.5% - 1.875M
    assert maintenance_margin(market, 1) == 1  # rounds up


def test_initial_margin_rounds_up_and_caps_leverage_by_tier() -> None:
    market = Venue().state.markets[BTC]
    assert initial_margin(market, 1_000_001, 20) == 50_001  # ceil(1,000,001 / 20)
    bound = 150_000_000 * ONE_USDC
    assert initial_margin(market, bound, 40) == bound // 40
    assert initial_margin(market, bound + 20, 40) == (bound + 20) // 20  # tier 1 max is 20x


def test_order_needs_initial_margin_at_its_leverage() -> None:
    v = _venue(a_usd=1_000)
    assert v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 10}).ok
    # $10,000 at 10x needs exactly $1,000.
    assert isinstance(v.order(A, limit(BTC, True, "50000", "0.2"))[0], Resting)
    assert v.order(A, limit(BTC, True, "50000", "0.0002")) == [
        OrderError("Insufficient margin to place order. asset=0")]


def test_leverage_above_max_is_refused() -> None:
    v = _venue()
    receipt = v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 41})
    assert receipt.error == "Invalid leverage value"


def test_cannot_switch_margin_mode_with_open_position() -> None:
    v = _venue()
    v.order(B, limit(BTC, False, "50000", "0.1"))
    v.order(A, limit(BTC, True, "50000", "0.1", "Ioc"))
    receipt = v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": False, "leverage": 5})
    assert receipt.error == "Cannot switch leverage type with open position."


# ----- isolated margin --------------------------------------------------------------------

def test_isolated_position_moves_margin_and_returns_it_on_close() -> None:
    v = _venue()
    assert v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": False, "leverage": 10}).ok
    v.order(B, limit(BTC, False, "50000", "0.1"))
    v.order(A, limit(BTC, True, "50000", "0.1", "Ioc"))
    pos = v.account(A).positions[BTC]
    assert v.cash(A) == 9_500 * ONE_USDC  # $500 margin (5,000 / 10x) moved
    assert pos.iso_raw_musdc == 500 * ONE_USDC - 5_000 * ONE_USDC  # Hyperliquid rawUsd
    assert v.one(A, {"type": "updateIsolatedMargin", "asset": BTC, "isBuy": True,
                     "ntli": 100 * ONE_USDC}).ok
    assert v.cash(A) == 9_400 * ONE_USDC
    v.order(B, limit(BTC, True, "51000", "0.1"))
    v.order(A, limit(BTC, False, "51000", "0.1", "Ioc", reduce_only=True))
    assert v.account(A).positions == {}
    assert v.cash(A) == 10_100 * ONE_USDC  # + $100 profit


def test_isolated_margin_removal_must_leave_initial_margin() -> None:
    v = _venue()
    v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": False, "leverage": 10})
    v.order(B, limit(BTC, False, "50000", "0.1"))
    v.order(A, limit(BTC, True, "50000", "0.1", "Ioc"))
    receipt = v.one(A, {"type": "updateIsolatedMargin", "asset": BTC, "isBuy": True, "ntli": -1})
    assert receipt.error == E.ISOLATED_MARGIN_INSUFFICIENT_FOR_REDUCTION


# ----- withdrawals and transfers ----------------------------------------------------------

def _long_one_btc() -> Venue:
    v = _venue()
    v.order(B, limit(BTC, False, "50000", "1"))
    v.order(A, limit(BTC, True, "50000", "1", "Ioc"))  # value $10,000, IM (20x) $2,500
    return v


def test_withdrawal_keeps_ten_percent_of_position_value() -> None:
    v = _long_one_btc()
    assert withdrawable(v.state, v.account(A)) == 5_000 * ONE_USDC  # keep max(2,500, 5,000)
    dest = addr(9)
    over = v.one(A, {"type": "withdraw3", "destination": dest, "amount": "5000.000001", "time": 1})
    assert over.error == "Insufficient balance for withdrawal."
    ok = v.one(A, {"type": "withdraw3", "destination": dest, "amount": "5000", "time": 1})
    assert ok.ok and v.cash(A) == -45_000 * ONE_USDC
    assert v.state.withdrawals[-1].amount_musdc == 4_999 * ONE_USDC  # $1 fee to the pool
    assert v.state.fee_pool_musdc == ONE_USDC


def test_withdrawal_keeps_initial_margin_when_it_is_larger() -> None:
    v = _long_one_btc()
    refused = v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 2})
    assert refused.error == E.CROSS_DECREASE_LEVERAGE_INSUFFICIENT_MARGIN  # IM $25,000 > value
    assert v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 8}).ok
    assert withdrawable(v.state, v.account(A)) == 3_750 * ONE_USDC  # keep max(6,250, 5,000)
    assert v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 5}).ok
    assert withdrawable(v.state, v.account(A)) == 0  # IM $10,000 == value


def test_usd_send_moves_cash_and_creates_the_destination() -> None:
    v = _venue()
    dest = addr(7)
    assert v.one(A, {"type": "usdSend", "destination": dest, "amount": "1.5", "time": 1}).ok
    assert v.cash(dest) == 1_500_000 and v.cash(A) == 9_998_500_000
    too_much = v.one(A, {"type": "usdSend", "destination": dest, "amount": "10000", "time": 1})
    assert too_much.error == "Insufficient balance for token transfer"


# ----- fees -------------------------------------------------------------------------------

def test_fee_rounds_up_and_rebate_rounds_toward_zero() -> None:
    assert fee_for(1, 450_000) == 1  # 0.00045 micro-USDC -> 1
    assert fee_for(1_000_000, 450_000) == 450
    assert fee_for(1_000_001, 450_000) == 451
    assert fee_for(99_999, -10_000) == 0  # rebate -0.99999 -> 0
    assert fee_for(200_000, -10_000) == -2


@pytest.mark.parametrize("volume, taker, maker", [
    (5_000_000 * ONE_USDC, 450_000, 150_000),  # exactly $5M is still tier 0
    (5_000_000 * ONE_USDC + 1, 400_000, 120_000),
    (25_000_000 * ONE_USDC, 400_000, 120_000),
    (25_000_000 * ONE_USDC + 1, 350_000, 80_000),
    (7_000_000_000 * ONE_USDC + 1, 240_000, 0),
])
def test_fee_tier_thresholds_are_strict(volume: int, taker: int, maker: int) -> None:
    v = Venue()
    account = get_or_create_account(v.state, A)
    today = v.state.time_ms // MS_PER_DAY
    account.volume_days = {today - 14: volume // 2, today - 1: volume - volume // 2, today: 10**15}
    refresh_fee_rates(v.state, account, today)
    assert (account.taker_rate_e9, account.maker_rate_e9) == (taker, maker)


def test_volume_older_than_fourteen_days_does_not_count() -> None:
    v = Venue()
    account = get_or_create_account(v.state, A)
    today = v.state.time_ms // MS_PER_DAY
    account.volume_days = {today - 15: 10**15}
    refresh_fee_rates(v.state, account, today)
    assert account.taker_rate_e9 == 450_000


def test_maker_rebate_by_share_of_exchange_volume() -> None:
    v = Venue()
    account = get_or_create_account(v.state, A)
    today = v.state.time_ms // MS_PER_DAY
    v.state.volume_days = {today - 1: 1_000 * ONE_USDC}
    account.volume_days = {today - 1: 5 * ONE_USDC}
    account.maker_volume_days = {today - 1: 5 * ONE_USDC}  # exactly 0.5%: no rebate
    refresh_fee_rates(v.state, account, today)
    assert account.maker_rate_e9 == 150_000
    account.maker_volume_days = {today - 1: 5 * ONE_USDC + 1}
    account.fee_day = -1
    refresh_fee_rates(v.state, account, today)
    assert account.maker_rate_e9 == -10_000


def test_fill_fees_go_to_the_fee_pool() -> None:
    v = Venue()
    v.deposit(A, 100_000)
    v.deposit(B, 100_000)
    v.set_price(BTC, 500_000)
    v.order(B, limit(BTC, False, "50000", "1"))
    v.order(A, limit(BTC, True, "50000", "1", "Ioc"))
    assert v.state.fee_pool_musdc == 22_500_000 + 7_500_000  # 0.045% + 0.015% of $50,000
    assert v.cash(A) == 100_000 * ONE_USDC - 50_000 * ONE_USDC - 22_500_000


# ----- nonces and signers -----------------------------------------------------------------

def test_nonce_rules() -> None:
    v = _venue()
    noop = {"type": "setReferrer", "code": "X"}
    now = v.state.time_ms + 200
    assert v.one(A, noop, nonce=now).ok
    assert v.one(A, noop, nonce=now).error == f"Invalid nonce: duplicate nonce {now}"
    low = v.state.time_ms + 200 - 2 * MS_PER_DAY
    assert v.one(A, noop, nonce=low).error == f"Invalid nonce: nonce too low {low} < {low}"
    assert v.one(A, noop, nonce=low + 200 + 1).ok  # just inside the window (next block)
    high = v.state.time_ms + 200 + MS_PER_DAY
    assert v.one(A, noop, nonce=high).error == f"Invalid nonce: nonce too high {high} > {high}"


def test_nonce_must_exceed_the_smallest_of_the_last_hundred() -> None:
    v = _venue()
    base = v.state.time_ms
    noop = {"type": "setReferrer", "code": "X"}
    txs = [v.tx(A, noop, nonce=base + 1_000 + i) for i in range(100)]
    v.block(*txs)
    assert all(r.ok for r in v.last.receipts)
    smallest = base + 1_000
    assert v.one(A, noop, nonce=base + 999).error == (
        f"Invalid nonce: nonce too low {base + 999} < {smallest}")
    assert v.one(A, noop, nonce=base + 5_000).ok
    assert v.one(A, noop, nonce=base + 1_000).error.startswith("Invalid nonce: nonce too low")


def test_rejected_request_does_not_consume_its_nonce() -> None:
    v = _venue()
    n = v.state.time_ms + 50
    bad = v.one(A, {"type": "usdSend", "destination": addr(7), "amount": "99999999", "time": n},
                nonce=n)
    assert not bad.ok
    assert v.one(A, {"type": "usdSend", "destination": addr(7), "amount": "1", "time": n},
                 nonce=n).ok


def test_unknown_signer_and_agent_wallet() -> None:
    v = _venue()
    stranger = addr(77)
    receipt = v.one(stranger, {"type": "setReferrer", "code": "X"})
    assert receipt.error == f"User or API Wallet {stranger} does not exist."
    agent = addr(88)
    assert v.one(A, {"type": "approveAgent", "agentAddress": agent, "agentName": "bot",
                     "nonce": 1}).ok
    statuses = v.order(agent, limit(BTC, True, "49000", "0.1"))
    assert isinstance(statuses[0], Resting)
    assert v.account(A).orders[statuses[0].oid].user == A
    send = v.one(agent, {"type": "usdSend", "destination": addr(7), "amount": "1", "time": 1})
    assert send.error == f"Must deposit before performing actions. User: {agent}"


def test_error_receipts_change_nothing() -> None:
    v = _venue()
    before = v.digest()
    height = v.state.height
    v.one(A, {"type": "usdSend", "destination": addr(7), "amount": "99999999", "time": 1})
    v.one(A, {"type": "updateLeverage", "asset": BTC, "isCross": True, "leverage": 99})
    v.one(addr(55), {"type": "setReferrer"})
    # Only height and time moved: re-check by comparing accounts and the fee pool.
    assert v.state.height == height + 3
    assert {a: x.cash_musdc for a, x in v.state.accounts.items()} == {
        A: 10_000 * ONE_USDC, B: 10_000_000 * ONE_USDC}
    assert before != v.digest()  # height/time are part of the digest
    assert isinstance(Account, type)
