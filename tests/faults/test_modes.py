"""Devnet and production modes against real `l2perp up` processes: a genesis file with
"devnet": false has no cheat actions ("Unknown action"), no dev keys, no admin and no faucet,
keeps rate limits on, and takes its operators' keys from files or the environment; an admin
faucet body replayed after a restart is refused."""

from __future__ import annotations

import json
import signal
import time

import pytest
import requests
from eth_account import Account

from l2perp.node.devnet import dev_keys
from tests.support.node_proc import KEYS, TRADERS, UpProcess

OPERATORS = [Account.from_key("0x" + f"{i:02x}" * 32) for i in range(1, 6)]


def production_genesis(path) -> None:
    path.write_text(json.dumps({
        "devnet": False,
        "markets": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}],
        "oracleOperators": [{"address": a.address, "stake": 1} for a in OPERATORS[:3]],
        "governance": {"allocations": [{"address": OPERATORS[0].address, "amount": 5000}],
                       "operators": [{"address": OPERATORS[3].address, "role": "sequencer",
                                      "bond": 1000}]}}))


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("venue")
    production_genesis(tmp / "genesis.json")
    key_file = tmp / "poster.key"
    key_file.write_text(OPERATORS[3].key.hex() + "\n")
    up = UpProcess(tmp / "data", "--genesis", str(tmp / "genesis.json"), "--poster-key-file",
                   str(key_file), env={"L2PERP_VERIFIER_KEY": OPERATORS[4].key.hex()},
                   rate_limits=None).start()
    yield up
    up.stop()


@pytest.mark.parametrize("action", [
    {"type": "devFaucet", "user": "0x" + "ab" * 20, "usd": "1000"},
    {"type": "devSetOracle", "coin": "BTC", "px": "100000"},
    {"type": "devAdvanceTime", "ms": 60_000},
    {"type": "devDropWebsockets"},
    {"type": "devRateLimitUser", "user": "0x" + "ab" * 20, "seconds": 60},
    {"type": "devPostOnly", "seconds": 60},
    {"type": "devDelayAcks", "ms": 500, "seconds": 60},
])
def test_a_venue_without_cheats_answers_unknown_action(venue, action) -> None:
    for key in (KEYS["admin"], TRADERS[0]):
        assert venue.send(key, action) == {"status": "err", "response": "Unknown action"}
    venue.wait_blocks(2)


def test_a_venue_without_cheats_serves_no_keys_and_no_admin(venue) -> None:
    reply = requests.post(venue.url + "/info", json={"type": "devnetKeys"}, timeout=5)
    assert reply.status_code == 422
    assert "privateKey" not in reply.text and KEYS["admin"].private_key[2:] not in reply.text
    status = venue.info({"type": "l2perpStatus"})
    assert status["devnet"] is False and status["halted"] is None
    # no dev account was funded: the dev keys are strangers here
    assert float(venue.info({"type": "clearinghouseState", "user": TRADERS[0].address})[
        "marginSummary"]["accountValue"]) == 0
    # nobody may mint on its L1
    faucet = requests.post(venue.url + "/l1", json={"type": "faucet"}, timeout=5).json()
    assert faucet["status"] == "err"


def test_a_venue_without_cheats_prints_no_key_and_keeps_rate_limits_on(venue) -> None:
    refused = 0
    with requests.Session() as session:
        for _ in range(80):  # 80 x weight 20 > 1200 a minute
            reply = session.post(venue.url + "/info", json={"type": "batches"}, timeout=5)
            refused += reply.status_code == 429
    assert refused > 0


def test_keys_never_on_a_command_line(venue) -> None:
    cmdlines = []
    for proc_dir in __import__("pathlib").Path("/proc").iterdir():
        try:
            cmdlines.append((proc_dir / "cmdline").read_bytes())
        except OSError:
            continue
    secret = OPERATORS[4].key.hex().removeprefix("0x")
    poster = OPERATORS[3].key.hex().removeprefix("0x")
    assert not any(secret.encode() in c or poster.encode() in c for c in cmdlines)


def test_a_devnet_still_prints_keys_and_pins_prices(tmp_path) -> None:
    node = UpProcess(tmp_path).start()
    try:
        rows = node.info({"type": "devnetKeys"})
        assert [r["role"] for r in rows].count("admin") == 1
        assert node.info({"type": "l2perpStatus"})["devnet"] is True
    finally:
        node.stop(signal.SIGTERM)
    assert KEYS["admin"].private_key in node.output


def test_an_admin_faucet_body_replayed_after_a_restart_is_refused(tmp_path) -> None:
    user = "0x" + "5e" * 20
    node = UpProcess(tmp_path).start()
    try:
        body = node.l1_body(KEYS["admin"], {"type": "devFaucet", "user": user, "usd": "250"})
        assert node.post(body).json()["status"] == "ok"
        again = node.post(body).json()
        assert again["status"] == "err" and "nonce" in again["response"]
    finally:
        node.stop()  # SIGKILL
    node = UpProcess(tmp_path).start()
    try:
        replay = node.post(body).json()
        assert replay["status"] == "err" and "nonce" in replay["response"], replay
        state = node.info({"type": "clearinghouseState", "user": user})
        assert state["marginSummary"]["accountValue"] == "250"
        stale = node.l1_body(KEYS["admin"], {"type": "devFaucet", "user": user, "usd": "1"},
                             nonce=int(time.time() * 1000) - 3 * 86_400_000)
        assert "nonce too low" in node.post(stale).json()["response"]
    finally:
        node.stop()
