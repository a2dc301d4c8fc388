"""A 40% crash in 10 minutes over a book of leveraged longs: the waterfall in order (book, then
backstop, then ADL once the fund is exhausted), liquidations held back while the oracle is stale
and during the grace after a block gap, and the circuit breaker tripping."""

from __future__ import annotations

from l2perp.engine.params import EngineConfig
from l2perp.engine.state import fund_address
from l2perp.engine.tx import AdlEvent, FillEvent, LedgerEvent, OrderError
from l2perp.engine.views import account_view
from l2perp.units import ONE_USDC
from tests.support.venue import ADMIN, Venue, addr, limit, single_tier

MAKER, SHORT = addr(50), addr(51)
LONGS = [addr(i) for i in range(1, 12)]
STEADY = LONGS[8:]  # $10,000 each at 3.4x, 3.2x and 2.5x: they live through the first drop
FUND = fund_address(0)


def _setup() -> Venue:
    config = EngineConfig(admin=ADMIN, insurance_seed_musdc=300 * ONE_USDC)
    v = Venue(markets=(single_tier("CRSH", 2, 20),), config=config)  # 20x: maintenance 2.5%
    v.deposit(MAKER, 10_000_000)
    v.deposit(SHORT, 200_000)
    for user in LONGS:
        v.deposit(user, 1_000 if user not in STEADY else 10_000)
    v.set_price(0, 1_000_000)  # $100
    v.order(SHORT, limit(0, False, "100", "2000"))
    sizes = [80, 90, 100, 110, 120, 130, 140, 130, 340, 320, 250]
    for user, size in zip(LONGS, sizes):  # 8x to 14x on $1,000, then 2.5x to 3.4x on $10,000
        v.one(user, {"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 20})
        v.order(user, limit(0, True, "100", str(size), "Ioc"))
    # The maker's bids every $1 down to $61: thin enough that deep losses reach the fund.
    v.order(MAKER, *[limit(0, True, str(p), "12") for p in range(98, 60, -1)])
    return v


def _value(v: Venue, user: str) -> int:
    return account_view(v.state, v.account(user)).account_value_musdc


def test_crash_runs_the_waterfall_in_order() -> None:
    v = _setup()
    timeline: list[tuple[int, str]] = []  # (block height, what happened)

    def step(pips: int | None, dt_ms: int = 30_000, pin: bool = True) -> None:
        if pin and pips is not None:
            v.set_price(0, pips)
        else:
            v.block(dt_ms=dt_ms)
        for event in v.last.events:
            if isinstance(event, FillEvent) and event.taker_oid == 0 and event.tx_index == -1 \
                    and event.taker in LONGS:
                timeline.append((v.state.height, "book"))
            elif isinstance(event, LedgerEvent) and event.kind == "backstopLiquidation":
                timeline.append((v.state.height, "backstop"))
            elif isinstance(event, AdlEvent):
                timeline.append((v.state.height, "adl"))

    price = 1_000_000
    for _ in range(10):  # -1% every 20 s: -10% in 200 s; the most leveraged go to the book
        price -= 10_000
        v.block(dt_ms=19_800)
        step(price)
    assert not v.state.markets[0].halted_reduce_only
    price -= 60_000  # then -16% from the start of the window: the breaker trips
    step(price)
    market = v.state.markets[0]
    assert market.halted_reduce_only
    assert [i.kind for i in v.state.incidents].count("circuitBreaker") == 1
    assert isinstance(v.order(MAKER, limit(0, False, "90", "1"))[0], OrderError)  # no new risk

    # The feed goes silent while the venue's own book keeps falling: the mark follows the book
    # (oracle + basis, the book, its EMA) and the steady longs drop under maintenance, but
    # nothing is liquidated while the oracle is stale.
    v.set_price(0, 0)
    held_from = v.state.height
    for oid in sorted(v.account(MAKER).orders):
        v.cancel(MAKER, 0, oid)
    v.order(SHORT, limit(0, True, "60", "50", reduce_only=True))
    v.order(STEADY[0], limit(0, False, "64", "50", reduce_only=True))
    for _ in range(12):
        v.block(dt_ms=15_000)
    assert market.stale and market.mark_pips < 700_000
    below = [u for u in STEADY
             if _value(v, u) < account_view(v.state, v.account(u)).cross_maintenance_margin_musdc]
    assert below and all(v.size(u, 0) for u in STEADY)
    assert not any(h >= held_from for h, _ in timeline)
    # An outage: the sequencer comes back 45 s later with a fresh price 30% down; the grace
    # after the gap holds liquidations for another minute.
    v.block(dt_ms=45_000)
    v.set_price(0, 700_000)
    assert v.state.grace_until_ms > v.state.time_ms
    v.block(dt_ms=20_000)
    assert all(v.size(u, 0) for u in below)
    assert not any(h >= held_from for h, _ in timeline)
    for _ in range(3):  # the grace ends; the waterfall catches up
        step(None, 20_000, pin=False)
    for pips in (660_000, 630_000, 600_000):  # on to -40%, ten minutes after the start
        step(pips)
        for _ in range(3):
            step(None, 200, pin=False)

    kinds = [k for _, k in sorted(timeline)]
    assert kinds.index("book") < kinds.index("backstop") < kinds.index("adl")
    assert v.state.height > held_from
    # At the end no long is left under water, and every dollar is accounted for.
    for user in LONGS:
        assert _value(v, user) >= 0
    state = v.state
    total = state.fee_pool_musdc + sum(
        a.cash_musdc + sum(p.iso_raw_musdc for p in a.positions.values())
        for a in state.accounts.values())
    assert total == state.credits_musdc - state.withdrawn_musdc
