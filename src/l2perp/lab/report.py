"""Run reports: `report.json` (the figures), `events.jsonl` (the event log) and `report.html`
with the plots embedded as PNG (readable offline, no scripts, no network).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .metrics import Series  # noqa: E402


def write_run(out: Path, report: dict, series: Series, events: list[dict]) -> None:
    """report.json, events.jsonl and report.html into `out` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    with open(out / "events.jsonl", "w") as f:
        for event in sorted(events, key=lambda e: e["t"]):
            f.write(json.dumps(event, sort_keys=True) + "\n")
    (out / "report.html").write_text(render_html(report, series, report["scenario"]))


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _minutes(series: Series) -> list[float]:
    return [t / 60 for t in series.t_s]


def plot_prices(series: Series) -> str:
    names = list(series.index)
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 2.6 * len(names)), squeeze=False)
    x = _minutes(series)
    for ax, name in zip(axes[:, 0], names):
        ax.plot(x, series.index[name], label="index", color="black", linewidth=1.2)
        ax.plot(x, series.oracle[name], label="oracle", linewidth=0.9)
        ax.plot(x, series.mark[name], label="mark", linewidth=0.9)
        ax.plot(x, series.mid[name], label="perp mid", linewidth=0.8, alpha=0.8)
        ax.set_title(name)
        ax.set_ylabel("USD")
        ax.legend(loc="best", fontsize=8)
    axes[-1, 0].set_xlabel("minutes")
    return _png(fig)


def plot_liquidations(series: Series) -> str:
    fig, ax = plt.subplots(figsize=(10, 3))
    x = _minutes(series)
    book, backstop, adl = series.liq_book_usd, series.liq_backstop_usd, series.liq_adl_usd
    ax.bar(x, book, width=1.0, label="book", color="#4477aa")
    ax.bar(x, backstop, width=1.0, bottom=book, label="backstop", color="#ee7733")
    ax.bar(x, adl, width=1.0, bottom=[a + b for a, b in zip(book, backstop)], label="ADL",
           color="#cc3311")
    ax.set_title("liquidated notional per minute, by waterfall stage")
    ax.set_ylabel("USD")
    ax.set_xlabel("minutes")
    ax.legend(fontsize=8)
    return _png(fig)


def plot_line(series: Series, values: list, title: str, ylabel: str) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.6))
    ax.plot(_minutes(series), values, linewidth=1.0)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("minutes")
    return _png(fig)


def plot_oi(series: Series) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.6))
    x = _minutes(series)
    ax.plot(x, series.oi_usd, label="open interest", color="#4477aa")
    ax.set_ylabel("USD")
    other = ax.twinx()
    other.plot(x, series.leverage, label="leverage of position takers", color="#cc3311")
    other.set_ylabel("x")
    ax.set_title("open interest and leverage")
    ax.set_xlabel("minutes")
    return _png(fig)


def plot_basis(series: Series) -> str:
    fig, ax = plt.subplots(figsize=(10, 2.6))
    x = _minutes(series)
    for name in series.index:
        basis = [(m - i) / i * 10_000 if i > 0 and not math.isnan(m) else float("nan")
                 for m, i in zip(series.mid[name], series.oracle[name])]
        ax.plot(x, basis, label=name, linewidth=0.9)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_title("basis: perp mid - oracle")
    ax.set_ylabel("bps")
    ax.set_xlabel("minutes")
    ax.legend(fontsize=8)
    return _png(fig)


KEY_FIGURES = ("bad_debt_usd", "insurance_fund_start_usd", "insurance_fund_min_usd",
               "insurance_fund_end_usd", "liquidations_count", "liquidated_notional_usd",
               "backstop_notional_usd", "adl_count", "adl_notional_usd", "adl_excess_usd",
               "liq_delay_p50_s", "liq_delay_p99_s", "max_basis_bps", "mean_leverage",
               "capital_efficiency", "invariant_violations", "transactions_count",
               "fills_count", "active_agents", "final_state_root", "seed")


def render_html(report: dict, series: Series, title: str) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(report.get(k)))}</td>"
                   "</tr>" for k in KEY_FIGURES)
    plots = [("Index, oracle, mark and perp price", plot_prices(series)),
             ("Liquidations", plot_liquidations(series)),
             ("Insurance fund", plot_line(series, series.fund_usd, "insurance fund equity",
                                          "USD")),
             ("Open interest and leverage", plot_oi(series)),
             ("Basis", plot_basis(series)),
             ("Sequencer backlog", plot_line(series, series.backlog,
                                             "mempool backlog at each minute", "transactions"))]
    figures = "".join(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' "
                      f"src='data:image/png;base64,{png}'>" for name, png in plots)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            "</title><style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
            "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 8px;"
            "text-align:left}img{max-width:100%}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><table>{rows}</table>{figures}</body></html>")
