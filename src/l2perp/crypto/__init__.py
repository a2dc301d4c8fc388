"""Hashing and signatures as Hyperliquid's clients produce them: keccak, EIP-712 digests,
msgpack action hashes, secp256k1 recovery and signing (coincurve)."""
