"""The node's side of the devnet fault cheats (engine/devfaults.py): which addresses get HTTP
429 and until when, and how long /exchange replies are held, as the committed blocks' DevFault
events say. Times are the node's block clock (wall time plus the devnet's advanced total), so
`devAdvanceTime` ends a fault as it ends post-only mode. The websocket hub (api/ws.py) closes
the connections when a block dropped them. Nothing here survives a restart: these faults are
rehearsals, not state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.devfaults import FAULT_DELAY_ACKS, FAULT_DROP_WEBSOCKETS, FAULT_RATE_LIMIT
from ..engine.tx import BlockReceipts, DevFaultEvent


@dataclass(slots=True)
class NodeFaults:
    """The node-level faults in force: `rate_limited` maps an address to the block time (ms)
    its 429s end; `ack_delay_ms` holds each reply until `ack_delay_until_ms`;
    `websockets_dropped_at` is the height of the last block that dropped every websocket (the
    hub, a listener called after `on_block`, closes them)."""

    rate_limited: dict[str, int] = field(default_factory=dict)
    ack_delay_ms: int = 0
    ack_delay_until_ms: int = 0
    websockets_dropped_at: int = -1

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
