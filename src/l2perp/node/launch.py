"""Composing a node for `l2perp up`: the genesis (the data directory's own, a genesis file's or
the devnet's), the operator keys (the dev keys on a devnet; files or the environment, never
argv, off it), the node with its rollup (L1, batch poster, reconciler), devnet seeding and demo
actors, and the honest verifier in its own process with its key in the environment.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..crypto.signatures import address_of
from ..engine.params import Genesis, L1FeeConfig
from ..rollup.l1 import L1Error
from ..rollup.params import PROFILES
from ..rollup.poster import FAULTS
from .demo import DemoActors
from .devnet import (
    START_PRICES_PIPS, DevKey, GenesisFileError, dev_keys, devnet_genesis, genesis_from_file,
)
from .log import BlockLog, RecoveryError
from .service import DEFAULT_BLOCK_MS, Node, NodeRollupSettings, wall_ms

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MIN_BLOCK_MS, MAX_BLOCK_MS = 10, 60_000  # below 10 ms a block's fixed cost (its fsync) dominates
VERIFIER_NICE = 10  # the spawned verifier's niceness: it yields the CPU to the sequencer
# the cyclic collector's thresholds in a long-running node process (Python's: 700, 10, 10)
GC_THRESHOLDS = (50_000, 20, 100)


class LaunchError(Exception):
    """Why the node does not start: one message for the operator and the process's exit code
    (2: the options or keys are wrong; 1: the data directory or the L1 file cannot be used).
    `soft_wrap`: print the message on one line, however long."""

    def __init__(self, message: str, exit_code: int, soft_wrap: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.soft_wrap = soft_wrap


@dataclass(frozen=True)
class LaunchOptions:
    """What `l2perp up` was asked for, as far as the node is concerned."""

    data: Path
    host: str = "127.0.0.1"
    block_ms: int = DEFAULT_BLOCK_MS
    demo: bool = True  # demo oracle operators and market makers (devnet)
    genesis_file: Path | None = None  # markets for a new data directory
    l1_path: Path | None = None  # default DATA/l1.sqlite
    profile: str = "devnet"
    fault: str | None = None  # devnet: the poster posts one bad batch of this kind
    poster_key_file: Path | None = None  # off the devnet, else $L2PERP_POSTER_KEY
    verifier_key_file: Path | None = None  # off the devnet, else $L2PERP_VERIFIER_KEY
    rollup: bool = True  # False (devnet only): no L1, poster, reconciler or verifier


@dataclass(frozen=True)
class OperatorKeys:
    """The batch poster's and the verifier's private keys, and the dev keys (devnet only)."""

    poster: str
    verifier: str | None
    dev: tuple[DevKey, ...] = ()


@dataclass
class Launched:
    """A node ready to serve: `l2perp up` prints its banner and runs the API over it."""

    node: Node
    devnet: bool
    keys: OperatorKeys
    l1_path: Path | None  # None: the node runs no rollup


def key_from(file: Path | None, env: str) -> str | None:
    """A private key from a file (its first line) or the environment variable `env`; never
    from the command line, where `ps` shows it to every user of the machine."""
    if file is not None:
        try:
            text = file.read_text().strip().splitlines()
        except OSError as exc:
            raise LaunchError(f"cannot read the key file {file}: {exc}", 2) from None
        return text[0].strip() if text else None
    value = os.environ.get(env, "").strip()
    return value or None


def address_of_key(key: str) -> str:
    try:
        secret = bytes.fromhex(key.removeprefix("0x"))
        if len(secret) != 32:
            raise ValueError
        return address_of(secret)
    except ValueError:
        raise LaunchError("a private key is 32 bytes of hex", 2) from None


def check_options(options: LaunchOptions) -> None:
    if options.profile not in PROFILES:
        raise LaunchError(f"unknown profile {options.profile}: {', '.join(PROFILES)}", 2)
    if options.fault is not None and options.fault not in FAULTS:
        raise LaunchError(f"unknown fault {options.fault}: {', '.join(FAULTS)}", 2)
    if not MIN_BLOCK_MS <= options.block_ms <= MAX_BLOCK_MS:
        raise LaunchError(f"--block-ms must be between {MIN_BLOCK_MS} and {MAX_BLOCK_MS:,} "
                          f"(got {options.block_ms})", 2)
    if not options.rollup and options.fault is not None:
        raise LaunchError("--fault needs the rollup (it is a poster's fault)", 2)


def load_genesis(data: Path, genesis_file: Path | None, l1_fee: bool = False) -> Genesis:
    """The data directory's genesis; for a new one, the genesis file's or the devnet's (with
    the L1 data fee when `l1_fee`)."""
    try:
        existing = BlockLog(data / "node.sqlite")
        genesis = existing.genesis()
        existing.close()
        if genesis is None:
            genesis = (genesis_from_file(str(genesis_file), wall_ms())
                       if genesis_file is not None else devnet_genesis(wall_ms()))
            if l1_fee:
                genesis = replace(genesis, config=replace(genesis.config, l1_fee=L1FeeConfig()))
    except (RecoveryError, GenesisFileError) as exc:
        raise LaunchError(str(exc), 1, soft_wrap=True) from None
    return genesis


def operator_keys(devnet: bool, options: LaunchOptions, warn: Callable[[str], None]
                  ) -> OperatorKeys:
    """On a devnet, the dev keys (with a warning when the node listens beyond this machine);
    off it, the poster's key (required) and the verifier's from files or the environment."""
    if devnet:
        dev = tuple(dev_keys())
        by_role = {k.role: k for k in dev}
        if options.fault is None and options.host not in LOCAL_HOSTS:
            warn(f"warning: a devnet on {options.host} is open to the network: its admin key "
                 "is public (anyone can mint, move time and pin prices)")
        return OperatorKeys(by_role["poster"].private_key, by_role["verifier"].private_key, dev)
    poster = key_from(options.poster_key_file, "L2PERP_POSTER_KEY")
    verifier = key_from(options.verifier_key_file, "L2PERP_VERIFIER_KEY")
    if poster is None:
        raise LaunchError("off the devnet the batch poster's key comes from --poster-key-file "
                          "or $L2PERP_POSTER_KEY", 2)
    if options.fault is not None:
        raise LaunchError("--fault exists on the devnet only", 2)
    if not options.rollup:
        raise LaunchError("--no-rollup exists on the devnet only", 2)
    return OperatorKeys(poster, verifier)


def open_node(options: LaunchOptions, genesis: Genesis, keys: OperatorKeys,
              l1_path: Path | None) -> Node:
    """The node over its data directory and L1 file, recovered to its head (without an L1
    file, poster or reconciler when `options.rollup` is off)."""
    if not options.rollup:
        return _recovered(options, l1_path, lambda: Node(options.data, genesis,
                                                         block_ms=options.block_ms))
    poster_address = address_of_key(keys.poster)
    verifier_address = address_of_key(keys.verifier) if keys.verifier else None
    settings = NodeRollupSettings(l1_path, PROFILES[options.profile], poster_address,
                                  options.fault,
                                  (verifier_address,) if verifier_address else (),
                                  operator_key=keys.poster)
    return _recovered(options, l1_path, lambda: Node(options.data, genesis,
                                                     block_ms=options.block_ms, rollup=settings))


def _recovered(options: LaunchOptions, l1_path: Path | None, open_: Callable[[], Node]) -> Node:
    """`open_()`, its recovery failures turned into the operator's LaunchError."""
    try:
        return open_()
    except (RecoveryError, L1Error) as exc:
        raise LaunchError(str(exc), 1, soft_wrap=True) from None
    except sqlite3.DatabaseError as exc:
        where = options.data if l1_path is None else f"{options.data} (or {l1_path})"
        raise LaunchError(f"a file in {where} is damaged ({exc}); "
                          "restore it from a backup or start a new data directory", 1,
                          soft_wrap=True) from None


def start_devnet(node: Node, dev: tuple[DevKey, ...], demo: bool) -> None:
    """Fund the dev traders and makers through the L1 bridge (on an empty log) and start the
    demo oracle operators and makers; without a demo, the start prices are pinned."""
    prices = {m.asset: START_PRICES_PIPS[m.name] for m in node.state.markets
              if m.name in START_PRICES_PIPS}
    funded = [k.address for k in dev if k.role in ("trader", "maker")]
    node.seed_devnet(funded, prices, dev[0].private_key, pin=not demo)
    if demo:
        node.demo = DemoActors(
            node, [(k.address, k.private_key) for k in dev if k.role == "oracle"],
            [(k.address, k.private_key) for k in dev if k.role == "maker"], prices)


def launch(options: LaunchOptions, warn: Callable[[str], None]) -> Launched:
    """Everything `l2perp up` starts before it serves the API; LaunchError when it cannot."""
    check_options(options)
    options.data.mkdir(parents=True, exist_ok=True)
    # a new venue whose rollup prices L1 gas passes the batches' data cost on to takers
    l1_fee = options.rollup and PROFILES[options.profile].eth_usd > 0
    genesis = load_genesis(options.data, options.genesis_file, l1_fee)
    devnet = genesis.config.devnet
    keys = operator_keys(devnet, options, warn)
    l1_path = (options.l1_path or options.data / "l1.sqlite") if options.rollup else None
    node = open_node(options, genesis, keys, l1_path)
    if devnet:
        start_devnet(node, keys.dev, options.demo)
    return Launched(node, devnet, keys, l1_path)


def spawn_verifier(l1_path: Path, url: str, verifier_key: str,
                   status_file: Path | None = None) -> subprocess.Popen:
    """The honest verifier (`l2perp verify`) in its own process, following the L1 file and
    challenging through `url`; its key travels in the environment, never in argv, and it exits
    when this process is gone. It runs at niceness VERIFIER_NICE (it yields the CPU to the
    sequencer and catches up in batches) and writes its progress to `status_file`, from which
    the node serves its lag (`rollupStatus`)."""
    status = ["--status-file", str(status_file)] if status_file is not None else []
    return subprocess.Popen([
        sys.executable, "-m", "l2perp.cli", "verify", "--l1", str(l1_path),
        "--url", url, "--parent", str(os.getpid()), "--nice", str(VERIFIER_NICE), *status],
        env={**os.environ, "L2PERP_VERIFIER_KEY": verifier_key})


def settle_heap() -> None:
    """Tune the cyclic garbage collector for a long-running process (the node, its verifier),
    once its start-up is done: what start-up built (modules, the recovered state, the L1) is
    collected once and then frozen out of later collections (`gc.freeze`), and collections run
    at GC_THRESHOLDS instead of every 700 allocations. Under load, Python's defaults promoted
    the requests and transactions that live for one block into the oldest generation, which
    then ran a full collection every block or two: 40-60% of the node's CPU, for collections
    that found no garbage (reference counting frees it). Cycles are still collected, less
    often; the state and every reply are unchanged."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
