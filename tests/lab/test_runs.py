"""Every shipped scenario runs (its CI version) with zero invariant violations and ends at its
golden state root; the root repeats in fresh processes with other PYTHONHASHSEEDs; the
reports hold every figure the issue names, and the HTML embeds its plots."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from l2perp.lab.report import write_run
from l2perp.lab.runner import run
from l2perp.lab.scenario import ScenarioError, load_scenario, parse_scenario, shipped_names

GOLDEN_SEED = 7
GOLDEN = {  # final_state_root of each CI version at seed 7
    "flashloan_governance": "0x7a01226364bdeda931af7b8248aeb4baadee573d9638704911f38f4b726c285b",
    "fraudulent_batch": "0x64b71a066599de2352452f15df20cea8b33b8bf2a41ccca3f6533acb2553afc1",
    "ftx_like": "0x5e80ca1c5ea3948667023a4f59bb8276303c33f4c881f1c87a7964a3b587c2f8",
    "jelly_like": "0x80a53aec4ca748f6ad61db8889669c11d1c1a91ec2789f693b49c9fc50434a6d",
    "l1_gas_spike": "0x1921c597a00dbf85fa42cad7e28f1632c1f6c4d9d96bc1c9cca7945095f62512",
    "mar12_like": "0x0ceaaf1a2d4b9aa6e9b19e706d2fd46e943cdb676b66f32897c8118ab795cb87",
    "may19_like": "0x5fb2ca256492dd09f54e2ba7452ea6de47cc6a058dfe4625ebf2893f75d4fa2e",
    "oct10_like": "0x1abc6b2914399f03067c9afe7a17d11371cf507a7d2d4b5b3a1266f1d3516bda",
    "oracle_stall": "0xa90bc54e363ca444d64e20c9c4330e580a4d1ba68633f6a9711124a53b0d8397",
    "sequencer_outage_78m":
        "0x081af4bef0b5698fd53a0195cf891c3544cfb252b4625b9aa8f6c6fd451a5977",
}
REQUIRED = ("bad_debt_usd", "insurance_fund_start_usd", "insurance_fund_min_usd",
            "insurance_fund_end_usd", "liquidations_count", "liquidated_notional_usd",
            "backstop_notional_usd", "adl_count", "adl_notional_usd", "adl_excess_usd",
            "liq_delay_p50_s", "liq_delay_p99_s", "max_basis_bps", "mean_leverage",
            "capital_efficiency", "invariant_violations", "final_state_root", "seed",
            "scenario", "transactions_count", "fills_count", "active_agents")


def test_ten_scenarios_are_shipped_and_cite_their_event() -> None:
    assert set(shipped_names()) == set(GOLDEN)
    for name in shipped_names():
        scenario = load_scenario(name)
        assert scenario.cites and scenario.description and scenario.name == name


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_same_seed_same_root_and_no_invariant_violation(name: str) -> None:
    report = run(load_scenario(name).for_ci(), GOLDEN_SEED).report
    assert report["invariant_violations"] == 0, report["invariant_details"]
    assert report["final_state_root"] == GOLDEN[name]
    assert all(key in report for key in REQUIRED)
    if name == "fraudulent_batch":
        rollup = report["rollup"]
        assert rollup["frauds_proven"] == 1 and rollup["batches_reverted"] >= 1
        assert rollup["poster_slashed_usd"] > 0 and not rollup["frozen"]
    if name == "flashloan_governance":
        attacks = report["governance_attacks"]
        assert [a["kind"] for a in attacks] == ["flashloan_governance", "low_turnout_proposal",
                                                "content_swap"]
        assert not any(a["succeeded"] for a in attacks)
        assert attacks[0]["attacker_vote_weight"] == 20_000  # own power; borrowed weighs 0
        assert attacks[1]["state"] == "Defeated"
        assert any("content hash" in r for r in attacks[2]["refusals"])


SCRIPT = ("from l2perp.lab.runner import run; from l2perp.lab.scenario import load_scenario; "
          "print(run(load_scenario('oracle_stall').for_ci(), 7).report['final_state_root'])")


def test_the_root_repeats_under_other_hash_seeds() -> None:
    for seed in ("0", "977"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True)
        assert out.stdout.strip() == GOLDEN["oracle_stall"]


def test_reports_json_html_and_event_log(tmp_path) -> None:
    result = run(load_scenario("jelly_like").for_ci(), 2)
    write_run(tmp_path, result.report, result.metrics.series, result.metrics.events)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 6 and "http" not in html.split("<body>")[1]
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert sum(1 for e in events if e["kind"] == "liquidation") == report["liquidations_count"]


def test_a_malformed_scenario_says_which_field() -> None:
    base = {"markets": [{"name": "BTC", "sz_decimals": 5, "price": 1.0}]}
    with pytest.raises(ScenarioError, match="unknown field"):
        parse_scenario({**base, "agnets": {}}, "x")
    with pytest.raises(ScenarioError, match="unknown fault kind"):
        parse_scenario({**base, "faults": [{"kind": "meteor", "at_s": 1}]}, "x")
    with pytest.raises(ScenarioError, match="at least one"):
        parse_scenario({}, "x")
    with pytest.raises(ScenarioError, match="no scenario"):
        load_scenario("nope")
