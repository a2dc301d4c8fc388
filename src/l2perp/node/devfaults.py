"""The node's side of the devnet fault cheats (engine/devfaults.py): which addresses get HTTP
429 and until when, and how long /exchange replies are held, as the committed blocks' DevFault
events say. Times are the node's block clock (wall time plus the devnet's advanced total), so
`devAdvanceTime` ends a fault as it ends post-only mode. The websocket hub (api/ws.py) closes
the connections when a block dropped them. Nothing here survives a restart: these faults are
rehearsals, not state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.devfaults import (
    FAULT_DELAY_ACKS, FAULT_DROP_WEBSOCKETS, FAULT_L1_GAS_SPIKE, FAULT_RATE_LIMIT,
)
from ..engine.tx import BlockReceipts, DevFaultEvent
from ..rollup.l1 import GAS_LIMIT


@dataclass(slots=True)
class NodeFaults:
    """The node-level faults in force: `rate_limited` maps an address to the block time (ms)
    its 429s end; `ack_delay_ms` holds each reply until `ack_delay_until_ms`;
    `websockets_dropped_at` is the height of the last block that dropped every websocket (the
    hub, a listener called after `on_block`, closes them); an L1 gas spike lasts until
    `gas_spike_until_ms`, up to `gas_spike_multiple` x the base fee (the node's rollup reads
    them, `NodeRollup.congestion_gas`)."""

    rate_limited: dict[str, int] = field(default_factory=dict)
    ack_delay_ms: int = 0
    ack_delay_until_ms: int = 0
    websockets_dropped_at: int = -1
    gas_spike_multiple: int = 0
    gas_spike_until_ms: int = 0
    gas_spike_cap_gwei: int = 0  # multiple x the base fee the spike started from (0: not yet)

    def on_block(self, receipts: BlockReceipts) -> None:
        """Take the faults a committed block switched on (a later one replaces an earlier one
        of the same kind and address)."""
        for event in receipts.events:
            if type(event) is not DevFaultEvent:
                continue
            if event.kind == FAULT_RATE_LIMIT and event.user is not None:
                self.rate_limited[event.user] = event.until_ms
            elif event.kind == FAULT_DELAY_ACKS:
                self.ack_delay_ms, self.ack_delay_until_ms = event.delay_ms, event.until_ms
            elif event.kind == FAULT_DROP_WEBSOCKETS:
                self.websockets_dropped_at = receipts.height
            elif event.kind == FAULT_L1_GAS_SPIKE:
                self.gas_spike_multiple, self.gas_spike_until_ms = event.multiple, event.until_ms
                self.gas_spike_cap_gwei = 0

    def congestion_gas(self, base_fee_gwei: int, now_ms: int) -> int:
        """Other L1 users' gas per block at block time `now_ms`: full blocks while a gas spike
        lasts and the base fee is below `multiple` x the one it started from (fixed at the
        first call of the spike), else none."""
        if now_ms >= self.gas_spike_until_ms or not self.gas_spike_multiple:
            return 0
        if not self.gas_spike_cap_gwei:
            self.gas_spike_cap_gwei = base_fee_gwei * self.gas_spike_multiple
        return GAS_LIMIT if base_fee_gwei < self.gas_spike_cap_gwei else 0

    def is_rate_limited(self, address: str, now_ms: int) -> bool:
        """True while `address` (lower-case) is answered 429: block time strictly before the
        fault's end; an ended entry is forgotten."""
        until = self.rate_limited.get(address)
        if until is None:
            return False
        if now_ms < until:
            return True
        del self.rate_limited[address]
        return False

    def ack_delay(self, now_ms: int) -> int:
        """How many ms to hold a reply whose block was just committed (0: none)."""
        return self.ack_delay_ms if now_ms < self.ack_delay_until_ms else 0
