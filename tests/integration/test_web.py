"""The web app is served by the node at `/` and talks only to the public API: its files come
from the node (no CDN, nothing from outside), and every info type it reads answers."""

from __future__ import annotations

import re
import time

import pytest
import requests
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

from tests.support.server import DevnetServer

SCRIPTS = ("sign.js", "ui.js", "api.js", "chart.js", "estimate.js", "health.js", "orderform.js",
           "trade.js", "rollup.js", "gov.js", "lab.js", "app.js")


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-web")) as server:
        yield server


def test_the_page_and_its_assets_come_from_the_node_only(devnet) -> None:
    page = requests.get(devnet.url + "/", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert set(assets) == {"/app.css", "data:,"} | {f"/{name}" for name in SCRIPTS}
    for asset in assets:
        if asset.startswith("data:"):
            continue
        kind = "text/css" if asset.endswith(".css") else "text/javascript"
        reply = requests.get(devnet.url + asset, timeout=5)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(kind)
        # nothing from outside the node (the SVG namespace is a name, never fetched)
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\b)", reply.text), asset
    assert requests.get(devnet.url + "/../pyproject.toml", timeout=5).status_code == 404
    assert requests.get(devnet.url + "/server.py", timeout=5).status_code == 404


def test_every_info_type_the_page_reads_answers(devnet) -> None:
    script = "\n".join(requests.get(f"{devnet.url}/{name}", timeout=5).text for name in SCRIPTS)
    kinds = set(re.findall(r'info\(\{ type: "(\w+)"', script))
    assert {"metaAndAssetCtxs", "candleSnapshot", "clearinghouseState", "frontendOpenOrders",
            "userFills", "userFunding", "rollupStatus", "l1Status", "batches", "solvency",
            "govProposals", "govPower", "guardians", "stewards", "operators", "incidents",
            "devnetKeys", "exchangeStatus"} <= kinds
    user = devnet.keys[1].address
    trader = Exchange(Account.from_key(devnet.keys[1].private_key), devnet.url, timeout=10)
    proposal = {"type": "govPropose", "actions": [["setRiskParam", "0.tier0.maxLeverage", 30]]}
    nonce = get_timestamp_ms()
    assert trader._post_action(proposal, sign_l1_action(trader.wallet, proposal, None, nonce,
                                                        None, False), nonce)["status"] == "ok"
    for _ in range(100):  # the proposal is in a block
        if requests.post(devnet.url + "/info", json={"type": "govProposals"}, timeout=5).json():
            break
        time.sleep(0.05)
    for kind in sorted(kinds):
        body = {"type": kind, "coin": "BTC", "user": user, "proposal": 1,
                "req": {"coin": "BTC", "interval": "5m", "startTime": 0, "endTime": 2**53}}
        reply = requests.post(devnet.url + "/info", json=body, timeout=5)
        assert reply.status_code == 200, (kind, reply.text)
