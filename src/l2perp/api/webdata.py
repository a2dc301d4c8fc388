"""The user aggregates a trading front-end reads: `activeAssetData` (one user in one market:
leverage, what can be traded each way) and `webData2` (the account, its open orders and every
market's context in one message), as Hyperliquid's websocket and /info send them.
"""

from __future__ import annotations

from ..engine.margin import cross_free_margin, leverage_of
from ..engine.state import State
from ..units import format_price, format_size, format_usdc
from .accounts_info import total_vault_equity, vault_accounts
from .info import clearinghouse_state, meta, open_orders
from .twaps import twap_states


def available_to_trade_musdc(state: State, user: str, asset: int) -> tuple[int, int]:
    """(buy, sell) notional in micro-USDC the user can still trade in the market: the free
    cross margin times the market's leverage setting, plus, on the side that reduces a position,
    that position's notional at the mark (closing needs no margin). 0 when nothing is free."""
    account = state.accounts.get(user)
    if account is None:
        return 0, 0
    market = state.markets[asset]
    free = max(0, cross_free_margin(state, account)) * leverage_of(state.config, account,
                                                                   market).leverage
    position = account.positions.get(asset)
    size = position.size_lots if position is not None else 0
    closing = abs(size) * market.mark_pips
    return free + (closing if size < 0 else 0), free + (closing if size > 0 else 0)


def active_asset_data(state: State, user: str, asset: int) -> dict:
    """`{user, coin, leverage, maxTradeSzs, availableToTrade, markPx}`: sizes in base units
    rounded down to the lot (the size the available notional buys at the mark), notionals in
    USDC, the leverage the user's next order in this market uses (isolated: with `rawUsd`, the
    position's margin cash, "0" without a position)."""
    market = state.markets[asset]
    account = state.accounts.get(user)
    setting = leverage_of(state.config, account, market) if account is not None else None
    if setting is None:
        setting = market.default_leverage
        assert setting is not None  # make_market sets it
    mark = market.mark_pips
    d = market.sz_decimals
    available = available_to_trade_musdc(state, user, asset)
    # notional_musdc = pips x lots exactly (docs/units.md), so lots = notional // pips, down
    sizes = [format_size(a // mark, d) if mark > 0 else "0" for a in available]
    leverage: dict = {"type": "cross" if setting.is_cross else "isolated",
                      "value": setting.leverage}
    if not setting.is_cross:  # as clearinghouseState shows it: the position's margin cash
        position = account.positions.get(asset) if account is not None else None
        leverage["rawUsd"] = format_usdc(position.iso_raw_musdc if position is not None else 0)
    return {"user": user, "coin": market.name, "leverage": leverage,
            "maxTradeSzs": sizes, "availableToTrade": [format_usdc(a) for a in available],
            "markPx": format_price(mark, d)}


def web_data2(state: State, user: str, ctxs: list[dict], meta_: dict | None = None,
              vaults: list | None = None) -> dict:
    """Hyperliquid's webData2 for one user: the clearinghouse state, the frontend open orders,
    meta with one asset context per market (`ctxs`, in universe order), the server (block) time
    in ms, the vaults the user leads (`leadingVaults: [{address, name}]`), the user's claim on
    every vault it holds shares in (`totalVaultEquity`), whether the user is a vault, and its
    running TWAPs. `meta_` and `vaults` (`accounts_info.vault_accounts`) are the block's,
    when the caller shares them between subscribers."""
    account = state.accounts.get(user)
    agents = sorted(account.agents) if account is not None else []
    if vaults is None:
        vaults = vault_accounts(state)
    leading = [{"address": a.address, "name": a.vault.name}
               for a in vaults if a.vault is not None and a.vault.leader == user]
    equity = total_vault_equity(state, user, vaults)
    return {"clearinghouseState": clearinghouse_state(state, user),
            "leadingVaults": leading, "totalVaultEquity": format_usdc(equity),
            "openOrders": open_orders(state, user, frontend=True),
            "agentAddress": agents[0] if agents else None, "agentValidUntil": None,
            "meta": meta(state) if meta_ is None else meta_, "assetCtxs": ctxs, "serverTime": state.time_ms,
            "isVault": account is not None and account.vault is not None, "user": user,
            "twapStates": twap_states(state, user)}
