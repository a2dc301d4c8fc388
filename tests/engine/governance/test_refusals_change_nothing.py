"""Governance refusals change nothing, and what passes its checks cannot fail half-way:
regressions for the cases a review found (guardian effects checked before the signature,
expiry restores that no longer fit, unknown bond roles, activity after a snapshot, fund
partitions, steward debounce on a refused step, new seats' liveness, delisting checks), then
random transactions with hostile arguments against a venue where everything is live."""

from __future__ import annotations


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2perp.engine.decoding import copy_state
from l2perp.engine.encoding import state_digest
from l2perp.engine.governance.codec import decode_gov, gov_leaf
from l2perp.engine.governance.execute import SHAPES
from l2perp.engine.governance.gov_state import BOND_ESCROW, TREASURY
from l2perp.engine.governance.params import RULES
from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.governance.transactions import KINDS, GovExecute, GovPropose, GovVote
from l2perp.engine.governance.txs import TRANSACTIONS, apply_gov_tx, plan_gov_tx
from l2perp.engine.state import OracleEvidence, fund_address
from l2perp.engine.stf import apply_block
from l2perp.engine.tx import Block, Noop
from l2perp.units import Dec
from l2perp.wire.actions import WireError
from l2perp.wire.governance import parse_gov_action
from tests.support.gov_rig import (
    ALICE, BOB, CAROL, DAVE, G1, G2, G3, OP1, OP2, OP3, STEWARD, WHALE, GovVenue, gov_genesis,
)
from tests.support.venue import ADMIN, addr, limit

EVE = addr(0xE5)


def venue() -> GovVenue:
    v = GovVenue()
    v.block()
    return v


def test_a_guardian_margin_raise_that_breaks_the_tiers_is_refused_before_any_signature() -> None:
    v = venue()
    assert "rise with notional" in v.refused(G1, "guardianSign", 1, "raiseMargin",
                                            ("0.tier0.maxLeverage", 10))  # tier 1 is 20
    assert v.gov.guardians.actions == {} and v.gov.guardians.unreported() is None
    v.ok(G1, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G2, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    assert v.state.markets[0].spec.margin_tiers[1].max_leverage == 10


def test_an_expiring_raise_that_no_longer_fits_stays_and_blocks_go_on() -> None:
    v = venue()
    v.ok(G1, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G2, "guardianSign", 1, "raiseMargin", ("0.tier1.maxLeverage", 10))
    v.ok(G3, "incidentReport", 1, "tier 1 down to 10x")
    v.enact((("setRiskParam", "0.tier0.maxLeverage", 15),))
    v.advance(v.gov.guardians.expiry_ms)  # restoring 20x above tier 0's 15x would break order
    assert v.state.markets[0].spec.margin_tiers[1].max_leverage == 10
    assert v.gov.guardians.actions[1].lapsed


def test_a_slash_veto_after_its_window_is_refused_before_any_signature() -> None:
    v = venue()
    v.ok(ALICE, "transfer", EVE, 5_000)
    v.ok(EVE, "operatorBond", "oracle", 2_000)
    v.enact((("slashOperator", EVE, 1_000, "missed rounds"),))
    v.advance(v.gov.registry.veto_window_ms)
    assert "veto window has closed" in v.refused(G1, "guardianSign", 1, "vetoSlash", (1,))
    assert v.gov.guardians.actions == {}


def test_an_unknown_bond_role_fails_the_plan_and_nothing_is_paid() -> None:
    v = venue()
    actions = (("treasuryTransfer", ALICE, 1_000), ("setGovernanceRule", "minBond.foo", 5))
    pid = v.pass_proposal(actions, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    before = v.gov.token.balances[ALICE]
    assert "known role" in v.refused(WHALE, "execute", pid, actions)
    assert v.state_of(pid) == "Queued" and v.gov.token.balances[ALICE] == before


def test_activity_after_the_snapshot_does_not_count_and_nothing_halts() -> None:
    v = GovVenue(None)
    v.block()
    v.advance(70 * DAY_MS)  # every genesis holder is now dormant (K = 6 weekly epochs)
    v.ok(DAVE, "delegate", DAVE)
    v.ok(CAROL, "delegate", CAROL)
    v.block()
    v.ok(CAROL, "propose", (("setRiskParam", "0.cbBand", 120_000_000),))
    p = v.gov.governor.proposals[1]
    assert p.active_supply == 100_000  # Carol and Dave only
    v.ok(WHALE, "delegate", WHALE)  # wakes up after the snapshot
    v.advance(p.voting_start_ms - v.state.time_ms + 1)
    v.ok(WHALE, "vote", 1, 0)
    assert p.voters[WHALE] == (0, 0) and not v.gov.halted


def test_insurance_moves_only_between_real_partitions_and_create_nothing_when_refused() -> None:
    v = venue()
    accounts = len(v.state.accounts)
    bad = (("insuranceTransfer", -1, 2, 1),)  # market 1 is cross: it has no fund of its own
    pid = v.pass_proposal(bad, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "isolated markets' funds" in v.refused(WHALE, "execute", pid, bad)
    assert len(v.state.accounts) == accounts and fund_address(2) not in v.state.accounts


def test_a_refused_steward_step_keeps_the_debounce_clock() -> None:
    v = venue()
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 30)
    v.advance(DAY_MS)
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 24)
    v.advance(DAY_MS)
    last = v.gov.table.last_steward_ms["0.tier0.maxLeverage"]
    log = len(v.gov.table.log)
    assert "rise" in v.refused(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 19)  # tier 1: 20
    assert v.gov.table.last_steward_ms["0.tier0.maxLeverage"] == last
    assert len(v.gov.table.log) == log
    v.ok(STEWARD, "stewardUpdate", "0.tier0.maxLeverage", 20)  # same day: the clock held


def test_newly_seated_guardians_count_as_active_from_their_seating() -> None:
    v = venue()
    v.advance(100 * DAY_MS)
    for holder in (WHALE, ALICE, BOB):
        v.ok(holder, "delegate", holder)  # active again
    v.block()
    v.enact((("setGuardians", (G1, G2, EVE), 2),), voters=(WHALE, ALICE, BOB))
    assert "active within" in v.refused(CAROL, "guardianRemove", EVE)


def test_delisting_needs_a_price_and_a_market_changes_once_per_proposal() -> None:
    v = venue()
    no_price = (("delistMarket", 3, 0),)  # OP never had an oracle price
    pid = v.pass_proposal(no_price, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "no oracle TWAP" in v.refused(WHALE, "execute", pid, no_price)
    both = (("delistMarket", 2, 1_000_000), ("setMarketStatus", 2, 0))
    pid = v.pass_proposal(both, proposer=ALICE, voters=(WHALE, ALICE, BOB))
    v.advance(7 * DAY_MS)
    assert "changed twice" in v.refused(ALICE, "execute", pid, both)


# ----- hostile transactions ----------------------------------------------------------------------
# Random governance transactions with hostile arguments (wrong types and lengths, integers up to
# +-10**40, unknown ids, nested lists, other users' addresses) against a venue where everything
# is live: proposals Pending, Active, Succeeded and Queued past their eta, an executed guardian
# action with its report and a half-signed one, bonded and unbonding operators, a slash request
# past its veto window, oracle evidence, open interest and an unreported circuit-breaker
# incident. Checking a transaction changes nothing; it is then applied or refused with a
# governance text; any other exception is a bug (it used to become a refusal).

OPERATORS = ((OP1, "sequencer", 5_000), (OP2, "oracle", 5_000), (OP3, "relayer", 5_000))
REFUSAL_PREFIXES = ("Governance: ", "Unknown governance action: ",
                    "Governance is halted: ")
QUEUED = (("setRiskParam", "0.cbBand", 120_000_000), ("treasuryTransfer", CAROL, 1_000))
SUCCEEDED = (("setMarketStatus", 1, 1),)
ACTIVE = (("stewardStep", "0.cbBand", 160_000_000),)
PENDING = (("setGovernanceRule", "slotMs", 30_000),)


def live_venue() -> GovVenue:
    v = GovVenue(gov_genesis(operators=OPERATORS))
    v.block()
    v.ok(WHALE, "transfer", EVE, 10_000)
    v.ok(EVE, "operatorBond", "oracle", 3_000)
    v.ok(OP1, "operatorUnbond", 1_000)
    v.enact((("slashOperator", EVE, 1_000, "missed rounds"),), voters=(WHALE, ALICE, BOB))
    v.pass_proposal(QUEUED, voters=(WHALE, ALICE, BOB))  # eta in 3 days, grace 7
    v.ok(ALICE, "propose", SUCCEEDED)
    pid = v.gov.governor.next_pid - 1
    v.advance(DAY_MS + 1)
    for voter in (WHALE, ALICE, BOB):
        v.ok(voter, "vote", pid, 1)
    v.advance(4 * DAY_MS)
    v.ok(BOB, "propose", ACTIVE)
    v.advance(DAY_MS + 1)
    v.ok(CAROL, "propose", PENDING)
    v.deposit(ALICE, 100_000)
    v.deposit(BOB, 100_000)
    v.set_price(0, 500_000)
    v.order(ALICE, limit(0, False, "50000", "1"))
    v.order(BOB, limit(0, True, "50000", "1", tif="Ioc"))  # open interest and a fee pool
    v.ok(G1, "guardianSign", 1, "pauseMarket", (3,))
    v.ok(G2, "guardianSign", 1, "pauseMarket", (3,))
    v.ok(G3, "incidentReport", len(v.gov.incidents), "market 3 paused: feed lost")
    v.ok(G1, "guardianSign", 2, "reduceOnly", (2,))
    v.set_price(1, 300_000)
    v.set_price(1, 200_000)  # a circuit breaker: an incident the stewards must explain
    v.state.oracle_evidence.append(OracleEvidence(OP2, 0, 1, 500_000, 510_000,
                                                  v.state.time_ms))
    states = [v.state_of(p) for p in sorted(v.gov.governor.proposals)]
    assert states == ["Executed", "Queued", "Succeeded", "Active", "Pending"], states
    assert v.state.time_ms >= v.gov.governor.proposals[2].eta_ms
    return v


LIVE = live_venue()
LATER = LIVE.fork()
LATER.advance(8 * DAY_MS)  # the queued proposal expired, the guardian actions still stand
HALTED = LIVE.fork()
HALTED.gov.halted = True
BASES = (LIVE.state, LATER.state, HALTED.state)

ADDRS = (WHALE, ALICE, BOB, CAROL, DAVE, EVE, G1, G2, G3, STEWARD, OP1, OP2, OP3, TREASURY,
         BOND_ESCROW, fund_address(0), ADMIN)
KEYS = ("0.cbBand", "0.oiCap", "0.tier0.maxLeverage", "0.tier1.maxLeverage",
        "0.tier1.lowerBound", "fundingCap", "liqFeeMax", "fee.tier0.taker", "fee.tier9.maker",
        "9.oiCap", "0.tier7.maxLeverage", "0.", ".oiCap", "", "x" * 50)
ODD = (-(10**40), -(2**63) - 1, -(2**63), -1, 0, 1, 2, 3, 2**62, 2**63 - 1, 2**63, 2**64,
       10**40, True, False, None, "", "1", "0x", "\ud800", "\u00b2.oiCap", "00.oiCap", 1.5,
       float("nan"), b"\x00", [1, 2], {"a": 1}, Dec(5, 0), Noop("x"),
       GovVote(1, 1), ())

scalars = st.one_of(st.integers(-(10**40), 10**40), st.sampled_from(ODD),
                    st.sampled_from(ADDRS), st.sampled_from(KEYS), st.text(max_size=8))
hostile = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(tuple), st.lists(inner, max_size=3)), max_leaves=12)
well_typed = st.recursive(  # what a batch body may carry (rollup/txcheck.py), in any order
    st.one_of(st.integers(-(10**40), 10**40), st.booleans(), st.sampled_from(ADDRS),
              st.sampled_from(KEYS)),
    lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=6)


def mostly(common: st.SearchStrategy, rare: st.SearchStrategy, odds: int) -> st.SearchStrategy:
    """`common`, and one time in `odds + 1` `rare` instead."""
    return st.integers(0, odds).flatmap(lambda i: rare if i == odds else common)


def like(*options, wild: st.SearchStrategy = hostile) -> st.SearchStrategy:
    """Mostly a plausible value, sometimes anything at all."""
    return mostly(st.sampled_from(options), wild, 5)


def ints(low: int, high: int, *edges: int,
         wild: st.SearchStrategy = hostile) -> st.SearchStrategy:
    edge = st.sampled_from(edges or (low, high))
    return mostly(st.one_of(st.integers(low, high), edge), wild, 5)


addrs = like(*ADDRS)
amounts = ints(-5, 20_000, 0, 1, 999, 1_000, 2_000, 10**6, 2**63 - 1)
pids = ints(0, 7)
keys = like(*KEYS)
markets = ints(-1, 5)


def proposal_actions(wild: st.SearchStrategy) -> st.SearchStrategy:
    """One proposal action: mostly of a known kind with plausible arguments."""
    def i(low: int, high: int, *edges: int) -> st.SearchStrategy:
        return ints(low, high, *edges, wild=wild)

    def one(*options) -> st.SearchStrategy:
        return like(*options, wild=wild)

    addr, key = one(*ADDRS), one(*KEYS)
    tiers = st.one_of(st.just(((0, 10), (1_000_000_000_000, 5))),
                      st.lists(st.tuples(i(0, 10**13), i(0, 300)), max_size=3).map(tuple), wild)
    shapes = {
        "stewardStep": st.tuples(key, i(1, 10**9)),
        "setRiskParam": st.tuples(key, i(0, 10**9)),
        "setFeeSchedule": st.tuples(one("fee.tier0.taker", "fee.tier0.maker",
                                        "operatorFeeShareBps", "fee.x"), i(-10**8, 10**8)),
        "ratifyGuardianAction": st.tuples(i(0, 3)),
        "setOracleSet": st.tuples(st.lists(st.tuples(addr, i(-1, 10)), max_size=4).map(tuple)),
        "setStewardBounds": st.tuples(key, i(0, 10**9), i(0, 10**9), i(0, 20_000),
                                      i(-1, 10**9)),
        "setMarketStatus": st.tuples(i(-1, 5), i(-1, 4)),
        "slashOperator": st.tuples(addr, i(-1, 20_000), one("late", "")),
        "listMarket": st.tuples(one("DOGE", "BTC", "", "\u00c4", "a b"), i(-1, 7), tiers,
                                i(-1, 10**17), one(True, False)),
        "delistMarket": st.tuples(i(-1, 5), i(-1, 10**7, 0, 2**62, 2**63 - 1)),
        "treasuryTransfer": st.tuples(addr, i(-5, 200_000, 0, 1, 100_000, 2**63 - 1)),
        "insuranceTransfer": st.tuples(i(-2, 5), i(-2, 5), i(-5, 10**12, 1, 2**63 - 1)),
        "setOperatorSet": st.tuples(one("sequencer", "oracle", "relayer", "judge"),
                                    i(-5, 20_000)),
        "setGovernanceRule": st.tuples(one(*RULES, "minBond.oracle", "minBond.x", "nope"),
                                       i(-1, 10**12, 10**30)),
        "setLaneParams": st.tuples(i(-1, 4), *[i(0, 10**10)] * 7),
        "setGuardians": st.tuples(st.lists(addr, max_size=4).map(tuple), i(-1, 5)),
        "setStewards": st.tuples(st.lists(addr, max_size=3).map(tuple)),
        "scheduleUpgrade": st.tuples(i(0, 5), i(0, 10**7)),
    }
    assert set(shapes) == set(SHAPES)
    known = st.sampled_from(sorted(shapes)).flatmap(
        lambda kind: shapes[kind].map(lambda args: (kind, *args)))
    return mostly(known, wild, 7)


one_action = proposal_actions(hostile)
action_lists = st.one_of(st.sampled_from((QUEUED, SUCCEEDED, ACTIVE, PENDING)),
                         st.lists(one_action, max_size=4).map(tuple), hostile)
GUARDIAN_PARAMS = st.one_of(st.tuples(markets), st.tuples(keys, ints(1, 50)), st.tuples(pids),
                            hostile)
PLAUSIBLE_TXS = {
    "transfer": st.tuples(addrs, amounts),
    "delegate": st.tuples(addrs),
    "propose": st.tuples(action_lists),
    "vote": st.tuples(pids, ints(-1, 3)),
    "queue": st.tuples(pids, action_lists),
    "execute": st.tuples(pids, action_lists),
    "cancel": st.tuples(pids),
    "guardianSign": st.tuples(ints(0, 3), like("pauseMarket", "reduceOnly", "fallbackOracle",
                                                "raiseMargin", "veto", "vetoSlash", "unpause"),
                              GUARDIAN_PARAMS),
    "guardianRemove": st.tuples(addrs),
    "stewardUpdate": st.tuples(keys, ints(-1, 10**9, 30, 32, 140_000_000)),
    "operatorBond": st.tuples(like("sequencer", "oracle", "relayer", "judge"), amounts),
    "operatorUnbond": st.tuples(amounts),
    "operatorRelease": st.just(()),
    "submitEvidence": st.tuples(like("oracleEquivocation", "fraudulentBatch"), ints(-1, 2)),
    "executeSlash": st.tuples(ints(0, 3)),
    "incidentReport": st.tuples(ints(0, 5), like("what happened", "", "x" * 9_000)),
    "incidentOpen": st.tuples(like("sequencerOutage", "oracleOutage", "x"), like("node", ""),
                              ints(0, 2 * 10**12), ints(0, 2 * 10**12), like("it stopped")),
}
assert set(PLAUSIBLE_TXS) == set(KINDS) and set(KINDS.values()) == set(TRANSACTIONS)


def _args(kind: str) -> st.SearchStrategy:
    plausible = PLAUSIBLE_TXS.get(kind, st.just(()))
    wrong_length = st.lists(hostile, max_size=6).map(tuple)
    return mostly(plausible, st.one_of(wrong_length, hostile), 5)


def as_tx(kind: object, args: object):
    """The typed transaction when its arguments fill its fields (as the wire and a batch body
    send it); a wrong arity or an unknown kind, which no typed record can carry, becomes a vote
    whose fields hold the hostile kind and arguments instead."""
    cls = KINDS.get(kind) if type(kind) is str else None
    if cls is not None and type(args) is tuple and len(args) == len(cls.__slots__):
        return cls(*args)
    return GovVote(kind, args)


kinds = st.one_of(st.sampled_from(sorted(PLAUSIBLE_TXS)), st.sampled_from(sorted(PLAUSIBLE_TXS)),
                  st.sampled_from(("", "mint", "Propose", 5, None, ("vote",), Noop("x"))))
gov_txs = st.tuples(st.sampled_from(ADDRS),
                    kinds.flatmap(lambda kind: _args(kind).map(lambda args: as_tx(kind, args))))


def check_encodable(state) -> bytes:
    """The state still hashes and its governance part round-trips through the leaf codec."""
    digest = state_digest(state)
    assert gov_leaf(decode_gov(gov_leaf(state.gov))) == gov_leaf(state.gov)
    return digest


def run_hostile(state, txs) -> None:
    for signer, tx in txs:
        before = state_digest(state)
        events: list = []
        step = plan_gov_tx(state, signer, tx, events)
        assert state_digest(state) == before and events == [], f"checking {tx} changed state"
        if isinstance(step, str):
            assert step.startswith(REFUSAL_PREFIXES), step
            continue
        assert apply_gov_tx(state, signer, tx, events) is None
        check_encodable(state)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from(range(len(BASES))), txs=st.lists(gov_txs, min_size=1, max_size=6))
def test_hostile_governance_transactions_apply_or_change_nothing(base, txs) -> None:
    state = copy_state(BASES[base])
    run_hostile(state, txs)
    next_block(state)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=st.lists(proposal_actions(well_typed), min_size=1, max_size=4).map(tuple))
def test_any_proposal_that_passes_its_checks_executes_whole_or_not_at_all(actions) -> None:
    """Whatever a proposal holds, once voted through its execution applies every action or
    none: the plan checks each action against the state and the steps refuse nothing."""
    state = copy_state(LIVE.state)
    error = apply_gov_tx(state, WHALE, GovPropose(actions), [])
    if error is not None:
        assert error.startswith("Governance: "), error
        return
    gov = state.gov
    pid = gov.governor.next_pid - 1
    p = gov.governor.proposals[pid]  # voted through: every active token for it, eta now
    p.voting_start_ms, p.deadline_ms, p.eta_ms = state.time_ms - 2, state.time_ms - 1, \
        state.time_ms
    p.votes = [0, p.active_supply, 0]
    assert gov.governor.state(pid, state.time_ms) == "Queued"
    before = check_encodable(state)
    events: list = []
    error = apply_gov_tx(state, WHALE, GovExecute(pid, actions), events)
    if error is None:
        assert p.executed and not gov.halted
        check_encodable(state)
        next_block(state)
    else:
        assert error.startswith("Governance: "), error
        assert state_digest(state) == before and events == [] and not p.executed


def next_block(state) -> None:
    """An empty block still runs on whatever the transactions left, and its state encodes."""
    apply_block(state, Block(state.height + 1, state.time_ms + 200, ()))
    check_encodable(state)


def test_the_wire_refuses_what_no_governance_rule_could_take() -> None:
    """Integers beyond the engine's range and lone surrogates (JSON can carry both) never
    become a transaction; the engine refuses them again when they arrive from L1."""
    for bad in (2**63, -(2**63) - 1, 10**40, "\ud800", [1, [2, 10**30]]):
        try:
            parse_gov_action({"type": "govVote", "proposal": bad, "support": 1})
        except WireError as exc:
            assert "Invalid governance argument" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was parsed")
    ok = parse_gov_action({"type": "govVote", "proposal": 2**63 - 1, "support": True})
    assert ok == GovVote(2**63 - 1, True) and type(ok.support) is bool
    state = copy_state(LIVE.state)
    for args in ((2**63, 1), ("\ud800", 1), ((((((1,),),),),), 1)):
        for tx in (GovVote(*args),):
            error = apply_gov_tx(state, WHALE, tx, [])
            assert error.startswith("Governance: "), error
