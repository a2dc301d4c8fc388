"""Censorship, freeze and escape: I-16 to I-18 of the rollup (docs/mechanics.md)."""

from __future__ import annotations

import pytest

from l2perp.wire.actions import parse_action
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.state import fund_address, is_fund
from l2perp.engine.tx import SetPrice, Tx
from l2perp.rollup.contract import REVERTED, escape_value
from l2perp.rollup.exits import escape_kit, forced_only_batch
from l2perp.rollup.l1 import L1Error
from l2perp.rollup.params import TEST, TICK_MS
from l2perp.rollup.system import RollupSystem
from l2perp.rollup.verifier import replay_standing
from l2perp.units import ONE_USDC
from tests.support.flow import USERS
from tests.support.rollup_rig import OUTSIDER, POSTER, UNSIGNED, VERIFIER, flow_txs, funded
from tests.support.venue import ADMIN, T0, addr, limit

FID, GRACE = TEST.force_inclusion_delay_ms, TEST.freeze_grace_ms


def test_I16_an_overdue_message_must_be_in_the_next_batch() -> None:
    s = funded()
    s.censor = True  # the sequencer leaves L1 messages out of its blocks
    message = s.fund(addr(70), 5 * ONE_USDC)
    for txs in flow_txs(2 * FID // 500, seed=2):
        s.step(txs)
    # batches went out until the message was overdue; then L1 refused every censoring batch
    assert any("force-inclusion" in e for e in s.post_errors)
    assert all(r.header.system_time <= message.time_ms + FID + TICK_MS
               for r in s.l1.batches)
    # the censoring sequencer can post nothing more; once it has been silent for the delay,
    # anyone carries the message in a forced-only batch
    s.sequencer_live = False
    s.l1.advance_to(s.l1.last_post_ms + FID)
    batch = forced_only_batch(s.l1)
    s.l1.commit_batch(OUTSIDER, batch.header, batch.body, batch.withdrawals)
    assert s.l1.cursor > message.index
    assert replay_standing(s.l1).accounts[addr(70)].cash_musdc == 5 * ONE_USDC


def test_I16_with_the_sequencer_silent_anyone_posts_a_forced_only_batch() -> None:
    s = funded()
    s.sequencer_live = False
    message = s.fund(addr(71), 9 * ONE_USDC)
    s.step()
    s.step()
    early = forced_only_batch(s.l1)
    with pytest.raises(L1Error, match="scheduled"):  # not before the delay
        s.l1.commit_batch(OUTSIDER, early.header, early.body, early.withdrawals)
    s.idle(FID)
    batch = forced_only_batch(s.l1)
    s.l1.commit_batch(OUTSIDER, batch.header, batch.body, batch.withdrawals)
    record = s.l1.batches[-1]
    assert record.permissionless and record.header.l1_msg_end > message.index
    s.idle(TEST.challenge_window_ms + 2 * TICK_MS)
    assert record.status == "finalized"
    assert replay_standing(s.l1).accounts[addr(71)].cash_musdc == 9 * ONE_USDC
    # a permissionless batch may not carry user transactions
    s.fund(addr(72), ONE_USDC)
    s.idle(FID + TICK_MS)
    bad = forced_only_batch(s.l1)
    sneaky = flow_txs(3, seed=1)[1][:1]
    from dataclasses import replace
    from l2perp.codec import h256
    from l2perp.engine.tx import Block
    from l2perp.rollup.batch import decode_body, encode_body
    block = decode_body(bad.body)[0]
    body = encode_body((Block(block.height, block.time_ms, block.txs + sneaky),))
    header = replace(bad.header, data_hash=h256(body), n_txs=len(block.txs) + 1)
    with pytest.raises(L1Error, match="L1 messages only"):
        s.l1.commit_batch(OUTSIDER, header, body, bad.withdrawals)


def test_I17_forced_withdrawals_are_executed_or_proven_invalid_and_claimable() -> None:
    s = funded()
    user = USERS[0]
    good = s.l1.force_withdrawal(user, 500 * ONE_USDC)
    too_much = s.l1.force_withdrawal(user, 10**9 * ONE_USDC)
    nobody = s.l1.force_withdrawal(addr(73), ONE_USDC)
    for _ in range(8):
        s.step()
        for m in s.l1.messages:
            assert not s.l1.freezable(m.index)  # an honest, live operator: never freezable
    assert s.l1.cursor > nobody.index  # all three consumed: one executed, two invalid
    state = s.state
    assert state.accounts[user].cash_musdc == 99_500 * ONE_USDC
    record = next(r for r in s.l1.batches if r.withdrawals)
    entry = record.withdrawals[0]
    assert (entry.user, entry.amount_musdc) == (user, 499 * ONE_USDC)  # $1 fee stays on L2
    assert not any(w.amount_musdc > 10**8 * ONE_USDC for r in s.l1.batches for w in r.withdrawals)
    with pytest.raises(L1Error, match="not finalized"):
        s.l1.claim(record.header.batch_no, 0, entry, [])
    s.idle(TEST.challenge_window_ms + 2 * TICK_MS)
    from l2perp.rollup.batch import withdrawal_proof
    proof = withdrawal_proof(list(record.withdrawals), 0)
    before = s.l1.wallets.get(user, 0)
    s.l1.claim(record.header.batch_no, 0, entry, proof)
    assert s.l1.wallets[user] == before + 499 * ONE_USDC
    with pytest.raises(L1Error, match="already claimed"):
        s.l1.claim(record.header.batch_no, 0, entry, proof)
    assert not s.reconciler.mismatches and too_much.index < s.l1.cursor
    assert good.index < too_much.index


def test_I17_freeze_opens_exactly_at_request_time_plus_grace() -> None:
    s = funded()
    s.sequencer_live = False  # every operator stops
    request = s.l1.force_withdrawal(USERS[1], ONE_USDC)
    s.l1.advance_to(request.time_ms + GRACE - TICK_MS)
    assert not s.l1.freezable(request.index)
    with pytest.raises(L1Error, match="freeze not allowed"):
        s.l1.freeze(OUTSIDER, request.index)
    s.l1.advance_to(request.time_ms + GRACE)
    assert s.l1.freezable(request.index)
    s.l1.freeze(OUTSIDER, request.index)
    assert s.l1.frozen
    with pytest.raises(L1Error, match="frozen"):
        batch = forced_only_batch(s.l1)
        s.l1.commit_batch(OUTSIDER, batch.header, batch.body, batch.withdrawals)


def test_I17_a_revert_reopens_a_served_request_with_its_original_time() -> None:
    s = funded()
    s.poster.fault = "root"
    s.verifier_poll_ms = 10**9  # the verifier is away until we call it
    request = s.l1.force_withdrawal(USERS[2], ONE_USDC)
    for _ in range(8):
        s.step()
    served_by = next(r for r in s.l1.batches if r.header.l1_msg_end > request.index)
    assert request.index < s.l1.cursor
    s.sequencer_live = False
    s.verifier.poll()
    assert s.l1.batch(served_by.header.batch_no).status == REVERTED
    assert s.l1.cursor <= request.index and s.l1.open_forced()[0].time_ms == request.time_ms
    s.l1.advance_to(request.time_ms + GRACE)
    assert s.l1.freezable(request.index)


def crash_in_the_grace():
    """Leveraged longs, an outage, a crash during the grace (no liquidation may run), then
    every operator stops with the longs under water at the last finalized root."""
    config = EngineConfig(admin=ADMIN, insurance_seed_musdc=1_000 * ONE_USDC)
    s = RollupSystem(UNSIGNED, Genesis(config=config, time_ms=T0), POSTER, VERIFIER)
    maker, longs = addr(60), [addr(61), addr(62), addr(63)]
    s.fund(maker, 1_000_000 * ONE_USDC)
    for user in longs:
        s.fund(user, 2_000 * ONE_USDC)
    s.step((Tx(ADMIN, T0 + 1, SetPrice(0, 500_000)),))
    for _ in range(3):
        s.step()
    nonce = T0 + 10
    txs = [Tx(maker, nonce, parse_action({"type": "order", "orders": [
        limit(0, False, "50000", "3")], "grouping": "na"}))]
    for i, user in enumerate(longs):
        txs.append(Tx(user, nonce + 1 + i, parse_action({
            "type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 40})))
    s.step(tuple(txs))
    s.step(tuple(Tx(u, nonce + 10 + i, parse_action({"type": "order", "orders": [
        limit(0, True, "50000", "1", "Ioc")], "grouping": "na"})) for i, u in enumerate(longs)))
    s.step(dt_ms=90_000)  # outage: the grace begins
    s.step((Tx(ADMIN, nonce + 20, SetPrice(0, 460_000)),))  # -8%: the longs are under water
    s.step()
    s.poster.post_due(force=True)  # the last blocks reach L1 before every operator stops
    s.sequencer_live = False
    late = s.fund(addr(64), 77 * ONE_USDC)  # never consumed: reclaimable after the freeze
    request = s.l1.force_withdrawal(longs[0], ONE_USDC)
    s.idle(GRACE)
    s.l1.freeze(OUTSIDER, request.index)
    return s, maker, longs, late


def test_I18_escape_only_when_frozen_once_each_with_the_formula_and_a_haircut() -> None:
    s, maker, longs, late = crash_in_the_grace()
    kit = escape_kit(s.l1)
    with pytest.raises(L1Error, match="no batch left"):
        s.l1.open_escapes(kit.witness)  # batches are still in their windows
    s.idle(TEST.challenge_window_ms + 2 * TICK_MS)
    kit = escape_kit(s.l1)
    assert kit.state.height == s.state.height  # every block made it into a finalized batch
    prices = {m.asset: m.oracle_pips for m in kit.state.markets}
    values = {a: escape_value(kit.state.accounts[a], prices) for a in kit.state.accounts}
    raw = {a: acct.cash_musdc + sum(p.iso_raw_musdc + p.size_lots * prices[k]
                                    for k, p in acct.positions.items())
           for a, acct in kit.state.accounts.items()}
    assert all(raw[u] < 0 and values[u] == 0 for u in longs)  # floored at zero
    book = s.l1.open_escapes(kit.witness)
    claims = book.users_total_musdc + book.funds_total_musdc
    assert claims > book.pool_musdc  # the longs' losses were never collected: a haircut
    paid = 0
    for address in sorted(kit.state.accounts):
        leaf, proof = kit.leaf_and_proof(address)
        if address == maker:
            with pytest.raises(L1Error, match="owner"):
                s.l1.escape(OUTSIDER, leaf, proof)
            with pytest.raises(L1Error, match="Merkle"):
                s.l1.escape(address, leaf, proof[::-1])
        sender = address
        amount = s.l1.escape(sender, leaf, proof)
        users, funds, pool = book.users_total_musdc, book.funds_total_musdc, book.pool_musdc
        if not is_fund(address):
            expected = values[address] if users <= pool else values[address] * pool // users
        else:  # the insurance fund absorbs the shortfall first
            expected = 0 if users >= pool else values[address] * (pool - users) // funds
        assert amount == expected
        paid += amount
        with pytest.raises(L1Error, match="already escaped"):
            s.l1.escape(sender, leaf, proof)
    assert paid <= book.pool_musdc
    assert book.funds_total_musdc > 0 and \
        s.l1.escape_book.escaped[fund_address(0)] < values[fund_address(0)]
    # the unconsumed deposit comes back once, to its depositor only
    with pytest.raises(L1Error, match="depositor"):
        s.l1.reclaim(OUTSIDER, late.index)
    before = s.l1.wallets.get(addr(64), 0)
    assert s.l1.reclaim(addr(64), late.index) == 77 * ONE_USDC
    assert s.l1.wallets[addr(64)] == before + 77 * ONE_USDC
    with pytest.raises(L1Error, match="already reclaimed"):
        s.l1.reclaim(addr(64), late.index)
    assert s.l1.bridge_balance_musdc >= 0
    s.reconciler.check()
    assert not s.reconciler.current


def test_I18_no_escape_before_a_freeze() -> None:
    s = funded()
    s.idle(TEST.challenge_window_ms + 4 * TICK_MS)
    kit = escape_kit(s.l1)
    with pytest.raises(L1Error):
        s.l1.open_escapes(kit.witness)
    leaf, proof = kit.leaf_and_proof(USERS[0])
    with pytest.raises(L1Error, match="not open"):
        s.l1.escape(USERS[0], leaf, proof)
    with pytest.raises(L1Error):
        s.l1.reclaim(USERS[0], 0)


def test_I17_forced_trades_need_both_consents_and_execute_or_are_proven_invalid() -> None:
    from l2perp.crypto.signatures import address_of, sign_digest
    from l2perp.rollup.l1 import forced_trade_digest

    keys = [bytes([i]) * 32 for i in (7, 8, 9)]
    a, b, c = (address_of(k) for k in keys)
    s = funded()
    for user in (a, b):
        s.fund(user, 10_000 * ONE_USDC)
    s.step((Tx(ADMIN, T0 + 1, SetPrice(0, 500_000)),))
    for _ in range(3):
        s.step()
    expiry = s.l1.time_ms + 60_000

    nonces = iter(range(1, 100))

    def request(buyer, seller, seller_key, size, price=500_000, until=expiry, nonce=None):
        nonce = next(nonces) if nonce is None else nonce
        terms = (buyer, seller, 0, size, price, until, nonce)
        return s.l1.force_trade(buyer, seller, 0, size, price, until, nonce,
                                sign_digest(seller_key, forced_trade_digest(terms)))

    with pytest.raises(L1Error, match="did not sign"):
        request(a, b, keys[2], 1_000)  # signed by someone else: refused on L1, nothing queued
    cash_a, cash_b = (s.state.accounts[x].cash_musdc for x in (a, b))
    good = request(a, b, keys[1], 10_000, nonce=77)  # 0.1 BTC at $50,000
    with pytest.raises(L1Error, match="already used"):
        request(a, b, keys[1], 10_000, nonce=77)  # the same signed terms cannot be replayed
    too_big = request(a, b, keys[1], 10_000_000)  # 100 BTC on $10,000: no margin for it
    for _ in range(6):
        s.step()
    assert s.l1.cursor > too_big.index > good.index  # both consumed
    accounts = s.state.accounts
    assert accounts[a].positions[0].size_lots == 10_000
    assert accounts[b].positions[0].size_lots == -10_000
    assert accounts[a].cash_musdc == cash_a - 5_000 * ONE_USDC  # p x q, and no fee
    assert accounts[b].cash_musdc == cash_b + 5_000 * ONE_USDC
    assert c not in accounts
    late = request(b, a, keys[0], 10_000, until=s.l1.time_ms + 1)
    s.l1.advance_to(s.l1.time_ms + 5_000)
    for _ in range(4):
        s.step()
    assert s.l1.cursor > late.index  # expired before L2 took it: consumed as invalid
    assert accounts[a].positions[0].size_lots == 10_000
    assert not s.verifier.findings and not s.reconciler.mismatches


def test_I18_sub_accounts_escape_to_their_master_and_vaults_to_their_holders() -> None:
    """No key holds a sub-account or a vault: the master takes a sub-account's value, each
    holder its part of a vault (rounded down), the protocol its part of a fund."""
    from l2perp.engine.tx import CreateSubAccount, CreateVault, SubAccountTransfer, VaultTransfer

    config = EngineConfig(admin=ADMIN, insurance_seed_musdc=1_000 * ONE_USDC, devnet=True)
    s = RollupSystem(UNSIGNED, Genesis(config=config, time_ms=T0), POSTER, VERIFIER)
    master, leader, follower, insurer = addr(60), addr(61), addr(62), addr(63)
    for user in (master, leader, follower, insurer):
        s.fund(user, 10_000 * ONE_USDC)
    for _ in range(3):
        s.step()
    nonce = T0 + 10
    s.step((Tx(master, nonce, CreateSubAccount("desk")),
            Tx(leader, nonce + 1, CreateVault("fund", "", 3_000 * ONE_USDC))))
    sub = s.state.accounts[master].sub_accounts[0]
    vault = next(a for a, acct in s.state.accounts.items()
                 if acct.vault is not None and acct.vault.leader == leader)
    s.step((Tx(master, nonce + 2, SubAccountTransfer(sub, True, 1_234 * ONE_USDC)),
            Tx(follower, nonce + 3, VaultTransfer(vault, True, 1_000 * ONE_USDC)),
            Tx(insurer, nonce + 4, VaultTransfer(fund_address(0), True, 500 * ONE_USDC))))
    s.step()
    s.poster.post_due(force=True)
    s.sequencer_live = False
    request = s.l1.force_withdrawal(master, ONE_USDC)
    s.idle(GRACE)
    s.l1.freeze(OUTSIDER, request.index)
    s.idle(TEST.challenge_window_ms + 2 * TICK_MS)
    kit = escape_kit(s.l1)
    book = s.l1.open_escapes(kit.witness)
    assert book.users_total_musdc + book.funds_total_musdc <= book.pool_musdc  # no haircut

    leaf, proof = kit.leaf_and_proof(sub)
    with pytest.raises(L1Error, match="only the master"):
        s.l1.escape(sub, leaf, proof)
    with pytest.raises(L1Error, match="only the master"):
        s.l1.escape(OUTSIDER, leaf, proof)
    before = s.l1.wallets.get(master, 0)
    assert s.l1.escape(master, leaf, proof) == 1_234 * ONE_USDC
    assert s.l1.wallets[master] == before + 1_234 * ONE_USDC

    leaf, proof = kit.leaf_and_proof(vault)
    with pytest.raises(L1Error, match="holder"):
        s.l1.escape(OUTSIDER, leaf, proof)
    assert s.l1.escape(leader, leaf, proof) == 3_000 * ONE_USDC
    assert s.l1.escape(follower, leaf, proof) == 1_000 * ONE_USDC
    with pytest.raises(L1Error, match="already escaped"):
        s.l1.escape(follower, leaf, proof)

    leaf, proof = kit.leaf_and_proof(fund_address(0))
    fund_value = escape_value(kit.state.accounts[fund_address(0)], book.prices)
    assert s.l1.escape(insurer, leaf, proof) == 500 * ONE_USDC
    protocol = s.l1.escape(OUTSIDER, leaf, proof)  # the fund's own part, to the fund
    assert protocol == fund_value - 500 * ONE_USDC
    with pytest.raises(L1Error, match="already escaped"):
        s.l1.escape(OUTSIDER, leaf, proof)
