"""Which build of the deterministic core this process runs: compiled (mypyc) or interpreted.

The core (`CORE_PATHS`: the engine, the codec, the units, the Merkle tree and the lab's
simulation loop) has one source, the Python modules. `python -m l2perp.corebuild` (run by `make
up`, `make test` and `make bench`) compiles them with mypyc into extension modules beside the
sources and writes `_core.json`, a digest of the sources it compiled. When this package is
imported, `select()` decides:

- `L2PERP_PURE=1`: interpreted, on purpose;
- no compiled core, one built from other sources than the files on disk (an edit since the last
  build), or an extension module left beside a module no longer in the core: interpreted, with
  one warning on stderr naming the reason and the fix;
- otherwise compiled.

Interpreted means every module of the package is loaded from its `.py` file even where an
extension module lies beside it (a finder placed first on `sys.meta_path`); the two builds are
never mixed in one process, because compiled modules call each other's classes directly.
Nothing here is part of the state: both builds give identical receipts, events and roots
(tests/test_builds.py).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST = PACKAGE_DIR / "_core.json"
# The compiled part of the package, relative to PACKAGE_DIR: a directory means its modules (not
# its `__init__`, which stays a plain package). The lab's hot modules ride along (its kernel,
# agents, metrics, runner and fixed-point draws run a million times in a lab day); the rest of
# the lab stays interpreted: scenario.py and prices.py (frozen records that `scenario.build`
# fills from TOML and sweeps copy) and the cold governance, drill, rollup, report and sweep.
CORE_PATHS = ("engine", "codec.py", "units.py", "rollup/merkle.py", "lab/fixedpoint.py",
              "lab/draws.py", "lab/kernel.py", "lab/agents.py", "lab/metrics.py",
              "lab/runner.py")
# Governance stays interpreted: a cold path (a few transactions a day) whose typed records carry
# loosely typed values (`GovValue`), which mypyc would check at every call for no gain.
CORE_EXCLUDED = ("engine/governance/",)

COMPILED = "compiled"
INTERPRETED = "interpreted"

BUILD = INTERPRETED  # what select() chose for this process
REASON = "not selected yet"


def core_sources() -> list[Path]:
    """The core's source files, in a fixed order (sorted relative paths)."""
    files: list[Path] = []
    for rel in CORE_PATHS:
        path = PACKAGE_DIR / rel
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    files = [p for p in files if p.name != "__init__.py" and not any(
        p.relative_to(PACKAGE_DIR).as_posix().startswith(ex) for ex in CORE_EXCLUDED)]
    return sorted(files, key=lambda p: p.relative_to(PACKAGE_DIR).as_posix())


def module_name(path: Path) -> str:
    """`l2perp.engine.book` for `<package>/engine/book.py`."""
    parts = list(path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    return ".".join(["l2perp", *parts])


def sources_digest(files: list[Path] | None = None) -> str:
    """sha256 over each core source's relative path and bytes: what a compiled core was built
    from."""
    digest = hashlib.sha256()
    for path in files if files is not None else core_sources():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def extension_of(path: Path) -> Path | None:
    """The compiled extension module beside a core source, if one was built."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = path.with_name(path.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def compiled_state(files: list[Path] | None = None,
                   digest: str | None = None) -> tuple[bool, str]:
    """(usable, why): whether the compiled core on disk matches the sources on disk (`files`
    and their `digest` when the caller has them already)."""
    try:
        manifest = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return False, "the compiled core is not built (run `make core`)"
    if manifest.get("build") != COMPILED:
        return False, f"the compiled core was not built: {manifest.get('reason', 'unknown')}"
    files = core_sources() if files is None else files
    if manifest.get("digest") != (sources_digest(files) if digest is None else digest):
        return False, ("the compiled core is stale: sources changed since it was built "
                       "(run `make core`)")
    missing = [module_name(p) for p in files if extension_of(p) is None]
    if missing:
        return False, f"the compiled core lacks {missing[0]} (run `make core`)"
    stray = stray_extensions(files)
    if stray:
        return False, f"{stray[0].name} is left from another build (run `make core`)"
    return True, "built from the sources on disk"


def stray_extensions(files: list[Path]) -> list[Path]:
    """Extension modules beside sources that are not in the core (left by an older build)."""
    core = set(files)
    return [ext for p in sorted(PACKAGE_DIR.rglob("*.py")) if p not in core
            and (ext := extension_of(p)) is not None]


class _SourceFinder:
    """Loads every core module from its .py file, ignoring an extension module beside it."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - importlib protocol
        if fullname not in self.names or not path:
            return None
        for entry in path:
            finder = importlib.machinery.FileFinder(
                entry, (importlib.machinery.SourceFileLoader, [".py"]))
            spec = finder.find_spec(fullname, target)
            if spec is not None:
                return spec
        return None


def select() -> str:
    """Choose the build for this process (once, when `l2perp` is first imported)."""
    global BUILD, REASON
    if os.environ.get("L2PERP_PURE", "") not in ("", "0"):
        BUILD, REASON = INTERPRETED, "L2PERP_PURE is set"
    else:
        usable, why = compiled_state()
        BUILD, REASON = (COMPILED, why) if usable else (INTERPRETED, why)
        if not usable and not os.environ.get("L2PERP_QUIET_BUILD"):
            sys.stderr.write(f"l2perp: running the interpreted core: {why}\n")
    if BUILD == INTERPRETED:  # every module from its source, whatever lies beside it
        names = frozenset(module_name(p) for p in PACKAGE_DIR.rglob("*.py")
                          if p.name != "__init__.py")
        sys.meta_path.insert(0, _SourceFinder(names))
    return BUILD


def describe() -> str:
    """One line for logs and `l2perp up`: which core this process runs, and why."""
    return f"core: {BUILD} ({REASON})"
