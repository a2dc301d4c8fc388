"""Compile the deterministic core with mypyc: `python -m l2perp.corebuild [--force]`.

Builds every module of `build.CORE_PATHS` into an extension module beside its source (one mypyc
group, `l2perp._core__mypyc`, holds the shared code) and records in `_core.json` the digest of the
sources it compiled, which `build.select()` checks at import. Nothing to do when that digest still
matches. Without a C compiler or mypyc the manifest says so and the package runs interpreted, with
one warning; a source mypyc rejects (a type error) fails the build loudly, like any compiler.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import shutil
import sys
import sysconfig
import time
from pathlib import Path

from . import build

GROUP = "l2perp._core"


def c_compiler() -> str | None:
    """The C compiler Python's build configuration names, if it is on this machine."""
    command = shlex.split(sysconfig.get_config_var("CC") or "cc")
    return shutil.which(command[0]) if command else None


def remove_extensions() -> None:
    """Delete the extension modules of an earlier build (beside any source of the package: a
    module compiled before may since have left the core) and its shared library."""
    for path in build.PACKAGE_DIR.rglob("*.py"):
        while (ext := build.extension_of(path)) is not None:
            ext.unlink()
    for shared in build.PACKAGE_DIR.glob("_core__mypyc.*"):
        shared.unlink()


def write_manifest(**fields: object) -> None:
    build.MANIFEST.write_text(json.dumps(fields, indent=1, sort_keys=True) + "\n")


def compile_core(files: list[Path], jobs: int) -> None:
    """Run mypyc and the C compiler over `files`; the extensions land beside the sources."""
    from mypyc.build import mypycify  # noqa: PLC0415 - only the build needs mypy
    from setuptools import Distribution  # noqa: PLC0415

    src_root = build.PACKAGE_DIR.parent
    root = src_root.parent  # the checkout: C sources and objects go to its build/ directory
    rel = [p.relative_to(root).as_posix() for p in files]
    cwd = os.getcwd()
    os.chdir(root)  # mypy names modules by their path from here; the C paths stay relative
    try:
        modules = mypycify(["--ignore-missing-imports", "--follow-imports=silent", *rel],
                           opt_level="3", group_name=GROUP, multi_file=False,
                           target_dir="build/mypyc-c")
        # A bare Distribution: setup() would read the project's pyproject.toml, which is pip's.
        dist = Distribution({"name": "l2perp-core", "ext_modules": modules,
                             "package_dir": {"": src_root.name}, "script_name": "corebuild"})
        dist.script_args = ["-q", "build_ext", "--inplace", "--build-temp", "build/mypyc-o",
                            "--build-lib", "build/mypyc-lib", "-j", str(jobs)]
        dist.parse_command_line()
        dist.run_commands()
    finally:
        os.chdir(cwd)


def main(argv: list[str]) -> int:
    lock_path = build.PACKAGE_DIR.parent.parent / "build" / "mypyc.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:  # one build at a time in a checkout
        fcntl.flock(lock, fcntl.LOCK_EX)
        return build_core("--force" in argv)


def build_core(force: bool) -> int:
    """Compile the core unless it is up to date; 0 unless mypyc or the C compiler failed."""
    files = build.core_sources()
    digest = build.sources_digest(files)
    if not force and build.compiled_state(files, digest)[0]:
        print("l2perp: the compiled core is up to date")
        return 0
    remove_extensions()
    compiler = c_compiler()
    try:
        import mypyc  # noqa: F401, PLC0415
    except ImportError:
        compiler, why = None, "mypyc is not installed (pip install -e .)"
    else:
        why = "no C compiler on this machine"
    if compiler is None:
        write_manifest(build=build.INTERPRETED, reason=why)
        print(f"l2perp: WARNING: {why}: the core runs interpreted (correct, several times slower)",
              file=sys.stderr)
        return 0
    started = time.monotonic()
    print(f"l2perp: compiling the core with mypyc ({len(files)} modules)...", flush=True)
    try:
        compile_core(files, jobs=os.cpu_count() or 1)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - mypy errors arrive as SystemExit
        remove_extensions()
        write_manifest(build=build.INTERPRETED, reason=f"the mypyc build failed: {exc}")
        print(f"l2perp: the mypyc build failed ({exc}); fix the error above", file=sys.stderr)
        return 1
    write_manifest(build=build.COMPILED, digest=digest,
                   modules=[build.module_name(p) for p in files])
    print(f"l2perp: compiled core built in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
