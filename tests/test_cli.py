"""The installed `l2perp` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from l2perp.engine.params import EngineConfig, Genesis
from l2perp.engine.tx import BridgeCredit, Tx
from l2perp.node.log import BlockLog
from l2perp.node.sequencer import Sequencer
from tests.support.venue import ADMIN, T0, addr

BIN = Path(sys.executable).parent / "l2perp"


def test_version_and_replay(tmp_path) -> None:
    assert subprocess.run([str(BIN), "version"], capture_output=True, text=True,
                          check=True).stdout.startswith("l2perp ")
    seq = Sequencer(BlockLog(tmp_path / "node.sqlite"),
                    Genesis(config=EngineConfig(admin=ADMIN), time_ms=T0))
    for i in range(5):
        seq.mempool.push(Tx(None, 0, BridgeCredit(addr(i + 1), 10**6)))
        seq.produce_block(T0 + 200 * (i + 1))
    seq.log.close()
    out = subprocess.run([str(BIN), "replay", "--data", str(tmp_path)], capture_output=True,
                         text=True)
    assert out.returncode == 0 and "verified 5 blocks" in out.stdout
    missing = subprocess.run([str(BIN), "replay", "--data", str(tmp_path / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode == 2


def test_keys_json_has_exactly_one_admin() -> None:
    import json

    out = subprocess.run([str(BIN), "keys", "--json"], capture_output=True, text=True,
                         check=True)
    rows = json.loads(out.stdout)
    assert [r["role"] for r in rows].count("admin") == 1
    assert all(set(r) == {"address", "private_key", "role"} for r in rows)


def test_up_serves_the_api_and_survives_a_restart(tmp_path) -> None:
    import json
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def start():
        return subprocess.Popen([str(BIN), "up", "--port", str(port), "--data", str(tmp_path),
                                 "--block-ms", "50"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def meta_names(deadline: float) -> list:
        while time.time() < deadline:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/info",
                                             data=b'{"type": "meta"}', method="POST")
                with urllib.request.urlopen(req, timeout=2) as resp:
                    return [u["name"] for u in json.loads(resp.read())["universe"]]
            except OSError:
                time.sleep(0.1)
        raise AssertionError("no answer")

    proc = start()
    try:
        assert meta_names(time.time() + 30)[:2] == ["BTC", "ETH"]
    finally:
        proc.kill()  # SIGKILL: the log must recover
        proc.wait()
    proc = start()
    try:
        assert meta_names(time.time() + 30)[:2] == ["BTC", "ETH"]
    finally:
        proc.terminate()
        proc.wait()
    verified = subprocess.run([str(BIN), "replay", "--data", str(tmp_path)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout


def test_up_shows_a_live_demo_book_within_five_seconds(tmp_path) -> None:
    import json
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(BIN), "up", "--port", str(port), "--data", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = None
        deadline = time.time() + 40
        while time.time() < deadline:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/info",
                                             data=b'{"type": "l2Book", "coin": "ETH"}',
                                             method="POST")
                with urllib.request.urlopen(req, timeout=2) as resp:
                    levels = json.loads(resp.read())["levels"]
                started = started or time.time()
                if levels[0] and levels[1]:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        assert started is not None and levels[0] and levels[1]
        assert time.time() - started < 5  # bids and asks within 5 s of the API answering
    finally:
        proc.terminate()
        proc.wait()


def test_up_with_a_genesis_file_and_status(tmp_path) -> None:
    import json
    import socket
    import time

    (tmp_path / "genesis.json").write_text(json.dumps({"markets": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
        {"name": "DOGE", "szDecimals": 0, "maxLeverage": 5, "onlyIsolated": True}]}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(BIN), "up", "--no-demo", "--port", str(port), "--data",
                             str(tmp_path / "data"), "--genesis", str(tmp_path / "genesis.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        out = None
        while time.time() < deadline:
            out = subprocess.run([str(BIN), "status", "--url", f"http://127.0.0.1:{port}"],
                                 capture_output=True, text=True)
            if out.returncode == 0:
                break
            time.sleep(0.2)
        assert out.returncode == 0 and "markets BTC DOGE" in out.stdout
    finally:
        proc.terminate()
        proc.wait()


def test_python_m_l2perp_cli_is_the_same_command(tmp_path) -> None:
    # `l2perp up` starts its verifier as `python -m l2perp.cli verify ...`
    out = subprocess.run([sys.executable, "-m", "l2perp.cli", "version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("l2perp ")
    verify = subprocess.run([sys.executable, "-m", "l2perp.cli", "verify", "--l1",
                             str(tmp_path / "l1.sqlite")], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert verify.returncode == 2
    assert "the verifier's key comes from --key-file or $L2PERP_VERIFIER_KEY" in verify.stdout


def test_up_refuses_an_unknown_profile_or_fault_with_exit_code_2(tmp_path) -> None:
    for option, value, text in (("--profile", "nope", "unknown profile nope: mainnet_like, "
                                 "test, devnet"), ("--fault", "nope", "unknown fault nope: ")):
        out = subprocess.run([str(BIN), "up", "--data", str(tmp_path / "data"), option, value],
                             capture_output=True, text=True)
        assert out.returncode == 2 and text in out.stdout
    assert not (tmp_path / "data").exists()
