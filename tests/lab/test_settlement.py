"""The settlement MODELS (lab/settlement.py, rollup/prover.py, lab/compare.py): a seed's engine
run is the same under the optimistic and the validity model (the model feeds the engine only the
L1 message queue, the same in both); the validity model finalizes by proof, in batch order,
rejects a batch whose root its data do not produce instead of challenging it, stops finality
while the prover is down, and enters exit mode when a forced request stays unproven past the
deadline; `--settlement both` writes the comparison with its fault table."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from l2perp.cli import app
from l2perp.engine.tx import OperatorOffence
from l2perp.lab.compare import run_both, table_rows
from l2perp.lab.draws import Draws
from l2perp.lab.runner import run
from l2perp.lab.scenario import ProverCfg, ScenarioError, load_scenario, parse_scenario, \
    with_settlement
from l2perp.lab.settlement import draw_latency_ms, percentile_or_none
from l2perp.rollup.batch import message_payload
from l2perp.rollup.l1 import KIND_OFFENCE
from l2perp.rollup.prover import proving_end

SEED = 7
PROVER_LAG_ROOT = "0xae816cbf62971c8bc373cd8a8f95bd8171255a2993241909e8860342364f2fa1"


def test_proving_pauses_through_an_outage_and_latencies_are_seeded() -> None:
    outages = ((100, 200), (300, 400))
    assert proving_end(0, 50, outages) == 50
    assert proving_end(0, 150, outages) == 250  # 100 before the outage, 50 after it
    assert proving_end(150, 10, outages) == 210  # starts inside: waits for its end
    assert proving_end(0, 250, outages) == 450  # spans both outages
    cfg = ProverCfg()
    draws = [draw_latency_ms(Draws(np.random.SeedSequence(SEED), 1 << 20, 1), cfg)
             for _ in range(2)]
    assert draws[0] == draws[1]  # a stream is its key: the same draws in every process
    rng = Draws(np.random.SeedSequence(SEED), 1 << 20, 1)
    sample = sorted(draw_latency_ms(rng, cfg) for _ in range(2_000))
    assert 270_000 < sample[1_000] < 330_000  # the median: 300 s
    assert sample[-1] <= 7_200_000 and sample[1_980] > 3 * sample[1_000]  # a heavy tail
    assert percentile_or_none([3, None, 1, 2], 50) == 2
    assert percentile_or_none([3, None, 1, 2], 99) is None  # the rank is a never-final one


def test_a_settlement_table_is_checked() -> None:
    base = {"markets": [{"name": "BTC", "sz_decimals": 5, "price": 1.0}]}
    spec = parse_scenario({**base, "settlement": {"model": "validity",
                                                  "prover": {"workers": 3}}}, "x")
    assert spec.settlement.model == "validity" and spec.settlement.prover.workers == 3
    with pytest.raises(ScenarioError, match="settlement.model"):
        parse_scenario({**base, "settlement": {"model": "zk"}}, "x")
    with pytest.raises(ScenarioError, match="force_inclusion_s"):
        parse_scenario({**base, "settlement": {"exit_deadline_s": 60}}, "x")
    with pytest.raises(ScenarioError, match="unknown field"):
        parse_scenario({**base, "settlement": {"prover": {"gpus": 8}}}, "x")


def test_prover_lag_under_both_models_from_the_command_line(tmp_path) -> None:
    """The CLI runs the CI version under each model: identical engine roots, validity final in
    minutes where the optimistic window takes 7 days, no batch final while the prover is down,
    and a comparison page in report.html's offline style."""
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["lab", "run", "prover_lag", "--ci", "--seed", str(SEED),
                                      "--settlement", "both", "--fault-table", "none",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "engine state roots identical" in result.output
    data = json.loads((out / "comparison.json").read_text())
    assert data["roots_identical"] and set(data["engine_state_roots"].values()) == {
        PROVER_LAG_ROOT}
    optimistic, validity = data["models"]["optimistic"], data["models"]["validity"]
    assert optimistic["withdrawals"] == validity["withdrawals"] == 59
    assert optimistic["final_within_run"] == 0  # nothing ends a 7-day window in 30 minutes
    assert 604_800 < optimistic["finality_p50_s"] < optimistic["finality_p99_s"] < 605_000
    assert 1_200 < validity["finality_p50_s"] < validity["finality_p99_s"] < 3_600
    # the CI outage runs from 300 s to 1,575 s: no proof lands, value piles up waiting
    validity_report = json.loads((out / "validity" / "report.json").read_text())
    assert validity_report["settlement_model"] == "validity"
    waiting = validity["value_waiting_usd"]
    assert all(waiting[m + 1] >= waiting[m] for m in range(5, 26)) and waiting[26] > waiting[5]
    rows = validity["withdrawal_rows"]
    during = [wait for at, wait, _ in rows if 300 <= at < 1_500]
    assert during and all(at + wait > 1_575 for at, wait, _ in rows if 300 <= at < 1_500)
    page = (out / "comparison.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert not re.search(r"(src|@import|url\()\s*=?\s*['\"(]?https?:", page)
    assert page.count("<svg") == 2 and "Value waiting for finality, both models" in page
    assert "Time to finality of each withdrawal" in page and "optimistic model" in page
    assert "minutes from the start" in page and "value waiting (USD)" in page
    assert "not of cryptography" in page and "coinpost.ai" in page


@pytest.mark.parametrize("name", ["sequencer_outage_78m", "l1_gas_spike"])
def test_outage_and_gas_spike_give_one_engine_run_under_both_models(name: str) -> None:
    spec = load_scenario(name).for_ci()
    results = run_both(spec, SEED)
    rows = table_rows(spec, SEED, True, results)
    assert [r["model"] for r in rows] == ["optimistic", "validity"]
    assert all(r["roots_identical"] for r in rows)
    optimistic, validity = rows
    assert optimistic["finality_p50_s"] > 600_000 > 3_600 > validity["finality_p99_s"]
    assert optimistic["batches_reverted"] == validity["batches_reverted"] == 0
    assert optimistic["exit_mode_at_s"] is None and validity["exit_mode_at_s"] is None
    for result in results.values():
        assert result.report["invariant_violations"] == 0
        assert result.report["rollup"]["reconciler_mismatches"] == 0
    if name == "sequencer_outage_78m":  # the L1 clock runs through the outage
        s = results["validity"].report["rollup"]["settlement"]
        outage = results["validity"].sim.kernel.outages[0]
        l1 = results["validity"].sim.rollup.l1
        final_during = [b for b in l1.batches if b.finalized_ms
                        and outage.start_ms <= b.finalized_ms < outage.end_ms]
        assert final_during and s["final_within_run"] > 0
        assert "proofs of batches posted before it kept landing" in validity["what"]


def test_a_fraudulent_batch_is_challenged_under_one_model_and_rejected_under_the_other() -> None:
    """Optimistic: the verifier's fraud proof reverts the bad batch and slashes the poster,
    which queues an operator offence on L1. Validity: no proof of the bad root can exist, the
    operator withdraws it at once and re-posts the blocks, nothing is challenged or slashed.
    The engine's blocks are the same in both runs but for that one offence transaction."""
    spec = load_scenario("fraudulent_batch").for_ci()
    results = run_both(spec, SEED, keep_blocks=True)
    optimistic, validity = (results[m].report["rollup"] for m in ("optimistic", "validity"))
    assert optimistic["frauds_proven"] == 1 and optimistic["poster_slashed_usd"] == 1_000
    assert validity["challenges"] == 0 and validity["poster_slashed_usd"] == 0
    s = validity["settlement"]
    assert s["batches_rejected_unprovable"] == 1 and s["batches_reverted"] >= 1
    assert s["never_final"] == 0 and s["finality_p99_s"] < 3_600  # re-posted and proven
    l1s = {m: r.sim.rollup.l1 for m, r in results.items()}
    queues = {m: [(q.kind, q.sender, q.payload, q.time_ms) for q in l1.messages]
              for m, l1 in l1s.items()}
    offences = [q for q in queues["optimistic"] if q[0] == KIND_OFFENCE]
    assert len(offences) == 1 and not any(q[0] == KIND_OFFENCE for q in queues["validity"])
    assert [q for q in queues["optimistic"] if q[0] != KIND_OFFENCE] == queues["validity"]
    blocks = {m: r.sim.kernel.sequencer.log.blocks for m, r in results.items()}
    assert [(b.height, b.time_ms) for b in blocks["optimistic"]] == \
        [(b.height, b.time_ms) for b in blocks["validity"]]
    for a, b in zip(blocks["optimistic"], blocks["validity"]):  # queue ids shift by one after it
        assert [same(tx) for tx in a.txs if type(tx.action) is not OperatorOffence] == \
            [same(tx) for tx in b.txs]
    assert sum(type(tx.action) is OperatorOffence for b in blocks["optimistic"]
               for tx in b.txs) == 1
    rows = table_rows(spec, SEED, True, results)
    assert not rows[0]["roots_identical"] and "fraud proof reverted" in rows[0]["what"]
    assert "no challenge, no slash" in rows[1]["what"]


def same(tx):
    """A transaction up to its L1 queue id."""
    return message_payload(tx.action)[1:] if tx.signer is None else tx


def test_a_forced_request_unproven_past_the_deadline_puts_the_venue_in_exit_mode() -> None:
    """prover_lag's CI version with a 10-minute exit deadline: a forced withdrawal sent while
    the prover is down stays unproven, and 10 minutes later the venue exits from the last
    proven root, positions at the index. The optimistic model served the same request when a
    posted batch took it. The engine run is the prover_lag one either way."""
    spec = load_scenario("prover_lag").for_ci()
    spec = replace(spec, settlement=replace(spec.settlement, exit_deadline_s=600,
                                            force_inclusion_s=120))
    validity = run(with_settlement(spec, "validity"), SEED)
    assert validity.report["final_state_root"] == PROVER_LAG_ROOT
    s = validity.report["rollup"]["settlement"]
    e = s["exit_mode"]
    assert e is not None and e["forced_request_age_s"] == 600
    assert 300 <= e["at_s"] < 1_575  # its proof was cut off by the prover's outage
    l1 = validity.sim.rollup.l1
    assert l1.exit_mode_ms == validity.sim.kernel.start_ms + e["at_s"] * 1_000
    assert e["root_batch"] == l1.finalized_no  # nothing proven after exit mode
    assert all(t < l1.exit_mode_ms for t in l1.proven_ms.values())
    assert s["never_final"] > 0 and s["finality_p50_s"] is None
    assert e["haircut"] == 0.0 and e["users_paid_usd"] == e["users_owed_usd"] > 0
    assert e["pool_usd"] >= e["users_owed_usd"] + e["funds_owed_usd"]
    optimistic = run(with_settlement(spec, "optimistic"), SEED)
    assert optimistic.report["rollup"]["settlement"]["exit_mode"] is None
    assert optimistic.report["final_state_root"] == PROVER_LAG_ROOT
