"""The devnet fault cheats through a real node (uvicorn, the unmodified SDK), each signed by
the devnet admin key and seen by a real client: every websocket dropped (and a new one works),
HTTP 429 for one address only and for its period only, post-only mode (Gtc refused, Alo taken,
cancels work, Gtc again once devAdvanceTime passes its end), delayed acknowledgements and an L1
gas spike (the node's L1 base fee climbs to its multiple and stops there, and the L1 file
replays to the same chain)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError

from l2perp.node.l1host import L1Host
from tests.support.server import DevnetServer, Signer, wait_for_blocks

POST_ONLY = "Only post-only orders allowed immediately after a network upgrade asset=1"


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-faults")) as server:
        yield server


@pytest.fixture(scope="module")
def admin(devnet) -> Signer:
    return Signer(devnet, devnet.keys[0])


def trader(devnet, index: int) -> Exchange:
    return Exchange(Account.from_key(devnet.keys[index].private_key), devnet.url, timeout=10)


def bid(exchange: Exchange, px: float = 2_000, tif: str = "Gtc") -> dict:
    """An ETH bid far below the book ($2,000 against ~$3,000): it rests, never matches."""
    return exchange.order("ETH", True, 0.01, px, {"limit": {"tif": tif}})


def open_oids(devnet, user: str) -> list[int]:
    return [o["oid"] for o in Info(devnet.url, skip_ws=True, timeout=10).open_orders(user)]


def test_every_websocket_is_dropped_and_a_new_connection_works(devnet, admin) -> None:
    first = Info(devnet.url, timeout=10)
    got = threading.Event()
    first.subscribe({"type": "allMids"}, lambda message: got.set())
    assert got.wait(5)
    assert len(devnet.server.config.app.state.hub.connections) >= 1
    assert admin.send({"type": "devDropWebsockets"}) == {"status": "ok",
                                                          "response": {"type": "default"}}
    first.ws_manager.join(5)  # the SDK's socket thread ends when the server closes it
    assert not first.ws_manager.is_alive()
    assert first.ws_manager.ws.keep_running is False
    again = Info(devnet.url, timeout=10)
    fresh = threading.Event()
    try:
        again.subscribe({"type": "allMids"}, lambda message: fresh.set())
        assert fresh.wait(5)  # reconnecting after the drop works at once
    finally:
        again.disconnect_websocket()


def test_429_goes_to_the_named_address_only_and_only_for_its_seconds(devnet, admin) -> None:
    limited, other = trader(devnet, 9), trader(devnet, 10)
    assert admin.send({"type": "devRateLimitUser", "user": limited.wallet.address,
                       "seconds": 2})["status"] == "ok"
    began = time.time()
    with pytest.raises(ClientError) as refused:
        bid(limited)
    assert refused.value.status_code == 429
    assert refused.value.error_message == (
        "Too many requests: rate limited by IP weight (1200 per minute)")
    placed = bid(other)  # another address from the same IP is served
    oid = placed["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert oid in open_oids(devnet, other.wallet.address)
    assert open_oids(devnet, limited.wallet.address) == []  # the refused order never ran
    time.sleep(max(0.0, 2.3 - (time.time() - began)))
    back = bid(limited)  # the period is over
    assert "resting" in back["response"]["data"]["statuses"][0], back
    for exchange in (limited, other):
        exchange.cancel("ETH", exchange_oids(devnet, exchange)[0])


def exchange_oids(devnet, exchange: Exchange) -> list[int]:
    return open_oids(devnet, exchange.wallet.address)


def test_post_only_mode_takes_only_alo_until_its_end(devnet, admin) -> None:
    maker = trader(devnet, 11)
    resting = bid(maker, 1_900)["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert admin.send({"type": "devPostOnly", "seconds": 600})["status"] == "ok"
    gtc = bid(maker)
    assert gtc["response"]["data"]["statuses"] == [{"error": POST_ONLY}]
    ioc = maker.order("ETH", False, 0.01, 2_500, {"limit": {"tif": "Ioc"}})
    assert ioc["response"]["data"]["statuses"] == [{"error": POST_ONLY}]
    alo = bid(maker, 2_001, "Alo")["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert maker.cancel("ETH", resting)["response"]["data"]["statuses"] == ["success"]
    assert open_oids(devnet, maker.wallet.address) == [alo]
    # the mode is block time: moving time past its end ends it
    assert admin.send({"type": "devAdvanceTime", "ms": 600_000})["status"] == "ok"
    wait_for_blocks(devnet, 2)
    again = bid(maker)["response"]["data"]["statuses"][0]
    assert "resting" in again, again
    assert sorted(open_oids(devnet, maker.wallet.address)) == sorted([alo, again["resting"]["oid"]])
    for oid in (alo, again["resting"]["oid"]):
        maker.cancel("ETH", oid)


def test_acknowledgements_are_held_for_the_delay_during_the_period(devnet, admin) -> None:
    maker = trader(devnet, 12)
    assert admin.send({"type": "devDelayAcks", "ms": 700, "seconds": 2})["status"] == "ok"
    wait_for_blocks(devnet, 1)
    began = time.time()
    first = bid(maker)
    held = time.time() - began
    assert held >= 0.7, held
    oid = first["response"]["data"]["statuses"][0]["resting"]["oid"]
    time.sleep(2.2)
    began = time.time()
    maker.cancel("ETH", oid)
    assert time.time() - began < 0.6  # the period is over: acknowledged within blocks
    assert open_oids(devnet, maker.wallet.address) == []


def test_an_l1_gas_spike_raises_the_base_fee_to_its_multiple_and_replays(devnet, admin) -> None:
    l1 = devnet.node.rollup.l1
    start = l1.base_fee_gwei
    assert admin.send({"type": "devL1GasSpike", "multiple": 2, "seconds": 30})["status"] == "ok"
    deadline = time.time() + 20
    while l1.base_fee_gwei < 2 * start:
        assert time.time() < deadline, f"the base fee stayed at {l1.base_fee_gwei} gwei"
        time.sleep(0.2)
    wait_for_blocks(devnet, 40)  # two more L1 blocks at least: it holds near the cap
    assert 2 * start <= l1.base_fee_gwei <= 2 * start + (2 * start) // 8 + 1
    status = requests.post(devnet.url + "/info", json={"type": "l1Status"}, timeout=5).json()
    assert status["baseFeeGwei"] == l1.base_fee_gwei
    # the L1 file records the congested blocks: a replay of it is the same chain
    view = L1Host(devnet.node.rollup.host.path, readonly=True)
    try:
        view.follow()
        assert view.l1.height <= l1.height
        assert view.l1.block_hashes == l1.block_hashes[:len(view.l1.block_hashes)]
        assert view.l1.base_fee_gwei >= 2 * start
    finally:
        view.close()


@pytest.mark.parametrize("action, error", [
    ({"type": "devPostOnly", "seconds": 0}, "Invalid seconds: out of range"),
    ({"type": "devPostOnly", "seconds": -5}, "Invalid seconds: out of range"),
    ({"type": "devPostOnly", "seconds": 3_601}, "Invalid seconds: out of range"),
    ({"type": "devPostOnly", "seconds": 2**64 - 1}, "Invalid seconds: out of range"),
    ({"type": "devPostOnly", "seconds": "60"}, "Invalid seconds: '60'"),
    ({"type": "devPostOnly", "seconds": 1.5}, "Invalid seconds: 1.5"),
    ({"type": "devPostOnly", "seconds": True}, "Invalid seconds: True"),
    ({"type": "devPostOnly"}, "Invalid devPostOnly action: 'seconds'"),
    ({"type": "devL1GasSpike", "multiple": 1, "seconds": 5}, "Invalid multiple: out of range"),
    ({"type": "devL1GasSpike", "multiple": 21, "seconds": 5}, "Invalid multiple: out of range"),
    ({"type": "devL1GasSpike", "multiple": 2, "seconds": 3_601},
     "Invalid seconds: out of range"),
    ({"type": "devL1GasSpike", "multiple": "3", "seconds": 5}, None),
    ({"type": "devL1GasSpike", "seconds": 5}, "Invalid devL1GasSpike action: 'multiple'"),
    ({"type": "devDelayAcks", "ms": 0, "seconds": 5}, "Invalid ms: out of range"),
    ({"type": "devDelayAcks", "ms": 10_001, "seconds": 5}, "Invalid ms: out of range"),
    ({"type": "devDelayAcks", "ms": 100, "seconds": 2**63}, "Invalid seconds: out of range"),
    ({"type": "devRateLimitUser", "user": "0x12", "seconds": 5}, None),
    ({"type": "devRateLimitUser", "user": ["0x" + "11" * 20], "seconds": 5}, None),
    ({"type": "devRateLimitUser", "user": "0x" + "11" * 20, "seconds": -1},
     "Invalid seconds: out of range"),
])
def test_malformed_or_unbounded_faults_are_refused_and_change_nothing(devnet, admin, action,
                                                                      error) -> None:
    before = devnet.node.state.post_only_until_ms, dict(devnet.node.faults.rate_limited)
    delay = devnet.node.faults.ack_delay_until_ms
    spike = devnet.node.faults.gas_spike_until_ms
    reply = admin.send(action)
    assert reply["status"] == "err", reply
    if error is not None:
        assert reply["response"] == error
    assert (devnet.node.state.post_only_until_ms, devnet.node.faults.rate_limited) == before
    assert devnet.node.faults.ack_delay_until_ms == delay
    assert devnet.node.faults.gas_spike_until_ms == spike
    wait_for_blocks(devnet, 2)  # the venue goes on


@pytest.mark.parametrize("action", [
    {"type": "devDropWebsockets"}, {"type": "devPostOnly", "seconds": 60},
    {"type": "devDelayAcks", "ms": 100, "seconds": 5},
    {"type": "devL1GasSpike", "multiple": 5, "seconds": 60},
])
def test_faults_from_a_trader_are_refused(devnet, action) -> None:
    signer = Signer(devnet, devnet.keys[13])
    assert signer.send(action) == {"status": "err",
                                   "response": "Only the admin key may send this action."}
    limit = {"type": "devRateLimitUser", "user": devnet.keys[14].address, "seconds": 60}
    assert signer.send(limit)["status"] == "err"
    assert devnet.node.state.post_only_until_ms <= devnet.node.state.time_ms
    reply = requests.post(devnet.url + "/info", json={"type": "meta"}, timeout=5)
    assert reply.status_code == 200


def test_post_only_mode_survives_a_restart_and_the_node_faults_do_not(tmp_path) -> None:
    """Post-only mode is engine state (recovered from the log); the node-level faults live in
    the process that took their block."""
    from tests.support.node_proc import KEYS, TRADERS, UpProcess

    node = UpProcess(tmp_path).start()
    try:
        assert node.send(KEYS["admin"], {"type": "devPostOnly", "seconds": 600})["status"] == \
            "ok"
        assert node.send(KEYS["admin"], {"type": "devRateLimitUser",
                                         "user": TRADERS[1].address, "seconds": 600})[
            "status"] == "ok"
        assert node.post(node.l1_body(TRADERS[1], {"type": "noop"})).status_code == 429
    finally:
        node.stop()  # SIGKILL
    node = UpProcess(tmp_path).start()
    try:
        gtc = node.order(TRADERS[0], 0, True, "90000", "0.001")
        assert gtc["response"]["data"]["statuses"] == [
            {"error": "Only post-only orders allowed immediately after a network upgrade "
                      "asset=0"}]
        alo = node.order(TRADERS[0], 0, True, "90000", "0.001", tif="Alo")
        assert "resting" in alo["response"]["data"]["statuses"][0], alo
        noop = node.post(node.l1_body(TRADERS[1], {"type": "noop"}))
        assert noop.status_code == 200 and noop.json()["status"] == "ok"
    finally:
        node.stop()
