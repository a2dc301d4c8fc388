"""Reconciliation between L1 and L2 (docs/mechanics.md), after every L1 block.

On L1: B the contract's balance, Q deposits no finalized batch consumed (not reclaimed), P
withdrawals of finalized batches not yet claimed, E bonds held. On L2, the sequencer's own books:
TVL = fee pool + Σ (cash + isolated margin), which trades, fees and funding conserve.

- R1 B == Q + P + E + TVL(last finalized batch); frozen: B >= Q + P + E and what escapes paid
  never exceeds the pool fixed when they opened.
- R2 across the sequencer's measured totals at batch ends: ΔTVL == deposits consumed -
  withdrawals emitted.
- R3 standing batches consume the queue contiguously from 0: each message exactly once.
- R4 every L2 credit in a standing batch is a queue deposit (id, owner, amount) on a canonical
  L1 block.
- R5 each withdrawal (batch, k) and each escape is paid at most once, and never more than owed.
- R6 (with an L1 data fee) across the measured batch ends: the L1 costs L2 took on (engine/
  l1fee.py: `L1FeeBook.costs_musdc`) moved by exactly the batch costs the contract recorded in
  the queue messages those batches consumed. What the fee pool absorbs, charged - costs, is
  L2's own figure; L1 cannot see fees, so it is reported (`l1_fee_terms`), not reconciled.

A mismatch is an incident: the reconciler records it and the sequencer halts for as long as
any identity is broken (a fraudulent batch that a challenge reverts stops breaking R2; a skewed
L2 balance never does). Identities over batches start from the newest finalized batch: the
ones before it were checked while they were posted and cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .batch import decoded_body, l1_messages_in, message_payload
from .contract import FINALIZED, Settlement
from .l1 import KIND_DEPOSIT, KIND_L1_COST


@dataclass(frozen=True)
class Mismatch:
    """A broken identity: which one, at which L1 block, and the numbers."""

    rule: str
    l1_block: int
    detail: str


@dataclass
class Reconciler:
    """Checks R1-R5 for one L1 against the sequencer's totals (`tvl_at` by L2 height)."""

    l1: Settlement
    genesis_tvl_musdc: int
    tvl_at: dict[int, int] = field(default_factory=dict)  # L2 height -> TVL, from the poster
    costs_at: dict[int, int] = field(default_factory=dict)  # L2 height -> L1 costs L2 took on
    recorded_upto: int = 0  # queue messages counted into recorded_musdc (l1_fee_terms)
    recorded_musdc: int = 0  # Σ batch costs the contract recorded in them
    mismatches: list[Mismatch] = field(default_factory=list)  # every incident, in order
    current: list[Mismatch] = field(default_factory=list)  # what the last check found
    checks: int = 0
    r4_checked: set = field(default_factory=set)  # batches whose credits matched the queue
    checked_l1_blocks: set = field(default_factory=set)

    def note(self, height: int, tvl_musdc: int | None, l1_costs_musdc: int | None) -> None:
        """The sequencer's measured totals after block `height` (None: not measured)."""
        self.tvl_at[height] = tvl_musdc
        if l1_costs_musdc is not None:
            self.costs_at[height] = l1_costs_musdc

    def prune(self, final_height: int) -> None:
        """Forget the totals below the newest finalized batch's end (that one is kept)."""
        for table in (self.tvl_at, self.costs_at):
            for height in [h for h in table if h < final_height]:
                del table[height]

    @property
    def halted(self) -> bool:
        return bool(self.current)

    def _fail(self, rule: str, detail: str) -> None:
        mismatch = Mismatch(rule, self.l1.height, detail)
        self.current.append(mismatch)
        if not any(m.rule == rule and m.detail == detail for m in self.mismatches[-8:]):
            self.mismatches.append(mismatch)

    def check(self) -> list[Mismatch]:
        """Run every identity; returns what is broken now (empty: all hold)."""
        self.current = []
        self.checks += 1
        self.checked_l1_blocks.add(self.l1.height)
        opened = self.open_chain()  # the standing chain R2, R3/R4 and R6 walk
        self.check_r1()
        self.check_r2(opened)
        self.check_r3_r4(opened)
        self.check_r5()
        if self.l1.charges_data_cost():
            self.check_r6(opened)
        return self.current

    def open_chain(self) -> tuple[list, int, int]:
        """Standing batches after the newest finalized one, and that one's (height, TVL)."""
        l1 = self.l1
        if not l1.finalized_no:
            return l1.canonical_chain(), 0, self.genesis_tvl_musdc
        final = l1.batch(l1.finalized_no).header
        chain = [b for b in l1.canonical_chain() if b.header.batch_no > final.batch_no]
        return chain, final.last_height, self.tvl_at.get(final.last_height)

    def finalized_tvl(self) -> int | None:
        if not self.l1.finalized_no:
            return self.genesis_tvl_musdc
        return self.tvl_at.get(self.l1.batch(self.l1.finalized_no).header.last_height)

    def r1_terms(self) -> tuple[int, int, int, int, int | None]:
        """R1's terms (B, Q, P, E, and T or, frozen, R) in micro-USDC; T is None while the L2
        total at the newest finalized batch is not measured."""
        l1 = self.l1
        q, p, e = l1.queued_deposits_musdc(), l1.owed_musdc(), l1.bonds_held_musdc()
        b = l1.bridge_balance_musdc
        if l1.escape_book is not None:  # R = the pool fixed at opening - escapes paid
            book = l1.escape_book
            return b, q, p, e, book.pool_musdc - book.paid_musdc
        return b, q, p, e, self.finalized_tvl()

    def check_r1(self) -> None:
        b, q, p, e, last = self.r1_terms()
        if self.l1.escape_book is not None:  # last: R, the escape pool left
            if b != q + p + e + last or last < 0:
                self._fail("R1", f"frozen: B={b} != Q={q} + P={p} + E={e} + R={last}")
            return
        if last is None:
            return  # the sequencer's total for that height was not measured
        if b != q + p + e + last:
            self._fail("R1", f"B={b} != Q={q} + P={p} + E={e} + TVL={last} "
                             f"(off by {b - q - p - e - last})")

    def consumed_sum(self, record, kind: str, field: int) -> int:
        """Σ payload[field] over the queue messages of `kind` that batch `record` consumed."""
        header = record.header
        return sum(m.payload[field] for m in self.l1.messages[header.l1_msg_start:header.l1_msg_end]
                   if m.kind == kind)

    def check_r2(self, opened: tuple[list, int, int | None]) -> None:
        """Between consecutive measured batch ends of the standing chain (`open_chain`)."""
        chain, last_height, last_tvl = opened
        if last_tvl is None:
            return

        def flow(record) -> int:
            return (self.consumed_sum(record, KIND_DEPOSIT, 1)
                    - sum(w.amount_musdc for w in record.withdrawals))
        self.check_flows("R2", chain, last_height, last_tvl, self.tvl_at, flow,
                         "L2 total moved", "L1 flows say")

    def check_flows(self, rule: str, chain: list, last_height: int, last: int,
                    measured: dict[int, int], flow_of, moved: str, says: str) -> None:
        """Walk `chain` from the figure `last` at `last_height`: at each batch end where the
        sequencer measured its figure, it must have moved by exactly the L1 flows of the batches
        since (`flow_of(record)`); else `rule` is broken."""
        flow = 0
        for record in chain:
            header = record.header
            flow += flow_of(record)
            value = measured.get(header.last_height)
            if value is None:
                continue
            if value - last != flow:
                self._fail(rule, f"{moved} {value - last} over heights "
                                 f"{last_height + 1}..{header.last_height}, {says} {flow}")
                return
            last_height, last, flow = header.last_height, value, 0

    def check_r3_r4(self, opened: tuple[list, int, int | None]) -> None:
        chain = opened[0]
        cursor = self.l1.finalized_cursor
        for record in chain:
            header = record.header
            if header.l1_msg_start != cursor or header.l1_msg_end < cursor:
                self._fail("R3", f"batch {header.batch_no} consumes from {header.l1_msg_start}, "
                                 f"expected {cursor}")
                return
            cursor = header.l1_msg_end
            if header.batch_no in self.r4_checked:  # a batch's data never changes on L1
                continue
            claimed = [message_payload(a) for a in l1_messages_in(decoded_body(record.body))]
            queue = self.l1.messages[header.l1_msg_start:header.l1_msg_end]
            for (message_id, kind, payload), m in zip(claimed, queue):
                anchored = self.l1.block_hashes[header.l1_anchor_block] == header.l1_anchor_hash
                if message_id != m.index + 1 or kind != m.kind or payload != m.payload \
                        or not anchored:
                    self._fail("R4", f"batch {header.batch_no}: credit {message_id} matches no "
                                     "canonical queue entry")
                    return
            if len(claimed) != len(queue):
                self._fail("R4", f"batch {header.batch_no}: L1 messages do not match its range")
                return
            self.r4_checked.add(header.batch_no)
        if cursor != self.l1.cursor:
            self._fail("R3", f"L1 cursor {self.l1.cursor} != consumed {cursor}")

    def check_r6(self, opened: tuple[list, int, int | None]) -> None:
        """Between consecutive measured batch ends of the standing chain, from 0 at genesis."""
        chain, last_height, _ = opened
        last = self.costs_at.get(last_height, 0 if last_height == 0 else None)
        if last is None:
            return
        self.check_flows("R6", chain, last_height, last, self.costs_at,
                         lambda record: self.consumed_sum(record, KIND_L1_COST, 4),
                         "L2 took on L1 data costs of", "L1 recorded")

    def l1_fee_terms(self, state) -> dict[str, int] | None:
        """The L1 data fee's account in micro-USDC: what L1 recorded for all batches, what L2
        took on, charged to takers, paid to posters and still owes, and the difference the fee
        pool absorbed (charged - costs; negative: the pool paid more than it charged)."""
        book = state.l1_fee
        if book is None:
            return None
        messages = self.l1.messages  # append-only: count each message once
        for m in messages[self.recorded_upto:]:
            if m.kind == KIND_L1_COST:
                self.recorded_musdc += m.payload[4]
        self.recorded_upto = len(messages)
        return {"l1Recorded": self.recorded_musdc, "l2Costs": book.costs_musdc,
                "charged": book.charged_musdc, "paid": book.paid_musdc,
                "owed": book.costs_musdc - book.paid_musdc,
                "absorbed": book.charged_musdc - book.costs_musdc}

    def check_r5(self) -> None:
        l1 = self.l1
        for (batch_no, k), amount in l1.claimed.items():
            record = l1.batch(batch_no)
            if record.status != FINALIZED or k >= len(record.withdrawals) or \
                    record.withdrawals[k].amount_musdc != amount:
                self._fail("R5", f"claim ({batch_no}, {k}) pays {amount}, not owed")
        paid_claims = sum(l1.claimed.values())
        if paid_claims != l1.paid_claims_musdc:
            self._fail("R5", f"withdrawals paid {l1.paid_claims_musdc} != nullified {paid_claims}")
        if l1.escape_book is not None:
            book = l1.escape_book
            if sum(book.escaped.values()) != book.paid_musdc:
                self._fail("R5", "escape payments differ from the escapes recorded")
