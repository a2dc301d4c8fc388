"""Perp economics per batch, checked on the state re-derived from L1 data: I-10 to I-15 of
docs/mechanics.md, over random order flow (hypothesis picks the flows)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2perp.codec import h256
from l2perp.engine import liquidation as liquidation_module
from l2perp.engine.liqindex import unit_figures
from l2perp.engine.oracle import weighted_median
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.genesis import genesis_state
from l2perp.wire.actions import parse_action
from l2perp.engine.tx import Block, OracleReport, SetPrice, Tx
from l2perp.units import ONE_USDC
from l2perp.rollup.batch import decode_body, encode_body
from l2perp.rollup.l1 import KIND_DEPOSIT, L1Error
from l2perp.rollup.params import TEST
from l2perp.rollup.accounting import tvl_musdc
from l2perp.rollup.system import RollupSystem
from l2perp.engine.stf import apply_block
from tests.support.flow import USERS
from tests.support.rollup_rig import GENESIS, POSTER, UNSIGNED, VERIFIER, flow_txs, funded, make_system
from tests.support.venue import ADMIN, T0, addr, limit

MS_HOUR = 3_600_000


def per_batch(s: RollupSystem, check) -> int:
    """Re-derive the state from L1 data batch by batch; call check(pre, post, record, blocks)
    with TVLs and the state after each block. Returns the number of batches checked."""
    state = genesis_state(s.l1.genesis)
    count = 0
    for record in s.l1.canonical_chain():
        blocks = decode_body(record.body)
        before = tvl_musdc(state)
        for block in blocks:
            apply_block(state, block)
            for market in state.markets:  # I-11 after every block
                assert sum(a.positions[market.asset].size_lots for a in state.accounts.values()
                           if market.asset in a.positions) == 0
        check(before, tvl_musdc(state), record, state)
        count += 1
    return count


def flows(record, l1) -> int:
    header = record.header
    deposits = sum(m.payload[1] for m in l1.messages[header.l1_msg_start:header.l1_msg_end]
                   if m.kind == KIND_DEPOSIT)
    return deposits - sum(w.amount_musdc for w in record.withdrawals)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), crash_every=st.sampled_from([0, 17, 30]))
def test_I10_I11_money_is_conserved_and_sizes_net_to_zero_in_every_batch(seed, crash_every):
    s = funded()
    rng = random.Random(seed)
    for i, txs in enumerate(flow_txs(120, seed=seed, crash_every=crash_every)):
        if rng.random() < 0.05:
            s.fund(rng.choice(USERS), rng.randint(1, 5_000) * 10**6)
        s.step(txs)
    s.idle(3_000)
    withdrawals = []

    def check(before, after, record, state):
        assert after - before == flows(record, s.l1)  # I-10, rounding residue kept in L2
        withdrawals.extend(record.withdrawals)
    assert per_batch(s, check) > 30
    assert withdrawals  # the flow withdrew, so the identity was not trivially 0 = 0
    assert not s.reconciler.mismatches


def test_I12_funding_moves_within_the_cap_and_its_clock_only_forward() -> None:
    s = funded()
    blocks = flow_txs(60, seed=9)
    last = {}
    for i, txs in enumerate(blocks):
        s.step(txs, dt_ms=4 * 60_000 if i > 5 else 500)  # about 4 hours in all
    cap = GENESIS.config.funding_cap_hourly_e9

    def check(before, after, record, state):
        for m in state.markets:
            old_index, old_hour = last.get(m.asset, (0, m.funding_hour))
            hours = m.funding_hour - old_hour
            assert hours >= 0
            assert abs(m.funding_index - old_index) <= cap * m.oracle_pips * max(hours, 0) \
                or hours == 0 and m.funding_index == old_index
            last[m.asset] = (m.funding_index, m.funding_hour)
    per_batch(s, check)
    assert any(index != 0 for index, _ in last.values())  # funding was paid


OPERATORS = (addr(80), addr(81), addr(82))


def test_I13_every_accepted_oracle_price_is_the_quorum_median_of_fresh_reports() -> None:
    config = EngineConfig(admin=ADMIN, oracle_operators=tuple((o, 10 + i)
                                                             for i, o in enumerate(OPERATORS)))
    s = RollupSystem(UNSIGNED, Genesis(config=config, time_ms=T0), POSTER, VERIFIER)
    rng = random.Random(3)
    nonce = T0
    accepted = 0
    for round_no in range(1, 60):
        txs = []
        for op in OPERATORS:
            if rng.random() < 0.8:
                nonce += 1
                px = 500_000 + rng.randint(-5_000, 5_000)
                txs.append(Tx(op, nonce, OracleReport(0, round_no, px, s.now_ms + 500)))
        before = s.state.markets[0].oracle_time_ms
        s.step(tuple(txs))
        m = s.state.markets[0]
        if m.oracle_time_ms != before:
            accepted += 1
            stakes = s.state.oracle_stakes
            rows = [(p, stakes[op], op) for op, (p, _, _) in m.round_reports.items()]
            assert 3 * sum(r[1] for r in rows) >= 2 * sum(stakes.values())
            assert m.oracle_pips == weighted_median(rows)
            assert min(r[0] for r in rows) <= m.oracle_pips <= max(r[0] for r in rows)
            assert all(abs(t - m.oracle_time_ms) <= config.oracle_max_report_age_ms
                       for _, t, _ in m.round_reports.values())
    assert accepted > 20
    assert not s.verifier.findings and not s.reconciler.mismatches


def _order(user: str, nonce: int, is_buy: bool, px: str, sz: str, tif: str = "Gtc") -> Tx:
    return Tx(user, nonce, parse_action({"type": "order", "orders": [
        limit(0, is_buy, px, sz, tif)], "grouping": "na"}))


@pytest.mark.interpreted_only
def test_I14_liquidations_only_below_maintenance_and_never_in_the_grace(monkeypatch) -> None:
    seen = []
    original = liquidation_module.liquidate

    def watched(ctx, account, unit):  # records the engine's own decision, then makes it
        state = ctx.state
        value, mm, _ = unit_figures(state, account, unit)
        seen.append((account.address, value, mm, state.time_ms, state.grace_until_ms))
        return original(ctx, account, unit)

    monkeypatch.setattr(liquidation_module, "liquidate", watched)
    s = make_system()
    long_user, short_user, maker = addr(1), addr(2), addr(3)
    for user, usd in ((long_user, 2_000), (short_user, 100_000), (maker, 1_000_000)):
        s.fund(user, usd * ONE_USDC)
    nonce = T0
    s.step((Tx(ADMIN, nonce, SetPrice(0, 500_000)),))
    for _ in range(3):
        s.step()
    nonce += 1
    s.step((Tx(long_user, nonce, parse_action({"type": "updateLeverage", "asset": 0,
                                                "isCross": True, "leverage": 40})),))
    s.step((_order(short_user, nonce + 1, False, "50000", "1.5"),
            _order(long_user, nonce + 2, True, "50000", "1.5", "Ioc"),
            _order(maker, nonce + 3, True, "47000", "5")))
    assert s.state.accounts[long_user].positions[0].size_lots == 150_000
    s.step(dt_ms=90_000)  # a block gap past the outage threshold: the grace starts
    assert s.state.grace_until_ms > s.state.time_ms
    s.step((Tx(ADMIN, nonce + 4, SetPrice(0, 490_000)),))  # under maintenance, in the grace
    assert not seen
    while s.state.time_ms < s.state.grace_until_ms:
        s.step(dt_ms=5_000)
    s.step()
    assert seen and seen[0][0] == long_user
    for _, value, mm, now, grace_until in seen:
        assert value < mm and now >= grace_until
    assert 0 not in s.state.accounts[long_user].positions
    s.idle(4_000)
    assert not s.verifier.findings and not s.reconciler.mismatches


def test_I15_system_time_is_monotone_and_within_the_bounds_of_l1_time() -> None:
    s = funded()
    for txs in flow_txs(30, seed=1):
        s.step(txs)
    chain = s.l1.canonical_chain()
    times = [r.header.system_time for r in chain]
    assert times == sorted(times)
    s.poster.post_due = lambda force=False: []
    tip = s.l1.tip().header

    def attempt(time_ms: int) -> None:
        block = Block(tip.last_height + 1, time_ms, ())
        body = encode_body((block,))
        batch = s.poster.next_batch()
        header = replace(batch.header, system_time=time_ms, data_hash=h256(body), n_txs=0,
                         last_height=block.height, l1_msg_end=batch.header.l1_msg_start)
        s.l1.commit_batch(POSTER, header, body, ())

    s.step(())
    l1_now = s.l1.time_ms
    with pytest.raises(L1Error, match="back in time"):
        attempt(tip.system_time - 1)
    with pytest.raises(L1Error, match="out of bounds"):
        attempt(l1_now + TEST.system_time_future_ms + 1)
    s.l1.advance_to(tip.system_time + TEST.system_time_past_ms + 5_000)  # the poster lags
    with pytest.raises(L1Error, match="out of bounds"):
        attempt(s.l1.time_ms - TEST.system_time_past_ms - 1)
    attempt(s.l1.time_ms - TEST.system_time_past_ms)  # the bound itself is inside
