"""The L1 data fee through the whole rollup: the contract records each batch's L1 cost in the
queue, the sequencer carries it to L2 in a later batch, the engine pays the poster from the fee
pool and folds the gas price into the hourly schedule, the verifier re-executes it, and the
reconciler's R6 holds; under an L1 gas spike the rate moves within its bound while the raw
pass-through jumps."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import msgpack
import pytest

from l2perp.engine.encoding import state_digest
from l2perp.engine.genesis import genesis_state
from l2perp.engine.l1fee import data_cost_musdc, step_bound_e9
from l2perp.engine.params import EngineConfig, Genesis, L1FeeConfig
from l2perp.engine.tx import Block, L1DataCost, Tx
from l2perp.engine.stf import apply_block
from l2perp.rollup.batch import decode_body
from l2perp.rollup.contract import COMMIT_GAS
from l2perp.rollup.l1 import DATA_GAS_PER_BYTE, GAS_LIMIT, KIND_L1_COST, L1Error
from l2perp.rollup.system import RollupSystem
from tests.support.flow import USERS
from tests.support.rollup_rig import POSTER, UNSIGNED, VERIFIER, flow_txs
from tests.support.venue import ADMIN, T0

PRICED = replace(UNSIGNED, name="test-priced", eth_usd=3_000)
FEE = L1FeeConfig()
GENESIS = Genesis(config=EngineConfig(admin=ADMIN, l1_fee=FEE), time_ms=T0)


def system(params=PRICED, genesis=GENESIS) -> RollupSystem:
    s = RollupSystem(params, genesis, POSTER, VERIFIER)
    for user in USERS:
        s.fund(user, 100_000 * 10**6)
    for _ in range(4):
        s.step()
    return s


def cost_messages(s: RollupSystem) -> list:
    return [m for m in s.l1.messages if m.kind == KIND_L1_COST]


def test_each_batch_records_its_cost_and_l2_pays_it_to_the_poster() -> None:
    s = system()
    for txs in flow_txs(80, seed=7):
        s.step(txs)
    s.idle(3_000)
    messages = cost_messages(s)
    assert len(messages) == len(s.l1.batches) > 10
    for m, record in zip(messages, s.l1.batches):
        batch_no, poster, gas, price, cost = m.payload
        assert (batch_no, poster) == (record.header.batch_no, POSTER)
        assert gas == COMMIT_GAS + DATA_GAS_PER_BYTE * len(record.body)
        assert cost == data_cost_musdc(gas, price) and price % 3_000 == 0
    book = s.state.l1_fee
    consumed = [m for m in messages if m.index < s.state.l1_cursor]
    assert book.costs_musdc == sum(m.payload[4] for m in consumed) > 0
    assert book.charged_musdc > 0  # the flow's takers paid the component
    assert s.state.accounts[POSTER].cash_musdc == book.paid_musdc > 0
    assert book.costs_musdc - book.paid_musdc == sum(a for _, a in book.owed)
    assert not s.reconciler.mismatches  # R1-R6
    assert s.verifier.challenges == []  # the verifier re-executed the costs and agreed
    terms = s.reconciler.l1_fee_terms(s.state)
    assert terms["l1Recorded"] == sum(m.payload[4] for m in messages)
    assert terms["absorbed"] == book.charged_musdc - book.costs_musdc


def test_a_venue_without_the_fee_gets_no_cost_messages() -> None:
    s = system(genesis=Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    for txs in flow_txs(20, seed=3):
        s.step(txs)
    assert s.l1.batches and not cost_messages(s)
    assert not s.reconciler.mismatches


def test_unpriced_l1_gas_sends_no_cost_messages() -> None:
    s = system(params=UNSIGNED)
    for txs in flow_txs(20, seed=3):
        s.step(txs)
    assert s.l1.batches and not cost_messages(s)
    assert s.state.l1_fee.costs_musdc == 0


def test_r6_catches_l2_books_that_disagree_with_the_recorded_costs() -> None:
    """The sequencer's measured L1 costs at a batch end one micro-USDC short of what the
    consumed cost messages say: R6 is broken (and the sequencer halts on it)."""
    s = system()
    for txs in flow_txs(30, seed=5):
        s.step(txs)
    assert not s.reconciler.check()
    end = s.l1.tip().header.last_height
    s.reconciler.costs_at[end] -= 1
    broken = s.reconciler.check()
    assert [m.rule for m in broken] == ["R6"]
    assert "L1 recorded" in broken[0].detail


def test_a_skewed_cost_in_the_state_is_proven_fraud() -> None:
    """A sequencer that takes on less than the message says changes its state root: the
    honest verifier's re-execution disagrees and reverts the batch."""
    s = system()
    for txs in flow_txs(30, seed=5):
        s.step(txs)
    s.state.l1_fee.costs_musdc -= 1
    for _ in range(8):
        s.step()
    assert any(v.fraud for _, v in s.verifier.challenges)


def test_a_batch_that_misstates_a_cost_is_refused_by_l1() -> None:
    s = system()
    for _ in range(6):
        s.step()
    m = s.l1.messages[s.l1.cursor]
    assert m.kind == KIND_L1_COST
    batch_no, poster, gas, price, cost = m.payload
    header = SimpleNamespace(l1_msg_start=m.index, l1_msg_end=m.index + 1,
                             l1_anchor_block=s.l1.height)
    honest = L1DataCost(batch_no, poster, gas, price, cost, m.index + 1)
    s.l1._check_messages(header, (Block(1, T0, (Tx(None, 0, honest),)),), False)
    for forged in (L1DataCost(batch_no, poster, gas, price, cost - 1, m.index + 1),
                   L1DataCost(batch_no, VERIFIER, gas, price, cost, m.index + 1)):
        with pytest.raises(L1Error, match="misrepresented"):
            s.l1._check_messages(header, (Block(1, T0, (Tx(None, 0, forged),)),), False)


def test_under_a_gas_spike_the_rate_moves_within_its_bound() -> None:
    """Other L1 users fill every block for a while: the base fee climbs 12.5% a block. The
    raw pass-through (gas price x gas per $1M) multiplies; the hourly rate moves at most its
    bound each hour."""
    s = system()
    rates = [(s.state.l1_fee.hour_ms, s.state.l1_fee.rate_e9)]
    raw = []
    for i in range(4 * 3_600 // 30):  # four hours of 30 s blocks
        spike = 3_600 // 30 <= i < 2 * 3_600 // 30
        s.now_ms += 30_000
        s.l1.advance_to(s.now_ms, GAS_LIMIT if spike and s.l1.base_fee_gwei < 200 else 0)
        s.now_ms -= 30_000
        s.step(dt_ms=30_000)
        raw.append(FEE.gas_per_million_usd * s.l1.base_fee_gwei * 3_000 // 1_000_000)
        book = s.state.l1_fee
        if book.hour_ms != rates[-1][0]:
            rates.append((book.hour_ms, book.rate_e9))
    assert len(rates) >= 4
    for (_, before), (_, after) in zip(rates, rates[1:]):
        assert abs(after - before) <= step_bound_e9(FEE, before)
    assert max(raw) >= 10 * min(raw)  # the pass-through multiplied ...
    assert max(r for _, r in rates) <= 2 * rates[0][1]  # ... the rate did not
    assert not s.reconciler.mismatches


def replay_digest(path: str) -> str:
    """The state digest after every batch body in `path` (msgpack list) from this genesis."""
    with open(path, "rb") as f:
        bodies = msgpack.unpackb(f.read())
    state = genesis_state(GENESIS)
    for body in bodies:
        for block in decode_body(body):
            apply_block(state, block)
    return state_digest(state).hex()


def test_the_fee_replays_from_l1_data_to_one_digest_under_other_hash_seeds(tmp_path) -> None:
    """The batches L1 holds, with their cost messages, re-executed in fresh processes with
    other PYTHONHASHSEEDs: the same digest, the L1 data fee's book included."""
    s = system()
    for txs in flow_txs(60, seed=11):
        s.step(txs)
    bodies = [record.body for record in s.l1.canonical_chain()]
    path = tmp_path / "bodies.msgpack"
    path.write_bytes(msgpack.packb(bodies))
    expected = replay_digest(str(path))
    assert s.state.l1_fee is not None and s.state.l1_fee.costs_musdc > 0
    root = Path(__file__).resolve().parents[2]
    script = ("import sys; from tests.rollup.test_l1_data_fee import replay_digest; "
              "print(replay_digest(sys.argv[1]))")
    for hash_seed in ("0", "977"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed,
                   PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
        out = subprocess.run([sys.executable, "-c", script, str(path)], env=env, cwd=root,
                             capture_output=True, text=True, check=True)
        assert out.stdout.split()[-1] == expected
