"""Shared test harnesses: a venue over the real engine, recorded flows, rollup and
governance rigs, real nodes (in-thread uvicorn servers and `l2perp up` processes)."""
