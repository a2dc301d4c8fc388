"""The devnet genesis: markets with Hyperliquid's szDecimals, deterministic dev keys (printed at
start and by `l2perp keys --json`), funded accounts, the admin key."""

from __future__ import annotations

from dataclasses import dataclass

from ..crypto.eip712 import keccak256
from ..crypto.signatures import address_of
from ..engine.governance.gov_state import GovGenesis
from ..engine.governance.proposals import DAY_MS
from ..engine.governance.stewards import Bounds
from ..engine.params import DEFAULT_MARKETS, EngineConfig, Genesis
from ..units import ONE_USDC

DEV_ACCOUNTS = 10
DEMO_OPERATORS = 3  # oracle operators signing the demo price path
DEMO_MAKERS = 2  # market makers quoting the demo book
DEV_FUNDS_USD = 1_000_000
DEVNET_INSURANCE_USD = 1_000_000  # docs/mechanics.md: the shared fund is seeded with $1,000,000
START_PRICES_PIPS = {"BTC": 950_000, "ETH": 350_000, "SOL": 1_500_000, "OP": 150_000}


@dataclass(frozen=True)
class DevKey:
    address: str
    private_key: str
    role: str


def dev_keys() -> list[DevKey]:
    """Deterministic keys: the admin, funded traders, demo oracle operators, demo makers, the
    batch poster and the honest verifier (both hold L1 money for their bonds)."""
    keys = []
    roles = (["admin"] + ["trader"] * DEV_ACCOUNTS + ["oracle"] * DEMO_OPERATORS
             + ["maker"] * DEMO_MAKERS + ["poster", "verifier"])
    for i, role in enumerate(roles):
        secret = keccak256(f"l2perp devnet key {i}".encode())
        keys.append(DevKey(address_of(secret), "0x" + secret.hex(), role))
    return keys


def devnet_genesis(time_ms: int) -> Genesis:
    """The devnet venue at `time_ms` (without the L1 data fee, which `l2perp up` adds to a new
    data directory's genesis when its rollup profile prices L1 gas: node/launch.py)."""
    keys = dev_keys()
    operators = tuple((k.address, 1) for k in keys if k.role == "oracle")
    config = EngineConfig(admin=keys[0].address, devnet=True, oracle_operators=operators,
                          insurance_seed_musdc=DEVNET_INSURANCE_USD * ONE_USDC)
    return Genesis(config=config, markets=DEFAULT_MARKETS, time_ms=time_ms,
                   gov=devnet_governance(keys, len(DEFAULT_MARKETS)))


def devnet_governance(keys: list[DevKey], n_markets: int) -> GovGenesis:
    """The devnet DAO: each trader holds 100,000 tokens (10% of the holders' supply), the
    treasury 1,000,000; traders 8-10 are the guardians (2 of 3), trader 7 the risk steward; the
    demo oracle operators and the batch poster are bonded operators. Steward bounds: every
    market's tier-0 max leverage (2 to its genesis value, 25% steps) and circuit-breaker band,
    the hourly funding cap and the liquidation-fee ceiling, each once a day at most."""
    traders = [k.address for k in keys if k.role == "trader"]
    bounds = []
    for asset in range(n_markets):
        bounds.append((f"{asset}.cbBand", Bounds(50_000_000, 300_000_000, 2_000, DAY_MS)))
        bounds.append((f"{asset}.tier0.maxLeverage", Bounds(2, 50, 2_500, DAY_MS)))
    bounds += [("fundingCap", Bounds(10_000_000, 40_000_000, 2_500, DAY_MS)),
               ("liqFeeMax", Bounds(5_000_000, 20_000_000, 2_000, DAY_MS))]
    operators = tuple((k.address, "oracle", 10_000) for k in keys if k.role == "oracle")
    operators += tuple((k.address, "sequencer", 10_000) for k in keys if k.role == "poster")
    return GovGenesis(
        allocations=tuple((t, 100_000) for t in traders), treasury=1_000_000,
        guardians=tuple(traders[7:10]), guardian_threshold=2, stewards=(traders[6],),
        steward_bounds=tuple(bounds), outflow_cap_per_epoch=100_000, operators=operators)


NO_ADMIN = "0x" + "00" * 20  # off the devnet nobody holds the admin key


class GenesisFileError(ValueError):
    """A genesis file that cannot be used; the message says which field and why."""


def genesis_from_file(path: str, time_ms: int) -> Genesis:
    """A genesis from a JSON file.

    {"markets": [{"name", "szDecimals", "maxLeverage", "onlyIsolated"?, "oiCapUsd"?}],
     "insuranceSeedUsd"?, "devnet"?}. With "devnet" true (the default) the keys, admin and
    oracle operators stay the devnet's. With "devnet": false it is a venue without cheats: no
    admin key, no faucet, no dev keys; it must name its oracle operators
    ("oracleOperators": [{"address", "stake"}], at least three) and may name its DAO
    ("governance": {"allocations": [{"address", "amount"}], "treasury", "guardians",
    "guardianThreshold", "stewards", "operators": [{"address", "role", "bond"}]}).
    GenesisFileError names what is wrong."""
    import json
    from dataclasses import replace

    try:
        with open(path) as f:
            spec = json.load(f)
    except (OSError, ValueError) as exc:
        raise GenesisFileError(f"{path}: {exc}") from None
    try:
        markets = _markets(spec)
        seed = int(spec.get("insuranceSeedUsd", DEVNET_INSURANCE_USD)) * ONE_USDC
        devnet = spec.get("devnet", True)
        if not isinstance(devnet, bool):
            raise GenesisFileError("devnet is true or false")
        if devnet:
            base = devnet_genesis(time_ms)
            return _checked(Genesis(config=replace(base.config, insurance_seed_musdc=seed),
                                    markets=markets, time_ms=time_ms,
                                    gov=devnet_governance(dev_keys(), len(markets))))
        operators = tuple((_address(o["address"]), _positive(o["stake"], "stake"))
                          for o in spec["oracleOperators"])
        if len(operators) < 3 or len({a for a, _ in operators}) != len(operators):
            raise GenesisFileError("oracleOperators: at least three distinct operators")
        config = EngineConfig(admin=NO_ADMIN, devnet=False, oracle_operators=operators,
                              insurance_seed_musdc=seed)
        gov = spec.get("governance")
        return _checked(Genesis(config=config, markets=markets, time_ms=time_ms,
                                gov=None if gov is None else _governance(gov)))
    except GenesisFileError as exc:
        raise GenesisFileError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GenesisFileError(f"{path}: malformed ({type(exc).__name__}: {exc})") from None


def _checked(genesis: Genesis) -> Genesis:
    """The genesis, once the engine builds its state from it (ValueError names the rule a
    file broke: a governance refusal is one)."""
    from ..engine.genesis import genesis_state

    genesis_state(genesis)
    return genesis


def _markets(spec: dict) -> tuple:
    from ..engine.params import MarginTier, MarketSpec

    markets = []
    for m in spec["markets"]:
        markets.append(MarketSpec(
            str(m["name"]), int(m["szDecimals"]), (MarginTier(0, int(m["maxLeverage"])),),
            oi_cap_musdc=int(m.get("oiCapUsd", 0)) * ONE_USDC,
            only_isolated=bool(m.get("onlyIsolated", False))))
    if not markets:
        raise GenesisFileError("markets: at least one")
    return tuple(markets)


def _address(value: object) -> str:
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        raise GenesisFileError(f"not an address: {value!r}")
    int(value[2:], 16)
    return value.lower()


def _positive(value: object, what: str) -> int:
    if type(value) is not int or value <= 0:
        raise GenesisFileError(f"{what} must be a positive integer, not {value!r}")
    return value


def _governance(spec: dict) -> GovGenesis:
    """The DAO of a production genesis file (see genesis_from_file)."""
    guardians = tuple(_address(a) for a in spec.get("guardians", ()))
    return GovGenesis(
        allocations=tuple((_address(a["address"]), _positive(a["amount"], "amount"))
                          for a in spec.get("allocations", ())),
        treasury=int(spec.get("treasury", 0)), guardians=guardians,
        guardian_threshold=int(spec.get("guardianThreshold", max(1, len(guardians)))),
        stewards=tuple(_address(a) for a in spec.get("stewards", ())),
        operators=tuple((_address(o["address"]), str(o["role"]), _positive(o["bond"], "bond"))
                        for o in spec.get("operators", ())))
