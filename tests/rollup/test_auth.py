"""Batches are authenticated from their own data: every user transaction carries its signed
request, the verifier and the judge decode it again, and a transaction the sequencer forged or
altered is left out of the re-execution, so its batch is proven wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from l2perp.crypto.signatures import address_of, sign_l1_action, sign_user_signed
from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.tx import GovVote, PlaceOrders, Tx, UsdSend
from l2perp.rollup.auth import authentic
from l2perp.rollup.contract import POSTED, REVERTED
from l2perp.rollup.params import TEST
from l2perp.rollup.system import RollupSystem
from l2perp.units import ONE_USDC
from l2perp.wire.requests import decode_request
from tests.support.rollup_rig import POSTER, VERIFIER
from tests.support.venue import T0, limit

ADMIN_KEY, ALICE_KEY, BOB_KEY, MALLORY_KEY = (bytes([i]) * 32 for i in (3, 4, 5, 6))
ADMIN, ALICE, BOB, MALLORY = (address_of(k) for k in (ADMIN_KEY, ALICE_KEY, BOB_KEY, MALLORY_KEY))


class Signed:
    """Signed requests decoded exactly as the API decodes them."""

    def __init__(self, s: RollupSystem) -> None:
        self.s = s
        self.nonce = T0 + 100

    def request(self, key: bytes, action: dict, user_signed: bool = False) -> Tx:
        self.nonce += 1
        if user_signed:
            action = {**action, "time": self.nonce}
            signature = sign_user_signed(key, action, is_mainnet=False)
        else:
            signature = sign_l1_action(key, action, None, self.nonce, None, False)
        markets = self.s.state.markets
        return decode_request({"action": action, "nonce": self.nonce, "signature": signature},
                              sz_decimals_of=lambda a: markets[a].sz_decimals,
                              asset_of=lambda c: next(
                                  (m.asset for m in markets if m.name == c), None))

    def order(self, key: bytes, is_buy: bool, px: str, sz: str, tif: str = "Gtc") -> Tx:
        return self.request(key, {"type": "order", "orders": [limit(0, is_buy, px, sz, tif)],
                                  "grouping": "na"})


def signed_system() -> tuple[RollupSystem, Signed]:
    genesis = Genesis(config=EngineConfig(admin=ADMIN, devnet=True), time_ms=T0)
    s = RollupSystem(TEST, genesis, POSTER, VERIFIER)
    assert s.params.authenticate
    for user in (ALICE, BOB, MALLORY):
        s.fund(user, 10_000 * ONE_USDC)
    w = Signed(s)
    s.step((w.request(ADMIN_KEY, {"type": "devSetOracle", "coin": "BTC", "px": "50000"}),))
    for _ in range(3):
        s.step()
    return s, w


def test_signed_flow_re_authenticates_and_finalizes() -> None:
    s, w = signed_system()
    s.step((w.order(ALICE_KEY, False, "50000", "0.1"),))
    s.step((w.order(BOB_KEY, True, "50000", "0.1", "Ioc"),
            w.request(ALICE_KEY, {"type": "usdSend", "destination": MALLORY, "amount": "10"},
                      user_signed=True)))
    s.idle(TEST.challenge_window_ms + 6_000)
    assert s.state.accounts[BOB].positions[0].size_lots == 10_000
    assert not s.verifier.findings and not s.reconciler.mismatches
    assert s.l1.finalized_no and all(r.status != REVERTED for r in s.l1.batches)


def test_authentic_decides_from_the_request_alone() -> None:
    s, w = signed_system()
    tx = w.order(ALICE_KEY, True, "49000", "0.1")
    assert authentic(s.state, tx)
    assert authentic(s.state, Tx(None, 0, tx.action))  # system transactions: the contract's
    assert not authentic(s.state, replace(tx, auth=None))
    assert not authentic(s.state, replace(tx, signer=BOB))
    assert not authentic(s.state, replace(tx, nonce=tx.nonce + 1))
    assert not authentic(s.state, replace(tx, auth=tx.auth[:-3] + b"\x00\x00\x00"))
    spec = tx.action.orders[0]
    bigger = spec._replace(sz=spec.sz._replace(coeff=9))
    assert not authentic(s.state, replace(tx, action=PlaceOrders((bigger,))))


def test_a_governance_argument_swapped_for_an_equal_bool_is_not_authentic() -> None:
    s, w = signed_system()
    tx = w.request(ALICE_KEY, {"type": "govVote", "proposal": 1, "support": 1})
    assert tx.action == GovVote(1, 1) and authentic(s.state, tx)
    swapped = replace(tx, action=GovVote(1, True))  # == tx in Python, not what was signed
    assert swapped == tx
    assert not authentic(s.state, swapped)


@pytest.mark.parametrize("error", [RecursionError, OverflowError, AttributeError, MemoryError])
def test_whatever_re_decoding_a_request_raises_leaves_the_transaction_out(monkeypatch,
                                                                          error) -> None:
    """The request bytes are the poster's: no exception escapes into the judge, where it would
    count as the judge's own failure instead of a transaction nobody signed."""
    s, w = signed_system()
    tx = w.order(ALICE_KEY, True, "49000", "0.1")

    def crash(*args, **kwargs):
        raise error("crafted request")
    monkeypatch.setattr("l2perp.rollup.auth.decode_request", crash)
    assert not authentic(s.state, tx)


def run_forgery(forged_from) -> RollupSystem:
    s, w = signed_system()
    s.verifier_poll_ms = 10**9  # the verifier looks once the forgery is posted
    s.step((w.order(ALICE_KEY, False, "50000", "0.1"),))
    s.step((forged_from(w),))  # the sequencer's block holds a transaction nobody signed so
    forged_height = s.state.height
    for _ in range(6):
        s.step()
    s.verifier.poll()
    assert len(s.verifier.challenges) == 1
    bad_no, verdict = s.verifier.challenges[0]
    bad = s.l1.batch(bad_no)
    assert verdict.fraud and bad.status == REVERTED
    assert bad.header.first_height <= forged_height <= bad.header.last_height
    assert all(r.status != POSTED or r.header.last_height < forged_height
               for r in s.l1.batches)  # nothing standing carries the forgery
    return s


def test_a_transfer_the_victim_never_signed_is_proven_fraud() -> None:
    run_forgery(lambda w: Tx(ALICE, T0 + 50, UsdSend(MALLORY, 5_000 * ONE_USDC, T0 + 50)))


def test_an_order_altered_after_signing_is_proven_fraud() -> None:
    def altered(w: Signed) -> Tx:
        tx = w.order(BOB_KEY, True, "50000", "0.01", "Ioc")
        spec = tx.action.orders[0]  # 0.01 BTC signed, 0.1 BTC executed
        return replace(tx, action=PlaceOrders((spec._replace(sz=spec.sz._replace(exp=-1)),)))
    run_forgery(altered)
