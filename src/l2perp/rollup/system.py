"""A whole rollup in simulated time, without HTTP: the sequencer's state, the L1 with the
settlement contract, the batch poster, an honest verifier and the reconciler. The node runs the
same pieces on its clock; tests and the risk lab drive this one block at a time.

Each `step`: the L1 clock follows the L2 block time, confirmed L1 messages join the block, the
block is applied and committed, the poster posts what is due, the verifier checks what was
posted, the reconciler checks R1-R5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.params import Genesis
from ..engine.genesis import genesis_state
from ..engine.state import State
from ..engine.stf import apply_block
from ..engine.tx import (
    Block, BlockReceipts, BridgeCredit, ForcedTrade, ForcedWithdrawal, L1DataCost,
    OperatorOffence, Tx,
)
from .accounting import tvl_musdc
from .contract import Settlement, deploy
from .l1 import (
    KIND_DEPOSIT, KIND_FORCED_WITHDRAWAL, KIND_L1_COST, KIND_OFFENCE, L1Error, L1Message,
)
from .params import RollupParams
from .poster import Poster, due_messages
from .reconciler import Reconciler
from .verifier import Verifier


def message_tx(m: L1Message) -> Tx:
    """The L2 transaction that carries queue message `m` (signer None, id = index + 1)."""
    if m.kind == KIND_DEPOSIT:
        user, amount = m.payload
        return Tx(None, 0, BridgeCredit(user, amount, m.index + 1))
    if m.kind == KIND_FORCED_WITHDRAWAL:
        user, amount = m.payload
        return Tx(None, 0, ForcedWithdrawal(user, amount, m.index + 1))
    if m.kind == KIND_L1_COST:
        batch_no, poster, gas, price, cost = m.payload
        return Tx(None, 0, L1DataCost(batch_no, poster, gas, price, cost, m.index + 1))
    if m.kind == KIND_OFFENCE:
        offence, operator, reporter = m.payload
        return Tx(None, 0, OperatorOffence(offence, operator, reporter, 0, m.index + 1))
    user, counterparty, asset, size, price, expiry = m.payload
    return Tx(None, 0, ForcedTrade(user, counterparty, asset, size, price, expiry, m.index + 1))


@dataclass
class RollupSystem:
    """Sequencer + L1 + poster + verifier + reconciler, stepping together."""

    params: RollupParams
    genesis: Genesis
    poster_address: str
    verifier_address: str
    l1: Settlement = field(init=False)
    state: State = field(init=False)
    poster: Poster = field(init=False)
    verifier: Verifier | None = field(init=False)
    reconciler: Reconciler = field(init=False)
    sequencer_live: bool = True  # False: the sequencer stops producing and posting
    censor: bool = False  # True: the sequencer leaves L1 messages out of its blocks
    halted: bool = False
    with_verifier: bool = True
    now_ms: int = field(init=False)
    post_errors: list[str] = field(default_factory=list)
    verifier_poll_ms: int = 0  # how often the verifier looks at L1 (0: after every block)
    _verified_ms: int = 0

    def __post_init__(self) -> None:
        self.l1 = deploy(self.params, self.genesis, (self.poster_address,))
        self.state = genesis_state(self.genesis)
        self.now_ms = self.genesis.time_ms
        self.poster = Poster(self.poster_address, self.l1)
        self.poster.start(self.state)
        self.verifier = Verifier(self.verifier_address, self.l1) if self.with_verifier else None
        self.reconciler = Reconciler(self.l1, tvl_musdc(self.state))
        for address in (self.poster_address, self.verifier_address):
            self.l1.mint(address, 100 * self.params.proposer_bond_musdc)

    def fund(self, user: str, amount_musdc: int) -> L1Message:
        """Mint on L1 and deposit to `user`'s L2 account (credited once confirmed)."""
        self.l1.mint(user, amount_musdc)
        return self.l1.deposit(user, user, amount_musdc)

    def step(self, txs: tuple[Tx, ...] = (), dt_ms: int = 500) -> BlockReceipts | None:
        """One L2 block `dt_ms` after the last (the L1 follows), then post, verify, reconcile."""
        self.now_ms += dt_ms
        time_ms = self.now_ms
        self.l1.advance_to(time_ms)
        receipts = None
        if self.sequencer_live and not self.halted:
            messages = [] if self.censor else due_messages(
                self.l1, self.state.l1_cursor, self.params.max_batch_txs // 2)
            room = self.params.max_batch_txs - len(messages)
            body = tuple(message_tx(m) for m in messages) + tuple(txs[:room])
            block = Block(self.state.height + 1, time_ms, body)
            receipts = apply_block(self.state, block)
            record = self.poster.on_block(self.state, block, receipts)
            self.reconciler.note(block.height, record.tvl_musdc, record.l1_costs_musdc)
            try:
                self.poster.post_due()
            except L1Error as exc:  # e.g. a censoring sequencer's batch: L1 refuses it
                self.post_errors.append(str(exc))
        self.after_l1()
        return receipts

    def after_l1(self) -> None:
        if self.verifier is not None and self.now_ms - self._verified_ms >= self.verifier_poll_ms:
            self._verified_ms = self.now_ms
            self.verifier.poll()
        self.halted = bool(self.reconciler.check())

    def idle(self, ms: int, dt_ms: int = 500) -> None:
        """Let time pass with empty blocks."""
        for _ in range(ms // dt_ms):
            self.step((), dt_ms)
