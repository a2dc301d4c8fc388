"""Settlement models in a lab run: how the venue's batches become final on L1, and how long a
withdrawal waits for it. Two MODELS, never a claim of cryptography: `optimistic` (the settlement
contract of rollup/contract.py with its challenge window and fraud proofs) and `validity`
(rollup/prover.py: a batch finalizes when its proof lands; the "proof" is the honest prover's
re-execution from L1 data, landing after a latency drawn here).

A settlement run adds bridge users (`Withdrawers`) whose withdrawals measure finality, and runs
the L1's clock on every kernel tick, sequencer outages included. The model never feeds the
engine anything but the L1 message queue, which is the same under both models: the engine's
blocks and state roots do not depend on the model (tests/lab/test_settlement.py).

Seeding: the bridge users draw from the run's SeedSequence child (SETTLEMENT_KEY, 0) and the
prover from (SETTLEMENT_KEY, 1), keys no other stream uses, so no existing stream moves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from ..engine.state import is_fund
from ..engine.tx import Block, Tx, Withdraw
from ..rollup.contract import FINALIZED, POSTED, REVERTED, Settlement, escape_value
from ..rollup.l1 import L1Error
from ..rollup.params import MAINNET_LIKE, RollupParams
from ..rollup.poster import Poster
from ..rollup.prover import ProverModel, ValiditySettlementModel, exit_book
from ..units import ONE_USDC
from .agents import Market, address
from .draws import Draws
from .fixedpoint import FRAC_BITS, exp_q, int_ratio, mul_q
from .kernel import Kernel
from .scenario import ProverCfg, Scenario, SettlementCfg

SETTLEMENT_KEY = 1 << 20  # far above any agent's child index
ROLE_WITHDRAWER = 7
PROVER = address(0xB0, 2)
MODEL_NOTE = ("A model of settlement, not of cryptography: no proof is produced or verified. "
              "Under the validity model a batch's 'proof' is the honest prover's re-execution "
              "of it from L1 data, taken to land on L1 after a drawn proving latency.")


class Run(Protocol):
    """What the settlement model reads of a run (runner.Sim)."""

    kernel: Kernel
    scenario: Scenario
    markets: list[Market]
    seed_root: Any  # numpy SeedSequence

    def credit(self, user: str, amount_musdc: int, delay_ms: int) -> None: ...


class Host(Protocol):
    """The rollup the model rides on (rollup.LabRollup)."""

    sim: Run
    l1: Settlement
    poster: Poster
    post_errors: list[str]


def settlement_params(base: RollupParams, cfg: SettlementCfg) -> RollupParams:
    """The lab's rollup clock with the settlement table's batch interval, windows and exit
    deadline (slack and inclusion bounds from MAINNET_LIKE)."""
    return replace(
        base, name=f"lab-{cfg.model}", batch_interval_ms=cfg.batch_interval_s * 1_000,
        challenge_window_ms=cfg.challenge_window_s * 1_000,
        force_inclusion_delay_ms=cfg.force_inclusion_s * 1_000,
        freeze_grace_ms=cfg.exit_deadline_s * 1_000,
        system_time_past_ms=max(cfg.force_inclusion_s * 1_000, base.system_time_past_ms),
        max_l1_inclusion_delay_ms=min(MAINNET_LIKE.max_l1_inclusion_delay_ms,
                                      cfg.challenge_window_s * 1_000 // 4),
        posting_slack_ms=min(MAINNET_LIKE.posting_slack_ms,
                             (cfg.exit_deadline_s - cfg.force_inclusion_s) * 1_000 // 2),
    ).check()


def draw_latency_ms(rng: Draws, cfg: ProverCfg) -> int:
    """One proof's duration in ms: median x e^(sigma Z), or with probability `tail_share`
    tail_min x U^(-1/alpha) (Pareto); at most max_s. Exact Q60 transforms of the stream's
    words."""
    if cfg.tail_share > 0 and rng.chance(cfg.tail_share):
        factor_q = exp_q(mul_q(rng.exponential_q(), 1 / cfg.tail_alpha))
        base_ms = int(round(cfg.tail_min_s * 1_000))
    else:
        factor_q = exp_q(mul_q(rng.normal_q(), cfg.sigma))
        base_ms = int(round(cfg.median_s * 1_000))
    return max(1, min(base_ms * factor_q >> FRAC_BITS, int(round(cfg.max_s * 1_000))))


def percentile_or_none(values: list[int | None], q: int) -> int | None:
    """Nearest-rank percentile with None counted as later than everything (a withdrawal that
    is never final); None when the rank falls among those."""
    if not values:
        return None
    known = sorted(v for v in values if v is not None)
    rank = max(1, -(-q * len(values) // 100))
    return known[rank - 1] if rank <= len(known) else None


class Withdrawers:
    """Bridge users of a settlement run: each funds an account at the start and withdraws
    about every `withdraw_every_s` (exponential gaps) about `withdraw_usd` (uniform in 0.5-1.5
    x); a `forced_share` of the withdrawals are forced withdrawals sent to L1's queue."""

    def __init__(self, rollup: Host, cfg: SettlementCfg, rng: Draws) -> None:
        self.rollup, self.cfg, self.rng = rollup, cfg, rng
        self.kernel = rollup.sim.kernel
        self.members = [address(ROLE_WITHDRAWER, i) for i in range(cfg.withdrawers)]
        self.nonces = {m: self.kernel.start_ms for m in self.members}
        low, high = rollup.sim.scenario.agents.latency_ms
        self.latency = (low, high + 1)
        self.requested = self.forced = 0

    def start(self) -> None:
        """Fund every member (an L1 deposit) and schedule its first withdrawal."""
        sim, cfg = self.rollup.sim, self.cfg
        expected = sim.scenario.duration_s / cfg.withdraw_every_s
        fund_musdc = int(round(cfg.withdraw_usd * 1.5 * (2 * expected + 5) * ONE_USDC))
        for member in self.members:
            sim.credit(member, fund_musdc, 0)
            self._next(member)

    def _next(self, member: str) -> None:
        gap_ms = int(self.rng.exponential(self.cfg.withdraw_every_s * 1_000)) + 1
        self.kernel.at(self.kernel.now_ms + gap_ms, self.withdraw, member)

    def withdraw(self, member: str) -> None:
        """One withdrawal of `member`, on L2 or forced through L1; then the next."""
        self._next(member)
        rng, kernel = self.rng, self.kernel
        amount = int(round(self.cfg.withdraw_usd * (0.5 + rng.random()) * ONE_USDC))
        self.requested += 1
        if rng.chance(self.cfg.forced_share):
            self.forced += 1
            try:
                self.rollup.l1.force_withdrawal(member, amount)
            except L1Error:  # refused on L1 (a full block of forced requests): lost
                pass
            return
        nonce = self.nonces[member] = max(self.nonces[member] + 1, kernel.now_ms)
        kernel.send(Tx(member, nonce, Withdraw(member, amount, kernel.now_ms)),
                    rng.integers(*self.latency))


class SettlementWatch:
    """The settlement model of one run: the withdrawals the engine emits, the prover (validity
    model), exit mode, and at the end each withdrawal's time to finality."""

    def __init__(self, rollup: Host, cfg: SettlementCfg) -> None:
        self.rollup, self.cfg, self.model = rollup, cfg, cfg.model
        sim = rollup.sim
        self.start_ms = sim.kernel.start_ms
        self.emitted: dict[int, tuple[int, int]] = {}  # wid -> (L2 block time, micro-USDC)
        self.users = Withdrawers(rollup, cfg, Draws(sim.seed_root, SETTLEMENT_KEY, 0))
        self.prover: ProverModel | None = None
        self.rejections: list[tuple[int, int]] = []  # (L1 time, batch) withdrawn as unprovable
        if isinstance(rollup.l1, ValiditySettlementModel):
            outages = tuple((self.start_ms + f.at_s * 1_000,
                             self.start_ms + (f.at_s + f.duration_s) * 1_000)
                            for f in sim.scenario.faults if f.kind == "prover_outage")
            self.prover = ProverModel(PROVER, rollup.l1, cfg.prover.workers,
                                      cfg.prover.cost_per_tx_musdc, outages)
            self.latency_rng = Draws(sim.seed_root, SETTLEMENT_KEY, 1)
        self.exit: dict[str, Any] | None = None
        self.finished: dict[str, Any] | None = None

    def _latency(self, n_txs: int) -> int:
        return draw_latency_ms(self.latency_rng, self.cfg.prover)

    # ----- during the run -------------------------------------------------------------------
    def on_block(self, block: Block) -> None:
        """Remember when each withdrawal the block emitted was requested on L2."""
        for w in self.rollup.sim.kernel.state.withdrawals:
            self.emitted[w.wid] = (block.time_ms, w.amount_musdc)

    def step(self, now_ms: int) -> None:
        """Every tick, after the L1 caught up: the prover's work, then exit mode."""
        if self.exit is not None:
            return
        prover = self.prover
        if prover is not None:
            for number in prover.take_new(self._latency):
                self.rejections.append((now_ms, number))
            prover.land_due()
        self._check_exit(now_ms)

    def _check_exit(self, now_ms: int) -> None:
        l1 = self.rollup.l1
        if isinstance(l1, ValiditySettlementModel):
            request = l1.exit_due()
            if request is None:
                return
            l1.enter_exit_mode(PROVER)
            root_batch = l1.finalized_no  # the last proven root
        else:
            open_forced = l1.open_forced()  # optimistic: served once a standing batch has it
            if not open_forced or now_ms < open_forced[0].time_ms + l1.params.freeze_grace_ms:
                return
            request = open_forced[0]
            tip = l1.tip()  # posted batches run out their windows before escapes open
            root_batch = tip.header.batch_no if tip else 0
        self.exit = self._exit_report(now_ms, request.time_ms, root_batch)

    def _exit_report(self, now_ms: int, request_ms: int, root_batch: int) -> dict[str, Any]:
        """What users get in exit mode: positions at the index, from the exit root."""
        sim = self.rollup.sim
        elapsed = now_ms - self.start_ms
        prices = {m.asset: m.pips(m.index_at(elapsed)) for m in sim.markets}
        book = exit_book(self.rollup.l1, root_batch, prices)
        live = sim.kernel.state
        l2_users = sum(escape_value(a, prices) for addr, a in live.accounts.items()
                       if not is_fund(addr))
        paid_users = sum(v for a, v in book.amounts.items() if not is_fund(a))
        owed = book.book.users_total_musdc
        return {
            "at_s": elapsed // 1_000,
            "forced_request_age_s": (now_ms - request_ms) // 1_000,
            "root_batch": root_batch,
            "root_height": book.state.height,
            "escape_root": "0x" + book.book.root.hex(),
            "users_owed_usd": int_ratio(owed, ONE_USDC),
            "funds_owed_usd": int_ratio(book.book.funds_total_musdc, ONE_USDC),
            "pool_usd": int_ratio(book.book.pool_musdc, ONE_USDC),
            "users_paid_usd": int_ratio(paid_users, ONE_USDC),
            "haircut": round(1 - int_ratio(paid_users, owed), 6) if owed else 0.0,
            "reclaimable_deposits_usd": int_ratio(book.reclaimable_musdc, ONE_USDC),
            "claimable_withdrawals_usd": int_ratio(book.claimable_musdc, ONE_USDC),
            "users_value_on_l2_usd": int_ratio(l2_users, ONE_USDC),
            "accounts_paid": len(book.amounts),
        }

    # ----- at the end -----------------------------------------------------------------------
    def finish(self) -> dict[str, Any]:
        """Post what is left, schedule its proofs, and each withdrawal's finality (once)."""
        if self.finished is not None:
            return self.finished
        rollup = self.rollup
        if self.exit is None:
            try:
                rollup.poster.post_due(force=True)
            except L1Error as exc:
                rollup.post_errors.append(str(exc))
            if self.prover is not None:
                self.prover.take_new(self._latency)
        finals = self._batch_finality()
        rows: list[tuple[int, int | None, int, bool]] = []  # (emitted, final, amount, projected)
        placed: set[int] = set()
        for record in rollup.l1.canonical_chain():
            final, projected = finals[record.header.batch_no]
            for w in record.withdrawals:
                if w.wid in self.emitted and w.wid not in placed:
                    placed.add(w.wid)
                    emitted_ms, amount = self.emitted[w.wid]
                    rows.append((emitted_ms, final, amount, projected))
        for wid in sorted(self.emitted):
            if wid not in placed:  # in no standing batch: never final
                emitted_ms, amount = self.emitted[wid]
                rows.append((emitted_ms, None, amount, False))
        rows.sort()
        self.finished = self._summary(rows)
        return self.finished

    def _batch_finality(self) -> dict[int, tuple[int | None, bool]]:
        """Per standing batch: when it finalized, or when it will (projected: an optimistic
        batch at its deadline, a validity batch when its scheduled proof lands, never before
        its parent); None when it never will (exit mode, or no proof can be made)."""
        out: dict[int, tuple[int | None, bool]] = {}
        parent: int | None = 0
        exit_mode = self.exit is not None
        for record in self.rollup.l1.canonical_chain():
            number = record.header.batch_no
            when: int | None
            if record.status == FINALIZED:
                out[number] = (record.finalized_ms, False)
                parent = record.finalized_ms
                continue
            if self.prover is None:
                when = record.deadline_ms
            else:
                job = self.prover.jobs.get(number)
                when = None if exit_mode or job is None else job.done_ms
            if when is not None and parent is not None:
                when = max(when, parent)
            else:
                when = None
            out[number] = (when, True)
            parent = when
        return out

    def _summary(self, rows: list[tuple[int, int | None, int, bool]]) -> dict[str, Any]:
        l1 = self.rollup.l1
        start, end = self.start_ms, self.start_ms + self.rollup.sim.scenario.duration_s * 1_000
        waits = [None if final is None else final - emitted for emitted, final, _, _ in rows]

        def seconds(ms: int | None) -> float | None:
            return None if ms is None else ms / 1_000
        minutes = list(range(0, (end - start) // 60_000 + 1))
        waiting = []
        for minute in minutes:
            t = start + minute * 60_000
            waiting.append(int_ratio(sum(a for e, f, a, _ in rows
                                         if e <= t and (f is None or f > t)), ONE_USDC))
        prover = self.prover
        reverted = sum(1 for b in l1.batches if b.status == REVERTED)
        known = [w for w in waits if w is not None]
        return {
            "model": self.model,
            "note": MODEL_NOTE,
            "withdrawals": len(rows),
            "withdrawn_usd": int_ratio(sum(a for _, _, a, _ in rows), ONE_USDC),
            "withdrawals_requested": self.users.requested,
            "forced_requests": self.users.forced,
            "finality_p50_s": seconds(percentile_or_none(waits, 50)),
            "finality_p99_s": seconds(percentile_or_none(waits, 99)),
            "finality_max_s": seconds(max(known)) if len(known) == len(waits) and known
            else None,
            "final_within_run": sum(1 for _, f, _, p in rows if f is not None and not p),
            "final_after_run": sum(1 for _, f, _, p in rows if f is not None and p),
            "never_final": sum(1 for _, f, _, _ in rows if f is None),
            "value_waiting_minutes": minutes,
            "value_waiting_usd": waiting,
            "withdrawal_rows": [[(e - start) // 1_000, seconds(None if f is None else f - e),
                                 int_ratio(a, ONE_USDC)] for e, f, a, _ in rows],
            "batches_posted": len(l1.batches),
            "batches_final_within_run": sum(1 for b in l1.batches if b.status == FINALIZED),
            "batches_reverted": reverted,
            "batches_rejected_unprovable": len(self.rejections),
            "first_rejection_s": (self.rejections[0][0] - start) // 1_000
            if self.rejections else None,
            "proofs_landed": sum(1 for j in prover.jobs.values() if j.landed) if prover else 0,
            "proving_cost_usd": int_ratio(prover.cost_musdc, ONE_USDC) if prover else 0.0,
            "prover_failures": len(prover.failures) if prover else 0,
            "exit_mode": self.exit,
            "params": {
                "batch_interval_s": self.cfg.batch_interval_s,
                "challenge_window_s": self.cfg.challenge_window_s
                if self.model == "optimistic" else None,
                "exit_deadline_s": self.cfg.exit_deadline_s,
                "prover": vars_of(self.cfg.prover) if self.model == "validity" else None,
            },
            "still_posted_at_end": sum(1 for b in l1.batches if b.status == POSTED),
        }


def vars_of(cfg: ProverCfg) -> dict[str, Any]:
    return {name: getattr(cfg, name) for name in cfg.__dataclass_fields__}


__all__ = ["SettlementWatch", "Withdrawers", "settlement_params", "draw_latency_ms",
           "percentile_or_none", "MODEL_NOTE", "SETTLEMENT_KEY"]
