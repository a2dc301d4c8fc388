"""Drills: an incident run end to end on the lab venue with its people: a monitor that detects
it from public state, guardians who answer after their response times (slower at night), the
incident report, governance that ratifies the emergency action, and the recovery. The result is
an after-action report (Markdown and JSON) whose timeline is the drill's part of the event log.

A drill file is TOML: name, scenario (shipped name), market, detection ("stale"), action
("pauseMarket"), night (bool: 3 a.m., response times x3), response_s = [low, high] per guardian,
report_s (after the action), voters (holders who vote), duration_s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..engine.state import MARKET_ACTIVE, MARKET_PAUSED
from ..engine.governance.transactions import gov_tx
from ..engine.tx import Tx
from .draws import Draws
from .governance import GUARDIANS, HOLDERS, STEWARD
from .runner import Sim
from .scenario import build, load_scenario, read_toml

SHIPPED = Path(__file__).parent / "drills"


@dataclass(frozen=True)
class Drill:
    name: str
    scenario: str
    market: str
    description: str = ""
    action: str = "pauseMarket"
    night: bool = True
    response_s: tuple[int, int] = (120, 900)
    report_s: int = 1_200
    duration_s: int = 10_800
    stall_s: int = 3_600  # how long the feed stays down in this drill


def load_drill(ref: str | Path) -> Drill:
    data, path = read_toml(ref, SHIPPED, "drill")
    return build(Drill, {"name": path.stem, **data}, str(path))


class Responders:
    """The monitor, the guardians and the DAO of one drill, acting through transactions."""

    def __init__(self, sim: Sim, drill: Drill, rng: Draws) -> None:
        self.sim, self.drill, self.rng = sim, drill, rng
        self.asset = next(m.asset for m in sim.markets if m.name == drill.market)
        self.phase = "watching"
        self.nonce = sim.kernel.start_ms
        self.guardian_nonce = 1
        self.proposals: dict[str, int] = {}
        self.done: dict[int, set[str]] = {}  # per proposal: the steps already taken
        self.feed_back = False
        sim.kernel.on_block.append(self.on_block)

    # ----- the log the after-action report is built from -------------------------------------
    def note(self, kind: str, text: str, t_ms: int | None = None) -> None:
        t = self.sim.kernel.now_ms if t_ms is None else t_ms
        self.sim.metrics.events.append({"t": t, "kind": f"drill:{kind}", "text": text})

    def send(self, signer: str, kind: str, *args) -> None:
        self.nonce = max(self.nonce + 1, self.sim.kernel.now_ms)
        self.sim.kernel.send(Tx(signer, self.nonce, gov_tx(kind, *args)), 100, self)

    def on_receipt(self, tx, receipt) -> None:
        if not receipt.ok:
            self.note("refused", f"{tx.action.KIND} by {tx.signer}: {receipt.error}")

    def response_ms(self) -> int:
        low, high = self.drill.response_s
        factor = 3 if self.drill.night else 1
        return self.rng.integers(low * 1_000, high * 1_000 + 1) * factor

    # ----- the incident's course ---------------------------------------------------------------
    def on_block(self, receipts, block) -> None:
        state = self.sim.kernel.state
        market = state.markets[self.asset]
        now = block.time_ms
        gov = state.gov
        if self.phase != "watching" and not self.feed_back and not market.stale \
                and market.oracle_time_ms >= now - 5_000:
            self.feed_back = True
            self.note("feedRestored", f"{market.name} oracle fresh again")
        if self.phase == "watching" and market.stale and market.oracle_pips:
            self.phase = "detected"
            self.note("detected", f"{market.name} oracle stale since "
                      f"{(now - market.oracle_time_ms) // 1_000} s: monitor pages the guardians")
            for i, guardian in enumerate(GUARDIANS[:2]):
                self.sim.kernel.at(now + self.response_ms(), self.sign, guardian, i)
            if self.asset == 0:  # the risk steward: one bounded step up in margin
                self.sim.kernel.at(now + self.response_ms(), self.steward_step)
        elif self.phase == "acting" and market.status == MARKET_PAUSED:
            self.phase = "paused"
            action = gov.guardians.actions[self.guardian_nonce]
            self.note("guardianAction", f"{market.name} paused by guardian action "
                      f"{action.nonce} with {len(action.signers)} of "
                      f"{len(gov.guardians.members)} signatures")
            self.sim.kernel.at(now + self.drill.report_s * 1_000, self.report)
            self.sim.kernel.at(now + 1_000, self.propose, "ratify",
                               (("ratifyGuardianAction", action.nonce),))
        elif self.phase == "paused" and self.feed_back and self._executed("ratify"):
            self.phase = "restoring"
            self.sim.kernel.at(now + 1_000, self.propose, "unpause",
                               (("setMarketStatus", self.asset, MARKET_ACTIVE),))
        elif self.phase == "restoring" and market.status == MARKET_ACTIVE:
            self.phase = "recovered"
            self.note("recovered", f"{market.name} trading again by proposal "
                      f"{self.proposals['unpause']}")
        self._advance_proposals(now)

    def sign(self, guardian: str, index: int) -> None:
        if self.phase not in ("detected", "acting"):
            return
        self.phase = "acting"
        self.note("guardianSign", f"guardian {index + 1} signs {self.drill.action} "
                  f"{self.drill.market}")
        self.send(guardian, "guardianSign", self.guardian_nonce, self.drill.action,
                  (self.asset,))

    def steward_step(self) -> None:
        market = self.sim.kernel.state.markets[self.asset]
        lev = market.spec.margin_tiers[0].max_leverage
        new = max(2, lev - lev // 4)  # 25%: the bounded step
        self.note("stewardStep", f"steward lowers {market.name} tier-0 max leverage "
                  f"{lev}x -> {new}x")
        self.send(STEWARD, "stewardUpdate", f"{self.asset}.tier0.maxLeverage", new)

    def report(self) -> None:
        gov = self.sim.kernel.state.gov
        record = next(r for r in gov.incidents if r.guardian_nonce == self.guardian_nonce)
        self.send(GUARDIANS[0], "incidentReport", record.iid,
                  f"{self.drill.market} paused: every oracle operator stopped reporting; "
                  "resume when the feed is back and governance agrees")
        self.note("report", f"incident {record.iid} report filed")

    def propose(self, tag: str, actions: tuple) -> None:
        gov = self.sim.kernel.state.gov
        self.proposals[tag] = gov.governor.next_pid
        self.send(HOLDERS[len(self.proposals) % len(HOLDERS)], "propose", actions)
        self.note("proposed", f"proposal {self.proposals[tag]} ({tag})")

    def _executed(self, tag: str) -> bool:
        pid = self.proposals.get(tag)
        gov = self.sim.kernel.state.gov
        return pid is not None and pid in gov.governor.proposals and \
            gov.governor.proposals[pid].executed

    def _advance_proposals(self, now: int) -> None:
        gov = self.sim.kernel.state.gov
        for tag, pid in list(self.proposals.items()):
            p = gov.governor.proposals.get(pid)
            if p is None:
                continue
            state = gov.governor.state(pid, now)
            done = self.done.setdefault(pid, set())
            if state == "Active" and "voted" not in done:
                for holder in HOLDERS[:3]:
                    self.send(holder, "vote", pid, 1)
                done.add("voted")
            elif state == "Succeeded" and "queued" not in done:
                self.send(HOLDERS[0], "queue", pid, p.actions)
                done.add("queued")
            elif state == "Queued" and now >= p.eta_ms and "executed" not in done:
                self.send(HOLDERS[0], "execute", pid, p.actions)
                done.add("executed")
            elif state == "Executed" and "noted" not in done:
                self.note("executed", f"proposal {pid} ({tag}) executed")
                done.add("noted")


def run_drill(drill: Drill, seed: int, progress=None) -> tuple[dict, str, Sim]:
    """Run the drill; the after-action report as JSON-able dict and Markdown."""
    base = load_scenario(drill.scenario)
    faults = tuple(replace(f, duration_s=drill.stall_s) if f.kind == "oracle_stall" else f
                   for f in base.faults)
    scenario = replace(base, governance=True, duration_s=drill.duration_s, faults=faults)
    sim = Sim(scenario, seed)
    Responders(sim, drill, Draws(np.random.SeedSequence([seed, 99])))  # it hooks itself in
    report = sim.run(progress)
    events = sim.metrics.events
    drill_events = sorted((e for e in events if e["kind"].startswith("drill:")),
                          key=lambda e: e["t"])
    start = sim.kernel.start_ms
    stall = next(f for f in scenario.faults if f.kind.startswith("oracle_"))
    stall_ms = start + stall.at_s * 1_000
    timeline = [{"t": stall_ms, "kind": "drill:fault",
                 "text": f"{stall.kind} begins ({stall.duration_s} s)"}] + drill_events
    events.append(timeline[0])  # the fault's start joins the event log
    first = {e["kind"]: e["t"] for e in reversed(drill_events)}
    detect = first.get("drill:detected")
    act = first.get("drill:guardianAction")
    restored = first.get("drill:feedRestored", stall_ms + stall.duration_s * 1_000)
    stale_liqs = [t for t in sim.metrics.liq_times_ms if detect and detect <= t < restored]
    held, failed = [], []
    (held if not stale_liqs else failed).append(
        "no liquidation ran on the stale price while the feed was down")
    (held if act else failed).append("the guardians paused the market with M of N signatures")
    reported = "drill:report" in first and act and first["drill:report"] <= act + 3 * 86_400_000
    (held if reported else failed).append("the incident report came before its deadline")
    (held if "drill:recovered" in first else failed).append(
        "governance ratified the pause and reopened the market after the feed returned")
    losses = report["bad_debt_usd"] + report["socialized_loss_usd"]
    (held if losses == 0 else failed).append(f"losses beyond the fund: ${losses:,.2f}")
    after = {
        "drill": drill.name, "scenario": scenario.name, "seed": seed, "night": drill.night,
        "timeline": [{"t_s": (e["t"] - start) / 1_000, "kind": e["kind"], "text": e["text"]}
                     for e in timeline],
        "time_to_detect_s": (detect - stall_ms) / 1_000 if detect else None,
        "time_to_act_s": (act - detect) / 1_000 if act and detect else None,
        "losses_usd": losses, "insurance_fund_change_usd":
            report["insurance_fund_end_usd"] - report["insurance_fund_start_usd"],
        "held": held, "did_not_hold": failed, "run": report,
    }
    return after, markdown(after), sim


def markdown(after: dict) -> str:
    lines = [f"# After-action report: {after['drill']}", "",
             f"Scenario `{after['scenario']}`, seed {after['seed']}"
             + (", at night (responses x3)" if after["night"] else ""), "",
             f"- Time to detect: {after['time_to_detect_s']} s",
             f"- Time to act: {after['time_to_act_s']} s",
             f"- Losses beyond the insurance fund: ${after['losses_usd']:,.2f}",
             f"- Insurance fund change: ${after['insurance_fund_change_usd']:,.2f}", "",
             "## Timeline", "", "| t (s) | what | detail |", "|---:|---|---|"]
    lines += [f"| {e['t_s']:.0f} | {e['kind'].removeprefix('drill:')} | {e['text']} |"
              for e in after["timeline"]]
    lines += ["", "## What held", ""] + [f"- {x}" for x in after["held"]]
    lines += ["", "## What did not", ""] + ([f"- {x}" for x in after["did_not_hold"]]
                                          or ["- nothing"])
    return "\n".join(lines) + "\n"


def write_drill(out: Path, after: dict, md: str, sim: Sim) -> None:
    from .report import write_run

    write_run(out, after["run"], sim.metrics.series, sim.metrics.events)
    (out / "after_action.json").write_text(json.dumps(after, indent=2, sort_keys=True) + "\n")
    (out / "after_action.md").write_text(md)
