"""`l2perp up` enforces Hyperliquid's rate limits by default, devnet included, and
`--rate-limits off` switches them off (real processes, one client address)."""

from __future__ import annotations

import requests

from tests.support.node_proc import UpProcess


def metas(node: UpProcess, n: int) -> list[int]:
    with requests.Session() as session:
        return [session.post(node.url + "/info", json={"type": "meta"}, timeout=5).status_code
                for _ in range(n)]


def test_a_devnet_limits_by_default_at_1200_a_minute(tmp_path) -> None:
    node = UpProcess(tmp_path, rate_limits=None).start()  # its readiness check: one meta (20)
    try:
        codes = metas(node, 60)
        assert codes == [200] * 59 + [429]  # 20 + 59 x 20 = 1,200; the next does not fit
    finally:
        node.stop()
    assert "rate limits on (--rate-limits on|off)" in node.output


def test_rate_limits_off_never_answers_429(tmp_path) -> None:
    node = UpProcess(tmp_path, rate_limits="off").start()
    try:
        assert metas(node, 100) == [200] * 100  # 2,000 weight in well under a minute
    finally:
        node.stop()
    assert "rate limits off" in node.output


def test_rate_limits_refuses_a_word_other_than_on_or_off(tmp_path) -> None:
    import subprocess

    from tests.support.node_proc import BIN

    out = subprocess.run([str(BIN), "up", "--data", str(tmp_path / "d"), "--rate-limits",
                          "maybe"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--rate-limits is on or off (got maybe)" in out.stdout


def test_up_help_lists_the_faults_and_the_switch() -> None:
    import subprocess

    from tests.support.node_proc import BIN

    out = subprocess.run([str(BIN), "up", "--help"], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "COLUMNS": "200"})
    assert out.returncode == 0
    for name in ("devDropWebsockets", "devRateLimitUser", "devPostOnly", "devDelayAcks",
                 "--rate-limits", "1 to 3,600", "1 to 10,000"):
        assert name in out.stdout, name
