"""The risk lab: the engine and the node's sequencer in simulated time, driven by agents over
price paths with faults, measured and reported (docs/architecture.md)."""
