"""The node's record of the devnet's node-level faults (node/devfaults.py): which block events
switch what on, and the ends of each fault to the millisecond of block time."""

from __future__ import annotations

from l2perp.engine.tx import BlockReceipts, DevFaultEvent, FillEvent
from l2perp.node.devfaults import NodeFaults
from l2perp.rollup.l1 import GAS_LIMIT

USER = "0x" + "ab" * 20


def block(height: int, *events) -> BlockReceipts:
    return BlockReceipts(height, 1_000, [], list(events))


def test_a_429_fault_ends_at_its_millisecond() -> None:
    faults = NodeFaults()
    faults.on_block(block(5, DevFaultEvent("rateLimit", USER, 0, 10_000)))
    assert faults.is_rate_limited(USER, 9_999)
    assert not faults.is_rate_limited("0x" + "cd" * 20, 9_999)  # that address only
    assert not faults.is_rate_limited(USER, 10_000)
    assert faults.rate_limited == {}  # an ended fault is forgotten


def test_the_ack_delay_holds_until_its_end_and_a_later_one_replaces_it() -> None:
    faults = NodeFaults()
    faults.on_block(block(5, DevFaultEvent("delayAcks", None, 300, 8_000)))
    assert faults.ack_delay(7_999) == 300 and faults.ack_delay(8_000) == 0
    faults.on_block(block(6, DevFaultEvent("delayAcks", None, 50, 20_000)))
    assert faults.ack_delay(9_000) == 50


def test_a_drop_is_remembered_by_its_block_and_other_events_change_nothing() -> None:
    faults = NodeFaults()
    fill = FillEvent(1, 1_000, 0, 1, 1, USER, USER, 1, 2, True, 0, 0, 0, 0, 0, 0, 0)
    faults.on_block(block(7, fill, DevFaultEvent("postOnly", None, 0, 5_000)))
    assert faults == NodeFaults()  # post-only mode is the engine's
    faults.on_block(block(8, DevFaultEvent("dropWebsockets", None, 0, 0)))
    assert faults.websockets_dropped_at == 8


def test_a_gas_spike_fills_l1_blocks_up_to_its_multiple_and_until_its_end() -> None:
    faults = NodeFaults()
    assert faults.congestion_gas(10, 0) == 0  # no spike
    faults.on_block(block(5, DevFaultEvent("l1GasSpike", None, 0, 60_000, 3)))
    assert faults.congestion_gas(10, 1_000) == GAS_LIMIT  # the cap is fixed now: 30 gwei
    assert faults.congestion_gas(29, 2_000) == GAS_LIMIT
    assert faults.congestion_gas(30, 3_000) == 0  # at its multiple: blocks as usual
    assert faults.congestion_gas(25, 4_000) == GAS_LIMIT  # fell back below: full again
    assert faults.congestion_gas(10, 60_000) == 0  # at its end, not a millisecond later
    faults.on_block(block(6, DevFaultEvent("l1GasSpike", None, 0, 90_000, 2)))
    assert faults.congestion_gas(40, 61_000) == GAS_LIMIT  # a new spike: 2 x 40 gwei
    assert faults.gas_spike_cap_gwei == 80
