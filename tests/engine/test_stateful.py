"""Random order flow through `apply_block`, with the engine's invariants checked after every block.

Invariants: money is conserved exactly (Σ cash + isolated margin + fee pool == credits -
withdrawals); per market the signed sizes sum to zero and open interest is the long side; no book
is crossed; order bookkeeping agrees with the books; no accepted transaction left an account
below its margin requirement (initial margin, or for a reduction dYdX's "no riskier" rule); and a
replica fed the same blocks from genesis has the same digest after every block. Vaults (user
vaults and the insurance funds as protocol vaults), sub-accounts and builder fees ride along:
every vault's shares sum to its total and the holders' claims floor(shares x value / total)
add up to its account value less under one micro-USDC per holder. The L1 data fee rides too:
batch costs arrive as L1 messages and are paid out of the fee pool, the costs owed are the
costs not yet paid, and each hour's rate is the one published the hour before, within its
bound of the rate before it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from l2perp.engine.encoding import state_digest
from l2perp.engine.liqindex import unit_figures
from l2perp.engine.leafcache import LeafCache
from l2perp.rollup.accounting import tvl_musdc
from l2perp.rollup.commitment import Commitment
from l2perp.engine.margin import (
    cross_requirements, initial_margin, leverage_of, maintenance_margin,
)
from l2perp.engine.l1fee import data_cost_musdc, step_bound_e9
from l2perp.engine.params import EngineConfig, Genesis, L1FeeConfig, MarginTier, MarketSpec
from l2perp.engine.genesis import genesis_state
from l2perp.engine.state import fund_address, is_fund, partition_of
from l2perp.engine.stf import apply_block
from l2perp.engine.twap import slice_count
from l2perp.engine.tx import (
    AdlEvent, ApproveBuilderFee, BridgeCredit, CreateSubAccount, CreateVault, DevAdvanceTime,
    FillEvent, L1DataCost,
    LedgerEvent, SetMarketStatus, SetPrice, SubAccountTransfer, VaultTransfer,
)
from l2perp.engine.views import account_value
from l2perp.units import ONE_USDC, format_price, format_size
from tests.support.venue import ADMIN, Venue, addr, limit, trigger

MARKETS = (
    MarketSpec("AAA", 3, (MarginTier(0, 20), MarginTier(2_000_000 * ONE_USDC, 10))),
    MarketSpec("BBB", 1, (MarginTier(0, 10),)),
    MarketSpec("CCC", 0, (MarginTier(0, 5),), oi_cap_musdc=400_000 * ONE_USDC, only_isolated=True,
               insurance_seed_musdc=2_000 * ONE_USDC),
)
# a devnet: its admin may advance time (past vault lockups, without leaving the nonce window),
# and it waives the volume a master needs for sub-accounts and the balance a builder needs
# a high L1 data fee (3 bp at the initial gas price) so that it moves money
L1_FEE = L1FeeConfig(gas_per_million_usd=10_000_000, initial_gas_price_nusdc=30_000)
CONFIG = EngineConfig(admin=ADMIN, insurance_seed_musdc=10_000 * ONE_USDC, devnet=True,
                      l1_fee=L1_FEE)
POSTERS = [addr(40), addr(41)]
START_PIPS = (1_000_000, 250_000, 500_000)  # $1,000, $2.50, $0.50
USERS = [addr(i) for i in range(1, 21)]

users = st.sampled_from(USERS)
assets = st.integers(0, len(MARKETS) - 1)


def valid_pips(pips: int) -> int:
    """Round down to 5 significant figures (valid whenever the price has decimals)."""
    digits = len(str(pips))
    if digits > 5:
        unit = 10 ** (digits - 5)
        pips -= pips % unit
    return max(pips, 1)


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.v = Venue(markets=MARKETS, config=CONFIG)
        self.replica = genesis_state(Genesis(config=self.v.state.config, markets=MARKETS,
                                             time_ms=self.v.state.time_ms))
        self.cloids = 0
        self.commitment = Commitment()
        self.leaves = LeafCache(verify=True)  # every leaf checked after every block
        self.batches = 0
        book = self.v.state.l1_fee
        self.schedule = (book.hour_ms, book.rate_e9, book.next_rate_e9)

    # ----- helpers -----------------------------------------------------------------------
    def apply(self, *txs, dt_ms: int = 200, check_margin: bool = True) -> None:
        before = {a: self.margin_snapshot(a) for a in self.v.state.accounts}
        receipts = self.v.block(*txs, dt_ms=dt_ms)
        self.replica_block()
        if check_margin:
            self.check_margin(before, receipts)
        self.check_waterfall(receipts)

    def check_waterfall(self, receipts) -> None:
        """Backstopped units end flat at zero value; ADL covers the shortfall and no more than
        one lot beyond it, never against the bankrupt itself or a fund; isolated-only losses
        stay in their own fund."""
        state = self.v.state
        for event in receipts.events:
            if isinstance(event, LedgerEvent) and event.kind == "backstopLiquidation":
                assert event.counterparty == fund_address(0) or is_fund(event.counterparty)
        adl: dict = {}
        for event in receipts.events:
            if isinstance(event, AdlEvent):
                assert event.counterparty != event.bankrupt and not is_fund(event.counterparty)
                key = (event.bankrupt, event.shortfall_musdc)
                total, last = adl.get(key, (0, 0))
                adl[key] = (total + event.covered_musdc, event.covered_musdc // event.lots)
        for (bankrupt, shortfall), (covered, per_lot) in adl.items():
            assert covered < shortfall + per_lot  # the shortfall and at most one lot more
        for event in receipts.events:
            if isinstance(event, FillEvent) and event.taker_oid == 0 and event.maker_oid == 0:
                # an ADL trade: both had positions, on opposite sides
                assert event.taker_start_lots and event.maker_start_lots
                assert (event.taker_start_lots > 0) != (event.maker_start_lots > 0)
        if state.time_ms >= state.grace_until_ms:
            reached = {e.taker for e in receipts.events
                       if isinstance(e, FillEvent) and e.taker_oid == 0}
            reached |= {e.user for e in receipts.events
                        if isinstance(e, LedgerEvent) and e.kind == "backstopLiquidation"}
            for address, account in state.accounts.items():
                if is_fund(address) or not account.positions:
                    continue
                for unit in [-1, *account.positions]:
                    value, mm, assets = unit_figures(state, account, unit)
                    if not assets or value >= 0 or any(state.markets[a].stale for a in assets):
                        continue
                    # under water after the waterfall ran: only because the cap was reached
                    assert len(reached) >= state.config.max_liquidations_per_block, (
                        address, unit, value)
        for address, account in state.accounts.items():
            if not is_fund(address):
                continue
            partition = int(address[-4:], 16)
            for asset in account.positions:
                assert partition_of(state.markets[asset]) == partition

    def replica_block(self) -> None:
        receipts = apply_block(self.replica, self.v.blocks[-1])
        assert state_digest(self.replica) == state_digest(self.v.state)
        # the node's logged digest and the poster's L2 total are kept incrementally: cached
        # order rows and leaves of the touched accounts only
        self.leaves.refresh(self.replica, receipts.touched)
        assert self.leaves.digest(self.replica) == state_digest(self.replica)
        assert self.leaves.tvl_musdc(self.replica) == tvl_musdc(self.replica)
        # The rollup's commitment re-hashes only the accounts a block reports as touched: it
        # must equal hashing every account.
        root = self.commitment.refresh(self.replica, receipts.touched)
        if self.replica.height % 7 == 0:
            assert root == Commitment().refresh(self.replica)

    def margin_snapshot(self, address: str) -> tuple:
        state = self.v.state
        account = state.accounts[address]
        value, im, mm, _ = cross_requirements(state, account)
        iso = {}
        for asset, pos in account.positions.items():
            market = state.markets[asset]
            if pos.iso_raw_musdc or market.spec.only_isolated:
                ntl = abs(pos.size_lots) * market.mark_pips
                iso[asset] = (pos.iso_raw_musdc + pos.size_lots * market.mark_pips,
                              maintenance_margin(market, ntl), pos.size_lots)
        sizes = {a: p.size_lots for a, p in account.positions.items()}
        return value, im, mm, iso, sizes

    def check_margin(self, before: dict, receipts) -> None:
        touched = set()
        for event in receipts.events:
            if isinstance(event, FillEvent) and event.tx_index >= 0 and event.taker_oid:
                touched.add(event.taker)
                touched.add(event.maker)
            elif isinstance(event, FillEvent):
                touched.discard(event.taker)  # the venue's own orders: liquidations, ADL
                touched.discard(event.maker)
        liquidated = {e.taker for e in receipts.events
                      if isinstance(e, FillEvent) and (e.tx_index < 0 or not e.taker_oid)}
        touched -= liquidated
        for address in sorted(touched):
            v0, im0, mm0, iso0, sizes0 = before.get(address, (0, 0, 0, {}, {}))
            v1, im1, mm1, iso1, sizes1 = self.margin_snapshot(address)
            cross_changed = any(
                sizes0.get(a, 0) != sizes1.get(a, 0) for a in set(sizes0) | set(sizes1)
                if a not in iso0 and a not in iso1
            )
            if cross_changed:
                assert v1 >= im1 or (mm1 <= mm0 and v1 * mm0 >= v0 * mm1), (
                    address, v0, im0, mm0, v1, im1, mm1)
            for asset, (eq1, m1, size1) in iso1.items():
                eq0, m0, size0 = iso0.get(asset, (0, 0, 0))
                if size1 != size0:
                    grew = abs(size1) > abs(size0) or (size0 and (size1 > 0) != (size0 > 0))
                    if grew:
                        assert eq1 >= m1, (address, asset, eq1, m1)
                    else:
                        market = self.v.state.markets[asset]
                        lev = leverage_of(self.v.state.config, self.v.state.accounts[address],
                                          market).leverage
                        im = initial_margin(market, abs(size1) * market.mark_pips, lev)
                        # Several partial closes in one block each pass "initial margin or no
                        # riskier" against the state before them; against the block's start
                        # the end state is at least above maintenance, or no riskier.
                        assert eq1 >= im or eq1 >= m1 or (m1 <= m0 and eq1 * m0 >= eq0 * m1)

    def price_text(self, asset: int, pct: int) -> str:
        market = self.v.state.markets[asset]
        pips = valid_pips(market.mark_pips + market.mark_pips * pct // 1000)
        return format_price(pips, market.sz_decimals)

    def size_text(self, asset: int, lots: int) -> str:
        return format_size(lots, self.v.state.markets[asset].sz_decimals)

    def lots_for(self, asset: int, usd: int) -> int:
        market = self.v.state.markets[asset]
        return max(1, usd * ONE_USDC // market.mark_pips)

    def some_oid(self, user: str, pick: int) -> int:
        orders = sorted(self.v.state.accounts[user].orders) if user in self.v.state.accounts else []
        return orders[pick % len(orders)] if orders else 10**6 + pick

    def any_order(self, pick: int):
        """(owner, order) of some open order of anyone, or None."""
        everyone = sorted((o.oid, o) for a in self.v.state.accounts.values()
                          for o in a.orders.values())
        return everyone[pick % len(everyone)][1] if everyone else None

    # ----- rules -------------------------------------------------------------------------
    @initialize()
    def genesis(self) -> None:
        txs = [self.v.tx(ADMIN, SetPrice(i, p)) for i, p in enumerate(START_PIPS)]
        self.apply(*txs)
        self.apply(*[self.v.tx(None, BridgeCredit(u, 50_000 * ONE_USDC)) for u in USERS],
                   check_margin=False)

    @rule(user=users, usd=st.integers(1, 50_000))
    def deposit(self, user: str, usd: int) -> None:
        self.v.deposit(user, usd)
        self.replica_block()

    @rule(user=users, asset=assets, is_buy=st.booleans(), pct=st.integers(-30, 30),
          usd=st.integers(5, 30_000), tif=st.sampled_from(["Gtc", "Gtc", "Ioc", "Alo"]),
          reduce_only=st.booleans(), with_cloid=st.booleans())
    def place_limit(self, user, asset, is_buy, pct, usd, tif, reduce_only, with_cloid) -> None:
        cloid = None
        if with_cloid:
            self.cloids += 1
            cloid = "0x" + f"{self.cloids % 7:032x}"
        wire = limit(asset, is_buy, self.price_text(asset, pct),
                     self.size_text(asset, self.lots_for(asset, usd)), tif,
                     reduce_only and pct % 3 == 0, cloid)
        self.apply(self.v.tx(user, {"type": "order", "orders": [wire], "grouping": "na"}))

    @rule(user=users, asset=assets, is_buy=st.booleans(), usd=st.integers(10, 60_000),
          close=st.booleans())
    def market_order(self, user, asset, is_buy, usd, close) -> None:
        wire = limit(asset, is_buy, self.price_text(asset, 50 if is_buy else -50),
                     self.size_text(asset, self.lots_for(asset, usd)), "Ioc", close)
        self.apply(self.v.tx(user, {"type": "order", "orders": [wire], "grouping": "na"}))

    @rule(user=users, asset=assets, is_buy=st.booleans(), usd=st.integers(40, 40_000),
          minutes=st.integers(4, 7), reduce_only=st.booleans(), randomize=st.booleans())
    def twap(self, user, asset, is_buy, usd, minutes, reduce_only, randomize) -> None:
        """A TWAP (4 minutes is refused); its slices run in the blocks that follow."""
        self.apply(self.v.tx(user, {"type": "twapOrder", "twap": {
            "a": asset, "b": is_buy, "s": self.size_text(asset, self.lots_for(asset, usd)),
            "r": reduce_only, "m": minutes, "t": randomize}}))

    @rule(user=users, pick=st.integers(0, 50), asset=assets)
    def twap_cancel(self, user, pick, asset) -> None:
        """Cancel a running TWAP: often someone else's or on another asset (refused)."""
        running = sorted(self.v.state.twaps)
        twap_id = running[pick % len(running)] if running else pick
        self.apply(self.v.tx(user, {"type": "twapCancel", "a": asset, "t": twap_id}))

    @rule(dt=st.integers(29_000, 31_000))
    def twap_slice_block(self, dt) -> None:
        """About one TWAP slice interval later."""
        self.apply(dt_ms=dt)

    @rule(user=users, asset=assets, is_buy=st.booleans(), pct=st.integers(-60, 60),
          usd=st.integers(10, 20_000), tpsl=st.sampled_from(["tp", "sl"]),
          is_market=st.booleans(), reduce_only=st.booleans(),
          grouping=st.sampled_from(["na", "positionTpsl"]))
    def place_trigger(self, user, asset, is_buy, pct, usd, tpsl, is_market, reduce_only,
                      grouping) -> None:
        px = self.price_text(asset, pct)
        wire = trigger(asset, is_buy, px, self.size_text(asset, self.lots_for(asset, usd)), px,
                       tpsl, is_market, reduce_only or grouping == "positionTpsl")
        self.apply(self.v.tx(user, {"type": "order", "orders": [wire], "grouping": grouping}))

    @rule(user=users, asset=assets, is_buy=st.booleans(), pct=st.integers(-10, 10),
          usd=st.integers(10, 5_000))
    def place_bracket(self, user, asset, is_buy, pct, usd) -> None:
        size = self.size_text(asset, self.lots_for(asset, usd))
        tp = self.price_text(asset, 60 if is_buy else -60)
        sl = self.price_text(asset, -60 if is_buy else 60)
        orders = [limit(asset, is_buy, self.price_text(asset, pct), size),
                  trigger(asset, not is_buy, tp, size, tp, "tp"),
                  trigger(asset, not is_buy, sl, size, sl, "sl")]
        self.apply(self.v.tx(user, {"type": "order", "orders": orders, "grouping": "normalTpsl"}),
                   check_margin=False)

    @rule(user=users, asset=assets, spread=st.integers(1, 20), usd=st.integers(50, 20_000))
    def quote(self, user, asset, spread, usd) -> None:
        """A market maker's two-sided post-only quote around the mark."""
        size = self.size_text(asset, self.lots_for(asset, usd))
        orders = [limit(asset, True, self.price_text(asset, -spread), size, "Alo"),
                  limit(asset, False, self.price_text(asset, spread), size, "Alo")]
        self.apply(self.v.tx(user, {"type": "order", "orders": orders, "grouping": "na"}),
                   check_margin=False)

    @rule(user=users, pick=st.integers(0, 500), asset=assets, own=st.booleans())
    def cancel(self, user, pick, asset, own) -> None:
        order = self.any_order(pick)
        if own and order is not None:
            user, asset, oid = order.user, order.asset, order.oid
        else:
            oid = self.some_oid(user, pick)
        self.apply(self.v.tx(user, {"type": "cancel", "cancels": [{"a": asset, "o": oid}]}))

    @rule(user=users, n=st.integers(0, 6), asset=assets)
    def cancel_by_cloid(self, user, n, asset) -> None:
        cloid = "0x" + f"{n:032x}"
        self.apply(self.v.tx(user, {"type": "cancelByCloid",
                                    "cancels": [{"asset": asset, "cloid": cloid}]}))

    @rule(user=users, pick=st.integers(0, 500), pct=st.integers(-20, 20),
          usd=st.integers(10, 20_000), tif=st.sampled_from(["Gtc", "Alo", "Ioc"]),
          own=st.booleans())
    def modify(self, user, pick, pct, usd, tif, own) -> None:
        order = self.any_order(pick)
        if own and order is not None:
            user, oid = order.user, order.oid
        else:
            oid = self.some_oid(user, pick)
            order = self.v.state.accounts[user].orders.get(oid)
        asset = order.asset if order else 0
        is_buy = order.is_buy if order else True
        wire = limit(asset, is_buy, self.price_text(asset, pct),
                     self.size_text(asset, self.lots_for(asset, usd)), tif)
        self.apply(self.v.tx(user, {"type": "batchModify",
                                    "modifies": [{"oid": oid, "order": wire}]}))

    @rule(user=users, asset=assets, is_cross=st.booleans(), leverage=st.integers(1, 21))
    def update_leverage(self, user, asset, is_cross, leverage) -> None:
        self.apply(self.v.tx(user, {"type": "updateLeverage", "asset": asset,
                                    "isCross": is_cross, "leverage": leverage}))

    @rule(user=users, asset=assets, usd=st.integers(-2_000, 2_000))
    def isolated_margin(self, user, asset, usd) -> None:
        self.apply(self.v.tx(user, {"type": "updateIsolatedMargin", "asset": asset,
                                    "isBuy": True, "ntli": usd * ONE_USDC}))

    @rule(user=users, to=users, cents=st.integers(1, 3_000_000))
    def usd_send(self, user, to, cents) -> None:
        amount = f"{cents // 100}.{cents % 100:02d}"
        self.apply(self.v.tx(user, {"type": "usdSend", "destination": to, "amount": amount,
                                    "time": 1}))

    @rule(user=users, usd=st.integers(0, 30_000))
    def withdraw(self, user, usd) -> None:
        self.apply(self.v.tx(user, {"type": "withdraw3", "destination": user,
                                    "amount": str(usd), "time": 1}))

    @rule(user=users, delay=st.one_of(st.none(), st.integers(0, 20_000)))
    def schedule_cancel(self, user, delay) -> None:
        time = None if delay is None else self.v.state.time_ms + delay
        self.apply(self.v.tx(user, {"type": "scheduleCancel", "time": time}))

    @rule(asset=assets, pct=st.integers(-80, 80))
    def move_price(self, asset, pct) -> None:
        market = self.v.state.markets[asset]
        pips = max(1, market.mark_pips + market.mark_pips * pct // 1000)
        self.apply(self.v.tx(ADMIN, SetPrice(asset, pips)), check_margin=False)

    @rule(asset=assets, pct=st.sampled_from([-600, -450, -300, 300, 450, 600]),
          steps=st.integers(1, 5))
    def crash(self, asset, pct, steps) -> None:
        """A 30-60% move within minutes, in a few oracle steps a minute apart."""
        market = self.v.state.markets[asset]
        start = market.mark_pips
        for i in range(1, steps + 1):
            pips = max(1, start + start * pct * i // (1000 * steps))
            self.apply(self.v.tx(ADMIN, SetPrice(asset, pips)), dt_ms=20_000,
                       check_margin=False)

    @rule(asset=assets, status=st.sampled_from([0, 0, 1, 2]))
    def set_status(self, asset, status) -> None:
        self.apply(self.v.tx(ADMIN, SetMarketStatus(asset, status)), check_margin=False)

    @precondition(lambda self: self.v.state.height > 60)
    @rule(asset=assets)
    def delist(self, asset) -> None:
        mark = self.v.state.markets[asset].mark_pips
        self.apply(self.v.tx(ADMIN, SetMarketStatus(asset, 3, mark)), check_margin=False)

    @rule(poster=st.sampled_from(POSTERS), gas=st.integers(0, 2_000_000),
          gwei=st.integers(1, 2_000), dt=st.integers(200, 20 * 60_000))
    def batch_cost(self, poster, gas, gwei, dt) -> None:
        """A batch's L1 cost arrives from the queue (gas priced at $3,000 per ETH)."""
        price = gwei * 3_000
        self.batches += 1
        action = L1DataCost(self.batches, poster, gas, price, data_cost_musdc(gas, price),
                            self.v.state.l1_cursor + 1)
        self.apply(self.v.tx(None, action), dt_ms=dt, check_margin=False)
        assert self.v.last.receipts[0].ok
        # what the pool could pay, it paid: costs stay owed only while it is empty
        assert not self.v.state.l1_fee.owed or self.v.state.fee_pool_musdc <= 0

    @rule(dt=st.integers(200, 10_000))
    def empty_block(self, dt) -> None:
        self.apply(dt_ms=dt, check_margin=False)

    @rule(minutes=st.integers(1, 130))
    def long_gap(self, minutes) -> None:
        """Crosses funding hours (and, past 30 s, counts as an outage)."""
        self.apply(dt_ms=minutes * 60_000, check_margin=False)

    @rule(data=st.data(), n=st.integers(2, 6))
    def mixed_block(self, data, n) -> None:
        """Several transactions of different priority classes in one block."""
        txs = []
        for _ in range(n):
            user = data.draw(users)
            asset = data.draw(assets)
            choice = data.draw(st.integers(0, 3))
            if choice == 0:
                wire = limit(asset, data.draw(st.booleans()), self.price_text(asset, 0),
                             self.size_text(asset, self.lots_for(asset, 500)),
                             data.draw(st.sampled_from(["Gtc", "Ioc", "Alo"])))
                txs.append(self.v.tx(user, {"type": "order", "orders": [wire]}))
            elif choice == 1:
                oid = self.some_oid(user, data.draw(st.integers(0, 9)))
                txs.append(self.v.tx(user, {"type": "cancel",
                                            "cancels": [{"a": asset, "o": oid}]}))
            elif choice == 2:
                txs.append(self.v.tx(user, {"type": "usdSend", "destination": data.draw(users),
                                            "amount": "10", "time": 1}))
            else:
                txs.append(self.v.tx(user, {"type": "updateLeverage", "asset": asset,
                                            "isCross": asset != 2, "leverage": 3}))
        self.apply(*txs, check_margin=False)

    # ----- vaults, sub-accounts, builders -------------------------------------------------
    def vaults(self) -> list[str]:
        state = self.v.state
        users = sorted(a for a, acc in state.accounts.items()
                       if acc.vault is not None and acc.vault.leader is not None)
        return users + [fund_address(0), fund_address(3)]

    @rule(leader=st.sampled_from(USERS[:4]), usd=st.integers(50, 3_000))
    def create_vault(self, leader, usd) -> None:
        self.apply(self.v.tx(leader, CreateVault("vault", "", usd * ONE_USDC)))

    @rule(user=users, pick=st.integers(0, 9), usd=st.integers(1, 5_000),
          deposit=st.booleans())
    def vault_transfer(self, user, pick, usd, deposit) -> None:
        vaults = self.vaults()
        target = vaults[pick % len(vaults)]
        self.apply(self.v.tx(user, VaultTransfer(target, deposit, usd * ONE_USDC)))

    @rule(user=users, pick=st.integers(0, 9), deposit=st.booleans())
    def vault_transfer_all(self, user, pick, deposit) -> None:
        """Withdraw exactly the holder's claim (the boundary), or deposit a whole balance."""
        state = self.v.state
        vaults = self.vaults()
        target = vaults[pick % len(vaults)]
        account = state.accounts.get(target)
        if account is None or account.vault is None:
            return
        shares = account.vault.shares.get(user, 0)
        claim = shares * account_value(state, account) // max(account.vault.total_shares, 1)
        amount = claim if not deposit else state.accounts[user].cash_musdc \
            if user in state.accounts else 0
        if amount > 0:
            self.apply(self.v.tx(user, VaultTransfer(target, deposit, amount)))

    @rule(pick=st.integers(0, 9), asset=assets, is_buy=st.booleans(),
          pct=st.integers(-5, 5), usd=st.integers(10, 20_000), tif=st.sampled_from(["Gtc", "Ioc"]))
    def leader_trades_vault(self, pick, asset, is_buy, pct, usd, tif) -> None:
        vaults = self.vaults()[:-2]  # user vaults only: nobody trades an insurance fund
        if not vaults:
            return
        target = vaults[pick % len(vaults)]
        account = self.v.state.accounts.get(target)
        if account is None or account.vault is None or account.vault.leader is None:
            return
        wire = limit(asset, is_buy, self.price_text(asset, pct),
                     self.size_text(asset, self.lots_for(asset, usd)), tif)
        self.apply(self.v.tx(account.vault.leader, {"type": "order", "orders": [wire]},
                             vault=target))

    @rule(master=st.sampled_from(USERS[4:8]), n=st.integers(0, 11))
    def create_sub_account(self, master, n) -> None:
        self.apply(self.v.tx(master, CreateSubAccount(f"sub{n}")))

    @rule(master=st.sampled_from(USERS[4:8]), pick=st.integers(0, 11),
          usd=st.integers(1, 20_000), deposit=st.booleans())
    def sub_account_transfer(self, master, pick, usd, deposit) -> None:
        account = self.v.state.accounts.get(master)
        if account is None or not account.sub_accounts:
            return
        sub = account.sub_accounts[pick % len(account.sub_accounts)]
        self.apply(self.v.tx(master, SubAccountTransfer(sub, deposit, usd * ONE_USDC)))

    @rule(master=st.sampled_from(USERS[4:8]), pick=st.integers(0, 11), asset=assets,
          is_buy=st.booleans(), pct=st.integers(-5, 5), usd=st.integers(10, 20_000),
          builder=st.sampled_from([None, USERS[0], USERS[19]]), fee=st.integers(0, 12))
    def sub_account_trades(self, master, pick, asset, is_buy, pct, usd, builder, fee) -> None:
        account = self.v.state.accounts.get(master)
        if account is None or not account.sub_accounts:
            return
        sub = account.sub_accounts[pick % len(account.sub_accounts)]
        action = {"type": "order", "orders": [
            limit(asset, is_buy, self.price_text(asset, pct),
                  self.size_text(asset, self.lots_for(asset, usd)), "Gtc")]}
        if builder is not None:
            action["builder"] = {"b": builder, "f": fee}
        self.apply(self.v.tx(master, action, vault=sub))

    @rule(user=users, builder=st.sampled_from([USERS[0], USERS[19], addr(99)]),
          rate=st.integers(0, 12))
    def approve_builder(self, user, builder, rate) -> None:
        self.apply(self.v.tx(user, ApproveBuilderFee(builder, rate, 1)))

    @rule(user=users, asset=assets, is_buy=st.booleans(), pct=st.integers(-5, 5),
          usd=st.integers(10, 20_000), pick=st.integers(0, 2), over=st.integers(-3, 1))
    def order_with_builder(self, user, asset, is_buy, pct, usd, pick, over) -> None:
        """An order paying one of the user's approved builders its approved rate, less, or one
        tenth of a basis point more (refused: the boundary)."""
        account = self.v.state.accounts.get(user)
        approvals = sorted(account.builder_approvals.items()) if account is not None else []
        builder, rate = approvals[pick % len(approvals)] if approvals else (addr(99), 1)
        action = {"type": "order", "orders": [
            limit(asset, is_buy, self.price_text(asset, pct),
                  self.size_text(asset, self.lots_for(asset, usd)), "Gtc")],
            "builder": {"b": builder, "f": max(0, rate + over)}}
        receipt = self.v.block(self.v.tx(user, action)).receipts[0]
        self.replica_block()
        assert receipt.ok == (bool(approvals) and over <= 0), receipt

    @rule(days=st.integers(1, 5))
    def days_pass(self, days) -> None:
        """Past the vaults' lockups (1 day; 4 for the insurance funds), by the devnet's time
        advance (nonces keep following the wall clock)."""
        ms = days * 86_400_000 + 1_000
        self.apply(self.v.tx(ADMIN, DevAdvanceTime(ms)), check_margin=False)
        self.apply(dt_ms=ms, check_margin=False)

    @invariant()
    def vault_claims_add_up_to_the_account_value(self) -> None:
        state = self.v.state
        for account in state.accounts.values():
            vault = account.vault
            if vault is None:
                continue
            assert vault.total_shares == sum(vault.shares.values())
            assert all(s > 0 for s in vault.shares.values())
            assert set(vault.basis) <= set(vault.shares)
            value = account_value(state, account)
            if vault.total_shares == 0 or value <= 0:
                continue
            claims = [s * value // vault.total_shares for s in vault.shares.values()]
            assert sum(claims) <= value < sum(claims) + len(claims)
            if vault.leader is not None and not vault.closed and len(vault.shares) > 1:
                # deposits and withdrawals keep the leader at 5% or more of the shares
                assert vault.shares.get(vault.leader, 0) * 20 >= vault.total_shares

    # ----- invariants --------------------------------------------------------------------
    @invariant()
    def the_l1_fee_schedule_and_pool_agree(self) -> None:
        book = self.v.state.l1_fee
        assert 0 <= book.paid_musdc <= book.costs_musdc
        assert book.costs_musdc - book.paid_musdc == sum(a for _, a in book.owed)
        assert all(a > 0 for _, a in book.owed)
        hour, rate, next_rate = self.schedule
        if book.hour_ms != hour:
            if book.hour_ms == hour + 3_600_000:
                assert book.rate_e9 == next_rate  # this hour's rate was published last hour
            assert abs(book.next_rate_e9 - book.rate_e9) <= step_bound_e9(L1_FEE, book.rate_e9)
            assert book.rate_e9 >= 0 and book.next_rate_e9 >= 0
        self.schedule = (book.hour_ms, book.rate_e9, book.next_rate_e9)

    @invariant()
    def money_is_conserved(self) -> None:
        state = self.v.state
        total = state.fee_pool_musdc
        for account in state.accounts.values():
            total += account.cash_musdc
            total += sum(p.iso_raw_musdc for p in account.positions.values())
        assert total == state.credits_musdc - state.withdrawn_musdc

    @invariant()
    def running_twaps_stay_within_their_size_and_schedule(self) -> None:
        state = self.v.state
        for twap_id, twap in state.twaps.items():
            assert twap.twap_id == twap_id < state.next_twap_id
            assert 0 <= twap.executed_lots <= twap.total_lots
            assert twap.slices_done < slice_count(twap.minutes)
            assert twap.next_slice_ms == twap.started_ms + twap.slices_done * 30_000
            assert twap.user in state.accounts

    @invariant()
    def sizes_sum_to_zero_and_open_interest_is_the_long_side(self) -> None:
        state = self.v.state
        for market in state.markets:
            sizes = [a.positions[market.asset].size_lots for a in state.accounts.values()
                     if market.asset in a.positions]
            assert sum(sizes) == 0
            assert market.open_interest_lots == sum(s for s in sizes if s > 0)

    @invariant()
    def books_are_not_crossed_and_match_the_accounts(self) -> None:
        state = self.v.state
        on_book = {}
        for book in state.books:
            bid, ask = book.best_bid(), book.best_ask()
            assert bid == 0 or ask == 0 or bid < ask
            for order in book.resting():
                on_book[order.oid] = order
            for side in (book.bids, book.asks):
                for price, level in side.items():
                    live = [o for o in level.queue if o.on_book]
                    assert level.count == len(live) > 0
                    assert level.total_lots == sum(o.size_lots for o in live)
                    assert all(o.limit_pips == price for o in live)
        resting = {}
        for account in state.accounts.values():
            assert account.order_margin_musdc == sum(o.margin_musdc
                                                     for o in account.orders.values())
            assert account.cloids == {o.cloid: o for o in account.orders.values()
                                      if o.cloid is not None}
            for oid, order in account.orders.items():
                assert order.user == account.address and order.size_lots > 0
                if order.on_book:
                    resting[oid] = order
        assert resting == on_book


ExchangeMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestExchange = ExchangeMachine.TestCase


def test_a_maker_whose_fee_cache_a_refused_fill_refreshed_is_in_the_touched_set() -> None:
    """Found by the state machine: a market TP that fires and is margin-cancelled still read the
    resting maker's fee rates, refreshing the cache in the maker's leaf without an event naming
    the maker; the rollup's incremental commitment then missed that leaf."""
    machine = ExchangeMachine()
    machine.genesis()
    for _ in range(16):
        machine.empty_block(dt=200)
    machine.crash(asset=0, pct=-600, steps=3)
    machine.quote(asset=2, spread=3, usd=50, user=USERS[0])
    for _ in range(16):
        machine.empty_block(dt=200)
    machine.place_trigger(asset=2, grouping="na", is_buy=False, is_market=True, pct=1,
                          reduce_only=False, tpsl="tp", usd=10, user=USERS[1])
    machine.crash(asset=2, pct=300, steps=3)  # replica_block checks the incremental root
