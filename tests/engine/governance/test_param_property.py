"""Property over the governance-controlled parameter table: no sequence of guardian and steward
actions (random, through real blocks) moves a parameter outside its governance bounds or
loosens risk, and every value in the state is traceable through the change log to genesis, an
executed proposal, a guardian action (or its expiry) or a bounded steward step."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from l2perp.engine.governance.execute import governance_values
from l2perp.engine.governance.params import check_param, engine_keys, get_param, is_tighter
from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.governance.stewards import BPS
from tests.support.gov_rig import G1, G2, G3, STEWARD, GovVenue
from tests.support.venue import addr

BOUNDED = ("0.oiCap", "0.cbBand", "0.tier0.maxLeverage", "fundingCap", "liqFeeMax")
KEYS = BOUNDED + ("1.tier0.maxLeverage", "2.cbBand", "3.tier1.maxLeverage", "fundingClamp")
GUARDIAN_KINDS = ("pauseMarket", "reduceOnly", "fallbackOracle", "raiseMargin", "veto",
                  "vetoSlash", "unpauseMarket", "lowerMargin", "setRiskParam")
values = st.one_of(st.integers(-5, 60), st.integers(0, 400_000_000),
                   st.integers(10**11, 10**15))  # absolute values, mostly out of bounds


class GuardianStewardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.v = GovVenue()
        self.v.block()
        state = self.v.state
        self.genesis = {k: get_param(state, k) for k in engine_keys(state)}
        self.genesis.update(governance_values(self.v.gov))
        self.oracle_set = dict(state.oracle_stakes)

    @rule(key=st.sampled_from(KEYS), step_bps=st.integers(-4_000, 4_000), raw=values,
          relative=st.booleans(), who=st.sampled_from((STEWARD, STEWARD, G1, addr(9))))
    def steward(self, key: str, step_bps: int, raw: int, relative: bool, who: str) -> None:
        current = get_param(self.v.state, key)
        value = current + current * step_bps // BPS if relative else raw
        self.v.g(who, "stewardUpdate", key, value)

    @rule(member=st.sampled_from((G1, G2, G3, addr(9))), kind=st.sampled_from(GUARDIAN_KINDS),
          asset=st.integers(0, 4), key=st.sampled_from(KEYS), step_bps=st.integers(-4_000, 4_000))
    def guardian_open(self, member: str, kind: str, asset: int, key: str, step_bps: int) -> None:
        if kind in ("raiseMargin", "lowerMargin", "setRiskParam"):
            current = get_param(self.v.state, key)
            args = (key, current + current * step_bps // BPS)
        else:
            args = (asset,)
        self.v.g(member, "guardianSign", self.v.gov.guardians.next_nonce, kind, args)

    @rule(member=st.sampled_from((G1, G2, G3)))
    def guardian_cosign(self, member: str) -> None:
        actions = self.v.gov.guardians.actions
        if actions:
            last = actions[max(actions)]
            self.v.g(member, "guardianSign", last.nonce, last.kind, last.args)

    @rule(member=st.sampled_from((G1, G2, G3)))
    def report(self, member: str) -> None:
        pending = self.v.gov.guardians.unreported()
        if pending is not None:
            record = next(r for r in self.v.gov.incidents if r.guardian_nonce == pending)
            self.v.ok(member, "incidentReport", record.iid, "what happened and why")

    @rule(ms=st.sampled_from((1_000, 3_600_000, DAY_MS, 8 * DAY_MS)))
    def wait(self, ms: int) -> None:
        self.v.advance(ms)

    @invariant()
    def bounded_and_traceable(self) -> None:
        gov, state = self.v.gov, self.v.state
        last: dict[str, int] = {}
        for change in gov.table.log:
            source = change.source
            if source == "steward":
                b = gov.table.bounds[change.key]
                assert change.author in gov.table.stewards
                assert b.low <= change.new <= b.high and change.new != 0
                assert abs(change.new - change.old) * BPS <= b.max_step_bps * abs(change.old)
            elif source.startswith("guardian ") and not source.endswith("expired"):
                action = gov.guardians.actions[int(source.split()[1])]
                assert action.executed
                if change.key.endswith(".maxLeverage"):
                    assert is_tighter(change.key, change.old, change.new)  # never loosens
                elif change.key.endswith(".status"):
                    assert change.new > change.old  # active -> reduce-only -> paused
            elif source.endswith("expired"):
                action = gov.guardians.actions[int(source.split()[1])]
                assert action.lapsed and (change.new, change.old) == action.prior[:2]
            else:
                pid = int(source.split()[1])
                assert gov.governor.proposals[pid].executed
            last[change.key] = change.new
        rules = governance_values(gov)
        for key in self.genesis:  # every governed value: engine, fees, lanes, rules
            current = rules[key] if key in rules else get_param(state, key)
            assert current == last.get(key, self.genesis[key]), key  # traceable
            if key not in rules:
                check_param(state, key, current)  # inside the hard range
            if key in gov.table.bounds and key in last:
                b = gov.table.bounds[key]
                if [c for c in gov.table.log if c.key == key][-1].source == "steward":
                    assert b.low <= current <= b.high  # a steward's value is in bounds
        assert state.oracle_stakes == self.oracle_set  # only a proposal changes the set
        for market in state.markets:
            status_log = [c for c in gov.table.log if c.key == f"{market.asset}.status"]
            assert market.status == (status_log[-1].new if status_log else 0)


GuardianStewardMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestGuardianStewardSequences = GuardianStewardMachine.TestCase
