"""A batch proven fraudulent on L1 also slashes its poster's governance bond on L2: the
settlement contract queues an operatorOffence message with the challenger as reporter, the next
batch must carry it like any L1 message, and the engine's operator registry slashes, rewards the
challenger and opens an incident record."""

from __future__ import annotations

from dataclasses import replace

from l2perp.engine.governance.gov_state import GovGenesis
from l2perp.rollup.l1 import KIND_OFFENCE
from l2perp.rollup.system import RollupSystem
from l2perp.units import ONE_USDC
from tests.support.flow import USERS
from tests.support.rollup_rig import GENESIS, POSTER, UNSIGNED, VERIFIER, flow_txs

BOND = 10_000


def test_a_proven_fraudulent_batch_slashes_the_posters_bond_on_l2() -> None:
    genesis = replace(GENESIS, gov=GovGenesis(allocations=((USERS[0], 1_000),),
                                              operators=((POSTER, "sequencer", BOND),)))
    s = RollupSystem(UNSIGNED, genesis, POSTER, VERIFIER)
    for user in USERS:
        s.fund(user, 100_000 * ONE_USDC)
    for _ in range(4):
        s.step()
    for i, txs in enumerate(flow_txs(70, seed=3)):
        if i == 20:
            s.poster.fault = "root"
        s.step(txs)
    s.idle(UNSIGNED.challenge_window_ms + 10_000)
    offences = [m for m in s.l1.messages if m.kind == KIND_OFFENCE]
    assert len(offences) == 1 and offences[0].payload == ("fraudulentBatch", POSTER, VERIFIER)
    assert s.state.l1_cursor > offences[0].index  # consumed by a later batch
    gov = s.state.gov
    op = gov.registry.operators[POSTER]
    assert op.slashed_total == BOND * 1_000 // 10_000 and op.bond == BOND - op.slashed_total
    assert gov.token.balances[VERIFIER] == op.slashed_total // 10  # the whistleblower's share
    record = gov.incidents[-1]
    assert record.kind == "slash" and record.responsible == POSTER
    assert "fraudulentBatch" in record.timeline[-1][1]
    assert not s.halted and not s.reconciler.current
