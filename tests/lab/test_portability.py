"""What the lab feeds the engine comes out the same on every CPU and numpy build: no lab module
calls a transcendental function of libm or numpy (their last bits are not portable) or one of
numpy's float samplers; randomness comes from `draws.Draws` streams of PCG64 words. The one
numpy Generator left is the sweep's Latin hypercube (`permutation` and `random()`: integer
algorithms and a power-of-two scaling)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "src" / "l2perp" / "lab"
MATH_ALLOWED = {"isqrt", "isnan"}  # exact
NUMPY_RANDOM_ALLOWED = {"SeedSequence", "PCG64"}  # integer hashing and the raw bit generator
GENERATOR_ALLOWED = {"sweep.py"}
TRANSCENDENTAL = {"exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "logaddexp", "pow",
                  "power", "float_power", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                  "arctan2", "sinh", "cosh", "tanh", "cbrt", "erf", "erfc", "gamma", "lgamma"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def violations(source: str, filename: str = "x.py") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom) and node.module == "math":
            found += [f"{line}: math.{a.name}" for a in node.names if a.name not in MATH_ALLOWED]
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy.random":
            found += [f"{line}: numpy.random.{a.name}" for a in node.names
                      if a.name not in NUMPY_RANDOM_ALLOWED]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base, name = node.value.id, node.attr
            if base == "math" and name not in MATH_ALLOWED:
                found.append(f"{line}: math.{name}")
            elif base in ("np", "numpy") and name in TRANSCENDENTAL:
                found.append(f"{line}: {base}.{name}")
        elif isinstance(node, ast.Attribute) and dotted(node.value) in ("np.random",
                                                                        "numpy.random"):
            if node.attr not in NUMPY_RANDOM_ALLOWED and filename not in GENERATOR_ALLOWED:
                found.append(f"{line}: numpy.random.{node.attr}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
                and isinstance(node.right, ast.Constant) and isinstance(node.right.value, float):
            found.append(f"{line}: ** with a float exponent")
    return found


@pytest.mark.parametrize("path", sorted(LAB.glob("*.py")), ids=lambda p: p.name)
def test_lab_module_calls_nothing_unportable(path: Path) -> None:
    assert violations(path.read_text(), path.name) == []


@pytest.mark.parametrize("snippet", [
    "y = np.exp(x)", "y = math.log(x)", "from math import sqrt", "r = np.random.default_rng(1)",
    "z = np.random.standard_t(4, n)", "from numpy.random import Generator", "v = x ** 0.5",
    "w = numpy.log1p(x)",
])
def test_checker_catches_each_unportable_construct(snippet: str) -> None:
    assert violations(snippet)


def test_checker_allows_the_portable_tools() -> None:
    assert violations("from math import isqrt\ns = np.random.SeedSequence(1)\n"
                      "b = np.random.PCG64(s)\nq = 10 ** 9\nx = a / b\n") == []
