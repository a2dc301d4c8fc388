"""The README's bot snippets (SDK and ccxt) run as written against a real node, with only the
key placeholders filled in and the port changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.server import DevnetServer

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-readme")) as server:
        yield server


def snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_an_sdk_and_a_ccxt_snippet() -> None:
    found = snippets()
    assert any("Exchange(wallet, url)" in s for s in found)
    assert any("ccxt.hyperliquid" in s and "set_sandbox_mode(True)" in s for s in found)


@pytest.mark.parametrize("which", ["hyperliquid.exchange", "ccxt"])
def test_each_snippet_runs_as_written(devnet, which) -> None:
    code = next(s for s in snippets() if which in s)
    trader = next(k for k in devnet.keys if k.role == "trader")
    code = code.replace("http://127.0.0.1:3001", devnet.url)
    code = code.replace('Account.from_key("0x...")', f'Account.from_key("{trader.private_key}")')
    code = code.replace('{"walletAddress": "0x...", "privateKey": "0x..."}',
                        f'{{"walletAddress": "{trader.address}", '
                        f'"privateKey": "{trader.private_key}"}}')
    assert "0x..." not in code
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)  # noqa: S102 - our own README
    exchange = scope["exchange"]
    if which == "ccxt":
        assert exchange.fetch_open_orders("ETH/USDC:USDC")
    else:
        assert scope["info"].open_orders(trader.address)
