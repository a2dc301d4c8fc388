"""A rollup for tests: the engine's seeded order flow (tests.support.flow) run through the real
sequencer state, L1 contract, poster, verifier and reconciler, in simulated time. Traders are
funded through L1 deposits, never by L2 credits."""

from __future__ import annotations

import sys
from dataclasses import replace

import msgpack

from l2perp.engine.params import EngineConfig, Genesis
from l2perp.rollup.batch import decode_body, execute_batch
from l2perp.rollup.commitment import Commitment
from l2perp.rollup.params import TEST, RollupParams
from l2perp.rollup.system import RollupSystem
from l2perp.engine.genesis import genesis_state
from l2perp.units import ONE_USDC
from tests.support.flow import USERS, record, to_tx
from tests.support.venue import ADMIN, T0, addr

POSTER, VERIFIER, OUTSIDER = addr(90), addr(91), addr(92)
GENESIS = Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0)
# The recorded flows are unsigned (their traders have no keys): these simulations skip the
# re-authentication of transactions, which test_auth.py covers with signed flows.
UNSIGNED = replace(TEST, name="test-unsigned", authenticate=False)


def make_system(params: RollupParams = UNSIGNED, verifier: bool = True) -> RollupSystem:
    return RollupSystem(params, GENESIS, POSTER, VERIFIER, with_verifier=verifier)


def funded(params: RollupParams = UNSIGNED, verifier: bool = True,
           usd: int = 100_000) -> RollupSystem:
    """A system whose flow traders hold `usd` each, deposited through L1 and credited."""
    s = make_system(params, verifier)
    for user in USERS:
        s.fund(user, usd * ONE_USDC)
    s.l1.mint(OUTSIDER, 10**6 * ONE_USDC)
    for _ in range(4):
        s.step()
    assert all(s.state.accounts[u].cash_musdc == usd * ONE_USDC for u in USERS)
    return s


def flow_txs(n_blocks: int, seed: int, crash_every: int = 0) -> list[tuple]:
    """The recorded flow's transactions per block (its L2 credits dropped: L1 funds instead)."""
    return [tuple(to_tx(raw) for raw in txs if raw[2]["type"] != "_credit")
            for _, _, txs in record(n_blocks, seed, crash_every)]


def run(s: RollupSystem, blocks: list[tuple], on_step=None) -> None:
    for i, txs in enumerate(blocks):
        if on_step is not None:
            on_step(i, s)
        s.step(txs)


def replay_roots(bodies: list[bytes]) -> list[bytes]:
    """Post roots of consecutive batch bodies, executed from genesis."""
    state = genesis_state(GENESIS)
    commitment = Commitment()
    commitment.refresh(state)
    return [execute_batch(state, commitment, decode_body(body), False).post_root
            for body in bodies]


if __name__ == "__main__":  # python -m tests.support.rollup_rig BODIES_FILE: print roots in hex
    with open(sys.argv[1], "rb") as f:
        for root in replay_roots(msgpack.unpackb(f.read())):
            print(root.hex())
