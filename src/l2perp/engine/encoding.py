"""Canonical encoding of the state and the state digest.

`encode_account` is the account leaf the rollup's Merkle tree commits to; `state_digest` hashes
the shared state (markets, counters, fee pool, pending withdrawals, volume) together with every
account leaf in address order. Orders are encoded inside their owner's leaf with their book
sequence number, so a book can be rebuilt from the leaves in exact time priority.
"""

from __future__ import annotations

from ..codec import DOMAIN_STATE, canonical, h256, leaf_hash
from .book import Order
from .state import Account, Market, NonceSet, State


def encode_order(o: Order) -> list:
    children = [c.oid for c in o.children] if o.children else []
    return [
        o.oid, o.asset, o.is_buy, o.limit_pips, o.size_lots, o.orig_lots, o.tif, o.reduce_only,
        o.cloid, o.timestamp_ms, o.seq, o.on_book, o.margin_musdc, o.leverage, o.trigger_pips,
        o.trigger_is_market, o.tpsl, o.is_position_tpsl, o.parent_oid, children, o.filled_lots,
    ]


def _nonces(nonces: NonceSet) -> list:
    return nonces.sorted()


def _days(days: dict[int, int]) -> list:
    return [[d, days[d]] for d in sorted(days)]


def account_leaf(a: Account) -> list:
    """The account as a canonical list (every field, sorted where a dict holds it)."""
    return [
        a.address, a.index, a.cash_musdc,
        [[k, p.size_lots, p.entry_ntl_musdc, p.iso_raw_musdc]
         for k, p in sorted(a.positions.items())],
        [[k, v.is_cross, v.leverage] for k, v in sorted(a.leverage.items())],
        [encode_order(a.orders[k]) for k in sorted(a.orders)],
        a.order_margin_musdc,
        _nonces(a.nonces),
        [[k, g.name, _nonces(g.nonces)] for k, g in sorted(a.agents.items())],
        a.scheduled_cancel_ms,
        _days(a.volume_days), _days(a.maker_volume_days),
        a.fee_day, a.taker_rate_e9, a.maker_rate_e9,
    ]


def encode_account(a: Account) -> bytes:
    """Canonical bytes of one account leaf."""
    return canonical(account_leaf(a))


def market_leaf(m: Market, next_seq: int) -> list:
    return [
        m.asset, m.name, m.sz_decimals, m.max_leverage, m.status, m.oracle_pips, m.mark_pips,
        m.last_trade_pips, m.open_interest_lots, m.settlement_pips, next_seq,
        [[t.lower_bound_musdc, t.max_leverage] for t in m.spec.margin_tiers],
        m.spec.oi_cap_musdc, m.spec.only_isolated, m.spec.impact_notional_musdc,
    ]


def config_leaf(state: State) -> list:
    c = state.config
    return [
        c.admin, [[t.min_volume_musdc, t.taker_rate_e9, t.maker_rate_e9] for t in c.fee_tiers],
        [[r.min_share_e9, r.maker_rate_e9] for r in c.maker_rebates], c.fee_window_days,
        c.nonce_window_size, c.nonce_past_ms, c.nonce_future_ms, c.min_order_notional_musdc,
        c.max_price_deviation_e9, c.withdraw_fee_musdc, c.withdraw_position_value_e9,
        c.schedule_cancel_min_delay_ms, c.max_agents_named, c.trigger_market_slippage_e9,
        c.default_leverage, c.max_open_orders,
    ]


def shared_leaf(state: State) -> list:
    """Everything in the state that is not an account (the config by its hash)."""
    return [
        h256(canonical(config_leaf(state))),
        state.height, state.time_ms, state.dev_time_offset_ms, state.next_oid, state.next_tid,
        state.next_wid, state.fee_pool_musdc, state.credits_musdc, state.withdrawn_musdc,
        [market_leaf(m, b.next_seq) for m, b in zip(state.markets, state.books)],
        [[w.wid, w.user, w.destination, w.amount_musdc, w.time_ms] for w in state.withdrawals],
        _days(state.volume_days),
        [[u, state.scheduled_cancels[u]] for u in sorted(state.scheduled_cancels)],
        [sorted(t) for t in state.triggers],
        _nonces(state.admin_nonces),
    ]


def accounts_hash(state: State) -> bytes:
    """Hash over every account leaf hash, in address order."""
    accounts = state.accounts
    parts = [leaf_hash(encode_account(accounts[k])) for k in sorted(accounts)]
    return h256(b"".join(parts))


def state_digest(state: State) -> bytes:
    """The digest of the whole state: H(domain || H(shared) || H(accounts))."""
    return h256(DOMAIN_STATE + h256(canonical(shared_leaf(state))) + accounts_hash(state))
