"""The oracle-stall-at-3-a.m. drill: detection, the guardians' pause at M of N, the report,
governance's ratification and the reopening, with an after-action report whose timeline is the
event log's."""

from __future__ import annotations

import json

from l2perp.lab.drill import load_drill, run_drill, write_drill


def test_the_3am_oracle_stall_drill_and_its_after_action_report(tmp_path) -> None:
    drill = load_drill("oracle_stall_3am")
    after, md, sim = run_drill(drill, 1)
    write_drill(tmp_path, after, md, sim)
    kinds = [e["kind"] for e in after["timeline"]]
    for step in ("drill:fault", "drill:detected", "drill:guardianSign", "drill:stewardStep",
                 "drill:guardianAction", "drill:report", "drill:feedRestored",
                 "drill:recovered"):
        assert step in kinds, step
    order = [kinds.index(k) for k in ("drill:fault", "drill:detected", "drill:guardianAction",
                                      "drill:feedRestored", "drill:recovered")]
    assert order == sorted(order)
    # the timeline is the event log's drill part, entry for entry
    start = sim.kernel.start_ms
    logged = [json.loads(line) for line in
              (tmp_path / "events.jsonl").read_text().splitlines()]
    drill_log = [{"t_s": (e["t"] - start) / 1_000, "kind": e["kind"], "text": e["text"]}
                 for e in logged if e["kind"].startswith("drill:")]
    assert drill_log == after["timeline"]
    assert after["time_to_detect_s"] <= 61.0  # staleness (60 s) plus one block
    assert after["time_to_act_s"] > 0
    stored = json.loads((tmp_path / "after_action.json").read_text())
    assert stored["timeline"] == after["timeline"]
    text = (tmp_path / "after_action.md").read_text()
    assert "## Timeline" in text and "## What held" in text and "## What did not" in text
    gov = sim.kernel.state.gov
    assert gov.guardians.actions[1].ratified and gov.guardians.actions[1].report is not None
    assert sim.kernel.state.markets[0].status == 0
    assert sim.kernel.state.markets[0].max_leverage == 30  # the steward's bounded step
    assert not [e for e in after["timeline"] if e["kind"] == "drill:refused"]
    assert "no liquidation ran on the stale price while the feed was down" in after["held"]
