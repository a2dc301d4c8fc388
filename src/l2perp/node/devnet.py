"""The devnet genesis: markets with Hyperliquid's szDecimals, deterministic dev keys (printed at
start and by `l2perp keys --json`), funded accounts, the admin key."""

from __future__ import annotations

from dataclasses import dataclass

from ..crypto.eip712 import keccak256
from ..crypto.signatures import address_of
from ..engine.params import DEFAULT_MARKETS, EngineConfig, Genesis
from ..units import ONE_USDC

DEV_ACCOUNTS = 10
DEV_FUNDS_USD = 1_000_000
DEVNET_INSURANCE_USD = 1_000_000  # DESIGN §4: the shared fund is seeded with $1,000,000
START_PRICES_PIPS = {"BTC": 950_000, "ETH": 350_000, "SOL": 1_500_000, "OP": 150_000}


@dataclass(frozen=True)
class DevKey:
    address: str
    private_key: str
    role: str


def dev_keys() -> list[DevKey]:
    """Deterministic keys: one admin, then funded traders."""
    keys = []
    for i in range(DEV_ACCOUNTS + 1):
        secret = keccak256(f"l2perp devnet key {i}".encode())
        keys.append(DevKey(address_of(secret), "0x" + secret.hex(),
                           "admin" if i == 0 else "trader"))
    return keys


def devnet_genesis(time_ms: int) -> Genesis:
    admin = dev_keys()[0].address
    config = EngineConfig(admin=admin, devnet=True,
                          insurance_seed_musdc=DEVNET_INSURANCE_USD * ONE_USDC)
    return Genesis(config=config, markets=DEFAULT_MARKETS, time_ms=time_ms)
