"""The state transition: `apply_block(state, block) -> BlockReceipts`, the one entry point.

apply_block -> process_time (scheduled cancels, trigger orders, TWAP slices) ->
process_transactions (in the in-block priority order of docs/mechanics.md: price reports, then
non-order actions and Alo, then cancels, then Gtc/Ioc; ties in block order). Receipts come back in block order. An invalid
transaction gets an error receipt and changes nothing.
"""

from __future__ import annotations

from typing import Final

from . import errors as E
from .accounts import (
    approve_agent, credit_deposit, update_isolated_margin, update_leverage, usd_send, withdraw,
)
from .book import TIF_GTC, TIF_IOC
from .builders import approve_builder, check_builder
from .open_orders import Ctx
from .orders import cancel_all, cancel_orders, cancel_orders_by_cloid, modify_orders, place_orders
from .funding import sample_premiums, settle_funding
from .governance.txs import (
    GOVERNANCE_TXS, apply_gov_tx, apply_operator_offence, process_governance_end,
    process_governance_time,
)
from .l1fee import roll_hours
from .l1messages import L1_KINDS, apply_l1_message, take_l1_message
from .devfaults import DEV_FAULT_KINDS, apply_dev_fault
from .liquidation import process_liquidations
from .mark import update_mark
from .markets import set_market_status
from .oracle import (
    pin_price, record_mid_sample, refresh_oracles, set_oracle_source, submit_report,
)
from .state import MARKET_DELISTED, Account, Incident, NonceSet, State, fund_address
from .subaccounts import create_sub_account, sub_account_transfer
from .tpsl import fire_triggers
from .twap import cancel_twap, place_twap, run_due_twaps
from .tx import (
    KIND_CANCEL, KIND_CREATE_SUB_ACCOUNT, KIND_CREATE_VAULT, KIND_ORDER, KIND_TWAP_CANCEL,
    KIND_TWAP_ORDER, AccountEvent, ApproveAgent, ApproveBuilderFee, BatchModify, Block,
    BlockReceipts, BridgeCredit, Cancel, CancelByCloid, CreateSubAccount, CreateVault,
    DevAdvanceTime, DevFaucet, FillEvent, Noop, OperatorOffence, OracleReport, OrderEvent,
    PlaceOrders, Receipt, ScheduleCancel, SetMarketStatus, SetOracleSource, SetPrice,
    SubAccountTransfer, Tx, TwapCancel, TwapOrder, UpdateIsolatedMargin, UpdateLeverage, UsdSend,
    VaultTransfer, Withdraw,
)
from .vaults import create_vault, vault_transfer

PRIORITY_PRICE: Final = 0
PRIORITY_NON_ORDER: Final = 1
PRIORITY_CANCEL: Final = 2
PRIORITY_TAKER: Final = 3

# the master key itself must sign these
USER_SIGNED: Final = (UsdSend, Withdraw, ApproveAgent, ApproveBuilderFee)
# what a master (or its agent) may do for a sub-account, and a leader for a vault, through
# `vaultAddress`: trading and the account's own settings, never moving money out
# the admin's devnet cheats, refused on any other genesis
DEVNET_ONLY_KINDS: Final = (DevFaucet, DevAdvanceTime) + DEV_FAULT_KINDS
FOR_VAULT: Final = (PlaceOrders, Cancel, CancelByCloid, BatchModify, TwapOrder, TwapCancel,
                    ScheduleCancel, UpdateLeverage, UpdateIsolatedMargin, Noop)


class InvalidBlock(ValueError):
    """A block the sequencer must never build (wrong height or time going backwards)."""


def apply_block(state: State, block: Block) -> BlockReceipts:
    """Apply one block in place; returns one receipt per transaction (block order) and events."""
    if block.height != state.height + 1:
        raise InvalidBlock(f"block height {block.height} after {state.height}")
    if block.time_ms < state.time_ms:
        raise InvalidBlock(f"block time {block.time_ms} before {state.time_ms}")
    events: list = []
    previous_ms = state.time_ms
    process_time(state, block, events)
    receipts = process_transactions(state, block.txs, events)
    process_prices(state, block.time_ms - previous_ms)
    process_liquidations(state, events)
    if state.gov is not None:
        process_governance_end(state)
    return BlockReceipts(block.height, block.time_ms, receipts, events,
                         touched_by(state, block, events))


def touched_by(state: State, block: Block, events: list) -> list[str]:
    """Every account whose leaf this block may have changed: signers (an agent's master keeps
    its nonces), every user an event names, and the insurance funds. A superset is harmless
    (an unchanged leaf re-hashes to itself); the rollup's commitment relies on no omission."""
    out: dict[str, None] = {}
    for tx in block.txs:
        if tx.signer is not None:
            out[state.agent_owner.get(tx.signer, tx.signer)] = None
            if tx.vault is not None:  # a sub-account or vault keeps its own nonces
                out[tx.vault] = None
    slots_of = _ADDRESS_SLOTS
    for event in events:
        kind = type(event)
        if kind is OrderEvent:
            out[event.user] = None
            continue
        if kind is FillEvent:
            out[event.taker] = None
            out[event.maker] = None
            continue
        slots = slots_of.get(kind)
        if slots is None:
            slots = slots_of[kind] = address_slots(kind)
        for i in slots:
            value = event[i]
            if isinstance(value, str):
                out[value] = None
    for address in state.fee_refreshed:
        out[address] = None
    state.fee_refreshed.clear()
    out[fund_address(0)] = None
    for market in state.markets:
        if market.spec.only_isolated:
            out[fund_address(market.asset + 1)] = None
    return sorted(a for a in out if a in state.accounts)


ADDRESS_FIELDS: Final = frozenset(("user", "taker", "maker", "counterparty", "bankrupt"))
_ADDRESS_SLOTS: dict[type, tuple[int, ...]] = {}  # event class -> its address fields' positions


def address_slots(kind: type) -> tuple[int, ...]:
    """The positions of the fields that may name an account (`ADDRESS_FIELDS`) in an event
    class; the events other than OrderEvent and FillEvent are NamedTuples (tx.py), read by
    position."""
    fields = getattr(kind, "_fields", None)
    if fields is None or not issubclass(kind, tuple):
        raise TypeError(f"{kind.__name__} is no event: events are NamedTuples")
    return tuple(i for i, name in enumerate(fields) if name in ADDRESS_FIELDS)


def process_transactions(state: State, txs: tuple[Tx, ...], events: list) -> list[Receipt]:
    """Apply the block's transactions in priority order; receipts come back in block order."""
    receipts: list = [None] * len(txs)
    priorities = [tx_priority(tx) for tx in txs]
    order: list[int] = list(range(len(txs)))
    if any(p != priorities[0] for p in priorities):
        order.sort(key=priorities.__getitem__)  # stable: ties stay in block order
    for i in order:
        receipts[i] = process_transaction(state, txs[i], i, events)
    return receipts


def tx_priority(tx: Tx) -> int:
    """The in-block class of a transaction (Hyperliquid's ordering; docs/mechanics.md)."""
    action = tx.action
    kind = type(action)
    if isinstance(action, PlaceOrders):
        for spec in action.orders:
            if spec.tif == TIF_GTC or spec.tif == TIF_IOC:
                return PRIORITY_TAKER
        return PRIORITY_NON_ORDER
    if isinstance(action, (Cancel, CancelByCloid)):
        return PRIORITY_CANCEL
    if isinstance(action, BatchModify):
        for _, spec in action.modifies:
            if spec.tif == TIF_GTC or spec.tif == TIF_IOC:
                return PRIORITY_TAKER
        return PRIORITY_NON_ORDER
    if isinstance(action, (OracleReport, SetPrice)):
        return PRIORITY_PRICE
    return PRIORITY_NON_ORDER


def process_time(state: State, block: Block, events: list) -> None:
    """Advance height and time (a gap beyond `outage_threshold` starts the post-outage grace);
    refresh oracles; pay funding for every whole hour crossed; roll the L1 data fee's hourly
    schedule; run scheduled cancels that are
    due, then trigger orders, then the TWAP slices that are due (engine/twap.py)."""
    config = state.config
    gap = block.time_ms - state.time_ms - state.dev_jump_ms  # a devnet advance is no outage
    state.dev_jump_ms = 0
    if state.height and gap > config.outage_threshold_ms:
        state.grace_until_ms = block.time_ms + config.post_outage_grace_ms
        state.incidents.append(Incident("outage", -1, block.time_ms, state.time_ms,
                                        block.time_ms))
    state.height = block.height
    state.time_ms = block.time_ms
    if state.withdrawals:
        state.withdrawals = []  # a block's withdrawals leave with its batch (rollup/batch.py)
    refresh_oracles(state)
    settle_funding(state, events)
    if state.l1_fee is not None:
        roll_hours(state)
    if state.gov is not None:
        process_governance_time(state, block.txs, events)
    ctx = Ctx(state, events, -1)
    if state.scheduled_cancels:
        due = sorted((t, user) for user, t in state.scheduled_cancels.items() if t <= block.time_ms)
        for _, user in due:
            del state.scheduled_cancels[user]
            account = state.accounts[user]
            account.scheduled_cancel_ms = 0
            events.append(AccountEvent(user, "scheduledCancel", block.time_ms))
            cancel_all(ctx, account, "scheduledCancel")
    fire_triggers(ctx)
    run_due_twaps(ctx)


def process_prices(state: State, dt_ms: int) -> None:
    """End of block: marks (EMAs advance by the block's duration), premium samples, the book-mid
    samples of the fallback TWAP."""
    slot = state.time_ms // state.config.funding_sample_ms
    for market in state.markets:
        if market.status == MARKET_DELISTED:
            continue
        if market.premium_slot != slot:
            book = state.books[market.asset]
            bid, ask = book.best_bid(), book.best_ask()
            if bid and ask:
                record_mid_sample(state, market, (bid + ask) // 2)
        update_mark(state, market, dt_ms)
    sample_premiums(state)


def _err(text: str) -> Receipt:
    return Receipt(ok=False, error=text)


_OK = Receipt(ok=True)


def process_transaction(state: State, tx: Tx, index: int, events: list) -> Receipt:
    """Authenticate the signer, check the nonce, dispatch the action."""
    action = tx.action
    kind = type(action)
    if tx.signer is None:
        if kind not in L1_KINDS:
            return _err(E.SYSTEM_ACTION_ONLY)
        error = process_l1_message(state, action, events)
        return _err(error) if error else _OK
    if kind in L1_KINDS:
        return _err(E.SYSTEM_ACTION_ONLY)
    if tx.expires_after_ms is not None and state.time_ms > tx.expires_after_ms:
        return _err(E.ACTION_EXPIRED)
    signer = tx.signer
    account = None
    operator_nonces = None
    if kind is OracleReport or (kind in GOVERNANCE_TXS and signer not in state.accounts
                                and signer not in state.agent_owner):
        if kind is OracleReport and signer not in state.oracle_stakes:
            return _err(E.NOT_ORACLE_OPERATOR)
        nonces = operator_nonces = state.operator_nonces.get(signer) or NonceSet()
    elif kind is SetPrice or kind is SetMarketStatus or kind is SetOracleSource \
            or kind in DEVNET_ONLY_KINDS:
        if signer != state.config.admin:
            return _err(E.NOT_ADMIN)
        if kind in DEVNET_ONLY_KINDS and not state.config.devnet:
            return _err(E.DEVNET_ONLY)
        nonces = state.admin_nonces
    else:
        master = state.agent_owner.get(signer)
        if master is not None and kind in USER_SIGNED and signer in state.accounts:
            master = None  # an agent address that was funded acts as itself for its own money
        if master is not None:
            if kind in GOVERNANCE_TXS:
                return _err(E.GOV_NEEDS_OWN_KEY)
            if kind in USER_SIGNED:
                return _err(E.MUST_DEPOSIT_BEFORE_ACTIONS.format(user=signer))
            account = state.accounts[master]
            nonces = account.agents[signer].nonces
        else:
            account = state.accounts.get(signer)
            if account is None:
                return _err(E.USER_OR_API_WALLET_DOES_NOT_EXIST.format(address=signer))
            nonces = account.nonces
    if tx.vault is not None:
        target = state.accounts.get(tx.vault) if account is not None else None
        if account is None or target is None or not acts_for(account, target):
            return _err(E.VAULT_NOT_REGISTERED.format(vault=tx.vault))
        if kind not in FOR_VAULT:
            return _err(E.VAULT_MAY_NOT_PERFORM)
        if nonces is account.nonces:  # signed by the master or leader: the account's own nonces
            nonces = target.nonces
        account = target
    error = check_nonce(state, nonces, tx.nonce)
    if error:
        return _err(error)
    receipt = dispatch(state, account, tx, index, events)
    if receipt.ok:
        nonces.add(tx.nonce, state.config.nonce_window_size)
        if operator_nonces is not None:
            state.operator_nonces[signer] = operator_nonces
    return receipt


def acts_for(signer: Account, target: Account) -> bool:
    """Whether `signer` may act for `target` through `vaultAddress`: its master, or the leader
    of an open vault."""
    if target.master is not None:
        return target.master == signer.address
    vault = target.vault
    return vault is not None and vault.leader == signer.address and not vault.closed


def process_l1_message(state: State, action, events: list) -> str | None:
    """One L1 message, in queue order; an operator offence proven on L1 is governance's."""
    error = take_l1_message(state, action)
    if error is not None:
        return error
    if type(action) is OperatorOffence:
        return apply_operator_offence(state, action)
    return apply_l1_message(state, action, events)


def check_nonce_window(state: State, nonce: int) -> str | None:
    """Hyperliquid: a nonce lies within (T - 2 days, T + 1 day), T the block time less the
    devnet's advanced total (ms)."""
    config = state.config
    now = state.time_ms - state.dev_time_offset_ms
    low = now - config.nonce_past_ms
    if nonce <= low:
        return E.NONCE_TOO_LOW.format(nonce=nonce, bound=low)
    high = now + config.nonce_future_ms
    if nonce >= high:
        return E.NONCE_TOO_HIGH.format(nonce=nonce, bound=high)
    return None


def check_nonce(state: State, nonces: NonceSet, nonce: int) -> str | None:
    """Hyperliquid: unused, above the smallest of the 100 kept, within (T - 2 days, T + 1 day)."""
    config = state.config
    error = check_nonce_window(state, nonce)
    if error is not None:
        return error
    verdict = nonces.check(nonce, config.nonce_window_size)
    if verdict == 1:
        return E.NONCE_DUPLICATE.format(nonce=nonce)
    if verdict == 2:
        return E.NONCE_TOO_LOW.format(nonce=nonce, bound=nonces.heap[0])
    return None


def dispatch(state: State, account, tx: Tx, index: int, events: list) -> Receipt:
    """Run one authenticated action (a user's: `tx.signer` is set)."""
    action = tx.action
    signer = tx.signer
    assert signer is not None
    kind = type(action)
    ctx = Ctx(state, events, index)
    if isinstance(action, BatchModify):
        return Receipt(True, KIND_ORDER, modify_orders(ctx, account, action.modifies))
    if isinstance(action, PlaceOrders):
        if action.builder is not None:
            error = check_builder(state, account, action.builder)
            if error is not None:
                return _err(error)
            ctx.builder = action.builder
        return Receipt(True, KIND_ORDER, place_orders(ctx, account, action.orders, action.grouping))
    if isinstance(action, Cancel):
        return Receipt(True, KIND_CANCEL, cancel_orders(ctx, account, action.cancels))
    if isinstance(action, CancelByCloid):
        return Receipt(True, KIND_CANCEL, cancel_orders_by_cloid(ctx, account, action.cancels))
    if isinstance(action, TwapOrder):
        return Receipt(True, KIND_TWAP_ORDER, [place_twap(state, account, action, events)])
    if isinstance(action, TwapCancel):
        return Receipt(True, KIND_TWAP_CANCEL, [cancel_twap(state, account, action, events)])
    if isinstance(action, ScheduleCancel):
        error = schedule_cancel(state, account, action)
    elif isinstance(action, UpdateLeverage):
        error = update_leverage(state, account, action)
    elif isinstance(action, UpdateIsolatedMargin):
        error = update_isolated_margin(state, account, action, events)
    elif isinstance(action, UsdSend):
        error = usd_send(state, account, action, events)
    elif isinstance(action, Withdraw):
        error = withdraw(state, account, action, events)
    elif isinstance(action, ApproveAgent):
        error = approve_agent(state, account, action)
    elif isinstance(action, Noop):
        error = None
    elif isinstance(action, CreateSubAccount):
        error, address = create_sub_account(state, account, action, events)
        if error is None:
            return Receipt(True, KIND_CREATE_SUB_ACCOUNT, [address])
    elif isinstance(action, SubAccountTransfer):
        error = sub_account_transfer(state, account, action, events)
    elif isinstance(action, ApproveBuilderFee):
        error = approve_builder(state, account, action)
    elif isinstance(action, CreateVault):
        error, address = create_vault(state, account, action, index, events)
        if error is None:
            return Receipt(True, KIND_CREATE_VAULT, [address])
    elif isinstance(action, VaultTransfer):
        error = vault_transfer(state, account, action, events)
    elif isinstance(action, OracleReport):
        error = submit_report(state, signer, action)
    elif isinstance(action, SetPrice):
        error = pin_price(state, action.asset, action.price_pips)
    elif isinstance(action, SetOracleSource):
        error = set_oracle_source(state, action)
    elif isinstance(action, DevFaucet):
        error = credit_deposit(state, BridgeCredit(action.user, action.amount_musdc), events)
    elif isinstance(action, DevAdvanceTime):
        if not (0 < action.ms <= 366 * 86_400_000):
            return _err(E.INVALID_AMOUNT)
        state.dev_time_offset_ms += action.ms
        state.dev_jump_ms += action.ms
        error = None
    elif isinstance(action, DEV_FAULT_KINDS):
        error = apply_dev_fault(state, action, events)
    elif isinstance(action, SetMarketStatus):
        error = set_market_status(ctx, action)
    elif kind in GOVERNANCE_TXS:
        error = apply_gov_tx(state, signer, action, events)
    else:
        error = E.UNKNOWN_ACTION
    return _err(error) if error else Receipt(True)


def schedule_cancel(state: State, account, action: ScheduleCancel) -> str | None:
    """Set (or with time None, clear) the dead man's switch: cancel all orders at `time_ms`."""
    if action.time_ms is None:
        account.scheduled_cancel_ms = 0
        state.scheduled_cancels.pop(account.address, None)
        return None
    if action.time_ms < state.time_ms + state.config.schedule_cancel_min_delay_ms:
        return E.SCHEDULE_CANCEL_TOO_EARLY
    account.scheduled_cancel_ms = action.time_ms
    state.scheduled_cancels[account.address] = action.time_ms
    return None
