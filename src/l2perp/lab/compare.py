"""`l2perp lab run SCENARIO --settlement both`: one scenario and seed under each settlement MODEL
(lab/settlement.py), side by side: `comparison.json` and `comparison.html` (offline, inline SVG
charts as in report.html), with each model's own run report in a subdirectory. The page says
what the models are (models of settlement timing, no cryptography), compares each withdrawal's
time to finality and the value waiting for it, and tabulates what three fault scenarios
(`FAULT_SCENARIOS`, their CI versions by default) do under each model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.ticker import NullLocator

from .findings import count, duration, usd
from .report import (
    BLUE, GREY, ORANGE, STYLE, Chart, _axes, _e, _svg, chart_html, scenario_card, write_run,
)
from .runner import RunResult, Sim
from .scenario import SETTLEMENT_MODELS, Scenario, load_scenario, with_settlement
from .settlement import MODEL_NOTE

FAULT_SCENARIOS = ("sequencer_outage_78m", "l1_gas_spike", "fraudulent_batch")
COLORS = {"optimistic": ORANGE, "validity": BLUE}
# the log axis's ticks, in hours, and their labels
HOUR_TICKS = ((1 / 60, "1 min"), (5 / 60, "5 min"), (15 / 60, "15 min"), (0.5, "30 min"),
              (1, "1 h"), (2, "2 h"), (6, "6 h"), (12, "12 h"), (24, "1 d"), (72, "3 d"),
              (168, "7 d"), (720, "30 d"))
Progress = Callable[[str, int], object]  # (what is running, simulated seconds done)

# (key in a model's settlement summary, label, format, definition)
FIGURES = (
    ("withdrawals", "Withdrawals", count,
     "Withdrawals the engine emitted on L2 for the run's bridge users (forced ones included)."),
    ("finality_p50_s", "Time to finality, median", duration,
     "From the withdrawal's L2 block to its batch's finality on L1: the end of the challenge "
     "window (optimistic) or its proof landing with every earlier batch proven (validity). "
     "Past the run's end it is projected from the batch's deadline or its scheduled proof."),
    ("finality_p99_s", "Time to finality, 99th percentile", duration,
     "The same for the slowest 1% of withdrawals."),
    ("finality_max_s", "Time to finality, slowest", duration, "The slowest withdrawal."),
    ("final_within_run", "Final within the run", count,
     "Withdrawals claimable on L1 before the run ended."),
    ("never_final", "Never final", count,
     "Withdrawals no proof or window will finalize: after exit mode, their value leaves "
     "through the exit from the last proven root instead."),
    ("batches_posted", "Batches posted", count, "Commitments the poster made on L1."),
    ("batches_reverted", "Batches reverted", count,
     "Optimistic: reverted by a fraud proof, with their descendants. Validity: withdrawn by the "
     "operator because no proof of their claim can exist, with their descendants."),
    ("proving_cost_usd", "Proving cost", usd,
     "Proofs landed x their transactions x the cost per transaction (validity; an assumption)."),
)


def run_both(spec: Scenario, seed: int, progress: Progress | None = None,
             keep_blocks: bool = False) -> dict[str, RunResult]:
    """The same scenario and seed under each settlement model."""
    out: dict[str, RunResult] = {}
    for model in SETTLEMENT_MODELS:
        sim = Sim(with_settlement(spec, model), seed, keep_blocks)
        start = sim.kernel.start_ms
        tick = None if progress is None else \
            (lambda t, m=model: progress(m, (t - start) // 1_000))
        report = sim.run(tick)
        out[model] = RunResult(report, sim.metrics, sim)
    return out


def summary(result: RunResult) -> dict[str, Any]:
    return result.report["rollup"]["settlement"]


def what_happened(spec: Scenario, model: str, s: dict[str, Any], rollup: dict[str, Any]) -> str:
    """One sentence per scenario and model, from the run's numbers."""
    parts = []
    kinds = {f.kind for f in spec.faults}
    if model == "optimistic":
        parts.append(f"withdrawals wait out the {duration(s['params']['challenge_window_s'])} "
                     f"window (median {duration(s['finality_p50_s'])})")
        if rollup.get("frauds_proven"):
            parts.append(f"the verifier's fraud proof reverted the bad batch at "
                         f"{duration(rollup['first_revert_ms'] / 1_000)} and the poster lost "
                         f"{usd(rollup['poster_slashed_usd'])}; the blocks were re-posted with "
                         "their true roots, their windows starting again")
    else:
        parts.append(f"proofs land in minutes: median {duration(s['finality_p50_s'])}, 99th "
                     f"percentile {duration(s['finality_p99_s'])}")
        if s["batches_rejected_unprovable"]:
            parts.append(f"no proof of the bad batch's root can exist: the operator withdrew it "
                         f"at {duration(s['first_rejection_s'])} and re-posted the blocks; no "
                         "challenge, no slash, and finality waited for the new proofs")
        if "prover_outage" in kinds:
            parts.append("the prover outage stopped every proof, and with them finality and "
                         "withdrawals")
    if "sequencer_outage" in kinds:
        parts.append("the sequencer outage made no blocks, so no L2 withdrawal, while the L1 "
                     "clock ran on: " + ("the windows of batches posted before it kept running"
                                         if model == "optimistic" else
                                         "proofs of batches posted before it kept landing"))
    if "l1_gas_spike" in kinds:
        parts.append("the gas spike delayed deposits alike in both models and raised what "
                     "each batch cost to post, which the L1 data fee passed on (proofs are not "
                     "priced in gas)")
    if s["exit_mode"]:
        parts.append(f"exit mode at {duration(s['exit_mode']['at_s'])}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def fault_table(seed: int, ci: bool = True, names: tuple[str, ...] = FAULT_SCENARIOS,
                progress: Progress | None = None) -> list[dict[str, Any]]:
    """Each fault scenario (its CI version when `ci`) under both models: one row per model."""
    rows: list[dict[str, Any]] = []
    for name in names:
        spec = load_scenario(name)
        spec = spec.for_ci() if ci else spec
        tick = None if progress is None else \
            (lambda model, done, name=name: progress(f"{name} ({model})", done))
        rows += table_rows(spec, seed, ci, run_both(spec, seed, tick))
    return rows


def table_rows(spec: Scenario, seed: int, ci: bool,
               results: dict[str, RunResult]) -> list[dict[str, Any]]:
    """The fault table's rows of one scenario run under both models."""
    roots = {m: r.report["final_state_root"] for m, r in results.items()}
    rows = []
    for model, result in results.items():
        s, rollup = summary(result), result.report["rollup"]
        rows.append({
            "scenario": spec.name, "model": model, "ci": ci, "seed": seed,
            "withdrawals": s["withdrawals"], "finality_p50_s": s["finality_p50_s"],
            "finality_p99_s": s["finality_p99_s"], "finality_max_s": s["finality_max_s"],
            "never_final": s["never_final"], "batches_reverted": s["batches_reverted"],
            "challenges": rollup["challenges"],
            "exit_mode_at_s": s["exit_mode"]["at_s"] if s["exit_mode"] else None,
            "final_state_root": roots[model],
            "roots_identical": len(set(roots.values())) == 1,
            "what": what_happened(spec, model, s, rollup),
        })
    return rows


def comparison(spec: Scenario, seed: int, results: dict[str, RunResult],
               table: list[dict[str, Any]]) -> dict[str, Any]:
    """comparison.json: each model's settlement summary, the engine roots, the fault table."""
    roots = {m: r.report["final_state_root"] for m, r in results.items()}
    return {
        "scenario": spec.name, "seed": seed, "duration_s": spec.duration_s,
        "note": MODEL_NOTE,
        "models": {m: summary(r) for m, r in results.items()},
        "engine_state_roots": roots,
        "roots_identical": len(set(roots.values())) == 1,
        "fault_table": table,
    }


def write_comparison(out: Path, data: dict[str, Any], results: dict[str, RunResult],
                     spec: Scenario) -> None:
    """comparison.json and comparison.html in `out`, each model's run report in out/MODEL/."""
    out.mkdir(parents=True, exist_ok=True)
    for model, result in results.items():
        write_run(out / model, result.report, result.metrics.series, result.metrics.events,
                  with_settlement(spec, model))
    (out / "comparison.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    (out / "comparison.html").write_text(render_comparison(data, spec))


# -- charts

def chart_waiting(data: dict[str, Any]) -> Chart:
    fig, ax = _axes("value waiting (USD)", money=True)
    legend = []
    for model, s in data["models"].items():
        ax.plot(s["value_waiting_minutes"], s["value_waiting_usd"], color=COLORS[model],
                linewidth=1.4, drawstyle="steps-post")
        legend.append((f"{model} model", COLORS[model], "line"))
    ax.set_ylim(bottom=0)
    return Chart("value-waiting", "Value waiting for finality, both models", legend, _svg(fig),
                 "Withdrawals requested on L2 and not yet final on L1 at each minute (USD). "
                 "Under the optimistic model nothing finalizes before its challenge window "
                 "ends, so the line only rises within a run shorter than the window.")


def chart_finality(data: dict[str, Any]) -> Chart:
    fig, ax = _axes("time to finality (log scale)", height=3.0)
    ax.set_yscale("log")
    legend = []
    top = 0.0
    for model, s in data["models"].items():
        rows = [r for r in s["withdrawal_rows"] if r[1] is not None]
        top = max([top] + [r[1] / 3_600 for r in rows])
        ax.scatter([r[0] / 60 for r in rows], [r[1] / 3_600 for r in rows], s=9,
                   color=COLORS[model], linewidths=0)
        legend.append((f"{model} model", COLORS[model], "box"))
    never = [(m, r) for m, s in data["models"].items() for r in s["withdrawal_rows"]
             if r[1] is None]
    if never:
        y = max(top * 2, 1.0)
        for model, row in never:
            ax.scatter([row[0] / 60], [y], marker="x", s=14, color=COLORS[model])
        ax.axhline(y, color=GREY, linewidth=0.5, linestyle="--")
        legend.append(("never final (exit mode), drawn at the top", GREY, "dash"))
    low, high = ax.get_ylim()
    ticks = [(h, label) for h, label in HOUR_TICKS if low <= h <= high]
    ax.set_yticks([h for h, _ in ticks], [label for _, label in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    return Chart("finality", "Time to finality of each withdrawal, by when it was requested",
                 legend, _svg(fig), "Each dot is one withdrawal: when it was requested on L2 "
                 "(x) and how long until its batch was final on L1 (y).")


# -- the page

def figures_rows(data: dict[str, Any]) -> str:
    models = data["models"]
    rows = []
    for key, label, fmt, meaning in FIGURES:
        cells = "".join(f"<td class='value'>{_e(fmt(models[m][key]))}</td>" for m in models)
        rows.append(f"<tr id='cmp-{_e(key)}'><th>{_e(label)}</th>{cells}"
                    f"<td class='meaning'>{_e(meaning)}</td></tr>")
    exits = "".join("<td class='value'>" + (_e(f"at {duration(m['exit_mode']['at_s'])}")
                                            if m["exit_mode"] else "no") + "</td>"
                    for m in models.values())
    rows.append(f"<tr id='cmp-exit'><th>Exit mode</th>{exits}<td class='meaning'>A forced "
                "request left unserved past the exit deadline (served: consumed by a posted "
                "batch, optimistic; by a proven one, validity). Positions then settle at the "
                "index and users exit from the last proven root (validity) or the last "
                "posted one once its window ends (optimistic).</td></tr>")
    head = "".join(f"<th>{_e(m)} model</th>" for m in models)
    return ("<table><colgroup><col class='label'><col class='value'><col class='value'><col>"
            f"</colgroup><thead><tr><th>figure</th>{head}<th>definition</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


def exit_card(data: dict[str, Any]) -> str:
    items = []
    for model, s in data["models"].items():
        e = s["exit_mode"]
        if not e:
            continue
        items.append(
            f"<li><strong>{_e(model)} model</strong>: exit mode at {_e(duration(e['at_s']))}, a "
            f"forced request {_e(duration(e['forced_request_age_s']))} old. Users exit from "
            f"batch {e['root_batch']} (L2 height {e['root_height']}) at the index: owed "
            f"{_e(usd(e['users_owed_usd']))} against {_e(usd(e['users_value_on_l2_usd']))} on "
            f"the live L2 ledger; the pool of {_e(usd(e['pool_usd']))} pays "
            f"{_e(usd(e['users_paid_usd']))} (haircut {e['haircut']:.2%}); deposits back to "
            f"their senders {_e(usd(e['reclaimable_deposits_usd']))}, withdrawals still "
            f"claimable {_e(usd(e['claimable_withdrawals_usd']))}.</li>")
    if not items:
        return ""
    return ("<section class='card' id='exit-mode'><h2>Exit mode</h2><ul>" + "".join(items)
            + "</ul><p class='muted'>The lab keeps simulating L2 after exit mode so that both "
            "models see the same transactions; nothing after it settles.</p></section>")


def fault_rows(table: list[dict[str, Any]]) -> str:
    if not table:
        return ""
    rows = []
    for row in table:
        exit_at = "no" if row["exit_mode_at_s"] is None else duration(row["exit_mode_at_s"])
        rows.append(f"<tr><th class='mono'>{_e(row['scenario'])}</th><td>{_e(row['model'])}</td>"
                    f"<td class='value'>{_e(duration(row['finality_p50_s']))}</td>"
                    f"<td class='value'>{_e(duration(row['finality_p99_s']))}</td>"
                    f"<td class='value'>{row['batches_reverted']}</td>"
                    f"<td class='value'>{_e(exit_at)}</td>"
                    f"<td class='meaning'>{_e(row['what'])}</td></tr>")
    version = "CI versions" if table[0]["ci"] else "full versions"
    return ("<section class='card' id='fault-table'><h2>Three fault scenarios under each "
            "model</h2>"
            f"<p class='muted'>{_e(version)}, seed {table[0]['seed']}. Finality as above; "
            "reverted: batches reverted by a fraud proof (optimistic) or withdrawn as "
            "unprovable (validity).</p><table><colgroup><col style='width:19%'>"
            "<col style='width:10%'><col style='width:9%'><col style='width:9%'>"
            "<col style='width:8%'><col style='width:8%'><col></colgroup><thead><tr>"
            "<th>scenario</th><th>model</th><th>finality p50</th><th>finality p99</th>"
            "<th>reverted</th><th>exit mode</th><th>what it does</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def roots_card(data: dict[str, Any]) -> str:
    roots = data["engine_state_roots"]
    if data["roots_identical"]:
        text = (f"Identical under both models: <span class='mono'>"
                f"{_e(next(iter(roots.values())))}</span>. The settlement model fed the engine "
                "nothing but the L1 message queue, the same in both runs.")
    else:
        text = ("They differ: " + ", ".join(f"{_e(m)} <span class='mono'>{_e(r)}</span>"
                                           for m, r in roots.items())
                + ". The optimistic model's fraud proof queues an operator offence on L1 "
                "that the L2 applies; the validity model has no fraud game to queue one.")
    return f"<section class='card' id='roots'><h2>Engine state roots</h2><p>{text}</p></section>"


def render_comparison(data: dict[str, Any], spec: Scenario) -> str:
    name = data["scenario"]
    title = f"{name}: settlement models compared (optimistic and validity)"
    links = " · ".join(f"<a href='{_e(m)}/report.html'>{_e(m)} run report</a>"
                       for m in data["models"])
    body = [
        f"<header><strong>l2perp lab</strong><span>settlement models</span>"
        f"<span class='muted'>{_e(name)}, seed {_e(data['seed'])}</span></header>",
        f"<main><h1>{_e(title)}</h1>",
        f"<section class='card' id='model-note'><h2>What is compared</h2><p>{_e(data['note'])} "
        "The optimistic model is the settlement contract of rollup/contract.py with a "
        "challenge window; the validity model (rollup/prover.py) finalizes a batch when its "
        f"proof lands, in batch order, and has no fraud game.</p><p class='muted'>{links}</p>"
        "</section>",
        scenario_card({"scenario": name, "seed": data["seed"],
                       "duration_s": data["duration_s"]}, spec),
        "<section class='card' id='figures'><h2>Withdrawals and finality</h2>"
        + figures_rows(data) + "</section>",
        exit_card(data),
        chart_html(chart_waiting(data)),
        chart_html(chart_finality(data)),
        fault_rows(data["fault_table"]),
        roots_card(data),
        "</main>",
    ]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>")
