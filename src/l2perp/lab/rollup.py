"""The rollup in a lab run: the settlement contract, the batch poster, an honest verifier and
the reconciler follow the lab's blocks exactly as the node's rollup follows the node's
(node/rollup_node.py), in simulated time. Money enters through L1 deposits; a `fraudulent_batch`
fault makes the poster post one batch with a wrong root, which the verifier challenges.

A settlement run (a scenario with a [settlement] table, or `--settlement`) sets the settlement
MODEL: `optimistic` keeps this contract with the table's challenge window; `validity` swaps in
rollup/prover.py's contract, where a prover model's proof finalizes a batch and a wrong root is
rejected, never challenged (lab/settlement.py). Either way the L1 then follows every kernel
tick, outages included, and bridge users' withdrawals measure finality.

A run with an [l1_fee] table prices L1 gas: each batch's cost reaches L2 and the engine's L1
data fee passes it to takers; its gas spikes fill L1 blocks (lab/l1fees.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..engine.tx import Tx
from ..rollup.contract import deploy
from ..rollup.params import DEVNET, RollupParams
from ..rollup.poster import Poster, due_messages
from ..rollup.accounting import tvl_musdc
from ..rollup.prover import deploy_validity
from ..rollup.reconciler import Reconciler
from ..rollup.system import message_tx
from ..rollup.verifier import Verifier
from .agents import address
from .l1fees import L1FeeWatch
from .scenario import L1FeeCfg, SettlementCfg
from .settlement import SettlementWatch, settlement_params

LAB_PROFILE = replace(DEVNET, name="lab", authenticate=False,  # synthetic flow is unsigned
                      eth_usd=0)  # no L1 data fee unless a scenario asks for one
POSTER, VERIFIER = address(0xB0, 0), address(0xB0, 1)


class LabRollup:
    def __init__(self, sim, params: RollupParams = LAB_PROFILE, verifier_poll_ms: int = 5_000,
                 settlement: SettlementCfg | None = None, l1_fee: L1FeeCfg | None = None) -> None:
        self.sim = sim
        kernel = sim.kernel
        validity = settlement is not None and settlement.model == "validity"
        if settlement is not None:
            params = settlement_params(params, settlement)
        if l1_fee is not None:  # L1 gas priced: each batch's cost goes to L2 (engine/l1fee.py)
            params = replace(params, eth_usd=l1_fee.eth_usd)
        self.params = params
        genesis = kernel.sequencer.genesis
        self.l1 = (deploy_validity if validity else deploy)(params, genesis, (POSTER,))
        self.poster = Poster(POSTER, self.l1)
        self.poster.start(kernel.state)
        self.verifier = None if validity else Verifier(VERIFIER, self.l1)
        self.reconciler = Reconciler(self.l1, tvl_musdc(kernel.state))
        bonds = 100
        if settlement is not None:  # a bond per batch until its window or proof ends
            bonds += sim.scenario.duration_s * 2_000 // params.batch_interval_ms
        for who in (POSTER, VERIFIER):
            self.l1.mint(who, bonds * params.proposer_bond_musdc)
        self.poll_ms = verifier_poll_ms
        self._polled = 0
        self.fault_at: list[int] = []  # times at which the poster posts one bad batch
        self.halted = False
        self.post_errors: list[str] = []
        self.watch = SettlementWatch(self, settlement) if settlement is not None else None
        self.fees = L1FeeWatch(self, l1_fee) if l1_fee is not None else None
        kernel.before_block = self.before_block
        kernel.is_halted = lambda: self.halted
        kernel.on_block.append(self.after_block)
        if self.watch is not None:  # the L1 keeps its clock while the sequencer is down
            kernel.on_tick.append(self.tick)

    def start(self) -> None:
        """After the agents: the settlement run's bridge users."""
        if self.watch is not None:
            self.watch.users.start()

    def deposit(self, user: str, amount_musdc: int) -> None:
        """Mint on L1 and deposit: the credit reaches L2 as a queue message in a later block."""
        self.l1.mint(user, amount_musdc)
        self.l1.deposit(user, user, amount_musdc)

    def tick(self, now_ms: int) -> None:
        """Every kernel tick of a settlement run: the L1 catches up, the model moves, the
        verifier and the reconciler look."""
        self.advance_l1(now_ms)
        if self.watch is not None:
            self.watch.step(now_ms)
        self.check(now_ms)

    def before_block(self, now_ms: int) -> tuple[Tx, ...]:
        if self.watch is None:
            self.advance_l1(now_ms)
            self.check(now_ms)
        if self.halted:
            return ()
        limit = self.params.max_batch_txs // 2
        return tuple(message_tx(m) for m in
                     due_messages(self.l1, self.sim.kernel.state.l1_cursor, limit))

    def advance_l1(self, now_ms: int) -> None:
        """The L1 catches up with `now_ms`, its blocks filled by others during a gas spike of
        a run with an L1 data fee (lab/l1fees.py)."""
        self.l1.advance_to(now_ms, self.fees.congestion_gas(now_ms) if self.fees else 0)

    def after_block(self, receipts, block) -> None:
        state = self.sim.kernel.state
        record = self.poster.on_block(state, block, receipts)
        self.reconciler.note(block.height, record.tvl_musdc, record.l1_costs_musdc)
        if self.watch is not None:
            self.watch.on_block(block)
        if self.fees is not None:
            self.fees.on_block(block.time_ms)
        if self.fault_at and block.time_ms >= self.fault_at[0]:
            self.fault_at.pop(0)
            self.poster.fault = "root"
        if self.watch is None or self.watch.exit is None:  # exit mode: nothing more is posted
            try:
                self.poster.post_due()
            except Exception as exc:  # noqa: BLE001 - an L1 refusal is a finding, not a crash
                self.post_errors.append(str(exc))
        self.check(block.time_ms)

    def check(self, now_ms: int) -> None:
        if self.verifier is not None and now_ms - self._polled >= self.poll_ms:
            self._polled = now_ms
            self.verifier.poll()
        self.halted = bool(self.reconciler.check())

    def report(self) -> dict[str, Any]:
        l1 = self.l1
        reverted = [r for r in l1.batches if r.status == "reverted"]
        challenged = [t for t, kind, _ in l1.events if kind == "batchReverted"]
        challenges = self.verifier.challenges if self.verifier is not None else []
        out = {
            "batches_posted": len(l1.batches),
            "batches_reverted": len(reverted),
            "batches_finalized": l1.finalized_no,
            "challenges": len(challenges),
            "frauds_proven": sum(1 for _, v in challenges if v.fraud),
            "first_revert_ms": (challenged[0] - self.sim.kernel.start_ms) if challenged else None,
            "poster_slashed_usd": l1.slash_reward_musdc / 1e6 + l1.burned_musdc / 1e6,
            "reconciler_mismatches": len(self.reconciler.mismatches),
            "post_errors": len(self.post_errors),
            "frozen": l1.frozen,
        }
        if self.watch is not None:
            out["settlement"] = self.watch.finish()
        if self.fees is not None:
            out["l1_fee"] = self.fees.finish()
        return out

    def figures(self, report: dict[str, Any]) -> dict[str, Any]:
        """The settlement and L1 data fee figures a run report shows at its top level (none
        without a model or a fee), read from this rollup's `report()`."""
        out: dict[str, Any] = {}
        if "settlement" in report:
            s = report["settlement"]
            out.update({"settlement_model": s["model"], "withdrawals_count": s["withdrawals"],
                        "withdrawal_finality_p50_s": s["finality_p50_s"],
                        "withdrawal_finality_p99_s": s["finality_p99_s"],
                        "exit_mode": s["exit_mode"] is not None})
        fee = report.get("l1_fee")
        if fee:
            out.update({"l1_fee_max_hourly_change_bp": fee["published_max_hourly_change_bp"],
                        "l1_raw_max_hourly_change_bp": fee["raw_max_hourly_change_bp"],
                        "l1_fee_pool_worst_usd": fee["pool_worst_balance_usd"]})
        return out
