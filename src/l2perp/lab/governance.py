"""Governance in a lab run: a DAO with lanes short enough for simulated hours, honest holders
who vote for what does not pay an insider, and attackers who try the three attacks of the
reference drills through real transactions: a flash-loaned vote, a low-turnout treasury grab and
a content swap after approval. Each attack reports what stopped it (or that it succeeded).
"""

from __future__ import annotations

from ..engine.governance.gov_state import TREASURY, GovGenesis
from ..engine.governance.proposals import Lane
from ..engine.governance.stewards import Bounds
from ..engine.governance.transactions import gov_tx
from ..engine.tx import Tx
from .agents import Agent, address

MIN = 60_000
LAB_LANES = (  # review, voting, timelock, grace in minutes; the same shares as DEFAULT_LANES
    Lane(50, 100, 50, 10 * MIN, 20 * MIN, 0, 60 * MIN),
    Lane(50, 200, 50, 10 * MIN, 30 * MIN, 10 * MIN, 60 * MIN),
    Lane(100, 300, 100, 10 * MIN, 30 * MIN, 15 * MIN, 60 * MIN),
    Lane(200, 1_000, 1_000, 10 * MIN, 40 * MIN, 20 * MIN, 60 * MIN),
)
HOLDERS = [address(0xD0, i) for i in range(5)]
GUARDIANS = [address(0xD1, i) for i in range(3)]
STEWARD = address(0xD2, 0)
ATTACKERS = [address(0xDE, i) for i in range(3)]


def lab_gov_genesis() -> GovGenesis:
    """Five holders with 196,000 tokens each, three would-be attackers with 20,000 (1.9% of
    the supply each); a treasury of 1,000,000 with an outflow cap of 50,000 an epoch."""
    allocations = tuple((h, 196_000) for h in HOLDERS) + tuple((a, 20_000) for a in ATTACKERS)
    return GovGenesis(allocations=allocations, treasury=1_000_000, lanes=LAB_LANES,
                      epoch_ms=86_400_000, outflow_cap_per_epoch=50_000,
                      guardians=tuple(GUARDIANS), guardian_threshold=2, stewards=(STEWARD,),
                      steward_bounds=(("0.tier0.maxLeverage",
                                       Bounds(2, 50, 2_500, 86_400_000)),))


class GovAttacker(Agent):
    kind = "governance"

    def __init__(self, sim, rng, fault, index: int) -> None:
        super().__init__(sim, ATTACKERS[index], rng)
        self.fault = fault
        self.pid = 0
        self.log: list[str] = []
        self.refusals: list[str] = []
        self.voted_weight: int | None = None

    # ----- plumbing -------------------------------------------------------------------------
    def gov(self, signer: str, kind: str, *args) -> None:
        self.sim.kernel.send(Tx(signer, self._nonce(signer), gov_tx(kind, *args)), 50, self)

    def _nonce(self, signer: str) -> int:
        nonces = self.sim.gov_nonces
        nonces[signer] = max(nonces.get(signer, self.sim.kernel.now_ms) + 1,
                             self.sim.kernel.now_ms)
        return nonces[signer]

    def on_receipt(self, tx, receipt) -> None:
        if not receipt.ok:
            self.refusals.append(f"{tx.action.KIND}: {receipt.error}")

    def later(self, ms: int, callback) -> None:
        self.sim.kernel.at(self.sim.kernel.now_ms + ms, callback)

    def proposal(self):
        return self.sim.kernel.state.gov.governor.proposals.get(self.pid)

    def state_of(self) -> str:
        gov = self.sim.kernel.state.gov
        return gov.governor.state(self.pid, self.sim.kernel.now_ms) if self.pid else "none"

    # ----- the attacks ----------------------------------------------------------------------
    def start(self) -> None:
        at = self.sim.kernel.start_ms + self.fault.at_s * 1_000
        self.sim.kernel.at(at, self.propose)

    def propose(self) -> None:
        kind = self.fault.kind
        if kind == "content_swap":
            self.actions = (("setRiskParam", "0.cbBand", 120_000_000),)  # benign
        else:
            self.actions = (("treasuryTransfer", self.address, 40_000),)
        self.pid = self.sim.kernel.state.gov.governor.next_pid
        self.gov(self.address, "propose", self.actions)
        self.later(2_500, self.wait_for_vote)

    def wait_for_vote(self) -> None:
        mine = [p.pid for p in self.sim.kernel.state.gov.governor.proposals.values()
                if p.proposer == self.address]
        self.pid = max(mine) if mine else 0  # the id the chain gave it, not a guess
        p = self.proposal()
        if p is None:
            self.log.append("the proposal was refused")
            return
        self.sim.kernel.at(p.voting_start_ms + 1_000, self.vote)

    def vote(self) -> None:
        kind = self.fault.kind
        p = self.proposal()
        if kind == "flashloan_governance":  # borrow, delegate, vote, repay: one block
            lenders = HOLDERS[:3]  # 570,000 borrowed: 55% of the supply
            bundle = [(h, "transfer", self.address, 190_000) for h in lenders]
            bundle += [(self.address, "delegate", self.address),
                       (self.address, "vote", self.pid, 1)]
            bundle += [(self.address, "transfer", h, 190_000) for h in lenders]
            for signer, what, *args in bundle:
                self.gov(signer, what, *args)
        else:
            self.gov(self.address, "vote", self.pid, 1)
            if kind == "content_swap":  # honest holders back a benign change
                for holder in HOLDERS[:2]:
                    self.gov(holder, "vote", self.pid, 1)
        self.sim.kernel.at(p.deadline_ms + 1_000, self.after_vote)

    def after_vote(self) -> None:
        p = self.proposal()
        self.voted_weight = p.voters.get(self.address, (0, 0))[1]
        if self.state_of() != "Succeeded":
            self.log.append(f"proposal {self.pid} ended {self.state_of()}")
            return
        self.gov(self.address, "queue", self.pid, self.actions)
        self.sim.kernel.at(p.deadline_ms + 2_000 + p.rules.timelock_ms, self.execute)

    def execute(self) -> None:
        swapped = (("treasuryTransfer", self.address, 40_000),)
        self.gov(self.address, "execute", self.pid, swapped)
        self.later(5_000, lambda: self.log.append(f"proposal {self.pid} {self.state_of()}"))

    def outcome(self) -> dict:
        gov = self.sim.kernel.state.gov
        stolen = gov.token.balances.get(self.address, 0) > 20_000
        kind = self.fault.kind
        if kind == "flashloan_governance":
            stopped_by = "power is read at the block before creation: borrowed votes weigh 0"
        elif kind == "low_turnout_proposal":
            stopped_by = "quorum is a share of the active supply"
        else:
            stopped_by = "the content hash is checked again at execution"
        return {"kind": kind, "proposal": self.pid, "state": self.state_of(),
                "attacker_vote_weight": self.voted_weight, "succeeded": stolen,
                "stopped_by": None if stolen else stopped_by,
                "treasury": gov.token.balances.get(TREASURY, 0),
                "refusals": self.refusals, "log": self.log}
