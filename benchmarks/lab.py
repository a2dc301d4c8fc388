"""The risk lab's speed: one simulated day of one market with 1,000 agents (about a million
transactions: makers, a noise crowd, momentum and leveraged traders, oracle operators), and
sweep throughput in runs per minute with 1 and 2 local workers.

Peer for the day: the same blocks replayed through `apply_block` alone (no agents, no kernel,
no metrics), so the ratio is what the simulation around the engine costs. Target: the day in
under 60 s (docs/architecture.md). Ends with a JSON line per workload.
Run compiled, the script also runs the day and the sweep on the interpreted build in a child
process (without the peers: the compiled run's are used) and prints one line per workload with
both builds (common.run_builds). The state digests must agree: the day's final state, and the
sweep's final state roots of every run.
Usage: python benchmarks/lab.py [simulated seconds]   (default 86,400; BENCH_BUILDS)
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import common  # noqa: E402
from l2perp.engine.encoding import state_digest  # noqa: E402
from l2perp.engine.genesis import genesis_state  # noqa: E402
from l2perp.engine.stf import apply_block  # noqa: E402
from l2perp.lab.prices import PriceModel  # noqa: E402
from l2perp.lab.runner import Sim  # noqa: E402
from l2perp.lab.scenario import AgentsCfg, MarketCfg, Scenario  # noqa: E402
from l2perp.lab.sweep import load_sweep, run_sweep  # noqa: E402


def day(seconds: int) -> Scenario:
    """1,000 agents on BTC: 3 oracle operators, 3 makers, 900 noise traders, 20 momentum,
    72 leveraged, 2 arbitrageurs; about 11.6 transactions a second (1M a day)."""
    agents = AgentsCfg(makers=3, noise=900, momentum=20, leveraged=72, arbitrageurs=2,
                       oracles=3, noise_rate_per_min=0.64, maker_refresh_s=2.0)
    market = MarketCfg("BTC", 5, 95_000.0, max_leverage=40, idio_vol=0.1,
                       depth_usd=400_000.0)
    return Scenario("lab_day", duration_s=seconds, markets=(market,),
                    prices=PriceModel(annual_vol=0.5), agents=agents)


def line(workload: str, ops: float, peer: str | None, peer_ops: float | None,
         digest: str | None = None, **extra) -> None:
    """Record one workload's JSON line (common.record adds the build fields)."""
    common.record({"bench": "lab", "workload": workload, "ops_per_s": round(ops, 1),
                   "peer": peer if peer_ops else None,
                   "peer_ops_per_s": round(peer_ops, 1) if peer_ops else None,
                   "ratio": round(ops / peer_ops, 3) if peer_ops else None,
                   "state_digest": digest, **extra})


def roots_digest(summary: dict) -> str:
    """sha256 over the final state roots of every run of a sweep, in task order."""
    roots = [point["roots"] for point in summary["points"]]
    return hashlib.sha256(json.dumps(roots).encode()).hexdigest()


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 86_400
    scenario = day(seconds)
    sim = Sim(scenario, 1, keep_blocks=True)
    start = time.perf_counter()
    report = sim.run()
    wall = time.perf_counter() - start
    txs = report["transactions_count"]
    blocks = sim.kernel.sequencer.log.blocks
    replay = None  # the peer: measured in the compiled run only (common.peer_wanted)
    if common.peer_wanted():
        state = genesis_state(sim.kernel.sequencer.genesis)
        start = time.perf_counter()
        for block in blocks:
            apply_block(state, block)
        replay = time.perf_counter() - start
        assert state_digest(state) == state_digest(sim.kernel.state), \
            "the engine-only replay of the lab's blocks gave another state"
    print(f"# simulated {seconds} s with {report['active_agents']} active agents: "
          f"{txs:,} transactions in {len(blocks):,} blocks, {report['fills_count']:,} fills, "
          f"{wall:.1f} s wall (target 60 s for a day)"
          + ("" if replay is None else f"; engine-only replay {replay:.1f} s, same digest"))
    line("lab_day_1000_agents", txs / wall, "engine replay of the same blocks",
         None if replay is None else txs / replay, "0x" + state_digest(sim.kernel.state).hex(),
         wall_s=round(wall, 1), simulated_s=seconds, transactions=txs)
    del sim, blocks
    sweep = replace(load_sweep("ci_small"), runs=3)
    rates = {}
    digests = set()
    for workers in (1, 2) if common.peer_wanted() else (2,):
        start = time.perf_counter()
        summary = run_sweep(sweep, "local", workers)
        runs = sum(len(p["roots"]) for p in summary["points"])
        rates[workers] = runs / (time.perf_counter() - start) * 60
        digests.add(roots_digest(summary))
    assert len(digests) == 1, "the sweep's runs ended in other states on 1 and on 2 workers"
    print(f"# sweep {sweep.name}: {runs} runs, "
          + (f"{rates[1]:.1f} runs/min on 1 worker, " if 1 in rates else "")
          + f"{rates[2]:.1f} on 2")
    line("sweep_runs_per_min_2_workers", rates[2], "1 worker", rates.get(1), digests.pop())


if __name__ == "__main__":
    common.run_builds(main)
