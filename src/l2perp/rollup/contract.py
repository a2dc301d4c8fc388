"""The settlement contract on the L1 (docs/mechanics.md): batch commitments with
bonds and a challenge window, finality, fraud-proof challenges, withdrawal claims with
nullifiers, freeze after an unserved forced request, escapes from the last finalized root with a
pro-rata haircut, and deposit reclaim after a freeze.

Batch numbers are never reused: every accepted commitment takes the next number, and names as
its parent the newest batch not reverted (its `prev_root` must be that batch's claimed root, or
the genesis root). Reverts cascade to every later batch; the L1 message cursor returns to where
the first reverted batch started, so forced requests it had served are open again with their
original times. Money in micro-USDC, times in ms of the L1 clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..codec import canonical, h256
from ..engine.decoding import DecodeError, decode_account, unpack
from ..engine.params import EngineConfig, Genesis
from ..engine.genesis import genesis_state
from ..engine.l1fee import data_cost_musdc
from ..engine.state import is_fund
from .accounting import tvl_musdc
from .batch import (
    LIST_DEPTH, BatchFormatError, BatchHeader, WithdrawalEntry, decoded_body, l1_messages_in,
    list_root, message_payload, verify_withdrawal,
)
from .judge import Verdict, Witness, WitnessError, open_witness, rejudge
from .l1 import (
    DATA_GAS_PER_BYTE, GAS_LIMIT, KIND_DEPOSIT, KIND_FORCED_TRADE, KIND_FORCED_WITHDRAWAL,
    KIND_L1_COST, KIND_OFFENCE, L1Chain, L1Error, L1Message,
)
from .merkle import verify_proof

POSTED = "posted"
FINALIZED = "finalized"
REVERTED = "reverted"
COMMIT_GAS = 200_000
CHALLENGE_GAS = 2_000_000
FORCED_KINDS = (KIND_FORCED_WITHDRAWAL, KIND_FORCED_TRADE)


@dataclass
class BatchRecord:
    """One batch as the contract keeps it."""

    header: BatchHeader
    body: bytes
    withdrawals: tuple[WithdrawalEntry, ...]
    poster: str
    bond_musdc: int
    parent: int  # batch number of the parent (0: genesis)
    posted_ms: int
    posted_block: int
    deadline_ms: int  # challenges are accepted while L1 time < deadline
    permissionless: bool
    status: str = POSTED
    finalized_ms: int = 0
    reverted_by: int = 0  # the batch whose fraud proof reverted this one


@dataclass(frozen=True)
class JudgeFailure:
    """A public incident: re-executing batch `batch_no` for a challenge raised `kind: message`
    inside the engine, on a well-formed body (an engine bug, not the poster's doing). It
    decided nothing: the batch stands in its window and finalizes unless another proof wins,
    the poster keeps its bond and the challenger got its bond back."""

    batch_no: int
    kind: str  # the exception's type name
    message: str
    challenger: str
    l1_block: int
    time_ms: int


@dataclass
class EscapeBook:
    """What the escape root owes, fixed when escapes open."""

    root: bytes
    positions_root: bytes
    prices: dict[int, int]  # asset -> oracle (or settlement) price in pips
    users_total_musdc: int
    funds_total_musdc: int
    pool_musdc: int  # the contract's free balance when escapes opened
    paid_musdc: int = 0
    escaped: dict[str, int] = field(default_factory=dict)  # address -> amount paid


@dataclass
class Settlement(L1Chain):
    """The L1 chain with the settlement contract deployed at genesis."""

    genesis: Genesis | None = None
    genesis_root: bytes = b""
    posters: tuple[str, ...] = ()
    batches: list[BatchRecord] = field(default_factory=list)
    finalized_no: int = 0  # the newest finalized batch (0: genesis)
    finalized_cursor: int = 0  # messages consumed by finalized batches
    last_post_ms: int = 0
    claimed: dict[tuple[int, int], int] = field(default_factory=dict)  # nullifiers
    frozen_ms: int = 0
    escape_book: EscapeBook | None = None
    reclaimed: dict[int, int] = field(default_factory=dict)  # message index -> amount
    bonds_in_musdc: int = 0
    bonds_returned_musdc: int = 0
    slash_reward_musdc: int = 0
    burned_musdc: int = 0
    paid_claims_musdc: int = 0
    events: list[tuple] = field(default_factory=list)  # (L1 time, kind, details) for the UI
    judge_failures: list[JudgeFailure] = field(default_factory=list)  # public incidents

    def __post_init__(self) -> None:
        super().__post_init__()
        self.last_post_ms = self.genesis_ms

    @property
    def config(self) -> EngineConfig:
        return self.genesis.config

    # ----- reads --------------------------------------------------------------------------
    def batch(self, batch_no: int) -> BatchRecord:
        if not 1 <= batch_no <= len(self.batches):
            raise L1Error(f"no batch {batch_no}")
        return self.batches[batch_no - 1]

    def tip(self) -> BatchRecord | None:
        """The newest batch not reverted."""
        for record in reversed(self.batches):
            if record.status != REVERTED:
                return record
        return None

    def tip_root(self) -> bytes:
        tip = self.tip()
        return tip.header.post_root if tip else self.genesis_root

    def finalized_root(self) -> bytes:
        return self.batch(self.finalized_no).header.post_root if self.finalized_no else \
            self.genesis_root

    def canonical_chain(self) -> list[BatchRecord]:
        """Batches not reverted, oldest first (each one's parent is the one before)."""
        return [b for b in self.batches if b.status != REVERTED]

    def poster_at(self, time_ms: int) -> str:
        """The rotation schedule: whose turn it is to post at `time_ms`."""
        if not self.posters:
            return ""
        slot = (time_ms - self.genesis_ms) // self.params.rotation_ms
        return self.posters[slot % len(self.posters)]

    def any_posted(self) -> bool:
        return any(b.status == POSTED for b in self.batches)

    def queued_deposits_musdc(self) -> int:
        """Q: deposits not consumed by a finalized batch and not reclaimed."""
        return sum(m.payload[1] for m in self.messages[self.finalized_cursor:]
                   if m.kind == KIND_DEPOSIT and m.index not in self.reclaimed)

    def owed_musdc(self) -> int:
        """P: withdrawals emitted by finalized batches not yet claimed."""
        total = 0
        for record in self.batches[:self.finalized_no]:
            if record.status == FINALIZED:
                for k, w in enumerate(record.withdrawals):
                    if (record.header.batch_no, k) not in self.claimed:
                        total += w.amount_musdc
        return total

    def bonds_held_musdc(self) -> int:
        """E: proposer bonds of batches still in their window."""
        return sum(b.bond_musdc for b in self.batches if b.status == POSTED)

    def open_forced(self) -> list:
        """Forced requests no batch that still stands has served, oldest first."""
        return [m for m in self.messages[self.cursor:] if m.kind in FORCED_KINDS]

    def judge_failed(self, batch_no: int) -> bool:
        """Whether a challenge of `batch_no` already ended in a judge failure."""
        return any(f.batch_no == batch_no for f in self.judge_failures)

    def _event(self, kind: str, **details) -> None:
        self.events.append((self.time_ms, kind, details))

    # ----- batches ------------------------------------------------------------------------
    def commit_batch(self, sender: str, header: BatchHeader, body: bytes,
                     withdrawals: tuple[WithdrawalEntry, ...]) -> BatchRecord:
        """Accept a batch with its data and the proposer's bond, or raise L1Error (nothing
        changes: every check runs before the first write)."""
        p = self.params
        permissionless = self.validate_batch(sender, header, body, withdrawals)
        tip = self.tip()
        self.spend_gas(COMMIT_GAS)
        self.take(sender, p.proposer_bond_musdc)
        self.bonds_in_musdc += p.proposer_bond_musdc
        self.consume(header.l1_msg_start, header.l1_msg_end)
        record = BatchRecord(header, body, tuple(withdrawals), sender, p.proposer_bond_musdc,
                             tip.header.batch_no if tip else 0, self.time_ms, self.height,
                             self.time_ms + p.challenge_window_ms, permissionless)
        self.batches.append(record)
        self.last_post_ms = self.time_ms
        self._event("batchPosted", batch=header.batch_no, poster=sender)
        if self.charges_data_cost():
            self.record_data_cost(header.batch_no, sender,
                                  COMMIT_GAS + DATA_GAS_PER_BYTE * len(body))
        return record

    def charges_data_cost(self) -> bool:
        """Whether batches record their L1 cost for L2: L1 gas is priced (`eth_usd`) and the
        venue's genesis has an L1 data fee to pass it on with."""
        return bool(self.params.eth_usd) and self.config.l1_fee is not None

    def record_data_cost(self, batch_no: int, poster: str, gas: int) -> L1Message:
        """Queue what posting a batch cost its poster (`gas` at today's base fee, priced at
        `eth_usd`: nano-USDC per gas = gwei x USD per ETH; micro-USDC rounded up) for L2 to
        observe and reimburse (engine/l1fee.py). The body's data gas is priced as calldata
        but, like blob data, does not count toward the block's execution gas limit."""
        price = self.base_fee_gwei * self.params.eth_usd
        return self._enqueue(KIND_L1_COST, poster,
                             (batch_no, poster, gas, price, data_cost_musdc(gas, price)))

    def validate_batch(self, sender: str, header: BatchHeader, body: bytes,
                       withdrawals: tuple[WithdrawalEntry, ...]) -> bool:
        """Every commit check, changing nothing: L1Error, or whether the batch takes the
        permissionless path. A poster runs it before it signs."""
        p = self.params
        if self.frozen:
            raise L1Error("the exchange is frozen: no new batches")
        if header.batch_no != len(self.batches) + 1:
            raise L1Error(f"batch {header.batch_no} out of sequence: next is "
                          f"{len(self.batches) + 1}")
        tip = self.tip()
        if header.prev_root != self.tip_root():
            raise L1Error("prev_root is not the claimed root of the newest standing batch")
        scheduled = sender == self.poster_at(self.time_ms)
        permissionless = not scheduled
        if permissionless and self.time_ms - self.last_post_ms < p.force_inclusion_delay_ms:
            raise L1Error(f"{sender} is not the scheduled batch poster")
        if header.n_txs > p.max_batch_txs:
            raise L1Error(f"batch holds {header.n_txs} transactions, the judge's budget is "
                          f"{p.max_batch_txs}")
        if h256(body) != header.data_hash:
            raise L1Error("data_hash does not match the posted body")
        try:
            blocks = decoded_body(body)
        except BatchFormatError as exc:
            raise L1Error(str(exc)) from None
        if not blocks or sum(len(b.txs) for b in blocks) != header.n_txs:
            raise L1Error("n_txs does not match the body")
        if len(blocks) > p.max_batch_blocks:
            raise L1Error(f"batch holds {len(blocks)} blocks, at most {p.max_batch_blocks}")
        previous = tip.header.system_time if tip else self.genesis_ms
        for block in blocks:  # decode_body checked every field's type
            if block.time_ms < previous:
                raise L1Error(f"block {block.height} goes back in time")
            previous = block.time_ms
        first = tip.header.last_height + 1 if tip else 1
        if blocks[0].height != first or header.first_height != first or \
                header.last_height != blocks[-1].height or any(
                b.height != first + i for i, b in enumerate(blocks)):
            raise L1Error(f"blocks must run contiguously from height {first}")
        if header.system_time != blocks[-1].time_ms:
            raise L1Error("system_time is not the last block's time")
        if tip and header.system_time < tip.header.system_time:
            raise L1Error("system_time goes backwards")
        if not (self.time_ms - p.system_time_past_ms <= header.system_time
                <= self.time_ms + p.system_time_future_ms):
            raise L1Error("system_time out of bounds of L1 time")
        if not 0 <= header.l1_anchor_block <= self.height or \
                self.block_hashes[header.l1_anchor_block] != header.l1_anchor_hash:
            raise L1Error("l1 anchor is not a block of this chain")
        self._check_messages(header, blocks, permissionless)
        if len(withdrawals) > 1 << LIST_DEPTH or not all(
                type(w) is WithdrawalEntry and type(w.wid) is int and type(w.amount_musdc) is int
                and type(w.user) is str and type(w.destination) is str and w.amount_musdc >= 0
                for w in withdrawals):
            raise L1Error("the withdrawal list is malformed")
        if list_root([w.encode() for w in withdrawals]) != header.withdrawals_root:
            raise L1Error("withdrawals_root does not match the posted list")
        self.need(sender, p.proposer_bond_musdc)
        if COMMIT_GAS > GAS_LIMIT - self.gas_this_block:
            raise L1Error("block gas limit reached: wait for the next L1 block")
        return permissionless

    def _check_messages(self, header: BatchHeader, blocks, permissionless: bool) -> None:
        """The body's L1-message transactions are exactly queue entries [start, end), each
        confirmed and anchored; a permissionless batch carries nothing else."""
        if header.l1_msg_start != self.cursor or not \
                self.cursor <= header.l1_msg_end <= len(self.messages):
            raise L1Error(f"batch must consume messages from {self.cursor}")
        claimed = [message_payload(a) for a in l1_messages_in(blocks)]
        expected = self.messages[header.l1_msg_start:header.l1_msg_end]
        if len(claimed) != len(expected):
            raise L1Error("the body's L1 messages do not match the queue range")
        for (message_id, kind, payload), m in zip(claimed, expected):
            if type(message_id) is not int or message_id != m.index + 1 or kind != m.kind \
                    or canonical(list(payload)) != canonical(list(m.payload)):  # types too
                raise L1Error(f"L1 message {m.index} is misrepresented in the body")
            if m.block > header.l1_anchor_block or \
                    m.block + self.params.confirmations > self.height:
                raise L1Error(f"L1 message {m.index} is not confirmed")
        if permissionless and any(tx.signer is not None for b in blocks for tx in b.txs):
            raise L1Error("a permissionless batch may carry L1 messages only")
        overdue = self.overdue()
        if overdue and overdue[-1].index >= header.l1_msg_end:
            raise L1Error(f"message {overdue[-1].index} is past the force-inclusion delay and "
                          "must be in this batch")

    def on_block(self) -> None:
        """Finalize, oldest first, every batch whose window is over and whose parent is final."""
        self.finalize_ready(lambda record: self.time_ms >= record.deadline_ms)

    def finalize_ready(self, ready) -> None:
        """Finalize, oldest first, every standing batch that is `ready(record)` and whose parent
        is final (its bond goes back to its poster); stop at the first that is not."""
        for record in self.batches:
            if record.status != POSTED:
                continue
            if not ready(record) or record.parent != self.finalized_no:
                break
            record.status = FINALIZED
            record.finalized_ms = self.time_ms
            self.finalized_no = record.header.batch_no
            self.finalized_cursor = record.header.l1_msg_end
            self.pay(record.poster, record.bond_musdc)
            self.bonds_returned_musdc += record.bond_musdc
            self._event("batchFinalized", batch=record.header.batch_no)

    def revert_from(self, batch_no: int, refund_first: bool) -> list[int]:
        """Revert standing batch `batch_no` and every standing batch after it: their posters'
        bonds go back (the first one's only when `refund_first`: a slashed bond does not), and
        the queue cursor returns to the first one's start. Returns the batches reverted."""
        reverted: list[int] = []
        for later in self.batches[batch_no - 1:]:
            if later.status != POSTED:
                continue
            if refund_first or later.header.batch_no != batch_no:
                self.pay(later.poster, later.bond_musdc)
                self.bonds_returned_musdc += later.bond_musdc
            later.status = REVERTED
            later.reverted_by = batch_no
            reverted.append(later.header.batch_no)
        self.cursor = self.batch(batch_no).header.l1_msg_start
        return reverted

    # ----- fraud proofs -------------------------------------------------------------------
    def challenge(self, challenger: str, batch_no: int, witness: Witness) -> Verdict:
        """Re-execute `batch_no` from `witness`. Fraud: the batch and every later batch revert,
        the proposer's bond is slashed (a share to the challenger, the rest burned) and the
        challenger's bond comes back. No fraud, or a witness that does not open prev_root: the
        challenger's bond is burned. A judge failure (the engine raised on a well-formed body):
        see `_judge_failed`."""
        p = self.params
        record = self.batch(batch_no)
        if record.status != POSTED or self.time_ms >= record.deadline_ms:
            raise L1Error(f"batch {batch_no} is not open to challenge")
        if self.judge_failed(batch_no):
            # the one witness that opens prev_root would fail the same way again, at no cost
            raise L1Error(f"batch {batch_no} already failed the judge (see judge_failures): "
                          "another challenge cannot decide it")
        self.need(challenger, p.challenger_bond_musdc)
        self.spend_gas(CHALLENGE_GAS)
        self.take(challenger, p.challenger_bond_musdc)
        self.bonds_in_musdc += p.challenger_bond_musdc
        try:
            verdict = rejudge(self.config, record.header, record.body, record.withdrawals,
                              witness, p.authenticate)
        except WitnessError as exc:
            verdict = Verdict(False, f"witness refused: {exc}")
        except Exception as exc:  # noqa: BLE001 - a judge never crashes the L1
            verdict = Verdict(False, f"witness refused: the judge could not run it ({exc})")
        if verdict.failure is not None:
            return self._judge_failed(challenger, record, verdict)
        if not verdict.fraud:
            self.burned_musdc += p.challenger_bond_musdc
            self.bridge_balance_musdc -= p.challenger_bond_musdc  # burned: leaves the contract
            self._event("challengeFailed", batch=batch_no, challenger=challenger,
                        reason=verdict.reason)
            return verdict
        self.pay(challenger, p.challenger_bond_musdc)  # held in the contract a moment ago
        self.bonds_returned_musdc += p.challenger_bond_musdc
        reward = record.bond_musdc * p.slash_reward_e9 // 10**9
        self.pay(challenger, reward)  # the slashed bond is held too: these cannot fail
        self.slash_reward_musdc += reward
        self.burned_musdc += record.bond_musdc - reward
        self.bridge_balance_musdc -= record.bond_musdc - reward  # burned: leaves the contract
        self.revert_from(batch_no, refund_first=False)
        self.last_post_ms = self.time_ms  # the honest poster gets a full delay to re-post
        # L2's operator registry slashes the poster's governance bond too (engine/governance)
        self._enqueue(KIND_OFFENCE, challenger, ("fraudulentBatch", record.poster, challenger))
        self._event("batchReverted", batch=batch_no, challenger=challenger, reason=verdict.reason)
        return verdict

    def _judge_failed(self, challenger: str, record: BatchRecord, verdict: Verdict) -> Verdict:
        """The judge could not re-execute the batch: it neither proved nor disproved fraud, so
        the challenge ends without effect on the batch (no revert, no slash; it keeps its
        deadline and finalizes like any other), the challenger's bond comes back (the failure
        is not theirs either), and the incident is recorded for everyone to see."""
        p = self.params
        self.pay(challenger, p.challenger_bond_musdc)  # held in the contract a moment ago
        self.bonds_returned_musdc += p.challenger_bond_musdc
        batch_no = record.header.batch_no
        failure = verdict.failure
        self.judge_failures.append(JudgeFailure(batch_no, failure.kind, failure.message,
                                                challenger, self.height, self.time_ms))
        self._event("judgeFailure", batch=batch_no, challenger=challenger, error=failure.kind,
                    message=failure.message)
        return verdict

    # ----- withdrawals --------------------------------------------------------------------
    def claim(self, batch_no: int, k: int, entry: WithdrawalEntry, proof: list[bytes]) -> int:
        """Pay withdrawal k of a finalized batch to its destination, once."""
        record = self.batch(batch_no)
        if record.status != FINALIZED:
            raise L1Error(f"batch {batch_no} is not finalized")
        if type(k) is not int or not 0 <= k < len(record.withdrawals):
            raise L1Error(f"batch {batch_no} has no withdrawal {k!r}")
        if (batch_no, k) in self.claimed:
            raise L1Error(f"withdrawal {k} of batch {batch_no} was already claimed")
        if not verify_withdrawal(record.header.withdrawals_root, k, entry, proof):
            raise L1Error("withdrawal proof does not verify")
        if entry.amount_musdc > self.bridge_balance_musdc:
            raise L1Error("the contract cannot pay more than it holds")
        self.spend_gas(50_000)
        self.pay(entry.destination, entry.amount_musdc)
        self.claimed[(batch_no, k)] = entry.amount_musdc
        self.paid_claims_musdc += entry.amount_musdc
        return entry.amount_musdc

    # ----- freeze, escape, reclaim --------------------------------------------------------
    def freezable(self, message_index: int) -> bool:
        """A forced request still open at `request_time + freeze_grace`, or any unconsumed
        message while no batch was posted for the freeze grace."""
        if self.frozen or not 0 <= message_index < len(self.messages) or \
                message_index < self.cursor:
            return False
        m = self.messages[message_index]
        grace = self.params.freeze_grace_ms
        if m.kind in FORCED_KINDS and self.time_ms >= m.time_ms + grace:
            return True
        tip = self.tip()
        standing_since = tip.posted_ms if tip else self.genesis_ms
        return self.time_ms >= standing_since + grace and self.time_ms >= m.time_ms + grace

    def freeze(self, sender: str, message_index: int) -> None:
        if not self.freezable(message_index):
            raise L1Error("freeze not allowed: no forced request is overdue by the freeze grace")
        self.frozen = True
        self.frozen_ms = self.time_ms
        self._event("frozen", by=sender, message=message_index)

    def escapes_open(self) -> bool:
        """Frozen, and no batch is still in its challenge window."""
        return self.frozen and not self.any_posted()

    def free_balance_musdc(self) -> int:
        """What the contract holds beyond queued deposits, unclaimed withdrawals and bonds."""
        return (self.bridge_balance_musdc - self.queued_deposits_musdc() - self.owed_musdc()
                - self.bonds_held_musdc())

    def open_escapes(self, witness: Witness) -> EscapeBook:
        """Fix what the last finalized root owes (anyone may call it once escapes open): the
        full witness of that root gives the total claimable for the haircut."""
        if not self.escapes_open():
            raise L1Error("escapes open only when frozen with no batch left in its window")
        if self.escape_book is not None:
            return self.escape_book
        root = self.finalized_root()
        try:
            state, commitment = open_witness(self.config, root, witness)
        except WitnessError as exc:
            raise L1Error(str(exc)) from None
        prices = {m.asset: m.settlement_pips or m.oracle_pips for m in state.markets}
        users = funds = 0
        for address in sorted(state.accounts):
            value = escape_value(state.accounts[address], prices)
            if is_fund(address):
                funds += value
            else:
                users += value
        self.escape_book = EscapeBook(root, commitment.tree.root, prices, users, funds,
                                      self.free_balance_musdc())
        self._event("escapesOpened", users=users, funds=funds, pool=self.escape_book.pool_musdc)
        return self.escape_book

    def escape(self, sender: str, leaf: bytes, proof: list[bytes]) -> int:
        """Pay an account's escape value (haircut applied) to whoever owns it, once:

        - a user's account, to its owner (the sender);
        - a sub-account (no key of its own), to its master (the sender);
        - a vault (a user vault, or an insurance fund that took deposits): each holder (the
          sender) takes floor(value x its shares / all shares), once; the protocol's part of a
          fund goes to the fund's address, sent by anyone who holds no share of it;
        - an insurance fund without depositors, to the fund's address, sent by anyone."""
        book = self.escape_book
        if book is None:
            raise L1Error("escapes are not open")
        try:
            account = decode_account(leaf)
        except DecodeError as exc:
            raise L1Error(str(exc)) from None
        address = account.address
        vault = account.vault
        fund = is_fund(address)
        if vault is not None:
            holder = sender if sender in vault.shares or not fund else address
            if holder not in vault.shares:
                raise L1Error("only a holder of the vault's shares may escape its part")
            key, payee = f"{address}/{holder}", holder
        elif account.master is not None:
            if sender != account.master:
                raise L1Error("only the master may escape a sub-account")
            key, payee = address, account.master
        else:
            if sender != address and not fund:
                raise L1Error("only the owner may escape an account")
            key, payee = address, address
        if key in book.escaped:
            raise L1Error(f"{key} has already escaped")
        if not verify_proof(book.positions_root, account.index, leaf, proof):
            raise L1Error("the Merkle path does not verify against the escape root")
        amount = haircut(escape_value(account, book.prices), fund, book)
        if vault is not None:
            amount = amount * vault.shares[payee] // vault.total_shares  # rounds down
        self.pay(payee, amount)
        book.escaped[key] = amount
        book.paid_musdc += amount
        self._event("escaped", user=address, payee=payee, amount=amount)
        return amount

    def reclaim(self, sender: str, message_index: int) -> int:
        """After a freeze, a deposit no finalized batch consumed goes back to its sender, once."""
        if not self.escapes_open():
            raise L1Error("deposits are reclaimable once frozen with no batch in its window")
        if not 0 <= message_index < len(self.messages):
            raise L1Error(f"no message {message_index}")
        m = self.messages[message_index]
        if m.kind != KIND_DEPOSIT or m.index < self.finalized_cursor:
            raise L1Error("only deposits no finalized batch consumed are reclaimable")
        if m.index in self.reclaimed:
            raise L1Error(f"deposit {m.index} was already reclaimed")
        if sender != m.sender:
            raise L1Error("only the depositor may reclaim")
        amount = m.payload[1]
        self.pay(m.sender, amount)
        self.reclaimed[m.index] = amount
        return amount


def deploy(params, genesis: Genesis, posters: tuple[str, ...], contract=None) -> Settlement:
    """The contract (`contract`: a Settlement class, the optimistic one by default) at L1 time
    = the genesis time, holding the genesis state's collateral (the insurance seeds) so that R1
    holds from the first block."""
    from .commitment import Commitment
    state = genesis_state(genesis)
    root = Commitment().refresh(state)
    l1 = (contract or Settlement)(params=params, genesis_ms=genesis.time_ms, genesis=genesis,
                                  genesis_root=root, posters=tuple(posters))
    l1.bridge_balance_musdc = tvl_musdc(state)
    return l1


def escape_value(account, prices: dict[int, int]) -> int:
    """cash + isolated margin + Σ size × price, floored at 0 (funding is settled into cash
    every hour on L2, so no cached-index term remains)."""
    value = account.cash_musdc
    for asset, pos in account.positions.items():
        value += pos.iso_raw_musdc + pos.size_lots * prices[asset]
    return value if value > 0 else 0


def haircut(value: int, fund: bool, book: EscapeBook) -> int:
    """Pro rata when claims exceed the pool; the insurance funds absorb the loss first.
    Rounds down: the residue stays in the contract."""
    pool, users, funds = book.pool_musdc, book.users_total_musdc, book.funds_total_musdc
    pool = pool if pool > 0 else 0
    if users + funds <= pool:
        return value
    if fund:
        return 0 if users >= pool or funds == 0 else value * (pool - users) // funds
    return value if users <= pool else value * pool // users


def leaf_owner(leaf: bytes) -> str:
    return unpack(leaf)[0]
