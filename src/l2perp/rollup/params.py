"""Rollup parameters in two profiles (docs/mechanics.md), checked at load so that an
honest, live operator can never be frozen. Times in ms of the L1 clock, bonds in micro-USDC."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..units import MS_PER_DAY, MS_PER_HOUR, ONE_USDC


class ParamsError(ValueError):
    """A profile that breaks a safety constraint."""


@dataclass(frozen=True)
class RollupParams:
    name: str
    l1_block_ms: int
    batch_interval_ms: int
    max_batch_txs: int  # the judge's re-execution budget per batch ...
    max_batch_blocks: int  # ... in transactions and in blocks (an empty block costs too)
    challenge_window_ms: int
    force_inclusion_delay_ms: int
    freeze_grace_ms: int
    deposit_reclaim_delay_ms: int
    max_l1_inclusion_delay_ms: int  # the longest a challenge transaction may wait for L1
    posting_slack_ms: int  # time the poster needs to get a batch included
    proposer_bond_musdc: int
    challenger_bond_musdc: int
    system_time_past_ms: int  # a batch's system time may lag L1 time by at most this ...
    system_time_future_ms: int  # ... and lead it by at most this (StarkEx: 7 days / 4 hours)
    confirmations: int  # L1 blocks a deposit waits before L2 credits it
    rotation_ms: int  # each scheduled batch poster's turn
    slash_reward_e9: int = 500_000_000  # the challenger's share of a slashed bond; rest burned
    eth_usd: int = 0  # USD per ETH at which L1 gas is priced for the L2 data fee (0: no
    #                   L1DataCost messages: the venue has no L1 data fee)
    authenticate: bool = True  # re-check every transaction's signed request (off: simulations
    #                            of unsigned synthetic flow only; a node always checks)

    def check(self) -> "RollupParams":
        """Raise ParamsError unless every constraint of docs/mechanics.md holds."""
        if self.challenge_window_ms <= 2 * self.max_l1_inclusion_delay_ms:
            raise ParamsError("challenge window must exceed twice the L1 inclusion delay")
        if self.force_inclusion_delay_ms >= self.freeze_grace_ms:
            raise ParamsError("force-inclusion delay must be shorter than the freeze grace")
        if self.freeze_grace_ms < (self.force_inclusion_delay_ms + self.batch_interval_ms
                                   + self.posting_slack_ms):
            raise ParamsError("freeze grace must cover force inclusion + a batch interval + "
                              "posting slack, or an honest operator could be frozen")
        if self.proposer_bond_musdc <= self.challenger_bond_musdc:
            raise ParamsError("the proposer's bond must exceed the challenger's")
        if self.system_time_past_ms < self.force_inclusion_delay_ms:
            raise ParamsError("a batch must be able to carry blocks as old as the "
                              "force-inclusion delay")
        if not 0 < self.max_batch_blocks <= 1 << 16:
            raise ParamsError("blocks per batch must be positive and fit the trace tree")
        if self.eth_usd < 0:
            raise ParamsError("the ETH price of L1 gas may not be negative")
        if self.max_batch_txs <= 0 or self.l1_block_ms <= 0:
            raise ParamsError("batch size and L1 block time must be positive")
        return self


MAINNET_LIKE = RollupParams(
    name="mainnet_like", l1_block_ms=12_000, batch_interval_ms=60_000, max_batch_txs=5_000,
    max_batch_blocks=2_000,
    challenge_window_ms=7 * MS_PER_DAY, force_inclusion_delay_ms=24 * MS_PER_HOUR,
    freeze_grace_ms=7 * MS_PER_DAY, deposit_reclaim_delay_ms=2 * MS_PER_DAY,
    max_l1_inclusion_delay_ms=MS_PER_HOUR, posting_slack_ms=MS_PER_HOUR,
    proposer_bond_musdc=1_000 * ONE_USDC, challenger_bond_musdc=100 * ONE_USDC,
    system_time_past_ms=7 * MS_PER_DAY, system_time_future_ms=4 * MS_PER_HOUR,
    confirmations=12, rotation_ms=MS_PER_DAY, eth_usd=3_000,
).check()

TICK_MS = 1_000  # the test profile's L1 block: one tick
TEST = RollupParams(
    name="test", l1_block_ms=TICK_MS, batch_interval_ms=2 * TICK_MS, max_batch_txs=64,
    max_batch_blocks=400,
    challenge_window_ms=50 * TICK_MS, force_inclusion_delay_ms=10 * TICK_MS,
    freeze_grace_ms=30 * TICK_MS, deposit_reclaim_delay_ms=5 * TICK_MS,
    max_l1_inclusion_delay_ms=5 * TICK_MS, posting_slack_ms=5 * TICK_MS,
    proposer_bond_musdc=1_000 * ONE_USDC, challenger_bond_musdc=100 * ONE_USDC,
    system_time_past_ms=30 * TICK_MS, system_time_future_ms=10 * TICK_MS,
    confirmations=1, rotation_ms=100 * TICK_MS,
).check()

# The devnet: the test profile's clock (windows in seconds) with mainnet-sized batches, so the
# judge budget does not cap a live devnet's throughput at 64 transactions a block.
DEVNET = replace(TEST, name="devnet", max_batch_txs=MAINNET_LIKE.max_batch_txs,
                 max_batch_blocks=MAINNET_LIKE.max_batch_blocks, eth_usd=3_000).check()

PROFILES = {p.name: p for p in (MAINNET_LIKE, TEST, DEVNET)}
