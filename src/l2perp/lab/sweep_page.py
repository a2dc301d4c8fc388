"""A sweep's page: `sweep.json`, `frontier.png` and `sweep.html` from the summary that
`sweep.run_sweep` returns (this module reads nothing else): the recommendation, the frontier plot
with interval bars, the monotonicity flags, the table of points, and a note wherever a figure
could mislead (a metric that did not vary, a design whose points met different stresses, a
design no monotonicity check applies to).
"""

from __future__ import annotations

import json
from pathlib import Path

from .stats import EXPECTED

CSS = """
:root { --up: #1b7f3b; --down: #b3261e; --line: #e3e6ea; --muted: #5b6470; --accent: #2f5fd0;
        --bg: #f6f7f9; --card: #fff; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #14181f;
       background: var(--bg); }
header { padding: .5em 1em; background: #1d2633; color: #fff; }
main { padding: .8em 1em 2em; max-width: 1320px; margin: auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
        padding: .8em 1em; margin-bottom: 1em; }
h3 { margin: .1em 0 .5em; font-size: 1em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--line);
         white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
.scroll table { font-size: .92em; }
.scroll th, .scroll td { padding: 3px 5px; }
.scroll { overflow-x: auto; }
th { color: var(--muted); font-weight: 500; font-size: .88em; }
th:first-child, td:first-child, td.point { text-align: left; }
tr.front td:first-child { color: var(--accent); font-weight: 600; }
tr.pick td { background: #eef3ff; }
.ci { color: var(--muted); font-size: .85em; }
.flag { color: var(--down); }
.flat { color: #7a4b00; background: #fff7e6; border-left: 3px solid #e0a030; padding: .3em .6em; }
.muted { color: var(--muted); }
svg { max-width: 100%; height: auto; }
"""


SHORT = {"var95_usd": "VaR95", "lar95_usd": "LaR95", "depletion_probability": "P(fund depleted)",
         "capital_efficiency": "capital efficiency"}


def _value(metric: str, value: float) -> str:
    return f"${value:,.0f}" if metric.endswith("_usd") else f"{value:.3f}"


def swept(rows: list[dict]) -> str:
    """The design's ranges, as a clause: 'imf 0.05 .. 0.125, insurance_seed_usd 5,000 ..
    100,000' (a categorical axis lists its values)."""
    parts = []
    for axis in sorted({a for r in rows for a in r["point"]}):
        values = [r["point"][axis] for r in rows if axis in r["point"]]
        if all(isinstance(v, (int, float)) for v in values):
            low, high = min(values), max(values)
            parts.append(f"{axis} {low:,g}" if low == high else f"{axis} {low:,g} .. {high:,g}")
        else:
            parts.append(f"{axis} {', '.join(sorted(set(map(str, values))))}")
    return ", ".join(parts)


def _num(value: object) -> str:
    """A design value as the page shows it: integers with separators, other numbers to four
    significant figures, names as they are."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def scenarios_text(summary: dict) -> str:
    """What the points ran on: the scenario, or the templates of a template axis."""
    names = summary.get("scenarios") or [summary["scenario"]]
    return names[0] if len(names) == 1 else f"{', '.join(names)} (template axis)"


def conditions(summary: dict, i: int) -> str:
    """Point i's values of the stress axes, each placed in the design's range."""
    rows = summary["points"]
    parts = []
    for axis in summary.get("stress_axes", []):
        value = rows[i]["point"].get(axis)
        values = [r["point"][axis] for r in rows if axis in r["point"]]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = min(values), max(values)
            where = (value - low) / (high - low) if high > low else 0.5
            end = "the low end" if where < 1 / 3 else "the high end" if where > 2 / 3 \
                else "the middle"
            parts.append(f"{axis} {_num(value)} ({end} of {_num(low)} .. {_num(high)})")
        else:
            parts.append(f"{axis} {value}")
    return ", ".join(parts)


def stress_note(summary: dict) -> str | None:
    """When the design varies the storm (crash size, outage, template) along with the venue's
    parameters: what its frontier and recommendation can and cannot say."""
    stress = summary.get("stress_axes", [])
    if not stress:
        return None
    verb = "differs" if len(stress) == 1 else "differ"
    text = (f"This design varies the storm as well as the venue: {', '.join(stress)} {verb} "
            "from point to point, so the points met different stresses and the frontier and "
            "the recommendation compare venues under different conditions, not settings under "
            "one. Read it as an exploration of where losses come from; to choose parameters, "
            "run the candidates under the same stresses (a grid such as margin_vs_fund).")
    pick = summary["recommendation"]["point"]
    if pick is not None:
        text += f" Point {pick} met {conditions(summary, pick)}."
    return text


def monotonicity_note(summary: dict) -> str:
    """What the flags' card says when there is no flag: whether any check was possible."""
    count = summary.get("monotonicity_comparisons")
    axes = " or ".join(sorted({axis for axis, _, _ in EXPECTED}))
    if count == 0:
        if summary.get("design") == "lhs":
            return ("No monotonicity check applies to this design: a Latin hypercube has no "
                    "two points that differ in one parameter only, and the check compares "
                    f"neighbouring values of {axes} with everything else equal. No flag here "
                    "says nothing either way; a grid over those axes (margin_vs_fund) is "
                    "checked.")
        return (f"No monotonicity check applies: no two points differ only in {axes}, the "
                "axes with an expected direction.")
    counted = f" ({count} comparisons)" if count else ""
    return f"No metric moves against its parameter beyond the intervals{counted}."


def constant_notes(summary: dict, metrics: tuple[str, ...] = tuple(SHORT)) -> list[str]:
    """A sentence per metric (of `metrics`) that did not vary across the points: its value,
    over which design, and what follows for the frontier."""
    rows = summary["points"]
    flat = summary.get("constant_metrics", {})
    notes = []
    for metric, value in ((m, flat[m]) for m in metrics if m in flat):
        what = f"{SHORT[metric]} did not vary: {_value(metric, value)}, interval " \
               f"[{_value(metric, value)}, {_value(metric, value)}], at all {len(rows)} points " \
               f"({swept(rows)})"
        if metric == "var95_usd":
            what += "; it separates no point, so the frontier and the recommendation rest on " \
                    "capital efficiency alone"
        elif metric == "capital_efficiency":
            what += "; the frontier and the recommendation rest on VaR95 alone"
        notes.append(what + ".")
    return notes


def _flatten(ax, which: str, metric: str, value: float) -> None:
    """A constant metric's axis: one tick at its value, a range around it, and a label that
    says so, instead of a flat line on an axis of rounding noise."""
    pad = max(abs(value) * 0.5, 1.0)
    label = f"{_value(metric, value)} at every point"
    if which == "y":
        ax.set_ylim(value - pad, value + pad)
        ax.set_yticks([value], [label])
    else:
        ax.set_xlim(value - pad, value + pad)
        ax.set_xticks([value], [label])


def _plot(summary: dict):
    """The frontier figure: every point with its 90% interval bars on both axes, labelled by
    its index; the frontier in the accent colour, the recommended point ringed. A metric that
    did not vary gets one tick at its value and a note in the plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["points"]
    front = set(summary["frontier"])
    pick = summary["recommendation"]["point"]
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, r in enumerate(rows):
        ce, var = r["stats"]["capital_efficiency"], r["stats"]["var95_usd"]
        colour = "#2f5fd0" if i in front else "#8a929c"
        ax.errorbar(ce["value"], var["value"],
                    xerr=[[ce["value"] - ce["low"]], [ce["high"] - ce["value"]]],
                    yerr=[[var["value"] - var["low"]], [var["high"] - var["value"]]],
                    fmt="o", color=colour, ecolor=colour, elinewidth=1, capsize=3, ms=5)
    at: dict[tuple, list[int]] = {}  # points that land on one spot share one label
    for i, r in enumerate(rows):
        key = (r["stats"]["capital_efficiency"]["value"], r["stats"]["var95_usd"]["value"])
        at.setdefault(key, []).append(i)
    xs, ys = [x for x, _ in at], [y for _, y in at]
    x_span, y_span = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    placed: list[tuple[float, float, int]] = []
    for (x, y), ids in sorted(at.items()):
        rise = 5  # a label near another one's goes above it
        while any(abs(x - px) < 0.06 * x_span and abs(y - py) < 0.06 * y_span and rise == pr
                  for px, py, pr in placed):
            rise += 9
        placed.append((x, y, rise))
        ax.annotate(",".join(map(str, ids)), (x, y), textcoords="offset points",
                    xytext=(5, rise), fontsize=8, color="#14181f")
    order = sorted(front, key=lambda i: rows[i]["stats"]["capital_efficiency"]["value"])
    ax.plot([rows[i]["stats"]["capital_efficiency"]["value"] for i in order],
            [rows[i]["stats"]["var95_usd"]["value"] for i in order], color="#2f5fd0", lw=1,
            label="frontier (beyond the intervals)")
    if pick is not None:
        ce, var = rows[pick]["stats"]["capital_efficiency"], rows[pick]["stats"]["var95_usd"]
        ax.scatter([ce["value"]], [var["value"]], s=220, facecolors="none",
                   edgecolors="#1b7f3b", linewidths=2, label=f"recommended: point {pick}")
    ax.set_xlabel("capital efficiency: takers' notional / collateral (mean, 90% interval)")
    ax.set_ylabel("VaR95: p95 of bad debt + socialized loss, USD (90% interval)")
    ax.set_title(f"{summary['sweep']} on {scenarios_text(summary)}")
    ax.grid(color="#e3e6ea", lw=.6)
    flat = summary.get("constant_metrics", {})
    said = []
    for which, metric in (("x", "capital_efficiency"), ("y", "var95_usd")):
        if metric in flat:
            _flatten(ax, which, metric, flat[metric])
            said.append(f"{SHORT[metric]} did not vary: {_value(metric, flat[metric])} "
                        f"at all {len(rows)} points")
    if said:
        ax.text(0.5, 0.75, "\n".join(said), transform=ax.transAxes, ha="center", va="center",
                fontsize=10, color="#5b6470",
                bbox={"boxstyle": "round", "fc": "#f6f7f9", "ec": "#e3e6ea"})
    ax.legend(loc="lower right" if said else "best", fontsize=8)
    return fig, plt


def _cell(m: dict, money: bool) -> str:
    if money:
        return (f"{m['value']:,.0f}<div class='ci'>[{m['low']:,.0f}, {m['high']:,.0f}]</div>")
    return f"{m['value']:.3f}<div class='ci'>[{m['low']:.3f}, {m['high']:.3f}]</div>"


def _point_rows(summary: dict, axes: list[str]) -> list[str]:
    """The points table's rows: each point's design values and statistics with intervals."""
    import html

    front = set(summary["frontier"])
    pick = summary["recommendation"]["point"]
    body = []
    for i, r in enumerate(summary["points"]):
        st = r["stats"]
        cls = " ".join(c for c, on in (("front", i in front), ("pick", i == pick)) if on)
        cells = "".join(f"<td class='point'>{html.escape(_num(r['point'].get(a, '')))}</td>"
                        for a in axes)
        body.append(
            f"<tr class='{cls}'><td>{i}{' *' if i in front else ''}</td>{cells}"
            f"<td>{r['runs_used']}</td><td>{_cell(st['var95_usd'], True)}</td>"
            f"<td>{_cell(st['lar95_usd'], True)}</td>"
            f"<td>{_cell(st['depletion_probability'], False)}</td>"
            f"<td>{_cell(st['capital_efficiency'], False)}</td>"
            f"<td>{st['mean_liq_delay_p99_s']:,.0f}</td>"
            f"<td>{r['invariant_violations']}</td></tr>")
    return body


def _recommendation(summary: dict) -> str:
    """The recommended point against the objective: the venue's parameters apart from the
    stresses it met (a design that varies the storm), and the stress note."""
    import html

    rows, rec = summary["points"], summary["recommendation"]
    pick = rec["point"]
    stress = summary.get("stress_axes", [])
    if pick is None:
        text = "<p>none</p>"
    elif stress:  # the venue's parameters; the stresses are conditions the point met
        venue = ", ".join(f"{a} {_num(v)}" for a, v in sorted(rows[pick]["point"].items())
                          if a not in stress)
        text = (f"<p><b>Point {pick}</b>: {html.escape(rec['why'])}. Venue parameters: "
                f"{html.escape(venue)}.</p>")
    else:
        text = (f"<p><b>Point {pick}</b> {html.escape(json.dumps(rows[pick]['point']))}: "
                f"{html.escape(rec['why'])}.</p>")
    note = stress_note(summary)
    if note:
        text += f"<p class='flat' id='stress-note'>{html.escape(note)}</p>"
    return text


def write_sweep(out: Path, summary: dict) -> None:
    """sweep.json, frontier.png and sweep.html (styled like the web app's Lab view, offline:
    the figure is inline SVG)."""
    import html
    import io

    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    fig, plt = _plot(summary)
    fig.savefig(out / "frontier.png", dpi=90, bbox_inches="tight")
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": summary["sweep"]}):  # the same page every time
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    rows = summary["points"]
    rec = summary["recommendation"]
    axes = sorted({a for r in rows for a in r["point"]})
    body = _point_rows(summary, axes)
    flags = summary["monotonicity_flags"]
    flag_html = ("<ul>" + "".join(f"<li class='flag'>{html.escape(f['explanation'])}</li>"
                                  for f in flags) + "</ul>") if flags else \
        f"<p class='muted' id='no-flags'>{html.escape(monotonicity_note(summary))}</p>"
    rec_html = _recommendation(summary)
    checked = "not checked" if summary.get("monotonicity_comparisons") == 0 else len(flags)
    head = "".join(f"<th>{html.escape(a).replace('_', '_<wbr>')}</th>" for a in axes)
    flat = summary.get("constant_metrics", {})

    def th(metric: str, text: str) -> str:
        mark = "<div class='ci'>did not vary</div>" if metric in flat else ""
        return f"<th>{text}{mark}</th>"
    plotted = "".join(f"<p class='flat'>{html.escape(n)}</p>"
                      for n in constant_notes(summary, ("var95_usd", "capital_efficiency")))
    flat_html = "".join(f"<p class='flat'>{html.escape(n)}</p>" for n in constant_notes(summary))
    (out / "sweep.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(summary['sweep'])}: sweep</title><style>{CSS}</style></head>"
        f"<body><header><b>l2perp lab</b> &middot; sweep {html.escape(summary['sweep'])} on "
        f"{html.escape(scenarios_text(summary))}</header><main>"
        "<div class='card'><h3>Recommended parameter set</h3>"
        f"<p class='muted'>Objective: {html.escape(rec['objective'])}.</p>{rec_html}</div>"
        f"<div class='card'><h3>Frontier</h3>{plotted}{svg}<p class='muted'>Bars are 90% "
        "percentile-"
        f"bootstrap intervals ({summary['bootstrap_resamples']} resamples, seeded by the "
        "sweep's master seed). A point leaves the frontier only when another beats it beyond "
        "the intervals.</p></div>"
        f"<div class='card'><h3>Monotonicity flags ({checked})</h3>{flag_html}</div>"
        "<div class='card'><h3>Points</h3><div class='scroll'><table><tr><th>#</th>"
        f"{head}<th>runs</th>{th('var95_usd', 'VaR95 ($)')}{th('lar95_usd', 'LaR95 ($)')}"
        f"{th('depletion_probability', 'P(fund depleted)')}"
        f"{th('capital_efficiency', 'capital efficiency')}<th>liq. delay p99 (s, mean)</th>"
        f"<th>invariant violations</th></tr>{''.join(body)}</table></div>{flat_html}"
        f"<p class='muted'>Up to {summary['runs_per_point']} runs per point in batches of "
        f"{summary['batch']}, stopping once each p95's interval is at most "
        f"{summary['rel_tol']:g} x its estimate (or ${summary['abs_tol_usd']:,.0f}) wide; run r "
        "uses the same seed at every point. * marks the frontier.</p></div>"
        "</main></body></html>\n")
