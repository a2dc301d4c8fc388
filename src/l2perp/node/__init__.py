"""The node: mempool, sequencer, durable block log (SQLite), snapshots and recovery."""
