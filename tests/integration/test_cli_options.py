"""The CLI's shared options against a real node: `$L2PERP_URL` for every command, keys from a
file or the environment (never required on the command line), help on every command, and a
misspelt governance parameter refused when proposed, with the valid names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from l2perp.cli import app
from tests.support.server import DevnetServer

BIN = Path(sys.executable).parent / "l2perp"


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-cli")) as server:
        yield server


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed command, with only the L2PERP_ variables given in `env`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("L2PERP_")}
    full.update(env or {})
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60,
                          env=full)


def commands(group, path=()):
    """Every leaf command of the CLI with its path."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_has_help() -> None:
    found = list(commands(get_command(app)))
    assert len(found) > 30
    for path, command in found:
        assert (command.help or "").strip(), " ".join(path)
    for path in (("gov", "cancel"), ("gov", "unbond"), ("l1", "withdraw")):
        out = run(*path, "--help")
        assert out.returncode == 0 and len(out.stdout.strip().splitlines()) > 5, out.stdout


def test_l2perp_url_is_honoured(devnet) -> None:
    refused = run("status", env={"L2PERP_URL": "http://127.0.0.1:9"})  # nothing listens
    assert refused.returncode != 0
    served = run("status", env={"L2PERP_URL": devnet.url})
    assert served.returncode == 0, served.stdout + served.stderr
    assert "height" in served.stdout.lower()
    proposals = run("gov", "proposals", env={"L2PERP_URL": devnet.url})
    assert proposals.returncode == 0, proposals.stdout + proposals.stderr
    chain = run("l1", "status", env={"L2PERP_URL": devnet.url})
    assert chain.returncode == 0, chain.stdout + chain.stderr


def test_a_key_comes_from_a_file_or_the_environment_never_required_inline(devnet,
                                                                         tmp_path) -> None:
    holder = next(k for k in devnet.keys if k.role == "trader")
    missing = run("gov", "delegate", holder.address, env={"L2PERP_URL": devnet.url})
    assert missing.returncode == 2 and "--key-file" in missing.stderr
    key_file = tmp_path / "key"
    key_file.write_text(holder.private_key + "\n")
    by_file = run("gov", "delegate", holder.address, "--key-file", str(key_file),
                  env={"L2PERP_URL": devnet.url})
    assert by_file.returncode == 0, by_file.stdout + by_file.stderr
    by_env = run("gov", "delegate", holder.address,
                 env={"L2PERP_URL": devnet.url, "L2PERP_KEY": holder.private_key})
    assert by_env.returncode == 0, by_env.stdout + by_env.stderr


def test_a_misspelt_parameter_is_refused_at_propose_with_the_valid_names(devnet) -> None:
    holder = next(k for k in devnet.keys if k.role == "trader")
    env = {"L2PERP_URL": devnet.url, "L2PERP_KEY": holder.private_key}
    out = run("gov", "propose", '[["setRiskParam", "0.tier0.maxLeverag", 20]]', env=env)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "unknown parameter '0.tier0.maxLeverag'" in text and "valid names" in text
    assert "<asset>.tier<i>.maxLeverage" in text
    out = run("gov", "propose", '[["setRiskParam", "fundingCap", 0]]', env=env)
    assert out.returncode != 0 and "outside" in out.stdout + out.stderr
    assert run("gov", "proposals", env=env).stdout.count("setRiskParam") == 0


@pytest.mark.parametrize("args", [
    ("lab", "list"), ("keys",), ("status",), ("gov", "params"), ("gov", "proposals"),
    ("gov", "guardians"), ("gov", "stewards"), ("gov", "operators"), ("gov", "incidents"),
    ("l1", "status"),
])
def test_tables_fit_80_columns(devnet, args) -> None:
    out = run(*args, env={"L2PERP_URL": devnet.url, "COLUMNS": "80"})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, "\n".join(
        line for line in lines if len(line) > 80)
