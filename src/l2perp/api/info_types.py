"""Every `POST /info` type in one table: its answer and its IP weight (Hyperliquid's scale,
ratelimit.py). Adding a type is one entry in INFO_TYPES; `info_answer` looks a request up, and
the server charges `info_weight` before answering and `info_items_weight` after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..node.service import Node
from . import accounts_info as A
from . import gov_api as G
from . import history as H
from . import info as I
from . import rollup_rows as R
from . import twaps as TW
from .daystats import DayStatsCache
from .errors import shown
from .fee_schedule import fee_schedule
from .fields import address_field, asset_field, index_field, ms_field, oid_field, user_field
from .health import margin_health
from .ratelimit import INFO_WEIGHT, INFO_WEIGHT_HEAVY, INFO_WEIGHT_LIGHT, Limiter
from .portfolio import portfolio
from .solvency import solvency
from .webdata import active_asset_data

LIGHT, HEAVY = INFO_WEIGHT_LIGHT, INFO_WEIGHT_HEAVY


@dataclass(slots=True)
class InfoQuery:
    """One /info request being answered: the node, the body, the app's day-statistics cache;
    its methods read the body's fields (ValueError with the client's text when one is bad)."""

    node: Node
    body: dict
    days: DayStatsCache
    limiter: Limiter | None = None  # the app's rate limiter (None: limits off)

    @property
    def state(self):
        return self.node.state

    def user(self) -> str:
        return user_field(self.body)

    def asset(self) -> int:
        return asset_field(self.node.state, self.body.get("coin"))

    def ms(self, key: str, default: int | None = 0) -> int | None:
        return ms_field(self.body, key, default)

    def oid(self) -> int | str:
        return oid_field(self.body)


@dataclass(frozen=True, slots=True)
class InfoType:
    """One /info type: its answer, the IP weight charged before answering, and for the
    history types one more weight per `per_items` items answered (0: none)."""

    answer: Callable[[InfoQuery], object]
    weight: int = INFO_WEIGHT
    per_items: int = 0


def node_status(node: Node) -> dict:
    """l2perpStatus: height, time, markets, mempool, the log's bytes on disk, halt, devnet."""
    state = node.state
    log = node.sequencer.log.path
    size = sum(p.stat().st_size for p in log.parent.glob(log.name + "*"))
    return {"height": state.height, "time": state.time_ms,
            "markets": [m.name for m in state.markets], "mempool": len(node.sequencer.mempool),
            "logBytes": size, "halted": node.halted, "devnet": state.config.devnet}


# Hyperliquid docs: "additional rate limit weight per 20 items returned" (60 for candles)
PER_20, PER_60 = 20, 60

INFO_TYPES: dict[str, InfoType] = {
    # Hyperliquid's types (docs/api.md)
    "meta": InfoType(lambda q: I.meta(q.state)),
    "spotMeta": InfoType(lambda q: I.spot_meta(q.state)),
    "allMids": InfoType(lambda q: I.all_mids(q.state), LIGHT),
    "l2Book": InfoType(lambda q: I.l2_book(q.state, q.asset()), LIGHT),
    "clearinghouseState": InfoType(lambda q: I.clearinghouse_state(q.state, q.user()), LIGHT),
    "spotClearinghouseState": InfoType(lambda q: {"balances": []}, LIGHT),
    "openOrders": InfoType(lambda q: I.open_orders(q.state, q.user())),
    "frontendOpenOrders": InfoType(lambda q: I.open_orders(q.state, q.user(), frontend=True)),
    "metaAndAssetCtxs": InfoType(lambda q: I.meta_and_asset_ctxs(q.state, q.days.get(q.node))),
    "spotMetaAndAssetCtxs": InfoType(lambda q: [I.spot_meta(q.state), []]),
    "exchangeStatus": InfoType(lambda q: I.exchange_status(q.state), LIGHT),
    "perpDexs": InfoType(lambda q: [None]),
    "userAbstraction": InfoType(lambda q: "disabled"),
    "userFills": InfoType(lambda q: H.user_fills(q.node, q.user()), per_items=PER_20),
    "userFillsByTime": InfoType(lambda q: H.user_fills(
        q.node, q.user(), q.ms("startTime"), q.ms("endTime", None)), per_items=PER_20),
    "fundingHistory": InfoType(lambda q: H.funding_history(
        q.node, q.asset(), q.ms("startTime"), q.ms("endTime", None)), per_items=PER_20),
    "userFunding": InfoType(lambda q: H.user_funding(
        q.node, q.user(), q.ms("startTime"), q.ms("endTime", None)), per_items=PER_20),
    "candleSnapshot": InfoType(lambda q: H.candle_snapshot(q.node, q.body.get("req")),
                               per_items=PER_60),
    "l2perpStatus": InfoType(lambda q: node_status(q.node)),  # l2perp
    "marginHealth": InfoType(lambda q: margin_health(q.state, q.user())),  # l2perp
    "orderStatus": InfoType(lambda q: H.order_status(q.node, q.user(), q.oid()), LIGHT),
    "userFees": InfoType(lambda q: I.user_fees(q.state, q.user())),
    "predictedFundings": InfoType(lambda q: I.predicted_fundings(q.state)),
    "marginTable": InfoType(lambda q: I.margin_table_by_id(q.state, index_field(q.body, "id"))),
    "feeSchedule": InfoType(lambda q: fee_schedule(  # l2perp: tiers and the L1 data fee
        q.state, address_field(q.body, "user") if q.body.get("user") is not None else None)),
    "userRole": InfoType(lambda q: I.user_role(q.state, q.user()), HEAVY),
    "extraAgents": InfoType(lambda q: I.extra_agents(q.state, q.user())),
    "historicalOrders": InfoType(lambda q: H.historical_orders(q.node, q.user()),
                                 per_items=PER_20),
    "twapStates": InfoType(lambda q: TW.twap_states(q.state, q.user())),
    "userTwapSliceFills": InfoType(lambda q: TW.user_twap_slice_fills(q.node, q.user()),
                                   per_items=PER_20),
    "twapHistory": InfoType(lambda q: TW.twap_history(q.node, q.user()), per_items=PER_20),
    "userRateLimit": InfoType(lambda q: I.user_rate_limit(q.state, q.user(), q.limiter)),
    "activeAssetData": InfoType(lambda q: active_asset_data(q.state, q.user(), q.asset())),
    "portfolio": InfoType(lambda q: portfolio(q.node, q.user())),
    # l2perp: values every account, like a full state scan
    "solvency": InfoType(lambda q: solvency(q.node), HEAVY),
    "devnetKeys": InfoType(lambda q: I.devnet_keys(q.state), LIGHT),  # l2perp: constant
    # sub-accounts, builders and vaults (accounts_info.py)
    "subAccounts": InfoType(lambda q: A.sub_accounts(q.state, q.user())),
    "maxBuilderFee": InfoType(lambda q: A.max_builder_fee(
        q.state, q.user(), address_field(q.body, "builder"))),
    "vaultSummaries": InfoType(lambda q: A.vault_summaries(q.state)),
    "vaultDetails": InfoType(lambda q: A.vault_details(
        q.state, address_field(q.body, "vaultAddress"),
        address_field(q.body, "user") if q.body.get("user") is not None else None)),
    "userVaultEquities": InfoType(lambda q: A.user_vault_equities(q.state, q.user())),
    # Hyperliquid's types for features l2perp does not have: their empty answers
    "userNonFundingLedgerUpdates": InfoType(lambda q: H.ledger_updates(
        q.node, q.user(), q.ms("startTime"), q.ms("endTime", None)), per_items=PER_20),
    "delegations": InfoType(lambda q: []),
    "delegatorRewards": InfoType(lambda q: [], per_items=PER_20),
    "delegatorHistory": InfoType(lambda q: [], per_items=PER_20),
    "delegatorSummary": InfoType(lambda q: {"delegated": "0", "undelegated": "0",
                                            "totalPendingWithdrawal": "0",
                                            "nPendingWithdrawals": 0}),
    "userDexAbstraction": InfoType(lambda q: None),
    "referral": InfoType(lambda q: {"referredBy": None, "cumVlm": "0",
                                    "unclaimedRewards": "0", "claimedRewards": "0",
                                    "builderRewards": "0", "rewardHistory": [],
                                    "referrerState": {"stage": "needToTrade",
                                                      "data": {"required": "10000"}}}),
    # l2perp: the rollup (rollup_rows.py)
    "rollupStatus": InfoType(lambda q: R.rollup_status(q.node)),
    "batch": InfoType(lambda q: R.batch(q.node, q.body)),
    "batches": InfoType(lambda q: R.batches(q.node, q.body)),
    "l1Status": InfoType(lambda q: R.l1_status(q.node)),
    "l1Log": InfoType(lambda q: R.l1_log(q.node, q.body)),
    "block": InfoType(lambda q: R.block(q.node, q.body)),
    # l2perp: governance (gov_api.py)
    "govParams": InfoType(lambda q: G.gov_params(q.state)),
    "govProposals": InfoType(lambda q: G.proposals(q.state)),
    "govProposal": InfoType(lambda q: G.proposal(q.state, q.body)),
    "govVotes": InfoType(lambda q: G.votes(q.state, q.body)),
    "govPower": InfoType(lambda q: G.power(q.state, q.body)),
    "guardians": InfoType(lambda q: G.guardians(q.state)),
    "stewards": InfoType(lambda q: G.stewards(q.state)),
    "operators": InfoType(lambda q: G.operators(q.state)),
    "incidents": InfoType(lambda q: G.incidents(q.state)),
}


def info_answer(node: Node, body: dict, days: DayStatsCache | None = None,
                limiter: Limiter | None = None) -> object:
    """The answer to one /info request (ValueError when it cannot be answered). `days` caches
    the 24-hour market statistics by height (without it, every request queries them);
    `limiter` is the app's rate limiter, whose counters userRateLimit reports."""
    kind = body.get("type")
    info_type = INFO_TYPES.get(kind)
    if info_type is None:
        raise ValueError(f"unknown info type {shown(kind)}")
    return info_type.answer(InfoQuery(node, body, days if days is not None else DayStatsCache(),
                                      limiter))


def info_weight(kind: object) -> int:
    """The IP weight of an /info request of type `kind` (any JSON value): an unknown type, or
    no type at all, costs what an ordinary request costs."""
    info_type = INFO_TYPES.get(kind) if isinstance(kind, str) else None
    return info_type.weight if info_type is not None else INFO_WEIGHT


def info_items_weight(kind: object, answer: object) -> int:
    """The extra IP weight of an /info answer that lists items (charged after answering)."""
    if not isinstance(answer, list) or not isinstance(kind, str):
        return 0
    info_type = INFO_TYPES.get(kind)
    if info_type is None or not info_type.per_items:
        return 0
    return len(answer) // info_type.per_items
