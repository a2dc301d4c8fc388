"""docs/determinism.md on the deterministic packages: no float literal, no `float(`, no `/` operator,
none of the banned imports, no `hash(` of values."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "l2perp"
DETERMINISTIC = ("engine", "rollup")
BANNED_MODULES = {"time", "datetime", "random", "math", "decimal", "fractions", "secrets", "uuid"}


def deterministic_files() -> list[Path]:
    files: list[Path] = []
    for package in DETERMINISTIC:
        files.extend(sorted((ROOT / package).rglob("*.py")))
    return files


def violations(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, (float, complex)):
            found.append(f"{line}: float literal {node.value!r}")
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            found.append(f"{line}: true division '/'")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("float", "hash", "complex"):
            found.append(f"{line}: call to {node.func.id}()")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in BANNED_MODULES:
                    found.append(f"{line}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] in BANNED_MODULES:
            found.append(f"{line}: from {node.module} import ...")
    return found


def test_the_deterministic_packages_exist() -> None:
    assert deterministic_files(), "engine/ has no modules?"


@pytest.mark.parametrize("path", deterministic_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_follows_determinism_rules(path: Path) -> None:
    assert violations(path.read_text()) == []


@pytest.mark.parametrize("snippet", [
    "x = 1.5", "y = a / b", "y /= 2", "z = float(3)", "import time", "from decimal import Decimal",
    "import random as r", "h = hash('a')", "from math import floor",
])
def test_checker_catches_each_banned_construct(snippet: str) -> None:
    assert violations(snippet)


def test_checker_allows_integer_code() -> None:
    assert violations("import hashlib\nq = a // b\nr = -((-a) // b)\n") == []


def test_every_state_field_is_encoded() -> None:
    """The digest must cover every field of the state's dataclasses (a new field that the
    encoding forgets would escape the determinism and replay tests)."""
    import dataclasses

    from l2perp.engine import encoding, params, state

    source = (ROOT / "engine" / "encoding.py").read_text()  # the module may be compiled
    derived = {"books", "agent_owner", "cloids", "spec", "default_leverage", "config",
               "accounts", "markets", "address", "master", "used", "heap", "mm_rates_e9",
               "mm_deductions", "liq_index", "fee_refreshed",  # fee_refreshed: per block, emptied
               "encoded_orders"}  # encoded_orders: a cache of the encoding itself (leafcache.py)
    for cls in (state.Market, state.Position, state.Account, state.State, state.Agent,
                state.Withdrawal, state.OracleEvidence, state.Incident, params.EngineConfig,
                params.MarketSpec):
        for f in dataclasses.fields(cls):
            if f.name not in derived:
                assert f".{f.name}" in source, f"{cls.__name__}.{f.name} is not encoded"
