"""The inverse of `encoding`: a full `State` from committed data alone.

The fraud-proof judge and an escaping user hold nothing but L1 data: the genesis configuration,
the shared-state preimage and account leaves proven against a root. `decode_state` rebuilds the
state the engine would hold, including what the encoding leaves implicit: books (orders rest in
their owner's leaf with their queue sequence number), cloid and agent indexes, trigger maps and
order groups. `encode` after `decode` is the identity, and executing blocks on a decoded state
gives the same results as on the original (tests check both).
"""

from __future__ import annotations

from collections import deque

import msgpack

from .governance.codec import decode_gov
from .governance.params import governed_config
from ..codec import CodecError, canonical, h256, uncanonical
from .book import Book, Order, TpslGroup
from .encoding import config_leaf, encode_account, shared_leaf
from .params import EngineConfig, MarginTier, MarketSpec
from .state import (
    Account, Agent, Incident, L1FeeBook, Leverage, Market, NonceSet, OracleEvidence, Position,
    State, Twap, Vault, Withdrawal, make_market,
)


class DecodeError(ValueError):
    """Data that is not a canonical encoding of a state."""


def unpack(data: bytes) -> list:
    """Canonical msgpack bytes -> nested lists."""
    try:
        tree = uncanonical(data)
    except CodecError as exc:
        raise DecodeError(str(exc)) from None
    if not isinstance(tree, list):
        raise DecodeError("not a list")
    return tree


def nonce_set(values: list) -> NonceSet:
    nonces = NonceSet()
    nonces.heap = sorted(values)  # a sorted list is a min-heap
    nonces.used = set(values)
    return nonces


def decode_order(row: list, user: str) -> tuple[Order, list]:
    """An order from `encode_order`; its children as oids (linked by the caller)."""
    (oid, asset, is_buy, limit_pips, size_lots, orig_lots, tif, reduce_only, cloid, timestamp_ms,
     seq, on_book, margin, leverage, trigger_pips, trigger_is_market, tpsl, is_position_tpsl,
     parent_oid, children, filled_lots, *paid) = row
    builder, builder_fee = paid if paid else (None, 0)
    if paid and (type(builder) is not str or type(builder_fee) is not int):
        raise DecodeError("an order's builder items must be an address and a fee")
    order = Order(oid, user, asset, is_buy, limit_pips, size_lots, tif, reduce_only, cloid,
                  timestamp_ms)
    order.orig_lots = orig_lots
    order.seq = seq
    order.on_book = on_book
    order.margin_musdc = margin
    order.leverage = leverage
    order.trigger_pips = trigger_pips
    order.trigger_is_market = trigger_is_market
    order.tpsl = tpsl
    order.is_position_tpsl = is_position_tpsl
    order.parent_oid = parent_oid
    order.filled_lots = filled_lots
    order.builder = builder
    order.builder_fee = builder_fee
    return order, children


def decode_account(data: bytes) -> Account:
    """An account from its leaf bytes (orders not yet on any book)."""
    try:
        (address, index, cash, positions, leverage, orders, order_margin, nonces, agents,
         scheduled_cancel_ms, volume_days, maker_volume_days, fee_day, taker_rate, maker_rate,
         liq_cooldowns, *family) = unpack(data)
        master, name, sub_accounts, builder_approvals, vault = \
            family[0] if family else (None, "", [], [], None)
        if len(family) > 1 or (family and family[0] == [None, "", [], [], None]):
            raise ValueError("an account's family item is absent, or one non-empty list")
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise DecodeError(f"not an account leaf: {exc}") from exc
    account = Account(address=address, index=index, cash_musdc=cash)
    account.positions = {k: Position(size, entry, raw, funding)
                         for k, size, entry, raw, funding in positions}
    account.leverage = {k: Leverage(is_cross, lev) for k, is_cross, lev in leverage}
    by_oid: dict[int, Order] = {}
    links: list[tuple[Order, list]] = []
    for row in orders:
        order, children = decode_order(row, address)
        by_oid[order.oid] = order
        links.append((order, children))
    groups: dict[tuple, TpslGroup] = {}  # the members of one group list the same child oids
    for order, children in links:
        if children:
            key = tuple(children)
            group = groups.get(key)
            if group is None:
                group = groups[key] = TpslGroup(list(children))
            order.group = group
    account.orders = by_oid
    account.encoded_orders.valid = False
    account.cloids = {o.cloid: o for o in by_oid.values() if o.cloid is not None}
    account.order_margin_musdc = order_margin
    account.nonces = nonce_set(nonces)
    account.agents = {k: Agent(k, address, name, nonce_set(n)) for k, name, n in agents}
    account.scheduled_cancel_ms = scheduled_cancel_ms
    account.volume_days = {d: v for d, v in volume_days}
    account.maker_volume_days = {d: v for d, v in maker_volume_days}
    account.fee_day = fee_day
    account.taker_rate_e9 = taker_rate
    account.maker_rate_e9 = maker_rate
    account.liq_cooldowns = {k: v for k, v in liq_cooldowns}
    account.master = master
    account.name = name
    account.sub_accounts = list(sub_accounts)
    account.builder_approvals = {b: rate for b, rate in builder_approvals}
    account.vault = None if vault is None else decode_vault(vault)
    return account


def decode_vault(row: list) -> Vault:
    """A vault's share book from `encoding.vault_fields`."""
    (leader, name, description, created_ms, lockup_ms, commission_e9, total_shares, closed,
     holders) = row
    vault = Vault(leader, name, description, created_ms, lockup_ms, commission_e9,
                  total_shares=total_shares, closed=closed)
    for user, shares, basis, locked_until in holders:
        vault.shares[user] = shares
        vault.basis[user] = basis
        vault.locked_until[user] = locked_until
    return vault


def decode_market(row: list, config: EngineConfig) -> tuple[Market, int]:
    """A market from `market_leaf`, and its book's next sequence number."""
    (asset, name, sz_decimals, max_leverage, status, oracle_pips, mark_pips, last_trade_pips,
     open_interest_lots, settlement_pips, next_seq, tiers, oi_cap, only_isolated, impact,
     cb_band, cb_window, cb_cooldown, insurance_seed, oracle_time_ms, oracle_round, reports,
     pinned_pips, oracle_source, ext_mid_pips, ext_mid_time_ms, price_history, cb_until_ms,
     stale, halted_reduce_only, mid_samples, basis_ema, basis_started, book_ema, book_started,
     premium_sum_e9, premium_slot, funding_hour, funding_rate_e9, funding_index) = row
    spec = MarketSpec(name, sz_decimals, tuple(MarginTier(b, lev) for b, lev in tiers), oi_cap,
                      only_isolated, impact, cb_band, cb_window, cb_cooldown, insurance_seed)
    m = make_market(asset, spec, config)
    if m.max_leverage != max_leverage:
        raise DecodeError(f"market {asset}: max leverage does not match its tiers")
    m.status, m.oracle_pips, m.mark_pips = status, oracle_pips, mark_pips
    m.last_trade_pips, m.open_interest_lots = last_trade_pips, open_interest_lots
    m.settlement_pips, m.oracle_time_ms = settlement_pips, oracle_time_ms
    m.oracle_round = oracle_round
    m.round_reports = {op: tuple(rest) for op, *rest in reports}
    m.pinned_pips, m.oracle_source = pinned_pips, oracle_source
    m.ext_mid_pips, m.ext_mid_time_ms = ext_mid_pips, ext_mid_time_ms
    m.price_history = deque([tuple(x) for x in price_history])
    m.cb_until_ms, m.stale, m.halted_reduce_only = cb_until_ms, stale, halted_reduce_only
    m.mid_samples = deque([tuple(x) for x in mid_samples])
    m.basis_ema, m.basis_started, m.book_ema, m.book_started = (
        basis_ema, basis_started, book_ema, book_started)
    m.premium_sum_e9, m.premium_slot, m.funding_hour = premium_sum_e9, premium_slot, funding_hour
    m.funding_rate_e9, m.funding_index = funding_rate_e9, funding_index
    return m, next_seq


def decode_state(config: EngineConfig, shared: bytes, leaves: list[bytes]) -> State:
    """The state whose shared leaf is `shared` and whose accounts are `leaves` (any order).

    Raises DecodeError when the shared leaf names another configuration or the data is not a
    canonical encoding."""
    try:
        fields = unpack(shared)
        # optional trailing items, each absent until first used: the devnet post-only end (an
        # integer), then the TWAP book (a list; None when an L1 data fee's book follows)
        extra = fields[SHARED_FIELDS:]
        del fields[SHARED_FIELDS:]
        (config_hash, height, time_ms, dev_time_offset_ms, dev_jump_ms, next_oid, next_tid,
         next_wid, fee_pool, credits, withdrawn, markets, withdrawals, volume_days,
         scheduled_cancels, triggers, admin_nonces, oracle_stakes, operator_nonces, evidence,
         incidents, grace_until_ms, withdrawal_gate, l1_cursor, gov) = fields
        gov = None if gov is None else decode_gov(gov)
        post_only_until_ms = 0
        if extra and type(extra[0]) is int:  # a positive integer: 0 would be a second
            post_only_until_ms, extra = extra[0], extra[1:]  # encoding of "absent"
            if post_only_until_ms <= 0:
                raise ValueError("the shared leaf's post-only end must be one positive integer")
        if len(extra) > 2:
            raise ValueError("the shared leaf has items beyond the L1 data fee's book")
        next_twap_id, twaps = decode_twap_book(extra[0] if extra else None)
        l1_fee = decode_l1_fee(extra[1]) if len(extra) == 2 else None
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise DecodeError(f"not a shared-state leaf: {exc}") from exc
    if gov is not None:  # governance may have changed engine-wide values since genesis
        config = governed_config(config, gov.table.values)
    if config_hash != h256(canonical(config_leaf_of(config))):
        raise DecodeError("the shared state names another configuration")
    decoded_markets = [decode_market(row, config) for row in markets]
    state = State(config=config, markets=[m for m, _ in decoded_markets],
                  books=[Book(m.asset) for m, _ in decoded_markets])
    for (m, next_seq), book in zip(decoded_markets, state.books):
        book.next_seq = next_seq
    accounts = sorted((decode_account(leaf) for leaf in leaves), key=lambda a: a.index)
    for position, account in enumerate(accounts):
        if account.index != position or account.address in state.accounts:
            raise DecodeError("account indexes must be dense and addresses unique")
        state.accounts[account.address] = account
        for agent in account.agents.values():
            state.agent_owner[agent.address] = account.address
    resting = sorted((o for a in accounts for o in a.orders.values() if o.on_book),
                     key=lambda o: (o.asset, o.seq))
    for order in resting:
        order.on_book = False
        state.books[order.asset].restore(order)
    state.height, state.time_ms = height, time_ms
    state.dev_time_offset_ms, state.dev_jump_ms = dev_time_offset_ms, dev_jump_ms
    state.next_oid, state.next_tid, state.next_wid = next_oid, next_tid, next_wid
    state.fee_pool_musdc, state.credits_musdc, state.withdrawn_musdc = fee_pool, credits, withdrawn
    state.withdrawals = [Withdrawal(*w) for w in withdrawals]
    state.volume_days = {d: v for d, v in volume_days}
    state.scheduled_cancels = {u: t for u, t in scheduled_cancels}
    orders_by_oid = {o.oid: o for a in accounts for o in a.orders.values()}
    state.triggers = [{oid: orders_by_oid[oid] for oid in oids} for oids in triggers]
    state.admin_nonces = nonce_set(admin_nonces)
    state.oracle_stakes = {op: stake for op, stake in oracle_stakes}
    state.operator_nonces = {op: nonce_set(n) for op, n in operator_nonces}
    state.oracle_evidence = [OracleEvidence(*e) for e in evidence]
    state.incidents = [Incident(*i) for i in incidents]
    state.grace_until_ms = grace_until_ms
    state.withdrawal_gate = list(withdrawal_gate)
    state.l1_cursor = l1_cursor
    state.gov = gov
    state.next_twap_id = next_twap_id
    state.twaps = twaps
    state.post_only_until_ms = post_only_until_ms
    if (l1_fee is None) != (config.l1_fee is None):
        raise DecodeError("the L1 data fee's book and its configuration must come together")
    state.l1_fee = l1_fee
    return state


def decode_l1_fee(row: list) -> L1FeeBook:
    """The L1 data fee's book from its shared-leaf row (encoding.l1_fee_row)."""
    (gas_price, hour_ms, rate, next_rate, gas_sum, samples, charged, costs, paid,
     owed) = row
    figures = (gas_price, hour_ms, rate, next_rate, gas_sum, samples, charged, costs, paid)
    if not all(type(x) is int for x in figures):
        raise ValueError("the L1 data fee's row must hold nine integers and the costs owed")
    owed_rows = [(poster, amount) for poster, amount in owed]
    if not all(type(p) is str and type(a) is int and a > 0 for p, a in owed_rows):
        raise ValueError("a cost owed is a poster and a positive amount")
    return L1FeeBook(gas_price, hour_ms, rate, next_rate, gas_sum, samples, charged, costs, paid,
                     owed_rows)


SHARED_FIELDS = 25  # the shared leaf's fixed items (encoding.shared_fields)


def decode_twap_book(book: list | None) -> tuple[int, dict[int, Twap]]:
    """(next TWAP id, running TWAPs by id) from the shared leaf's TWAP item (None: no TWAP was
    ever placed)."""
    if book is None:
        return 1, {}
    next_twap_id, rows = book
    if next_twap_id <= 1:
        raise DecodeError("a TWAP book names no TWAP id")
    twaps = {row[0]: Twap(*row) for row in rows}
    if len(twaps) != len(rows):
        raise DecodeError("TWAP ids must be unique")
    return next_twap_id, twaps


def config_leaf_of(config: EngineConfig) -> list:
    """The configuration's committed list (what the shared leaf hashes)."""
    return config_leaf(config)


def copy_state(state: State) -> State:
    """An independent copy of `state`, through its canonical encoding (what a node restored from
    a snapshot of it holds; derived caches are rebuilt). Works on both builds of the core, where
    `copy.deepcopy` cannot copy compiled classes."""
    accounts = state.accounts
    shared = canonical(shared_leaf(state))
    leaves = [encode_account(accounts[a]) for a in sorted(accounts)]
    return decode_state(state.config, shared, leaves)
