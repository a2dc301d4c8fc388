"""Canonical encoding of the state and the state digest.

`encode_account` is the account leaf the rollup's Merkle tree commits to; `state_digest` hashes
the shared state (markets, counters, fee pool, pending withdrawals, volume) together with every
account leaf in address order. Orders are encoded inside their owner's leaf with their book
sequence number, so a book can be rebuilt from the leaves in exact time priority.
"""

from __future__ import annotations

from typing import Final

from .governance.codec import gov_leaf
from ..codec import DOMAIN_STATE, canonical, h256, leaf_hash
from .book import Order
from .params import EngineConfig
from .state import Account, L1FeeBook, Market, NonceSet, State, Twap, Vault


ORDERS_FIELD: Final = 5  # the position of the orders in an account leaf


def encode_order(o: Order) -> list:
    """An order as a list; a normalTpsl member lists its group's child oids (else []). An order
    that pays a builder ends with the builder and its fee; one that pays none has no such items,
    so the rows (and roots) of histories without builders are what they were before."""
    children = list(o.group.child_oids) if o.group is not None else []
    row = [
        o.oid, o.asset, o.is_buy, o.limit_pips, o.size_lots, o.orig_lots, o.tif, o.reduce_only,
        o.cloid, o.timestamp_ms, o.seq, o.on_book, o.margin_musdc, o.leverage, o.trigger_pips,
        o.trigger_is_market, o.tpsl, o.is_position_tpsl, o.parent_oid, children, o.filled_lots,
    ]
    if o.builder is not None:
        row.append(o.builder)
        row.append(o.builder_fee)
    return row


def _nonces(nonces: NonceSet) -> list:
    return nonces.sorted()


def _days(days: dict[int, int]) -> list:
    return [[d, days[d]] for d in sorted(days)]


def account_leaf(a: Account) -> list:
    """The account as a canonical list (every field, sorted where a dict holds it)."""
    return account_fields(a, [encode_order(a.orders[k]) for k in sorted(a.orders)])


def account_fields(a: Account, orders: list) -> list:
    """`account_leaf` with `orders` (its sixth field, `ORDERS_FIELD`) as given."""
    return [
        a.address, a.index, a.cash_musdc,
        [[k, p.size_lots, p.entry_ntl_musdc, p.iso_raw_musdc, p.funding_musdc]
         for k, p in sorted(a.positions.items())],
        [[k, v.is_cross, v.leverage] for k, v in sorted(a.leverage.items())],
        orders,
        a.order_margin_musdc,
        _nonces(a.nonces),
        [[k, g.name, _nonces(g.nonces)] for k, g in sorted(a.agents.items())],
        a.scheduled_cancel_ms,
        _days(a.volume_days), _days(a.maker_volume_days),
        a.fee_day, a.taker_rate_e9, a.maker_rate_e9,
        [[k, a.liq_cooldowns[k]] for k in sorted(a.liq_cooldowns)],
    ] + family_fields(a)


def family_fields(a: Account) -> list:
    """The account's sub-account, builder and vault items as one trailing item, absent while all
    of them are empty, so the leaves (and roots) of accounts that never used them are what they
    were before: [master, name, sub-accounts, builder approvals, vault]."""
    if a.master is None and not a.name and not a.sub_accounts and not a.builder_approvals \
            and a.vault is None:
        return []
    return [[a.master, a.name, list(a.sub_accounts),
             [[b, a.builder_approvals[b]] for b in sorted(a.builder_approvals)],
             None if a.vault is None else vault_fields(a.vault)]]


def vault_fields(v: Vault) -> list:
    """A vault's share book as a canonical list (holders in address order)."""
    return [
        v.leader, v.name, v.description, v.created_ms, v.lockup_ms, v.commission_e9,
        v.total_shares, v.closed,
        [[u, v.shares[u], v.basis.get(u, 0), v.locked_until.get(u, 0)] for u in sorted(v.shares)],
    ]


def encode_account(a: Account) -> bytes:
    """Canonical bytes of one account leaf."""
    return canonical(account_leaf(a))


def market_leaf(m: Market, next_seq: int) -> list:
    spec = m.spec
    return [
        m.asset, m.name, m.sz_decimals, m.max_leverage, m.status, m.oracle_pips, m.mark_pips,
        m.last_trade_pips, m.open_interest_lots, m.settlement_pips, next_seq,
        [[t.lower_bound_musdc, t.max_leverage] for t in spec.margin_tiers],
        spec.oi_cap_musdc, spec.only_isolated, spec.impact_notional_musdc,
        spec.cb_band_e9, spec.cb_window_ms, spec.cb_cooldown_ms, spec.insurance_seed_musdc,
        m.oracle_time_ms, m.oracle_round,
        [[op, *m.round_reports[op]] for op in sorted(m.round_reports)],
        m.pinned_pips, m.oracle_source, m.ext_mid_pips, m.ext_mid_time_ms,
        [list(x) for x in m.price_history], m.cb_until_ms, m.stale, m.halted_reduce_only,
        [list(x) for x in m.mid_samples],
        m.basis_ema, m.basis_started, m.book_ema, m.book_started,
        m.premium_sum_e9, m.premium_slot, m.funding_hour, m.funding_rate_e9, m.funding_index,
    ]


def config_leaf(c: EngineConfig) -> list:
    """The configuration's committed list (what the shared leaf hashes)."""
    return [
        c.admin, c.devnet,
        [[t.min_volume_musdc, t.taker_rate_e9, t.maker_rate_e9] for t in c.fee_tiers],
        [[r.min_share_e9, r.maker_rate_e9] for r in c.maker_rebates], c.fee_window_days,
        c.nonce_window_size, c.nonce_past_ms, c.nonce_future_ms, c.min_order_notional_musdc,
        c.max_price_deviation_e9, c.withdraw_fee_musdc, c.withdraw_position_value_e9,
        c.schedule_cancel_min_delay_ms, c.max_agents_named, c.trigger_market_slippage_e9,
        c.default_leverage, c.max_open_orders, [[a, b] for a, b in c.oracle_operators],
        c.oracle_max_report_age_ms, c.max_staleness_ms, c.fallback_twap_ms,
        c.outage_threshold_ms, c.post_outage_grace_ms, c.mark_basis_tau_ms, c.mark_book_tau_ms,
        c.funding_sample_ms, c.funding_interest_8h_e9, c.funding_clamp_e9,
        c.funding_cap_hourly_e9, c.max_liquidations_per_block, c.partial_liquidation_musdc,
        c.partial_liquidation_e9, c.partial_liquidation_cooldown_ms, c.spread_to_mmr_e9,
        c.max_liquidation_fee_e9, c.backstop_unwind_musdc, c.backstop_slippage_e9,
        c.insurance_seed_musdc,
    ] + _l1_fee_config(c)


def _l1_fee_config(c: EngineConfig) -> list:
    """The L1 data fee's parameters as a trailing item, absent without one (older roots)."""
    f = c.l1_fee
    if f is None:
        return []
    return [[f.gas_per_million_usd, f.initial_gas_price_nusdc, f.smoothing_e9, f.max_step_ppm,
             f.min_step_e9]]


def twap_row(t: Twap) -> list:
    """A running TWAP as its shared-leaf row."""
    return [t.twap_id, t.user, t.asset, t.is_buy, t.total_lots, t.reduce_only, t.minutes,
            t.randomize, t.started_ms, t.next_slice_ms, t.slices_done, t.executed_lots,
            t.executed_ntl_musdc]


def shared_leaf(state: State) -> list:
    """Everything in the state that is not an account (the config by its hash). The TWAP book
    (next id, running TWAPs by id) joins it as a last item once a first TWAP was placed, so a
    state that never held one keeps the bytes it had before TWAPs existed; a venue with an L1
    data fee adds its book after that (the TWAP item then None until a first TWAP)."""
    leaf = shared_fields(state)
    twaps = None
    if state.next_twap_id > 1:
        twaps = [state.next_twap_id, [twap_row(state.twaps[k]) for k in sorted(state.twaps)]]
    book = state.l1_fee
    if book is not None:
        leaf.append(twaps)
        leaf.append(l1_fee_row(book))
    elif twaps is not None:
        leaf.append(twaps)
    return leaf


def l1_fee_row(b: L1FeeBook) -> list:
    """The L1 data fee's schedule and pool as its shared-leaf row."""
    return [b.gas_price_nusdc, b.hour_ms, b.rate_e9, b.next_rate_e9, b.hour_gas_sum,
            b.hour_samples, b.charged_musdc, b.costs_musdc, b.paid_musdc,
            [[poster, amount] for poster, amount in b.owed]]


def shared_fields(state: State) -> list:
    """The shared leaf but for the TWAP book: the fixed items, then the devnet post-only end
    while one is set."""
    return [
        h256(canonical(config_leaf(state.config))),
        state.height, state.time_ms, state.dev_time_offset_ms, state.dev_jump_ms,
        state.next_oid, state.next_tid,
        state.next_wid, state.fee_pool_musdc, state.credits_musdc, state.withdrawn_musdc,
        [market_leaf(m, b.next_seq) for m, b in zip(state.markets, state.books)],
        [[w.wid, w.user, w.destination, w.amount_musdc, w.time_ms] for w in state.withdrawals],
        _days(state.volume_days),
        [[u, state.scheduled_cancels[u]] for u in sorted(state.scheduled_cancels)],
        [sorted(t) for t in state.triggers],
        _nonces(state.admin_nonces),
        [[op, state.oracle_stakes[op]] for op in sorted(state.oracle_stakes)],
        [[op, _nonces(state.operator_nonces[op])] for op in sorted(state.operator_nonces)],
        [[e.operator, e.asset, e.round, e.first_pips, e.second_pips, e.time_ms]
         for e in state.oracle_evidence],
        [[i.kind, i.asset, i.time_ms, i.before, i.after] for i in state.incidents],
        state.grace_until_ms, list(state.withdrawal_gate), state.l1_cursor,
        None if state.gov is None else gov_leaf(state.gov),
    ] + _post_only(state)


def _post_only(state: State) -> list:
    """The devnet post-only end as a trailing item, absent while it was never set, so that a
    state that never used it keeps the shared leaf (and every root) it always had."""
    return [state.post_only_until_ms] if state.post_only_until_ms else []


def accounts_hash(state: State) -> bytes:
    """Hash over every account leaf hash, in address order."""
    accounts = state.accounts
    parts = [leaf_hash(encode_account(accounts[k])) for k in sorted(accounts)]
    return h256(b"".join(parts))


def state_digest(state: State) -> bytes:
    """The digest of the whole state: H(domain || H(shared) || H(accounts))."""
    return h256(DOMAIN_STATE + h256(canonical(shared_leaf(state))) + accounts_hash(state))
