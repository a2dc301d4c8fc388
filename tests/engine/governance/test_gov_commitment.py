"""Governance is part of the committed state: a decoder holding only the genesis configuration
rebuilds the governed configuration and the same digest, the decoded copy executes the next
blocks identically, and a governance history replayed in fresh processes with other
PYTHONHASHSEEDs ends at the same digest."""

from __future__ import annotations

import os
import subprocess
import sys

from l2perp.codec import canonical
from l2perp.engine.decoding import decode_state
from l2perp.engine.encoding import encode_account, shared_leaf, state_digest
from l2perp.engine.governance.proposals import DAY_MS
from l2perp.engine.stf import apply_block
from tests.support.gov_rig import ALICE, G1, G2, STEWARD, WHALE, GovVenue
from tests.support.venue import addr

def history() -> GovVenue:
    """A venue whose governance changed engine-wide values, fees, a market and its own rules."""
    v = GovVenue()
    v.deposit(WHALE, 50_000)
    v.set_price(0, 500_000)
    v.ok(STEWARD, "stewardUpdate", "0.cbBand", 120_000_000)
    v.ok(G1, "guardianSign", 1, "raiseMargin", ("0.tier0.maxLeverage", 30))
    v.ok(G2, "guardianSign", 1, "raiseMargin", ("0.tier0.maxLeverage", 30))
    v.ok(G1, "incidentReport", 1, "tightened BTC")
    v.ok(WHALE, "transfer", addr(0xE1), 1_234)
    v.enact((("setRiskParam", "fundingCap", 30_000_000),), proposer=ALICE)
    v.enact((("setFeeSchedule", "fee.tier0.taker", 400),
             ("setGovernanceRule", "operatorFeeShareBps", 1_000)), voters=(WHALE, ALICE))
    v.advance(DAY_MS)  # the fee schedule takes effect at the next UTC day
    return v


def test_the_decoder_rebuilds_the_governed_config_from_the_genesis_config() -> None:
    v = history()
    genesis_config = GovVenue().state.config
    assert v.state.config != genesis_config
    assert v.state.config.funding_cap_hourly_e9 == 30_000_000
    assert v.state.config.fee_tiers[0].taker_rate_e9 == 400
    shared = canonical(shared_leaf(v.state))
    leaves = [encode_account(a) for a in v.state.accounts.values()]
    copy = decode_state(genesis_config, shared, leaves)
    assert copy.config == v.state.config and state_digest(copy) == v.digest()
    for signer in (G1, G2):  # both copies run the next blocks the same way
        v.ok(signer, "guardianSign", 2, "pauseMarket", (3,))
        apply_block(copy, v.blocks[-1])
        assert state_digest(copy) == v.digest()
    assert copy.markets[3].status == 2


SCRIPT = "from tests.engine.governance.test_gov_commitment import history; " \
         "print(history().digest().hex())"


def test_a_governance_history_replays_to_one_digest_under_other_hash_seeds() -> None:
    expected = history().digest().hex()
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True, cwd=os.getcwd())
        assert out.stdout.strip() == expected
