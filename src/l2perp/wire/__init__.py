"""The Hyperliquid wire format: action dicts and signed requests -> engine transactions.

Below the rollup (its judge re-authenticates batches with it) and above the engine, which never
parses decimal strings."""
