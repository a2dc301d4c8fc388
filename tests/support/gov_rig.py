"""A venue with governance: the real engine and `apply_block`, governance transactions as the
API sends them (typed: `("vote", pid, 1)` is `GovVote(pid, 1)`), and time moved the devnet way
(an admin advance, so nonces stay valid and no outage is recorded)."""

from __future__ import annotations

from l2perp.engine.genesis import genesis_state
from l2perp.engine.governance.gov_state import GovGenesis
from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.governance.stewards import Bounds
from l2perp.engine.governance.transactions import KINDS
from l2perp.engine.params import DEFAULT_MARKETS, EngineConfig, Genesis
from l2perp.engine.tx import DevAdvanceTime
from tests.support.venue import ADMIN, T0, Venue, addr

WHALE, ALICE, BOB, CAROL, DAVE = addr(0xA1), addr(0xA2), addr(0xA3), addr(0xA4), addr(0xA5)
G1, G2, G3 = addr(0x61), addr(0x62), addr(0x63)
STEWARD = addr(0x51)
OP1, OP2, OP3 = addr(0x71), addr(0x72), addr(0x73)
HOLDERS = ((WHALE, 400_000), (ALICE, 300_000), (BOB, 200_000), (CAROL, 90_000), (DAVE, 10_000))
STEWARD_BOUNDS = (
    ("0.oiCap", Bounds(1_000_000_000_000, 100_000_000_000_000, 2_000, DAY_MS)),
    ("0.cbBand", Bounds(50_000_000, 300_000_000, 2_000, DAY_MS)),
    ("0.tier0.maxLeverage", Bounds(5, 40, 2_500, DAY_MS)),
    ("fundingCap", Bounds(10_000_000, 40_000_000, 2_500, DAY_MS)),
    ("liqFeeMax", Bounds(5_000_000, 20_000_000, 2_000, DAY_MS)),
)


def gov_tx(kind: str, *args):
    """The typed transaction of `kind` with these arguments."""
    return KINDS[kind](*args)


def gov_genesis(**kw) -> GovGenesis:
    base = dict(allocations=HOLDERS, treasury=1_000_000, guardians=(G1, G2, G3),
                guardian_threshold=2, stewards=(STEWARD,), steward_bounds=STEWARD_BOUNDS,
                outflow_cap_per_epoch=100_000)
    base.update(kw)
    return GovGenesis(**base)


class GovVenue(Venue):
    """A devnet venue whose genesis has governance."""

    def __init__(self, gov: GovGenesis | None = None, markets=DEFAULT_MARKETS,
                 time_ms: int = T0, config: EngineConfig | None = None) -> None:
        super().__init__(markets=markets, time_ms=time_ms)
        config = config or EngineConfig(admin=ADMIN, devnet=True)
        self.state = genesis_state(Genesis(config=config, markets=markets, time_ms=time_ms,
                                           gov=gov or gov_genesis()))

    @property
    def gov(self):
        """The governance part of the state (a fork has its own)."""
        return self.state.gov

    def g(self, signer: str, kind: str, *args):
        """One governance transaction in its own block; its receipt."""
        return self.one(signer, gov_tx(kind, *args))

    def ok(self, signer: str, kind: str, *args):
        receipt = self.g(signer, kind, *args)
        assert receipt.ok, receipt.error
        return receipt

    def refused(self, signer: str, kind: str, *args) -> str:
        receipt = self.g(signer, kind, *args)
        assert not receipt.ok, f"{kind} was accepted"
        return receipt.error

    def advance(self, ms: int) -> None:
        """Move block time by `ms` (plus one block), the devnet way."""
        assert self.one(ADMIN, DevAdvanceTime(ms)).ok
        self.block(dt_ms=ms)

    def advance_to(self, at_ms: int) -> None:
        """The next block lands exactly at `at_ms`."""
        self._to(at_ms)
        assert self.state.time_ms == at_ms

    def at(self, at_ms: int, signer: str, kind: str, *args):
        """One governance transaction in a block at exactly `at_ms`; its receipt."""
        receipt = self._to(at_ms, self.tx(signer, gov_tx(kind, *args))).receipts[0]
        assert self.state.time_ms == at_ms
        return receipt

    def _to(self, at_ms: int, *txs):
        gap = at_ms - self.state.time_ms
        assert gap >= 1, gap
        if gap <= 1_000:  # a short block gap: no outage, no advance needed
            return self.block(*txs, dt_ms=gap)
        assert self.one(ADMIN, DevAdvanceTime(gap - 200)).ok
        return self.block(*txs, dt_ms=gap - 200)

    def state_of(self, pid: int) -> str:
        return self.gov.governor.state(pid, self.state.time_ms)

    def pass_proposal(self, actions: tuple, proposer: str = WHALE,
                      voters=(WHALE, ALICE)) -> int:
        """Propose, vote through and queue; returns the pid (Queued, eta ahead)."""
        self.ok(proposer, "propose", actions)
        pid = self.gov.governor.next_pid - 1
        p = self.gov.governor.proposals[pid]
        self.advance(p.voting_start_ms - self.state.time_ms + 1)
        for voter in voters:
            self.ok(voter, "vote", pid, 1)
        self.advance(p.deadline_ms - self.state.time_ms + 1)
        self.ok(proposer, "queue", pid, actions)
        return pid

    def enact(self, actions: tuple, **kw) -> int:
        """Pass, wait out the timelock and execute."""
        pid = self.pass_proposal(actions, **kw)
        p = self.gov.governor.proposals[pid]
        if p.eta_ms > self.state.time_ms + 200:
            self.advance(p.eta_ms - self.state.time_ms - 200)
        self.ok(WHALE, "execute", pid, actions)
        return pid
