"""A sweep's page: `sweep.json`, `frontier.png` and `sweep.html` from the summary that
`sweep.run_sweep` returns (this module reads nothing else): the recommendation, the frontier plot
with interval bars, the monotonicity flags, the table of points, and a note wherever a figure
could mislead (a metric that did not vary, a design whose points met different stresses, a
design no monotonicity check applies to).
"""

from __future__ import annotations

import json
from pathlib import Path


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
    for (x, y), ids in at.items():
        ax.annotate(",".join(map(str, ids)), (x, y), textcoords="offset points",
                    xytext=(5, 5), fontsize=8, color="#14181f")
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
    ax.set_title(f"{summary['sweep']} on {summary['scenario']}")
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
    front = set(summary["frontier"])
    rec = summary["recommendation"]
    axes = sorted({a for r in rows for a in r["point"]})
    body = []
    for i, r in enumerate(rows):
        st = r["stats"]
        cls = " ".join(c for c, on in (("front", i in front), ("pick", i == rec["point"])) if on)
        cells = "".join(f"<td class='point'>{html.escape(str(r['point'].get(a, '')))}</td>"
                        for a in axes)
        body.append(
            f"<tr class='{cls}'><td>{i}{' *' if i in front else ''}</td>{cells}"
            f"<td>{r['runs_used']}</td><td>{_cell(st['var95_usd'], True)}</td>"
            f"<td>{_cell(st['lar95_usd'], True)}</td>"
            f"<td>{_cell(st['depletion_probability'], False)}</td>"
            f"<td>{_cell(st['capital_efficiency'], False)}</td>"
            f"<td>{st['mean_liq_delay_p99_s']:,.0f}</td>"
            f"<td>{r['invariant_violations']}</td></tr>")
    flags = summary["monotonicity_flags"]
    flag_html = ("<ul>" + "".join(f"<li class='flag'>{html.escape(f['explanation'])}</li>"
                                  for f in flags) + "</ul>") if flags else \
        "<p class='muted'>No metric moves against its parameter beyond the intervals.</p>"
    pick = rec["point"]
    rec_html = (f"<p><b>Point {pick}</b> {html.escape(json.dumps(rows[pick]['point']))}: "
                f"{html.escape(rec['why'])}.</p>" if pick is not None else "<p>none</p>")
    head = "".join(f"<th>{html.escape(a)}</th>" for a in axes)
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
        f"{html.escape(summary['scenario'])}</header><main>"
        "<div class='card'><h3>Recommended parameter set</h3>"
        f"<p class='muted'>Objective: {html.escape(rec['objective'])}.</p>{rec_html}</div>"
        f"<div class='card'><h3>Frontier</h3>{plotted}{svg}<p class='muted'>Bars are 90% "
        "percentile-"
        f"bootstrap intervals ({summary['bootstrap_resamples']} resamples, seeded by the "
        "sweep's master seed). A point leaves the frontier only when another beats it beyond "
        "the intervals.</p></div>"
        f"<div class='card'><h3>Monotonicity flags ({len(flags)})</h3>{flag_html}</div>"
        "<div class='card'><h3>Points</h3><table><tr><th>#</th>"
        f"{head}<th>runs</th>{th('var95_usd', 'VaR95 ($)')}{th('lar95_usd', 'LaR95 ($)')}"
        f"{th('depletion_probability', 'P(fund depleted)')}"
        f"{th('capital_efficiency', 'capital efficiency')}<th>liq. delay p99 (s, mean)</th>"
        f"<th>invariant violations</th></tr>{''.join(body)}</table>{flat_html}"
        f"<p class='muted'>Up to {summary['runs_per_point']} runs per point in batches of "
        f"{summary['batch']}, stopping once each p95's interval is at most "
        f"{summary['rel_tol']:g} x its estimate (or ${summary['abs_tol_usd']:,.0f}) wide; run r "
        "uses the same seed at every point. * marks the frontier.</p></div>"
        "</main></body></html>\n")
