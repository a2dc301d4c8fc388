"""What an executed proposal does to the state, all or nothing.

`check_shape` runs at proposal time (arity and types of each typed action). `plan_actions` runs at
execution: it checks every action against the state, in order, as if the earlier ones had
applied (parameter values through an overlay), and returns one closure per action; the checks
change nothing and the closures refuse nothing, so a failing action leaves the proposal Queued
and the state untouched (docs/mechanics.md). Each action kind has one planner (`PLANNERS`).
Every parameter change is logged in the risk table with its source "proposal <id>".
"""

from __future__ import annotations

from typing import Callable

from ..markets import delist_market, list_market
from ..vaults import protocol_claim, protocol_transfer
from ..views import account_value
from ..oracle import oracle_twap
from ..params import MarginTier, MarketSpec
from ..state import (
    MARKET_ACTIVE, MARKET_DELISTED, MARKET_PAUSED, MARKET_REDUCE_ONLY, State, fund_account,
    fund_address,
)
from .args import ADDR, check_value, is_address
from .errors import GovernanceError
from .gov_state import TREASURY, GovState, Upgrade
from .operators import ROLES
from .params import (
    L1_FEE_KEYS, LANE_FIELDS, LANE_RANGES, RULES, ParamError, check_param, check_tiers,
    engine_keys, get_param, governance_values, lane_tuple, set_param, set_rule, tier_key,
    with_tier,
)
from .proposals import BPS, DAY_MS, GovError, Lane
from .stewards import Bounds, Change

Step = Callable[[], None]

# action kind -> argument types (ADDR: a 0x address string; tuple: a nested list)
SHAPES: dict[str, tuple] = {
    "stewardStep": (str, int),
    "setRiskParam": (str, int),
    "setFeeSchedule": (str, int),
    "ratifyGuardianAction": (int,),
    "setOracleSet": (tuple,),
    "setStewardBounds": (str, int, int, int, int),
    "setMarketStatus": (int, int),
    "slashOperator": (ADDR, int, str),
    "listMarket": (str, int, tuple, int, bool),
    "delistMarket": (int, int),
    "treasuryTransfer": (ADDR, int),
    "insuranceTransfer": (int, int, int),
    "setOperatorSet": (str, int),
    "setGovernanceRule": (str, int),
    "setLaneParams": (int, int, int, int, int, int, int, int),
    "setGuardians": (tuple, int),
    "setStewards": (tuple,),
    "scheduleUpgrade": (int, int),
}
# action kind -> (which argument is a list, the shape of each of its items)
ITEMS: dict[str, tuple[int, object]] = {
    "setOracleSet": (0, (ADDR, int)),  # (operator, stake)
    "listMarket": (2, (int, int)),  # margin tiers: (lower bound, max leverage)
    "setGuardians": (0, ADDR),
    "setStewards": (0, ADDR),
}


def check_shape(actions: tuple) -> None:
    """GovError unless every action has its kind's arity and argument types."""
    if type(actions) is not tuple:
        raise GovError("a proposal's actions are a list")
    check_value(actions)
    for action in actions:
        shape = SHAPES.get(action[0]) if isinstance(action, tuple) and action else None
        if shape is None:
            raise GovError(f"unknown action {action!r}")
        args = action[1:]
        if len(args) != len(shape):
            raise GovError(f"{action[0]} takes {len(shape)} arguments")
        for value, kind in zip(args, shape):
            ok = is_address(value) if kind is ADDR else type(value) is kind
            if not ok:
                raise GovError(f"{action[0]}: bad argument {value!r}")
        if action[0] in ITEMS:
            index, item = ITEMS[action[0]]
            for value in args[index]:
                if not _fits(value, item):
                    raise GovError(f"{action[0]}: bad item {value!r}")


def _fits(value: object, shape: object) -> bool:
    if type(shape) is tuple:
        return type(value) is tuple and len(value) == len(shape) and \
            all(_fits(v, s) for v, s in zip(value, shape))
    return is_address(value) if shape is ADDR else type(value) is shape


def log_change(gov: GovState, key: str, old: int, new: int, source: str, now_ms: int) -> None:
    """Record a governed value's change with its source (the traceability log)."""
    gov.table.values[key] = new
    gov.table.log.append(Change(key, old, new, source, "governance", now_ms))


class _Plan:
    """The checks of one execution, with the parameter overlay of the actions before."""

    def __init__(self, state: State, gov: GovState, pid: int, now_ms: int,
                 events: list) -> None:
        self.state, self.gov, self.pid, self.now = state, gov, pid, now_ms
        self.events = events
        self.source = f"proposal {pid}"
        self.overlay: dict[str, int] = {}
        self.rules = governance_values(gov)
        self.treasury_out = 0
        self.fund_out: dict[int, int] = {}
        self.markets_touched: set[int] = set()

    def param(self, key: str, value: int) -> None:
        """Check an engine parameter as if earlier actions had applied."""
        state = self.state
        get_param(state, key)  # ParamError for a key the table does not have
        self.overlay[key] = value
        if tier_key(key) is None:
            try:
                check_param(state, key, value)
            except ParamError as exc:
                raise GovError(str(exc)) from None

    def finish(self) -> None:
        """Margin tiers are checked once all of a proposal's tier changes are in."""
        state = self.state
        tiers_of: dict[int, tuple[MarginTier, ...]] = {}
        for k, v in self.overlay.items():
            split = tier_key(k)
            if split is not None:
                asset, tier = split
                before = tiers_of.get(asset, state.markets[asset].spec.margin_tiers)
                tiers_of[asset] = with_tier(before, tier, v)
        for tiers in tiers_of.values():
            try:
                check_tiers(tiers)
            except ParamError as exc:
                raise GovError(str(exc)) from None


def plan_actions(state: State, gov: GovState, pid: int, actions: tuple, now_ms: int,
                 events: list) -> list[Step]:
    """Check every action in order; return the closures that apply them (GovError otherwise).
    `events` receives what a delisting emits (cancels, settlements)."""
    check_shape(actions)
    plan = _Plan(state, gov, pid, now_ms, events)
    steps = []
    for action in actions:
        try:
            steps.append(plan_action(plan, action))
        except GovernanceError as exc:
            raise GovError(f"{action[0]}: {exc}") from None
    plan.finish()
    return steps


def plan_action(plan: _Plan, action: tuple) -> Step:
    """Check one action (its shape already checked); the step that applies it."""
    planner = PLANNERS.get(action[0])
    if planner is None:
        raise GovError(f"unknown action {action[0]!r}")
    return planner(plan, *action[1:])


# ----- parameters --------------------------------------------------------------------------------

def _set_risk_param(plan: _Plan, key: str, value: int) -> Step:
    return _param_step(plan, key, value)


def _steward_step(plan: _Plan, key: str, value: int) -> Step:
    """A bounded move the stewards could have made, voted in the steward lane."""
    bounds = plan.gov.table.bounds.get(key)
    if bounds is None:
        raise GovError(f"{key} has no steward bounds")
    old = plan.overlay.get(key, get_param(plan.state, key))
    if not bounds.low <= value <= bounds.high or value == 0 or \
            abs(value - old) * BPS > bounds.max_step_bps * abs(old):
        raise GovError(f"{key}: {value} is not a bounded steward step from {old}")
    return _param_step(plan, key, value, steward=True)


def _set_fee_schedule(plan: _Plan, key: str, value: int) -> Step:
    """A fee tier's rate or the L1 data fee's model (from the next UTC day), or the operators'
    fee share."""
    if not key.startswith("fee."):
        if key != "operatorFeeShareBps":
            raise GovError(f"{key} is not a fee parameter")
        return _rule(plan, key, value)
    if not key.startswith("fee.tier") and key not in L1_FEE_KEYS:
        raise GovError(f"{key} is not a fee parameter")
    return _param_step(plan, key, value)


def _param_step(plan: _Plan, key: str, value: int, steward: bool = False) -> Step:
    """A governed engine value: checked through the overlay; a fee rate applies from the next
    UTC day, anything else at once."""
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    plan.param(key, value)
    if key.startswith("fee."):
        def apply_fee() -> None:  # fee schedules change at the next UTC day
            gov.pending_fees[key] = value
            gov.pending_fees_day = state.time_ms // DAY_MS + 1
            gov.table.log.append(Change(key, get_param(state, key), value,
                                        source + " (from the next UTC day)", "governance", now))
        return apply_fee

    def apply_param() -> None:
        old = set_param(state, key, value, check=False)  # the plan checked the whole set
        log_change(gov, key, old, value, source, now)
        if steward:
            gov.table.last_steward_ms[key] = now
    return apply_param


def _set_steward_bounds(plan: _Plan, key: str, low: int, high: int, step_bps: int,
                        debounce_ms: int) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    get_param(plan.state, key)  # ParamError for a key the table does not have
    if not (0 < low <= high and 0 < step_bps <= BPS and debounce_ms >= 0):
        raise GovError("steward bounds need 0 < low <= high, 0 < step <= 10000, "
                       "debounce >= 0")

    def set_bounds() -> None:
        gov.table.bounds[key] = Bounds(low, high, step_bps, debounce_ms)
        log_change(gov, f"bounds.{key}", 0, high, source, now)
    return set_bounds


# ----- governance's own rules ------------------------------------------------------------------

def _set_governance_rule(plan: _Plan, key: str, value: int) -> Step:
    return _rule(plan, key, value)


def _set_operator_set(plan: _Plan, role: str, min_bond: int) -> Step:
    if role not in ROLES or min_bond <= 0:
        raise GovError("setOperatorSet takes a role and a positive minimum bond")
    return _rule(plan, f"minBond.{role}", min_bond)


def _rule(plan: _Plan, key: str, value: int) -> Step:
    """One of RULES or a role's minimum bond, checked with the proposal's earlier rule changes
    (the unbonding period must outlast the evidence window)."""
    gov, source, now = plan.gov, plan.source, plan.now
    full = f"gov.{key}"
    if key.startswith("minBond."):
        if key.split(".", 1)[1] not in ROLES or type(value) is not int or value <= 0:
            raise GovError(f"{key}: a known role's minimum bond, positive")
    elif key not in RULES:
        raise GovError(f"unknown governance rule {key!r}")
    else:
        _, _, low, high = RULES[key]
        if not low <= value <= high:
            raise GovError(f"{key} {value} outside [{low}, {high}]")
    plan.rules[full] = value
    if plan.rules["gov.unbondingMs"] <= plan.rules["gov.evidenceWindowMs"]:
        raise GovError("unbonding must outlast the evidence window")

    def apply() -> None:
        old = governance_values(gov)[full]
        if key.startswith("minBond."):
            gov.registry.min_bond[key.split(".", 1)[1]] = value
        else:
            set_rule(gov, key, value)
        log_change(gov, full, old, value, source, now)
    return apply


def _set_lane_params(plan: _Plan, lane: int, *fields: int) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    if not 0 <= lane < len(gov.governor.lanes):
        raise GovError(f"unknown lane {lane}")
    for name, value, (low, high) in zip(LANE_FIELDS, fields, LANE_RANGES):
        if not low <= value <= high:
            raise GovError(f"lane {name} {value} outside [{low}, {high}]")

    def set_lane() -> None:
        lanes = list(gov.governor.lanes)
        old = lane_tuple(lanes[lane])
        lanes[lane] = Lane(*fields)
        gov.governor.lanes = tuple(lanes)
        for name, before, after in zip(LANE_FIELDS, old, fields):
            if before != after:
                log_change(gov, f"lane{lane}.{name}", before, after, source, now)
    return set_lane


def _schedule_upgrade(plan: _Plan, version: int, height: int) -> Step:
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    if version <= gov.rule_version or any(u.version >= version for u in gov.upgrades):
        raise GovError("an upgrade raises the rule version")
    earliest = state.height + gov.upgrade_exit_blocks
    if height < earliest:
        raise GovError(f"activation at height >= {earliest} (an exit window after "
                       "execution)")

    def schedule() -> None:
        gov.upgrades.append(Upgrade(version, height, state.height, plan.pid))
        log_change(gov, "ruleVersion.scheduled", gov.rule_version, version, source, now)
    return schedule


# ----- people: guardians, stewards, oracle and operators -----------------------------------------

def _ratify_guardian_action(plan: _Plan, nonce: int) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    if not gov.guardians.in_force(nonce, now):
        raise GovError(f"guardian action {nonce} is not in force")

    def ratify() -> None:
        gov.guardians.ratify(nonce, now)
        for record in gov.incidents:
            if record.guardian_nonce == nonce:
                record.timeline.append((now, f"ratified by {source}"))
    return ratify


def _set_guardians(plan: _Plan, members: tuple, threshold: int) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    if not members or len(set(members)) != len(members) \
            or not all(is_address(m) for m in members) or not 0 < threshold <= len(members):
        raise GovError("guardians are distinct addresses with 0 < threshold <= seats")

    def seat() -> None:
        g = gov.guardians
        old = len(g.members)
        g.members, g.threshold = tuple(members), threshold
        g.cohorts = {m: i % 2 for i, m in enumerate(members)}
        g.last_active_ms = {m: now for m in members}  # liveness counts from the seating
        term = g.term_ends_ms[1] - g.term_ends_ms[0]
        g.term_ends_ms = (now + max(term, 1), now + 2 * max(term, 1))
        log_change(gov, "guardians", old, len(members), source, now)
    return seat


def _set_stewards(plan: _Plan, members: tuple) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    if len(set(members)) != len(members) or not all(is_address(m) for m in members):
        raise GovError("stewards are distinct addresses")

    def set_stewards() -> None:
        old = len(gov.table.stewards)
        gov.table.stewards = tuple(members)
        log_change(gov, "stewards", old, len(members), source, now)
    return set_stewards


def _set_oracle_set(plan: _Plan, members: tuple) -> Step:
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    stakes = {}
    for row in members:
        if not (isinstance(row, tuple) and len(row) == 2 and is_address(row[0])
                and type(row[1]) is int and row[1] > 0) or row[0] in stakes:
            raise GovError("the oracle set is distinct (address, positive stake) pairs")
        stakes[row[0]] = row[1]
    if len(stakes) < 3:
        raise GovError("an oracle needs at least three operators")

    def set_oracles() -> None:
        state.oracle_stakes = dict(sorted(stakes.items()))
        for market in state.markets:
            market.round_reports = {}
        log_change(gov, "oracleSet", 0, len(stakes), source, now)
    return set_oracles


def _slash_operator(plan: _Plan, address: str, bps: int, reason: str) -> Step:
    gov, now, source = plan.gov, plan.now, plan.source
    if address not in gov.registry.operators or not 0 < bps <= BPS:
        raise GovError("slash a registered operator by 1 to 10,000 bps")

    def request() -> None:
        sid = gov.registry.request_slash(address, bps, reason, now)
        log_change(gov, f"slashRequest.{sid}", 0, bps, source, now)
    return request


# ----- markets -----------------------------------------------------------------------------------

def _set_market_status(plan: _Plan, asset: int, status: int) -> Step:
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    _market_ok(state, asset)
    _touch_market(plan, asset)
    if status not in (MARKET_ACTIVE, MARKET_REDUCE_ONLY, MARKET_PAUSED):
        raise GovError("status is 0 (active), 1 (reduce-only) or 2 (paused)")

    def set_status() -> None:
        old = state.markets[asset].status
        state.markets[asset].status = status
        log_change(gov, f"{asset}.status", old, status, source, now)
    return set_status


def _list_market(plan: _Plan, name: str, sz_decimals: int, tiers: tuple, oi_cap_musdc: int,
                 only_isolated: bool) -> Step:
    """A new market; `tiers` are (lower bound in micro-USDC, max leverage) pairs (ITEMS)."""
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    spec = MarketSpec(name, sz_decimals, tuple(MarginTier(b, lev) for b, lev in tiers),
                      oi_cap_musdc=oi_cap_musdc, only_isolated=only_isolated)
    try:
        check_tiers(spec.margin_tiers)
    except ParamError as exc:
        raise GovError(f"listMarket: {exc}") from None
    if not (1 <= len(name) <= 12 and name.isascii() and name.isalnum()) \
            or not 0 <= sz_decimals <= 5 \
            or oi_cap_musdc < 0 or any(m.name == name for m in state.markets):
        raise GovError(f"listMarket: {name!r} is taken or malformed")

    def list_it() -> None:
        market = list_market(state, spec)
        for key in engine_keys(state):
            if key.startswith(f"{market.asset}."):
                gov.table.values[key] = get_param(state, key)
        log_change(gov, f"{market.asset}.listed", 0, 1, source, now)
    return list_it


def _delist_market(plan: _Plan, asset: int, settlement_pips: int) -> Step:
    """Settle every position at `settlement_pips` (0: the oracle TWAP) and cancel every order."""
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    _market_ok(state, asset)
    _touch_market(plan, asset)
    if settlement_pips < 0:
        raise GovError("settlement price must be positive (0: the oracle TWAP)")
    if settlement_pips == 0 and oracle_twap(state.markets[asset], now) <= 0:
        raise GovError(f"market {asset} has no oracle TWAP to settle at: give a price")
    unreported = [r.iid for r in gov.incidents if r.asset == asset and r.filed_ms < 0]
    if unreported:
        raise GovError(f"market {asset} has incidents without a report: {unreported}")

    def delist() -> None:
        error = delist_market(state, asset, settlement_pips, plan.events)
        if error is not None:  # the plan checked what delist_market checks
            raise RuntimeError(f"delisting market {asset} failed after its checks: {error}")
        log_change(gov, f"{asset}.status", 0, MARKET_DELISTED, source, now)
    return delist


def _touch_market(plan: _Plan, asset: int) -> None:
    """One status-changing action per market and proposal (delist then reopen is ambiguous)."""
    if asset in plan.markets_touched:
        raise GovError(f"market {asset} is changed twice in one proposal")
    plan.markets_touched.add(asset)


def _market_ok(state: State, asset: int) -> None:
    if not 0 <= asset < len(state.markets):
        raise GovError(f"unknown market {asset}")
    if state.markets[asset].status == MARKET_DELISTED:
        raise GovError(f"market {asset} is delisted")


# ----- money -------------------------------------------------------------------------------------

def _treasury_transfer(plan: _Plan, to: str, amount: int) -> Step:
    """Treasury tokens to `to`, within the outflow cap per governance epoch."""
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    if amount <= 0:
        raise GovError("transfer a positive amount")
    plan.treasury_out += amount
    if gov.token.balances.get(TREASURY, 0) < plan.treasury_out:
        raise GovError("the treasury holds too little")
    epoch = gov.governor.epoch(now)
    cap = gov.outflow_cap_per_epoch
    if cap and gov.outflow_by_epoch.get(epoch, 0) + plan.treasury_out > cap:
        raise GovError(f"treasury outflow cap of {cap} per epoch exceeded")

    def pay() -> None:
        gov.token.transfer(TREASURY, to, amount, state.height)
        gov.outflow_by_epoch[epoch] = gov.outflow_by_epoch.get(epoch, 0) + amount
        log_change(gov, "treasury", 0, amount, source, now)
    return pay


def _insurance_transfer(plan: _Plan, src: int, dst: int, amount_musdc: int) -> Step:
    """Cash between the fee pool (-1), the shared fund (0) and isolated markets' funds
    (asset + 1)."""
    state, gov, now, source = plan.state, plan.gov, plan.now, plan.source
    partitions = {-1, 0} | {m.asset + 1 for m in state.markets if m.spec.only_isolated}
    if amount_musdc <= 0 or src == dst or src not in partitions or dst not in partitions:
        raise GovError("move a positive amount between the fee pool (-1), the shared fund "
                       "(0) and isolated markets' funds (asset + 1)")
    plan.fund_out[src] = plan.fund_out.get(src, 0) + amount_musdc
    fund = state.accounts.get(fund_address(src)) if src >= 0 else None
    # a fund that took deposits (a protocol vault) lends out only the protocol's own part
    available = state.fee_pool_musdc if src == -1 else (
        min(fund.cash_musdc, protocol_claim(state, fund)) if fund else 0)
    if available < plan.fund_out[src]:
        raise GovError("the source holds too little")

    def move() -> None:
        # the funds' own shares follow the money, so depositors' claims do not move
        if src == -1:
            state.fee_pool_musdc -= amount_musdc
        else:
            source_fund = fund_account(state, src)
            value = account_value(state, source_fund)
            source_fund.cash_musdc -= amount_musdc
            protocol_transfer(source_fund, value, -amount_musdc)
        if dst == -1:
            state.fee_pool_musdc += amount_musdc
        else:
            target = fund_account(state, dst)
            value = account_value(state, target)
            target.cash_musdc += amount_musdc
            protocol_transfer(target, value, amount_musdc)
        log_change(gov, f"insurance.{src}->{dst}", 0, amount_musdc, source, now)
    return move


# action kind -> the planner that checks it and returns its step (arguments as in SHAPES)
PLANNERS: dict[str, Callable[..., Step]] = {
    "stewardStep": _steward_step,
    "setRiskParam": _set_risk_param,
    "setFeeSchedule": _set_fee_schedule,
    "ratifyGuardianAction": _ratify_guardian_action,
    "setOracleSet": _set_oracle_set,
    "setStewardBounds": _set_steward_bounds,
    "setMarketStatus": _set_market_status,
    "slashOperator": _slash_operator,
    "listMarket": _list_market,
    "delistMarket": _delist_market,
    "treasuryTransfer": _treasury_transfer,
    "insuranceTransfer": _insurance_transfer,
    "setOperatorSet": _set_operator_set,
    "setGovernanceRule": _set_governance_rule,
    "setLaneParams": _set_lane_params,
    "setGuardians": _set_guardians,
    "setStewards": _set_stewards,
    "scheduleUpgrade": _schedule_upgrade,
}
