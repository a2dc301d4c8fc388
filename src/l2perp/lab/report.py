"""Run reports: `report.json` (the figures), `events.jsonl` (the event log) and `report.html`, a
page people read: the scenario and the event it imitates, findings in sentences, the figures with
their definitions, and charts as inline SVG (offline: no scripts, no network, no fonts to fetch).
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .findings import DEFINITIONS, findings, gaps, usd  # noqa: E402
from .metrics import Series  # noqa: E402
from .scenario import Scenario  # noqa: E402

BLUE, ORANGE, RED, GREY, GREEN, PURPLE = ("#2f5fd0", "#ee7733", "#b3261e", "#14181f",
                                          "#1b7f3b", "#8e44ad")
plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False, "font.family": "sans-serif"})


def write_run(out: Path, report: dict, series: Series, events: list[dict],
              scenario: Scenario | None = None) -> None:
    """report.json, events.jsonl and report.html into `out` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    with open(out / "events.jsonl", "w") as f:
        for event in sorted(events, key=lambda e: e["t"]):
            f.write(json.dumps(event, sort_keys=True) + "\n")
    (out / "report.html").write_text(render_html(report, series, events, scenario))


# -- charts: each one a matplotlib figure without title or legend (the page draws those in HTML,
# where they cannot overlap the axes), saved as inline SVG with real text

class Chart:
    def __init__(self, key: str, title: str, legend: list[tuple[str, str, str]], svg: str,
                 note: str = "") -> None:
        self.key, self.title, self.legend, self.svg, self.note = key, title, legend, svg, note


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s(width|height)="[\d.]+pt"', "", text, count=2)  # scale with the page
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def _axes(ylabel: str, money: bool = False, height: float = 2.4):
    fig, ax = plt.subplots(figsize=(10, height))
    ax.set_xlabel("minutes from the start")
    ax.set_ylabel(ylabel)
    ax.grid(True, color="#e3e6ea", linewidth=0.6)
    if money:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: usd(v)))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.4g}"))
    return fig, ax


def _minutes(series: Series) -> list[float]:
    return [t / 60 for t in series.t_s]


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if not (isinstance(v, float) and math.isnan(v))]


def chart_price(series: Series, name: str) -> Chart:
    fig, ax = _axes("price (USD)", money=True)
    x = _minutes(series)
    lines = (("index", series.index[name], GREY, 1.4), ("oracle", series.oracle[name], BLUE, 1.0),
             ("mark", series.mark[name], ORANGE, 1.0), ("perp mid", series.mid[name], GREEN, 0.8))
    legend = []
    for label, values, color, width in lines:
        if _finite(values):
            ax.plot(x, values, color=color, linewidth=width)
            legend.append((label, color, "line"))
    return Chart(f"price-{name}", f"{name}: index, oracle, mark and perp mid", legend, _svg(fig),
                 "The index is the exogenous path; the oracle reports it every few seconds; the "
                 "mark is what margin uses; the mid is the perp book's.")


def chart_liquidations(series: Series) -> Chart | None:
    stages = (("book", series.liq_book_usd, BLUE), ("backstop", series.liq_backstop_usd, ORANGE),
              ("ADL", series.liq_adl_usd, RED))
    if not any(v > 0 for _, values, _ in stages for v in values):
        return None
    fig, ax = _axes("notional per minute (USD)", money=True)
    x = _minutes(series)
    bottom = [0.0] * len(x)
    legend = []
    for label, values, color in stages:
        if any(v > 0 for v in values):
            ax.bar(x, values, width=1.0, bottom=bottom, color=color)
            bottom = [b + v for b, v in zip(bottom, values)]
            legend.append((label, color, "bar"))
    return Chart("liquidations", "Liquidated notional per minute, by waterfall stage", legend,
                 _svg(fig), "Book: liquidation orders filled on the book. Backstop: positions "
                 "the insurance fund took over at the bankruptcy price. ADL: winners closed.")


def chart_fund(series: Series) -> Chart | None:
    values = series.fund_usd
    if not values or max(values) - min(values) < 1:
        return None
    fig, ax = _axes("equity (USD)", money=True)
    x = _minutes(series)
    ax.plot(x, values, color=BLUE, linewidth=1.2)
    ax.axhline(values[0], color=GREY, linewidth=0.8, linestyle="--")
    return Chart("fund", "Insurance fund equity", [("fund equity", BLUE, "line"),
                                                  ("at the start", GREY, "dash")], _svg(fig),
                 "Cash plus the positions the backstop holds, at the mark.")


def chart_open_interest(series: Series) -> Chart | None:
    if not any(v > 0 for v in series.oi_usd):
        return None
    fig, ax = _axes("open interest (USD)", money=True)
    ax.plot(_minutes(series), series.oi_usd, color=BLUE, linewidth=1.2)
    return Chart("open-interest", "Open interest, all markets", [("open interest", BLUE, "line")],
                 _svg(fig), "Longs' notional at the mark, summed over markets.")


def chart_leverage(series: Series) -> Chart | None:
    if not any(v > 0 for v in series.leverage):
        return None
    fig, ax = _axes("leverage (x)")
    ax.plot(_minutes(series), series.leverage, color=RED, linewidth=1.2)
    return Chart("leverage", "Leverage of the position takers", [("notional / equity", RED,
                                                                   "line")], _svg(fig))


def chart_basis(series: Series) -> Chart | None:
    x = _minutes(series)
    curves = {}
    for name in series.index:
        curves[name] = [(m - o) / o * 10_000 if o == o and o > 0 and m == m else float("nan")
                        for m, o in zip(series.mid[name], series.oracle[name])]
    if not any(_finite(c) for c in curves.values()):
        return None
    fig, ax = _axes("basis (bps)")
    colors = (BLUE, ORANGE, GREEN, PURPLE, RED)
    legend = []
    shaded = False
    for (name, curve), color in zip(curves.items(), colors):
        ax.plot(x, curve, color=color, linewidth=0.9)
        legend.append((name, color, "line"))
        for first, last in gaps(series.t_s, series.mid[name]):
            if last - first >= 2:
                ax.axvspan(first, last + 1, color=color, alpha=0.12, linewidth=0)
                shaded = True
    ax.axhline(0, color=GREY, linewidth=0.5)
    if shaded:
        legend.append(("no two-sided book (shaded)", "#c9ced6", "box"))
    return Chart("basis", "Basis: perp book mid minus oracle", legend, _svg(fig),
                 "Negative: the perp trades below the index. A gap means the book had no bid or "
                 "no ask, so there was no mid.")


def chart_backlog(series: Series) -> Chart | None:
    if not any(v > 0 for v in series.backlog):
        return None
    fig, ax = _axes("transactions waiting")
    ax.plot(_minutes(series), series.backlog, color=PURPLE, linewidth=1.2)
    ax.set_ylim(bottom=0)
    return Chart("backlog", "Sequencer backlog", [("mempool backlog", PURPLE, "line")],
                 _svg(fig), "Transactions waiting in the mempool at each minute.")


def chart_l1_fee(report: dict) -> Chart | None:
    """The published L1 data fee against raw pass-through, per minute (a run with the fee)."""
    fee = report.get("rollup", {}).get("l1_fee")
    if not fee:
        return None
    path = fee["path"]
    x = [t / 60 for t in path["t_s"]]
    fig, ax = _axes("L1 data fee (bp of notional)")
    ax.plot(x, path["raw_bp"], color=ORANGE, linewidth=1.0)
    ax.step(x, path["published_bp"], color=BLUE, linewidth=1.6, where="post")
    ax.set_ylim(bottom=0)
    return Chart("l1fee", "L1 data fee: published hourly rate against raw pass-through",
                 [("published rate (set hourly, bounded)", BLUE, "line"),
                  ("raw pass-through at each minute's base fee", ORANGE, "line")], _svg(fig),
                 "The part of the taker fee that pays for posting batches to L1. The published "
                 "rate changes once an hour, within its bound; raw pass-through follows the L1 "
                 "base fee minute by minute.")


def charts(series: Series) -> list[Chart]:
    """The charts with something to show."""
    out = [chart_price(series, name) for name in series.index]
    out += [c for c in (chart_liquidations(series), chart_fund(series),
                        chart_open_interest(series), chart_leverage(series),
                        chart_basis(series), chart_backlog(series)) if c is not None]
    return out


# -- the page

STYLE = """
:root { --up: #1b7f3b; --down: #b3261e; --line: #e3e6ea; --muted: #5b6470; --accent: #2f5fd0;
        --bg: #f6f7f9; --card: #fff; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #14181f; background: var(--bg); }
header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #1d2633;
         color: #fff; }
header .muted { color: #c7d0dc; margin-left: auto; }
main { padding: .8em 1em 2em; max-width: 1100px; margin: auto; }
h1 { font-size: 1.35em; margin: .3em 0 .5em; }
h2 { font-size: 1.05em; margin: .1em 0 .5em; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: .7em .9em; margin-bottom: .9em; }
.muted { color: var(--muted); font-size: .92em; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;
        table-layout: fixed; }
col.label { width: 24%; } col.value { width: 16%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: .88em; }
tbody th { color: inherit; font-size: inherit; }
td.value { text-align: right; font-weight: 600; padding-right: 1.5em; }
td.meaning { color: var(--muted); font-size: .9em; }
.mono { font-family: ui-monospace, monospace; font-size: .85em; overflow-wrap: anywhere; }
#findings li { margin: .25em 0; }
.chart h3 { font-size: 1em; margin: 0 0 .3em; }
.chart svg { display: block; width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; list-style: none; padding: 0;
          margin: .2em 0 .3em; font-size: .88em; }
.legend i { display: inline-block; width: 18px; height: 3px; margin-right: .4em;
            vertical-align: middle; }
.legend i.bar, .legend i.box { height: 10px; }
.legend i.dash { background: none !important; border-top: 2px dashed; height: 0; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 9px; font-size: .8em;
         font-weight: 600; background: #e9ecf1; color: #37404c; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def scenario_card(report: dict, scenario: Scenario | None) -> str:
    name = report.get("scenario", "")
    run = (f"seed {report.get('seed')}, {report.get('duration_s', 0) / 60:,.0f} simulated "
           "minutes")
    if scenario is None:
        return (f"<section class='card' id='scenario'><h2>Scenario</h2>"
                f"<p id='description'>The scenario {_e(name)} ({_e(run)}).</p></section>")
    event = scenario.event
    paragraph = event.summary if event else scenario.description
    parts = [f"<section class='card' id='scenario'><h2>Scenario</h2>",
             f"<p id='description'>{_e(paragraph)}</p>",
             f"<p class='muted'>This run: {_e(scenario.description)} ({_e(run)}).</p>"]
    if event:
        items = "".join(
            f"<li>{_e(f.label)}: {_e(f.text)} (<a href='{_e(f.url)}'>{_e(f.source)}</a>)</li>"
            for f in event.figures)
        parts.append(f"<div id='citation'><p><strong>Imitates:</strong> {_e(event.name)}, "
                     f"{_e(event.date)}.</p><ul>{items}</ul></div>")
    else:
        parts.append(f"<p id='citation'><strong>Imitates:</strong> {_e(scenario.cites)}</p>")
    return "".join(parts) + "</section>"


def figures_table(report: dict) -> str:
    rows = []
    for d in DEFINITIONS:
        if d.key not in report:
            continue
        value = d.fmt(report[d.key])
        cls = "value mono" if d.key == "final_state_root" else "value"
        rows.append(f"<tr id='fig-{_e(d.key)}'><th>{_e(d.label)}</th>"
                    f"<td class='{cls}'>{_e(value)}</td><td class='meaning'>{_e(d.meaning)}</td>"
                    "</tr>")
    return ("<section class='card' id='figures'><h2>Figures and what they measure</h2><table>"
            "<colgroup><col class='label'><col class='value'><col></colgroup>"
            "<thead><tr><th>figure</th><th>value</th><th>definition</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def chart_html(chart: Chart) -> str:
    legend = "".join(f"<li><i class='{kind}' style='background:{color};color:{color}'></i>"
                     f"{_e(label)}</li>" for label, color, kind in chart.legend)
    note = f"<p class='muted'>{_e(chart.note)}</p>" if chart.note else ""
    return (f"<figure class='card chart' id='chart-{_e(chart.key)}'>"
            f"<h3 class='chart-title'>{_e(chart.title)}</h3>"
            f"<ul class='legend'>{legend}</ul>{chart.svg}{note}</figure>")


def oracle_fault_minutes(scenario: Scenario | None) -> list[tuple[int, int]]:
    if scenario is None:
        return []
    return [(f.at_s // 60, (f.at_s + f.duration_s) // 60) for f in scenario.faults
            if f.kind.startswith("oracle")]


def render_html(report: dict, series: Series, events: list[dict] | None = None,
                scenario: Scenario | None = None) -> str:
    events = events or []
    name = report.get("scenario", "run")
    event = scenario.event if scenario is not None else None
    title = f"{name}: {event.name} ({event.date})" if event else name
    said = findings(report, series, events, oracle_fault_minutes(scenario))
    items = "".join(f"<li>{_e(s)}</li>" for s in said)
    ok = report.get("invariant_violations", 0) == 0
    badge = ("<span class='badge'>invariants held</span>" if ok else
             "<span class='badge' style='background:#fbe6e4'>invariants violated</span>")
    body = [f"<header><strong>l2perp lab</strong><span>run report</span>"
            f"<span class='muted'>{_e(name)}, seed {_e(report.get('seed'))}</span></header>",
            f"<main><h1>{_e(title)} {badge}</h1>",
            scenario_card(report, scenario),
            f"<section class='card'><h2>Findings</h2><ol id='findings'>{items}</ol></section>",
            figures_table(report),
            "".join(chart_html(c) for c in charts(series)
                    + [c for c in (chart_l1_fee(report),) if c is not None]),
            "</main>"]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>")
