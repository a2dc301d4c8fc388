"""The devnet L1, made durable: every call that changes the settlement contract is appended to
its own SQLite file (WAL, synchronous=FULL) after it succeeds, and the chain is rebuilt by
replaying those calls. The file lives apart from the node's data, so users can still leave
with nothing but it; other processes (the verifier, the CLI) follow it read-only.

Calls are (method, args) with args in a tagged msgpack encoding of the rollup's data types.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import msgpack

from ..engine.governance.gov_state import GovGenesis
from ..engine.governance.proposals import Lane
from ..engine.governance.stewards import Bounds
from ..engine.params import (
    EngineConfig, FeeTier, Genesis, L1FeeConfig, MakerRebateTier, MarginTier, MarketSpec,
)
from ..rollup.batch import BatchHeader, WithdrawalEntry
from ..rollup.contract import Settlement, deploy
from ..rollup.judge import Witness
from ..rollup.l1 import L1Error
from ..rollup.params import PROFILES, RollupParams

REGISTRY = {cls.__name__: cls for cls in (
    BatchHeader, WithdrawalEntry, Witness, Genesis, EngineConfig, MarketSpec, MarginTier,
    FeeTier, MakerRebateTier, GovGenesis, Bounds, Lane, L1FeeConfig)}
TAG = "__t"
MUTATING = ("advance_to", "mint", "deposit", "force_withdrawal", "force_trade", "commit_batch",
            "challenge", "claim", "freeze", "open_escapes", "escape", "reclaim")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS calls (seq INTEGER PRIMARY KEY, method TEXT NOT NULL,
                                  args BLOB NOT NULL);
"""


def _pack(value: object) -> object:
    if dataclasses.is_dataclass(value) and type(value).__name__ in REGISTRY:
        return {TAG: type(value).__name__,
                "f": [_pack(getattr(value, f.name)) for f in dataclasses.fields(value)]}
    if isinstance(value, (list, tuple)):
        return [_pack(v) for v in value]
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


def _unpack(value: object) -> object:
    if isinstance(value, dict):
        if TAG in value:
            return REGISTRY[value[TAG]](*[_unpack(v) for v in value["f"]])
        return {k: _unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_unpack(v) for v in value)
    return value


def encode_args(args: tuple) -> bytes:
    return msgpack.packb(_pack(list(args)), use_bin_type=True)


def decode_args(data: bytes) -> tuple:
    return _unpack(msgpack.unpackb(data, raw=False, strict_map_key=False))


def decode_deployment(data: bytes) -> tuple[Genesis, tuple[str, ...], str]:
    """(genesis, posters, profile name) from the deployment record (no pickle: the record may
    come from anyone's node)."""
    genesis, posters, profile = decode_args(data)
    if type(genesis) is not Genesis or profile not in PROFILES:
        raise L1Error("not a deployment record")
    return genesis, tuple(posters), profile


def replica(deployment: bytes, calls) -> Settlement:
    """An L1 rebuilt from its deployment record and its (method, args bytes) calls."""
    genesis, posters, profile = decode_deployment(deployment)
    l1 = deploy(PROFILES[profile], genesis, posters)
    for method, args in calls:
        if method not in MUTATING:
            raise L1Error(f"unknown L1 call {method}")
        _apply(l1, method, decode_args(args))
    return l1


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
    return db


def _apply(l1: Settlement, method: str, args: tuple):
    """Run one recorded call; lists that stood for tuples or lists go back as the method wants."""
    if method == "challenge" or method == "open_escapes":
        args = tuple(Witness(a.shared, tuple(a.leaves)) if isinstance(a, Witness) else a
                     for a in args)
    if method == "escape":
        sender, leaf, proof = args
        args = (sender, leaf, list(proof))
    if method == "claim":
        batch_no, k, entry, proof = args
        args = (batch_no, k, entry, list(proof))
    return getattr(l1, method)(*args)


class L1Host:
    """The settlement contract with its call log. `call` is the only way to change it."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.db = _connect(self.path, readonly)
        row = self.db.execute("SELECT value FROM meta WHERE key='deployment'").fetchone()
        self.l1: Settlement | None = None
        self.applied = 0
        if row is not None:
            genesis, posters, profile = decode_deployment(row[0])
            self.l1 = deploy(PROFILES[profile], genesis, tuple(posters))
            self.follow()

    @property
    def deployed(self) -> bool:
        return self.l1 is not None

    def deploy(self, params: RollupParams, genesis: Genesis, posters: tuple[str, ...]) -> None:
        """Deploy the contract for `genesis` (once per file)."""
        if self.l1 is not None:
            raise L1Error("the settlement contract is already deployed here")
        l1 = deploy(params, genesis, tuple(posters))
        self.db.execute("INSERT INTO meta VALUES ('deployment', ?)",
                        (encode_args((genesis, list(posters), params.name)),))
        self.l1 = l1

    def follow(self) -> int:
        """Apply calls recorded since the last look (another process may be writing)."""
        rows = self.db.execute("SELECT seq, method, args FROM calls WHERE seq > ? ORDER BY seq",
                               (self.applied,)).fetchall()
        for seq, method, args in rows:
            _apply(self.l1, method, decode_args(args))
            self.applied = seq
        return len(rows)

    def call(self, method: str, *args):
        """Apply a call to the contract; recorded only if it succeeds (L1Error: nothing
        changed, nothing recorded)."""
        if self.readonly:
            raise L1Error("this L1 view is read-only")
        if method not in MUTATING:
            raise L1Error(f"unknown L1 call {method}")
        result = _apply(self.l1, method, args)
        self.db.execute("INSERT INTO calls VALUES (?, ?, ?)",
                        (self.applied + 1, method, encode_args(args)))
        self.applied += 1
        return result

    def close(self) -> None:
        self.db.close()
