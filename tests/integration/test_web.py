"""The web app is served by the node at `/` and talks only to the public API: its files come
from the node (no CDN, nothing from outside), and every info type it reads answers."""

from __future__ import annotations

import re

import pytest
import requests

from tests.integration.server import DevnetServer


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-web")) as server:
        yield server


def test_the_page_and_its_assets_come_from_the_node_only(devnet) -> None:
    page = requests.get(devnet.url + "/", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert set(assets) == {"/app.js", "/app.css", "/sign.js"}
    for asset, kind in (("/app.js", "text/javascript"), ("/sign.js", "text/javascript"),
                        ("/app.css", "text/css")):
        reply = requests.get(devnet.url + asset, timeout=5)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(kind)
        assert not re.search(r"https?://", reply.text)  # nothing from outside the node
    assert requests.get(devnet.url + "/../pyproject.toml", timeout=5).status_code == 404
    assert requests.get(devnet.url + "/server.py", timeout=5).status_code == 404


def test_every_info_type_the_page_reads_answers(devnet) -> None:
    script = requests.get(devnet.url + "/app.js", timeout=5).text
    kinds = set(re.findall(r'info\(\{ type: "(\w+)"', script))
    assert {"metaAndAssetCtxs", "l2Book", "clearinghouseState", "rollupStatus", "l1Status",
            "govProposals", "guardians", "incidents"} <= kinds
    user = devnet.keys[1].address
    for kind in sorted(kinds):
        body = {"type": kind, "coin": "BTC", "user": user}
        reply = requests.post(devnet.url + "/info", json=body, timeout=5)
        assert reply.status_code == 200, (kind, reply.text)
