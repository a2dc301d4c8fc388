"""Composing a node for `l2perp up` (node/launch.py): keys come from files or the environment,
never argv; wrong options and keys stop the start with exit code 2, an unusable data directory
with 1; a devnet gets the dev keys and its funded, demo-driven market."""

from __future__ import annotations

import json

import pytest

from l2perp.node.devnet import dev_keys
from l2perp.node.launch import (
    LaunchError, LaunchOptions, address_of_key, check_options, key_from, launch, operator_keys,
)

KEYS = {k.role: k for k in dev_keys()}
POSTER_KEY = "0x" + "04" * 32


def test_a_key_file_gives_its_first_line_and_the_environment_is_the_fallback(
        tmp_path, monkeypatch) -> None:
    (tmp_path / "poster.key").write_text(f"  {POSTER_KEY}  \nsecond line\n")
    monkeypatch.setenv("L2PERP_POSTER_KEY", " 0xabc ")
    assert key_from(tmp_path / "poster.key", "L2PERP_POSTER_KEY") == POSTER_KEY
    assert key_from(None, "L2PERP_POSTER_KEY") == "0xabc"
    monkeypatch.delenv("L2PERP_POSTER_KEY")
    assert key_from(None, "L2PERP_POSTER_KEY") is None
    (tmp_path / "empty.key").write_text("")
    assert key_from(tmp_path / "empty.key", "L2PERP_POSTER_KEY") is None


def test_an_unreadable_key_file_or_a_bad_key_exits_with_2(tmp_path) -> None:
    with pytest.raises(LaunchError) as missing:
        key_from(tmp_path / "nope.key", "L2PERP_POSTER_KEY")
    assert missing.value.exit_code == 2
    assert str(missing.value).startswith(f"cannot read the key file {tmp_path / 'nope.key'}: ")
    for bad in ("0x1234", "zz" * 32, ""):
        with pytest.raises(LaunchError, match="^a private key is 32 bytes of hex$") as exc:
            address_of_key(bad)
        assert exc.value.exit_code == 2
    assert address_of_key(KEYS["poster"].private_key) == KEYS["poster"].address


def test_unknown_profiles_and_faults_exit_with_2(tmp_path) -> None:
    with pytest.raises(LaunchError, match="^unknown profile nope: mainnet_like, test, devnet$"):
        check_options(LaunchOptions(tmp_path, profile="nope"))
    with pytest.raises(LaunchError, match="^unknown fault nope: balance, size,") as exc:
        check_options(LaunchOptions(tmp_path, fault="nope"))
    assert exc.value.exit_code == 2
    assert not (tmp_path / "node.sqlite").exists()


def test_a_devnet_uses_the_dev_keys_and_warns_off_localhost(tmp_path) -> None:
    warnings: list[str] = []
    keys = operator_keys(True, LaunchOptions(tmp_path, host="0.0.0.0"), warnings.append)
    assert keys.poster == KEYS["poster"].private_key
    assert keys.verifier == KEYS["verifier"].private_key
    assert [k.role for k in keys.dev].count("admin") == 1
    assert warnings == ["warning: a devnet on 0.0.0.0 is open to the network: its admin key is "
                        "public (anyone can mint, move time and pin prices)"]
    assert operator_keys(True, LaunchOptions(tmp_path), warnings.append).dev == keys.dev
    assert len(warnings) == 1


def test_off_the_devnet_the_poster_key_is_required_and_faults_refused(
        tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("L2PERP_POSTER_KEY", raising=False)
    monkeypatch.delenv("L2PERP_VERIFIER_KEY", raising=False)
    with pytest.raises(LaunchError, match="^off the devnet the batch poster's key comes from "
                                          "--poster-key-file or \\$L2PERP_POSTER_KEY$"):
        operator_keys(False, LaunchOptions(tmp_path), print)
    monkeypatch.setenv("L2PERP_POSTER_KEY", POSTER_KEY)
    keys = operator_keys(False, LaunchOptions(tmp_path), print)
    assert (keys.poster, keys.verifier, keys.dev) == (POSTER_KEY, None, ())
    with pytest.raises(LaunchError, match="^--fault exists on the devnet only$"):
        operator_keys(False, LaunchOptions(tmp_path, fault="root"), print)


def test_a_genesis_file_the_node_refuses_or_a_damaged_log_exits_with_1(tmp_path) -> None:
    (tmp_path / "genesis.json").write_text(json.dumps({"devnet": False, "markets": 3}))
    with pytest.raises(LaunchError) as exc:
        launch(LaunchOptions(tmp_path / "a", genesis_file=tmp_path / "genesis.json"), print)
    assert exc.value.exit_code == 1 and exc.value.soft_wrap
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "node.sqlite").write_bytes(b"garbage" * 1000)
    with pytest.raises(LaunchError) as exc:
        launch(LaunchOptions(tmp_path / "b"), print)
    assert exc.value.exit_code == 1 and "node.sqlite" in str(exc.value)


def test_a_devnet_launch_funds_the_dev_accounts_through_l1_and_starts_the_demo(tmp_path) -> None:
    launched = launch(LaunchOptions(tmp_path, block_ms=50, profile="test"), print)
    node = launched.node
    try:
        assert launched.devnet and launched.l1_path == tmp_path / "l1.sqlite"
        assert launched.keys.verifier == KEYS["verifier"].private_key
        assert node.demo is not None
        funded = [k.address for k in dev_keys() if k.role in ("trader", "maker")]
        assert all(node.state.accounts[a].cash_musdc == 10**12 for a in funded)
        assert node.state.l1_cursor == len(node.rollup.l1.messages) == len(funded)
    finally:
        node.sequencer.log.close()
        node.rollup.close()


def test_block_ms_defaults_to_100_and_allows_10_to_60000(tmp_path) -> None:
    assert LaunchOptions(tmp_path).block_ms == 100
    for fine in (10, 20, 100, 60_000):
        check_options(LaunchOptions(tmp_path, block_ms=fine))
    for wrong in (0, 9, -20, 60_001):
        with pytest.raises(LaunchError, match="^--block-ms must be between 10 and 60,000 "
                                              rf"\(got {wrong}\)$") as exc:
            check_options(LaunchOptions(tmp_path, block_ms=wrong))
        assert exc.value.exit_code == 2


def test_a_devnet_without_rollup_credits_the_dev_accounts_on_l2(tmp_path) -> None:
    launched = launch(LaunchOptions(tmp_path, block_ms=20, demo=False, rollup=False), print)
    node = launched.node
    try:
        assert node.rollup is None and launched.l1_path is None
        assert not (tmp_path / "l1.sqlite").exists()
        funded = [k.address for k in dev_keys() if k.role in ("trader", "maker")]
        assert all(node.state.accounts[a].cash_musdc == 10**12 for a in funded)
        assert node.block_ms == 20
    finally:
        node.sequencer.log.close()
    with pytest.raises(LaunchError, match="^--fault needs the rollup"):
        check_options(LaunchOptions(tmp_path, rollup=False, fault="root"))


def test_no_rollup_exists_on_the_devnet_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("L2PERP_POSTER_KEY", POSTER_KEY)
    with pytest.raises(LaunchError, match="^--no-rollup exists on the devnet only$") as exc:
        operator_keys(False, LaunchOptions(tmp_path, rollup=False), print)
    assert exc.value.exit_code == 2
