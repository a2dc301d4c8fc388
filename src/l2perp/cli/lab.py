"""`l2perp lab ...`: run a scenario, a drill or a sweep in simulated time and write reports."""

from __future__ import annotations

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

    table = Table("scenario", "duration", "imitates", title="shipped scenarios")
    for name in shipped_names():
        s = load_scenario(name)
        table.add_row(name, f"{s.duration_s / 3600:g} h", s.cites[:90])
    console.print(table)


@app.command()
def run(scenario: str = typer.Argument(..., help="a shipped name or a TOML file"),
        out: Path = typer.Option(..., "--out", help="directory for report.json/html, events"),
        seed: int = typer.Option(1, "--seed"),
        duration: int = typer.Option(0, "--duration", help="cut the run to this many s")) -> None:
    """Run a scenario and write report.json, report.html and events.jsonl."""
    from ..lab.report import write_run
    from ..lab.runner import Sim
    from ..lab.scenario import ScenarioError, load_scenario

    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if duration:
        spec = spec.shortened(duration)
    sim = Sim(spec, seed)
    start = sim.kernel.start_ms
    with _progress() as progress:
        task = progress.add_task(spec.name, total=spec.duration_s)
        report = sim.run(lambda t: progress.update(task, completed=(t - start) // 1_000))
    write_run(out, report, sim.metrics.series, sim.metrics.events)
    table = Table("figure", "value", title=f"{spec.name}, seed {seed}")
    for key in ("bad_debt_usd", "insurance_fund_min_usd", "liquidations_count",
                "liquidated_notional_usd", "backstop_notional_usd", "adl_count",
                "liq_delay_p99_s", "max_basis_bps", "invariant_violations",
                "transactions_count", "final_state_root"):
        table.add_row(key, str(report[key]))
    console.print(table)
    console.print(f"wrote {out}/report.json, report.html, events.jsonl")


@app.command()
def sweep(sweep_file: str = typer.Argument(..., help="a shipped sweep name or a TOML file"),
          out: Path = typer.Option(..., "--out"),
          backend: str = typer.Option("local", "--backend", help="local or ray"),
          workers: int = typer.Option(1, "--workers"),
          runs: int = typer.Option(0, "--runs", help="at most this many runs per point "
                                   "(default: the sweep file's, 120 unless it says)")) -> None:
    """Run a parameter sweep; write sweep.json, sweep.html and frontier.png."""
    from ..lab.scenario import ScenarioError
    from ..lab.sweep import load_sweep, run_sweep, write_sweep

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
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} runs planned"),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(spec.name, total=None)
        summary = run_sweep(spec, backend, workers,
                            lambda done, total: progress.update(task, completed=done,
                                                                total=total), runs or None)
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
    for flag in summary["monotonicity_flags"]:
        console.print(f"[yellow]flag:[/yellow] {flag['explanation']}")
    rec = summary["recommendation"]
    if rec["point"] is not None:
        console.print(f"recommended: point {rec['point']} "
                      f"{summary['points'][rec['point']]['point']} ({rec['objective']}; "
                      f"{rec['why']})")
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
