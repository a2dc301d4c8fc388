"""ccxt's hyperliquid class (sandbox mode, URLs overridden) against a real server."""

from __future__ import annotations

import pytest

from tests.support.server import DevnetServer
from tests.support.server import ccxt_client as client


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-ccxt")) as server:
        yield server


def test_markets_book_ticker_and_trading(devnet) -> None:
    maker = client(devnet, devnet.keys[7])
    trader = client(devnet, devnet.keys[8])
    markets = maker.load_markets()
    assert "ETH/USDC:USDC" in markets
    maker.create_order("ETH/USDC:USDC", "limit", "sell", 1, 3510)
    book = trader.fetch_order_book("ETH/USDC:USDC")
    assert book["asks"][0][:2] == [3510.0, 1.0]
    ticker = trader.fetch_ticker("ETH/USDC:USDC")
    assert ticker["info"]["oraclePx"] == "3500"
    trader.set_leverage(5, "ETH/USDC:USDC")
    order = trader.create_order("ETH/USDC:USDC", "limit", "buy", 0.2, 3400)
    assert trader.fetch_open_orders("ETH/USDC:USDC")[0]["id"] == order["id"]
    edited = trader.edit_order(order["id"], "ETH/USDC:USDC", "limit", "buy", 0.3, 3410)
    trader.cancel_order(edited["id"], "ETH/USDC:USDC")
    assert trader.fetch_open_orders("ETH/USDC:USDC") == []
    trader.create_order("ETH/USDC:USDC", "market", "buy", 0.5, 3510)
    positions = trader.fetch_positions(["ETH/USDC:USDC"])
    assert positions[0]["contracts"] == 0.5 and positions[0]["side"] == "long"
    balance = trader.fetch_balance()
    assert balance["USDC"]["total"] > 0
    trades = trader.fetch_my_trades("ETH/USDC:USDC")
    assert trades[0]["price"] == 3510.0
    rate = trader.fetch_funding_rate("ETH/USDC:USDC")
    assert rate["symbol"] == "ETH/USDC:USDC"


def test_ohlcv_fetch_order_and_funding_history(devnet) -> None:
    maker = client(devnet, devnet.keys[9])
    trader = client(devnet, devnet.keys[10])
    maker.load_markets()
    trader.load_markets()
    maker.create_order("SOL/USDC:USDC", "limit", "sell", 3, 150.5)
    order = trader.create_order("SOL/USDC:USDC", "limit", "buy", 1, 150.5)
    trader.create_order("SOL/USDC:USDC", "limit", "buy", 2, 150.5)
    candles = trader.fetch_ohlcv("SOL/USDC:USDC", "1m", limit=10)
    assert candles[-1][1:] == [150.5, 150.5, 150.5, 150.5, 3.0]
    fetched = trader.fetch_order(order["id"], "SOL/USDC:USDC")
    assert fetched["id"] == order["id"] and fetched["status"] in ("closed", "filled")


def test_deposits_withdrawals_and_ledger(devnet) -> None:
    """fetch_deposits, fetch_withdrawals and fetch_ledger read userNonFundingLedgerUpdates."""
    key = devnet.keys[9]
    exchange = client(devnet, key)
    exchange.load_markets()
    taker = client(devnet, devnet.keys[10])
    taker.load_markets()
    # key 9 makes a market in SOL through ccxt (whichever worker ran the test before): its
    # orders pay ccxt's builder 1 bp a fill
    exchange.create_order("SOL/USDC:USDC", "limit", "sell", 1, 151.5)
    taker.create_order("SOL/USDC:USDC", "limit", "buy", 1, 151.5)
    exchange.withdraw("USDC", 12, key.address)
    deposits = exchange.fetch_deposits("USDC", 0)
    assert [d["amount"] for d in deposits] == [1_000_000.0]
    withdrawals = exchange.fetch_withdrawals("USDC", 0)
    assert [w["amount"] for w in withdrawals] == [12.0]
    assert withdrawals[0]["fee"] == {"currency": "USDC", "cost": 1}
    ledger = exchange.fetch_ledger("USDC", 0)
    cash_moves = [(e["type"], e["amount"]) for e in ledger
                  if e["info"]["delta"]["type"] != "builderFee"]
    assert cash_moves == [("deposit", 1_000_000.0), ("withdraw", 12.0)]
    builder_fees = [e["info"]["delta"] for e in ledger
                    if e["info"]["delta"]["type"] == "builderFee"]
    assert builder_fees and all(d["usdc"].startswith("-") for d in builder_fees)
    assert all(e["id"] and e["timestamp"] for e in ledger)
