"""The L1 data fee's model is governed like the fee tiers: `setFeeSchedule` on `fee.l1.*`
(standard lane, from the next UTC day), range-checked at proposal; a venue without the fee has
no such keys; a decoder holding only the genesis configuration rebuilds the governed one."""

from __future__ import annotations

from l2perp.codec import canonical
from l2perp.engine.decoding import decode_state
from l2perp.engine.encoding import encode_account, shared_leaf, state_digest
from l2perp.engine.governance.params import engine_keys, get_param
from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.l1fee import clamp_step, target_rate_e9
from l2perp.engine.params import EngineConfig, L1FeeConfig
from l2perp.units import MS_PER_HOUR
from tests.support.gov_rig import ALICE, WHALE, GovVenue
from tests.support.venue import ADMIN

FEE = L1FeeConfig()
WITH_FEE = EngineConfig(admin=ADMIN, devnet=True, l1_fee=FEE)


def test_governance_doubles_the_cost_model_from_the_next_day_and_the_rate_follows() -> None:
    v = GovVenue(config=WITH_FEE)
    assert get_param(v.state, "fee.l1.gasPerMillionUsd") == 2_000_000
    assert "fee.l1.smoothing" in engine_keys(v.state)
    v.enact((("setFeeSchedule", "fee.l1.gasPerMillionUsd", 4_000_000),), voters=(WHALE, ALICE))
    assert v.state.config.l1_fee.gas_per_million_usd == 2_000_000  # not before the next day
    v.advance(DAY_MS)
    config = v.state.config.l1_fee
    assert config.gas_per_million_usd == 4_000_000
    assert v.gov.table.values["fee.l1.gasPerMillionUsd"] == 4_000_000
    # the next hour's rate moves toward the doubled target, within its bound
    book = v.state.l1_fee
    before = book.rate_e9
    v.block(dt_ms=MS_PER_HOUR)
    target = target_rate_e9(config, book.gas_price_nusdc)
    assert book.next_rate_e9 == clamp_step(config, book.rate_e9, target) > before
    # a decoder with the genesis configuration rebuilds the governed one
    shared = canonical(shared_leaf(v.state))
    leaves = [encode_account(a) for a in v.state.accounts.values()]
    copy = decode_state(GovVenue(config=WITH_FEE).state.config, shared, leaves)
    assert copy.config == v.state.config and state_digest(copy) == v.digest()


def test_out_of_range_values_are_refused_at_proposal() -> None:
    v = GovVenue(config=WITH_FEE)
    for key, value in (("fee.l1.smoothing", 0), ("fee.l1.maxStepPpm", 1_000_001),
                       ("fee.l1.gasPerMillionUsd", -1), ("fee.l1.minStep", 10**12)):
        error = v.refused(WHALE, "propose", (("setFeeSchedule", key, value),))
        assert key in error and "outside" in error


def test_a_venue_without_the_fee_has_no_such_keys() -> None:
    v = GovVenue()
    assert not any(k.startswith("fee.l1.") for k in engine_keys(v.state))
    error = v.refused(WHALE, "propose", (("setFeeSchedule", "fee.l1.gasPerMillionUsd", 1),))
    assert "unknown parameter" in error and "fee.tier<i>.taker" in error
