"""`l2perp lab ...`: run a scenario, a drill or a sweep in simulated time and write reports."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(add_completion=False, help="the risk lab: scenarios, drills, sweeps")
console = Console()


def _progress():
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,.0f}/{task.total:,.0f} simulated s"),
                    TimeRemainingColumn(), console=console, transient=True)


@app.command("list")
def list_() -> None:
    """The shipped scenarios, drills and sweeps."""
    from ..lab.scenario import load_scenario, shipped_names

    from ..lab.drill import SHIPPED as DRILLS, load_drill
    from ..lab.sweep import SHIPPED as SWEEPS

    table = Table("scenario", "duration", "imitates", title="shipped scenarios")
    for name in shipped_names():
        s = load_scenario(name)
        imitates = f"{s.event.name}, {s.event.date}" if s.event else s.cites[:90]
        table.add_row(name, f"{s.duration_s / 3600:g} h", imitates)
    console.print(table)
    drills = Table("drill", "scenario", "what it rehearses", title="shipped drills "
                   "(l2perp lab drill NAME)")
    for path in sorted(DRILLS.glob("*.toml")):
        drill = load_drill(path)
        drills.add_row(path.stem, drill.scenario, _first_sentence(drill.description))
    console.print(drills)
    sweeps = Table("sweep", "what it asks", title="shipped sweeps (l2perp lab sweep NAME)")
    for path in sorted(SWEEPS.glob("*.toml")):
        sweeps.add_row(path.stem, _first_sentence(_leading_comment(path)))
    console.print(sweeps)


def _leading_comment(path: Path) -> str:
    """A TOML file's opening comment lines, joined (its description)."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def _first_sentence(text: str) -> str:
    """Up to the first sentence's end (a full stop or colon before a capital letter, or the
    end), at most 100 characters."""
    for i, char in enumerate(text[:-2]):
        if char in ".:" and text[i + 1] == " " and text[i + 2].isupper():
            text = text[:i]
            break
    return text if len(text) <= 100 else text[:99] + "…"


@app.command()
def run(scenario: str = typer.Argument(..., help="a shipped name or a TOML file"),
        out: Path = typer.Option(..., "--out", help="directory for report.json/html, events"),
        seed: int = typer.Option(1, "--seed"),
        duration: int = typer.Option(0, "--duration", help="cut the run to this many s"),
        ci: bool = typer.Option(False, "--ci", help="the scenario's short CI version"),
        settlement: str = typer.Option(
            "", "--settlement", help="optimistic, validity or both: a MODEL of how batches "
            "become final on L1 (no proof is made; bridge users' withdrawals measure it); both "
            "runs the seed under each and writes comparison.html (default: the scenario's own)"),
        fault_table: str = typer.Option(
            "ci", "--fault-table", help="with --settlement both: run sequencer_outage_78m, "
            "l1_gas_spike and fraudulent_batch under both models, their ci or full versions, "
            "or none")) -> None:
    """Run a scenario and write report.json, report.html and events.jsonl."""
    from ..lab.findings import DEFINITIONS
    from ..lab.report import write_run
    from ..lab.runner import Sim
    from ..lab.scenario import ScenarioError, load_scenario, with_settlement

    if settlement not in ("", "optimistic", "validity", "both"):
        console.print("[red]--settlement is optimistic, validity or both[/red]")
        raise typer.Exit(2)
    if fault_table not in ("ci", "full", "none"):
        console.print("[red]--fault-table is ci, full or none[/red]")
        raise typer.Exit(2)
    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    spec = spec.for_ci() if ci else spec
    if duration:
        spec = spec.shortened(duration)
    if settlement == "both":
        _run_both(spec, seed, out, fault_table)
        return
    if settlement:
        spec = with_settlement(spec, settlement)
    sim = Sim(spec, seed)
    start = sim.kernel.start_ms
    with _progress() as progress:
        task = progress.add_task(spec.name, total=spec.duration_s)
        report = sim.run(lambda t: progress.update(task, completed=(t - start) // 1_000))
    write_run(out, report, sim.metrics.series, sim.metrics.events, spec)
    table = Table("figure", "value", title=f"{spec.name}, seed {seed}")
    shown = ("bad_debt_usd", "insurance_fund_min_usd", "liquidations_count",
             "liquidated_notional_usd", "backstop_notional_usd", "adl_count", "liq_delay_p99_s",
             "alert_lead_p50_s", "max_basis_bps", "invariant_violations", "transactions_count",
             "settlement_model", "withdrawal_finality_p50_s", "withdrawal_finality_p99_s",
             "final_state_root")
    for d in (d for d in DEFINITIONS if d.key in shown and d.key in report):
        table.add_row(d.label, d.fmt(report[d.key]))
    console.print(table)
    console.print(f"wrote {out}/report.json, report.html, events.jsonl")


def _run_both(spec, seed: int, out: Path, fault_table: str) -> None:
    """`--settlement both`: the scenario under each settlement model, and the fault table."""
    from ..lab.compare import FAULT_SCENARIOS, FIGURES, comparison, fault_table as table_of, \
        run_both, write_comparison
    from ..lab.findings import duration as fmt_duration
    from ..lab.scenario import load_scenario

    with _progress() as progress:
        task = progress.add_task(spec.name, total=2 * spec.duration_s)
        done = {"optimistic": 0, "validity": spec.duration_s}
        results = run_both(spec, seed, lambda model, s: progress.update(
            task, completed=done[model] + s, description=f"{spec.name} ({model})"))
        rows = []
        if fault_table != "none":
            specs = [load_scenario(name) for name in FAULT_SCENARIOS]
            total = sum(2 * (s.for_ci() if fault_table == "ci" else s).duration_s for s in specs)
            fault = progress.add_task("fault table", total=total)
            seen: dict[str, int] = {}

            def step(label: str, simulated_s: int) -> None:
                seen[label] = simulated_s
                progress.update(fault, completed=sum(seen.values()), description=label)
            rows = table_of(seed, fault_table == "ci", progress=step)
    data = comparison(spec, seed, results, rows)
    write_comparison(out, data, results, spec)
    models = data["models"]
    table = Table("figure", *(f"{m} model" for m in models),
                  title=f"{spec.name}, seed {seed}: settlement models (no proofs are made)")
    for key, label, fmt, _ in FIGURES:
        table.add_row(label, *(fmt(models[m][key]) for m in models))
    table.add_row("Exit mode", *("no" if not s["exit_mode"] else
                                 f"at {fmt_duration(s['exit_mode']['at_s'])}"
                                 for s in models.values()))
    console.print(table)
    roots = data["engine_state_roots"]
    same = "identical" if data["roots_identical"] else "DIFFERENT"
    console.print(f"engine state roots {same}: " + ", ".join(f"{m} {r}" for m, r in roots.items()))
    if rows:
        faults = Table("scenario", "model", "finality p50", "finality p99", "reverted", "exit",
                       title=f"fault scenarios ({'CI' if fault_table == 'ci' else 'full'} "
                             f"versions), seed {seed}")
        for row in rows:
            faults.add_row(row["scenario"], row["model"], fmt_duration(row["finality_p50_s"]),
                           fmt_duration(row["finality_p99_s"]), str(row["batches_reverted"]),
                           "no" if row["exit_mode_at_s"] is None
                           else fmt_duration(row["exit_mode_at_s"]))
        console.print(faults)
    console.print(f"wrote {out}/comparison.json, comparison.html, "
                  f"{out}/optimistic/ and {out}/validity/ (each a run report)")


@app.command()
def sweep(sweep_file: str = typer.Argument(..., help="a shipped sweep name or a TOML file"),
          out: Path = typer.Option(..., "--out"),
          backend: str = typer.Option("local", "--backend", help="local or ray"),
          workers: int = typer.Option(1, "--workers"),
          runs: int = typer.Option(0, "--runs", help="at most this many runs per point "
                                   "(default: the sweep file's, 120 unless it says)")) -> None:
    """Run a parameter sweep; write sweep.json, sweep.html and frontier.png."""
    from ..lab.scenario import ScenarioError
    from ..lab.sweep import load_sweep, run_sweep
    from ..lab.sweep_page import constant_notes, monotonicity_note, stress_note, write_sweep

    if backend not in ("local", "ray"):
        console.print("[red]--backend is local or ray[/red]")
        raise typer.Exit(2)
    if runs < 0:
        console.print("[red]--runs is a positive number of runs per point[/red]")
        raise typer.Exit(2)
    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    started = time.monotonic()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs planned"),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(spec.name, total=None)
        summary = run_sweep(spec, backend, workers,
                            lambda done, total: progress.update(task, completed=done,
                                                                total=total), runs or None)
    wall_s = time.monotonic() - started
    write_sweep(out, summary)

    def ci(m: dict, fmt: str) -> str:
        return f"{m['value']:{fmt}} [{m['low']:{fmt}}, {m['high']:{fmt}}]"
    table = Table("#", "point", "runs", "VaR95 $ [90%]", "LaR95 $ [90%]", "P(depleted)",
                  "cap. eff. [90%]",
                  title=f"{spec.name} ({len(summary['points'])} points, up to "
                        f"{summary['runs_per_point']} runs each)")
    for i, row in enumerate(summary["points"]):
        st = row["stats"]
        mark = "*" if i in summary["frontier"] else ""
        table.add_row(f"{i}{mark}", str(row["point"]), str(row["runs_used"]),
                      ci(st["var95_usd"], ",.0f"), ci(st["lar95_usd"], ",.0f"),
                      ci(st["depletion_probability"], ".2f"),
                      ci(st["capital_efficiency"], ".3f"))
    console.print(table)
    for note in constant_notes(summary):
        console.print(f"[yellow]note:[/yellow] {note}")
    for flag in summary["monotonicity_flags"]:
        console.print(f"[yellow]flag:[/yellow] {flag['explanation']}")
    if not summary["monotonicity_flags"]:
        console.print(f"flags: {monotonicity_note(summary)}")
    rec = summary["recommendation"]
    if rec["point"] is not None:
        console.print(f"recommended: point {rec['point']} "
                      f"{summary['points'][rec['point']]['point']} ({rec['objective']}; "
                      f"{rec['why']})")
    total = sum(p["runs_used"] for p in summary["points"])
    # wall-clock time stays out of sweep.json, which is the same on every backend
    console.print(f"{total:,} runs in {wall_s:,.0f} s on {workers} {backend} worker(s): "
                  f"{total / wall_s * 60:,.1f} runs per minute")
    stress = stress_note(summary)
    if stress:
        console.print(f"[yellow]note:[/yellow] {stress}")
    console.print(f"wrote {out}/sweep.json, sweep.html, frontier.png (* on the frontier)")


@app.command()
def drill(name: str = typer.Argument(..., help="a shipped drill or a TOML file"),
          out: Path = typer.Option(..., "--out"), seed: int = typer.Option(1, "--seed")) -> None:
    """Run an incident drill; write after_action.md/json, the run's report and event log."""
    from ..lab.drill import load_drill, run_drill, write_drill
    from ..lab.runner import T0
    from ..lab.scenario import ScenarioError

    try:
        spec = load_drill(name)
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    with _progress() as progress:
        task = progress.add_task(spec.name, total=spec.duration_s)
        after, md, sim = run_drill(
            spec, seed, lambda t: progress.update(task, completed=(t - T0) // 1_000))
    write_drill(out, after, md, sim)
    console.print(md)
    console.print(f"wrote {out}/after_action.md, after_action.json, report.json, report.html")


@app.command()
def calibrate(runs: int = typer.Option(8, "--runs", help="seeds per scenario (1..N)"),
              ci: bool = typer.Option(False, "--ci", help="the short CI versions"),
              scenario: list[str] = typer.Option([], "--scenario",
                                                 help="only these (default: every scenario "
                                                      "that imitates an event)")) -> None:
    """Run each event scenario over seeds; set the simulated shape beside the event's public
    figures and judge it against their tolerance bands (exit 1 when a band is missed)."""
    from ..lab.calibrate import METRICS, calibrate as run_calibration, event_scenarios, \
        format_value, time_scale
    from ..lab.scenario import ScenarioError, load_scenario

    names = scenario or event_scenarios()
    try:
        specs = [load_scenario(name) for name in names]
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    missing = [s.name for s in specs if s.event is None]
    if missing:
        console.print(f"[red]no [event] in {', '.join(missing)}[/red]")
        raise typer.Exit(2)
    seeds = list(range(1, max(1, runs) + 1))
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs"), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("calibrate", total=len(names) * len(seeds))
        rows = run_calibration(names, seeds, ci, lambda name, seed: progress.update(
            task, advance=1, description=f"{name} seed {seed}"))
    failed = 0
    for spec in specs:
        event = spec.event
        k = time_scale(spec, ci)
        version = f"CI version, clock x{1 / k:g}" if k != 1 else "full version"
        table = Table("figure", "event", "simulated median (min .. max)", "band", "",
                      "source", title=f"{spec.name} vs {event.name} ({event.date}), "
                      f"{len(seeds)} seeds, {version}", title_justify="left",
                      show_lines=True)
        for row in (r for r in rows if r.scenario == spec.name):
            figure = row.figure
            metric = figure.metric
            what = METRICS.get(metric, (metric, ""))[0]
            where = f" on {figure.market}" if figure.market else ""
            label = f"{figure.label}\n[dim]{what}{where}[/dim]"
            band = (f"{format_value(metric, figure.band[0])} .. "
                    f"{format_value(metric, figure.band[1])}" if row.judged else "shown only")
            verdict = ("[green]pass[/green]" if row.passed else "[red]FAIL[/red]") \
                if row.judged else "[dim]-[/dim]"
            failed += not row.passed
            table.add_row(label, f"{format_value(metric, figure.value)}\n[dim]{figure.text}[/dim]",
                          f"{format_value(metric, row.median)} "
                          f"({format_value(metric, row.low)} .. {format_value(metric, row.high)})",
                          band, verdict, f"{figure.source}\n[dim]{figure.url}[/dim]")
        console.print(table)
    console.print("Shape, not size: ratios and times at our scale. The median over seeds must lie "
                  "in each band; CI times are divided by the CI clock factor.")
    if failed:
        console.print(f"[red]{failed} figure(s) outside their band[/red]")
        raise typer.Exit(1)
