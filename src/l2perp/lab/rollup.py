"""The rollup in a lab run: the settlement contract, the batch poster, an honest verifier and
the reconciler follow the lab's blocks exactly as the node's rollup follows the node's
(node/rollup_node.py), in simulated time. Money enters through L1 deposits; a `fraudulent_batch`
fault makes the poster post one batch with a wrong root, which the verifier challenges.
"""

from __future__ import annotations

from dataclasses import replace

from ..engine.tx import Tx
from ..rollup.contract import deploy
from ..rollup.params import DEVNET
from ..rollup.poster import Poster, due_messages
from ..rollup.accounting import tvl_musdc
from ..rollup.reconciler import Reconciler
from ..rollup.system import message_tx
from ..rollup.verifier import Verifier
from .agents import address

LAB_PROFILE = replace(DEVNET, name="lab", authenticate=False,  # synthetic flow is unsigned
                      eth_usd=0)  # no L1 data fee unless a scenario asks for one
POSTER, VERIFIER = address(0xB0, 0), address(0xB0, 1)


class LabRollup:
    def __init__(self, sim, params=LAB_PROFILE, verifier_poll_ms: int = 5_000) -> None:
        self.sim = sim
        kernel = sim.kernel
        self.params = params
        self.l1 = deploy(params, kernel.sequencer.genesis, (POSTER,))
        self.poster = Poster(POSTER, self.l1)
        self.poster.start(kernel.state)
        self.verifier = Verifier(VERIFIER, self.l1)
        self.reconciler = Reconciler(self.l1, tvl_musdc(kernel.state))
        for who in (POSTER, VERIFIER):
            self.l1.mint(who, 100 * params.proposer_bond_musdc)
        self.poll_ms = verifier_poll_ms
        self._polled = 0
        self.fault_at: list[int] = []  # times at which the poster posts one bad batch
        self.halted = False
        self.post_errors: list[str] = []
        kernel.before_block = self.before_block
        kernel.is_halted = lambda: self.halted
        kernel.on_block.append(self.after_block)

    def deposit(self, user: str, amount_musdc: int) -> None:
        """Mint on L1 and deposit: the credit reaches L2 as a queue message in a later block."""
        self.l1.mint(user, amount_musdc)
        self.l1.deposit(user, user, amount_musdc)

    def before_block(self, now_ms: int) -> tuple[Tx, ...]:
        self.l1.advance_to(now_ms)
        self.check(now_ms)
        if self.halted:
            return ()
        limit = self.params.max_batch_txs // 2
        return tuple(message_tx(m) for m in
                     due_messages(self.l1, self.sim.kernel.state.l1_cursor, limit))

    def after_block(self, receipts, block) -> None:
        state = self.sim.kernel.state
        record = self.poster.on_block(state, block, receipts)
        self.reconciler.note(block.height, record.tvl_musdc, record.l1_costs_musdc)
        if self.fault_at and block.time_ms >= self.fault_at[0]:
            self.fault_at.pop(0)
            self.poster.fault = "root"
        try:
            self.poster.post_due()
        except Exception as exc:  # noqa: BLE001 - an L1 refusal is a finding, not a crash
            self.post_errors.append(str(exc))
        self.check(block.time_ms)

    def check(self, now_ms: int) -> None:
        if now_ms - self._polled >= self.poll_ms:
            self._polled = now_ms
            self.verifier.poll()
        self.halted = bool(self.reconciler.check())

    def report(self) -> dict:
        l1 = self.l1
        reverted = [r for r in l1.batches if r.status == "reverted"]
        challenged = [t for t, kind, _ in l1.events if kind == "batchReverted"]
        return {
            "batches_posted": len(l1.batches),
            "batches_reverted": len(reverted),
            "batches_finalized": l1.finalized_no,
            "challenges": len(self.verifier.challenges),
            "frauds_proven": sum(1 for _, v in self.verifier.challenges if v.fraud),
            "first_revert_ms": (challenged[0] - self.sim.kernel.start_ms) if challenged else None,
            "poster_slashed_usd": l1.slash_reward_musdc / 1e6 + l1.burned_musdc / 1e6,
            "reconciler_mismatches": len(self.reconciler.mismatches),
            "post_errors": len(self.post_errors),
            "frozen": l1.frozen,
        }
