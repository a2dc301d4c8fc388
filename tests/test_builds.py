"""The two builds of the core: compiled (mypyc) and interpreted (L2PERP_PURE=1, the same .py
files) give identical receipts, events and state roots on the same recorded blocks, and the
package picks its build as src/l2perp/build.py says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from l2perp import build
from l2perp.rollup.contract import FINALIZED, REVERTED

ROOT = Path(__file__).resolve().parents[1]


def run_histories(pure: bool, seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT),
           "L2PERP_PURE": "1" if pure else ""}
    out = subprocess.run([sys.executable, "-m", "tests.support.differential"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout)


@pytest.mark.skipif(build.BUILD != build.COMPILED, reason=f"no compiled core here: {build.REASON}")
def test_compiled_and_interpreted_builds_give_identical_receipts_events_and_roots() -> None:
    compiled = run_histories(pure=False, seed="1")
    interpreted = run_histories(pure=True, seed="777")
    assert (compiled["build"], interpreted["build"]) == (build.COMPILED, build.INTERPRETED)
    for history in ("market", "governance", "rollup"):
        assert compiled[history] == interpreted[history], history
    assert len(compiled["market"]) == 1500 and len(compiled["governance"]) > 10
    statuses = [line.split(":")[2] for line in compiled["rollup"] if line.count(":") == 2]
    assert str(REVERTED) in statuses and str(FINALIZED) in statuses  # the fault was caught


def test_the_pure_switch_loads_every_core_module_from_its_source() -> None:
    code = ("import l2perp.build as b, l2perp.engine.book as m, l2perp.codec as c; "
            "print(b.BUILD, m.__file__.endswith('.py'), c.__file__.endswith('.py'))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "L2PERP_PURE": "1"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["interpreted", "True", "True"]


def test_a_core_edited_since_its_build_runs_interpreted_with_one_warning(tmp_path) -> None:
    """A copy of the package whose book.py differs from what its compiled core was built from."""
    if build.BUILD != build.COMPILED:
        pytest.skip(f"no compiled core here: {build.REASON}")
    package = tmp_path / "l2perp"
    shutil.copytree(build.PACKAGE_DIR, package)
    book = package / "engine" / "book.py"
    book.write_text(book.read_text() + "\n# an edit\n")
    code = "import l2perp.build as b, l2perp.engine.book as m; print(b.BUILD, m.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(tmp_path), "L2PERP_PURE": ""},
                         capture_output=True, text=True, check=True)
    built, path = out.stdout.split()
    assert built == "interpreted" and path.endswith("book.py")
    assert out.stderr.count("running the interpreted core") == 1
    assert "stale" in out.stderr


def test_the_running_build_is_the_one_its_manifest_allows() -> None:
    usable, why = build.compiled_state()
    if os.environ.get("L2PERP_PURE"):
        assert build.BUILD == build.INTERPRETED
    else:
        assert (build.BUILD == build.COMPILED) == usable, why


def test_without_a_c_compiler_the_build_says_so_once_and_the_package_runs_interpreted(
        tmp_path) -> None:
    """`make core` on a machine without a C compiler: a copy of the package built with a PATH
    that has no compiler on it."""
    src = tmp_path / "src"
    shutil.copytree(build.PACKAGE_DIR, src / "l2perp",
                    ignore=shutil.ignore_patterns("*.so", "_core.json", "__pycache__"))
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(src), "PATH": str(empty), "L2PERP_PURE": "",
           "L2PERP_QUIET_BUILD": "1"}
    made = subprocess.run([sys.executable, "-m", "l2perp.corebuild"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "no C compiler" in made.stderr and "runs interpreted" in made.stderr
    env.pop("L2PERP_QUIET_BUILD")
    code = "import l2perp.build as b, l2perp.engine.stf as m; print(b.BUILD, m.__file__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    built, path = out.stdout.split()
    assert built == "interpreted" and path.endswith("stf.py")
    assert out.stderr.count("\n") == 1 and "no C compiler on this machine" in out.stderr
