"""Hyperliquid's `portfolio` on real devnet nodes: the eight periods in Hyperliquid's order,
account values from the indexer's samples plus the live value, PnL net of deposits, volume from
the fills; and the sampler's cadence (a touched account once per minute of block time, written
at the first block of the next minute) and its thinning of old rows."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from l2perp.node import value_samples
from tests.support.nodes import StillNode
from tests.support.server import DevnetServer, Signer, wait_for_blocks

NAMES = ["day", "week", "month", "allTime", "perpDay", "perpWeek", "perpMonth", "perpAllTime"]


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    with DevnetServer(tmp_path_factory.mktemp("devnet-portfolio")) as server:
        yield server


def test_an_unknown_user_has_eight_empty_periods(devnet) -> None:
    answer = Info(devnet.url, skip_ws=True, timeout=10).portfolio(Account.create().address)
    assert [name for name, _ in answer] == NAMES
    assert all(data == {"accountValueHistory": [], "pnlHistory": [], "vlm": "0"}
               for _, data in answer)


def test_deposits_are_not_pnl_and_trades_are(devnet) -> None:
    admin = Signer(devnet, devnet.keys[0])
    wallet = Account.create()
    user = wallet.address
    info = Info(devnet.url, skip_ws=True, timeout=10)
    assert admin.send({"type": "devFaucet", "user": user, "usd": "1000"})["status"] == "ok"
    day = dict(info.portfolio(user))["day"]
    assert day["accountValueHistory"][-1][1] == "1000"
    assert [p for _, p in day["pnlHistory"]] == ["0"] * len(day["pnlHistory"])
    # a new minute of block time: the touched account is sampled at its first block
    assert admin.send({"type": "devAdvanceTime", "ms": 120_000})["status"] == "ok"
    wait_for_blocks(devnet, 2)
    assert admin.send({"type": "devFaucet", "user": user, "usd": "500"})["status"] == "ok"
    maker = Exchange(Account.from_key(devnet.keys[3].private_key), devnet.url, timeout=10)
    trader = Exchange(wallet, devnet.url, timeout=10)
    maker.order("ETH", False, 0.1, 3_100, {"limit": {"tif": "Gtc"}})
    filled = trader.order("ETH", True, 0.1, 3_100, {"limit": {"tif": "Ioc"}})
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.1"
    answer = info.portfolio(user)
    assert [name for name, _ in answer] == NAMES
    periods = dict(answer)
    assert periods["perpDay"] == periods["day"] and periods["perpAllTime"] == periods["allTime"]
    day = periods["day"]
    values = day["accountValueHistory"]
    assert len(values) >= 2 and values[0][1] == "1000"  # the sample of the first minute
    assert [t for t, _ in values] == sorted(t for t, _ in values)
    value_now = Decimal(info.user_state(user)["marginSummary"]["accountValue"])
    assert Decimal(values[-1][1]) == value_now
    # PnL is the value less what was moved in ($1,500), relative to the first point ($1,000)
    assert Decimal(day["pnlHistory"][-1][1]) == value_now - 1500
    assert value_now != 1500  # the trade (at $3,100, off the mark, with a fee) moved the PnL
    fills = info.user_fills(user)
    assert Decimal(day["vlm"]) == sum(Decimal(f["px"]) * Decimal(f["sz"]) for f in fills) > 0


def test_a_touched_account_is_sampled_once_a_minute(tmp_path, monkeypatch) -> None:
    still = StillNode(tmp_path, monkeypatch)
    try:
        key = still.keys[5]
        db = still.node.sequencer.log.db
        rows = lambda: db.execute("SELECT time_ms FROM account_values WHERE user = ? "
                                  "ORDER BY time_ms", (key.address,)).fetchall()
        # start one second into a minute of block time
        still.step(60_000 - still.node.state.time_ms % 60_000 + 1_000)
        before = rows()
        nonce = still.now_ms
        for i in range(3):  # touched in three blocks of the same minute
            still.node.push_signed(key.private_key, {"type": "noop"}, nonce + i)
            still.step(1_000)
        assert rows() == before  # nothing yet: the minute is not over
        still.step(60_000 - still.node.state.time_ms % 60_000 - 1)  # its last millisecond
        assert rows() == before
        still.step(1)  # the first block of the next minute writes one row, at its time
        assert rows() == before + [(still.node.state.time_ms,)]
        assert still.node.state.time_ms % 60_000 == 0
        still.step(1_000, blocks=3)
        assert len(rows()) == len(before) + 1  # untouched since: no more rows
        answer = dict(still.info("portfolio", user=key.address))
        assert answer["day"]["accountValueHistory"][-1][0] == still.node.state.time_ms
    finally:
        still.close()


def test_old_rows_are_thinned_to_hours_then_days() -> None:
    db = sqlite3.connect(":memory:")
    value_samples.create(db)
    day, hour = 86_400_000, 3_600_000
    now = 100 * day
    times = [now - 40 * day + i * hour // 2 for i in range(6)]  # 3 hours, 40 days old
    times += [now - 10 * day + i * 60_000 for i in range(120)]  # 2 hours of minutes, 10 days
    times += [now - day + i * 60_000 for i in range(30)]  # yesterday's minutes stay
    db.executemany("INSERT INTO account_values VALUES ('u', ?, 1)", [(t,) for t in times])
    value_samples.thin(db, now)
    kept = [t for (t,) in db.execute("SELECT time_ms FROM account_values ORDER BY time_ms")]
    assert kept[:1] == [times[5]]  # one per day past 35 days: the day's latest
    assert kept[1:3] == [times[6 + 59], times[6 + 119]]  # one per hour past 2 days
    assert kept[3:] == times[126:]
