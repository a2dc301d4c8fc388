"""Margin alerts in the positions view (issue 21): each position shows its unit's maintenance
margin used, the distance to its liquidation price and the prices at which the waterfall's
stages begin (the `marginHealth` info type), its row takes the colour of the highest alert
threshold passed, and the `marginHealth` websocket channel raises a dismissable alert in the
block a threshold is crossed: 50% and 80% arrive before the liquidation. The devnet admin
pins BTC's oracle to push a fresh 20x long toward liquidation. This module moves BTC's price:
it has its own node."""

from __future__ import annotations

import re

from tests.e2e.page import fresh_account
from tests.e2e.test_trade_screen import box, overlap

BTC_MM_RATE = 1 / 80  # BTC's tier 0: 40x, maintenance 1 / (2 x 40)
SIZE = 0.02  # BTC: about 1,900 USD at 20x on 100 USDC, 25% of maintenance used


def health_of(node, user: str) -> dict:
    return node.info({"type": "marginHealth", "user": user})


def pin_for(node, user: str, used: float) -> float:
    """Pin BTC's oracle (and so its mark) where the long's cross unit has `used` of its
    maintenance margin: value + q (P - m) = q P r / used, solved for P."""
    health = health_of(node, user)
    unit = health["units"][0]
    value, mark = float(unit["value"]), float(health["positions"][0]["markPx"])
    px = used * (SIZE * mark - value) / (SIZE * (used - BTC_MM_RATE))
    pinned = round(px)
    assert node.admin({"type": "devSetOracle", "coin": "BTC", "px": str(pinned)})["status"] == "ok"
    return pinned


def open_long(node, coin: str = "BTC", leverage: int = 20, size: float = SIZE) -> str:
    """A fresh account with 100 USDC and a cross long (by default 20x, 0.02 BTC); its
    address."""
    account, exchange = fresh_account(node, "100")
    assert exchange.update_leverage(leverage, coin, is_cross=True)["status"] == "ok"
    reply = exchange.market_open(coin, True, size)
    assert "filled" in reply["response"]["data"]["statuses"][0], reply
    return account.address.lower()


def watch(page, user: str, coin: str = "BTC") -> None:
    page.locator("#book tbody tr.bid").first.wait_for()
    page.fill("#watch-user", user)
    page.locator("#watch button").click()
    page.locator(f'#positions tbody tr[data-coin="{coin}"]').wait_for()


def figures(page) -> list[str]:
    """The BTC row's liquidation price, maintenance used, distance to the liquidation price and
    the backstop and bankruptcy prices, as shown."""
    cells = page.locator('#positions tbody tr[data-coin="BTC"] td')
    return [cells.nth(i).inner_text() for i in (6, 8, 9, 10)]


def test_the_positions_view_alerts_at_50_and_80_percent_before_the_liquidation(
        node, open_page, shot) -> None:
    user = open_long(node)
    page = open_page((1440, 900))
    watch(page, user)
    page.wait_for_function("() => document.querySelector('#positions tbody tr[data-coin=\"BTC\"] "
                           "td:nth-child(9)').textContent.endsWith('%')")
    liquidation, used, distance, stages = figures(page)
    health = health_of(node, user)["positions"][0]
    assert abs(float(used.rstrip("%")) - float(health["maintenanceUsedPct"])) < 3, (used, health)
    assert 20 < float(used.rstrip("%")) < 50 and re.fullmatch(r"\d+\.\d\d%", used)
    assert re.fullmatch(r"\d+\.\d\d%", distance)
    liq = float(liquidation.replace(",", ""))
    assert abs(liq - float(health["stages"]["liquidation"])) / liq < 0.01
    backstop, bankruptcy = (float(p.replace(",", "")) for p in stages.split(" / "))
    assert liq > backstop > bankruptcy > 0  # a long: the book, then the fund, then bad debt
    assert page.locator("#health-alerts").is_hidden()
    assert page.input_value("#health-thresholds") == "50, 80, 100"

    pin_for(node, user, 0.65)
    alert = page.locator('#health-alerts .health-alert[data-unit="cross"]')
    alert.wait_for()
    assert alert.get_attribute("data-threshold") == "50" and "warn" in alert.get_attribute("class")
    assert "past your 50% alert" in alert.inner_text()
    page.wait_for_function("() => document.querySelector('#positions tbody tr[data-coin=\"BTC\"]')"
                           ".dataset.health === 'warn'", timeout=15_000)

    pin_for(node, user, 0.9)
    page.locator('#health-alerts .health-alert[data-threshold="80"]').wait_for()
    assert page.locator("#health-alerts .health-alert").count() == 1  # one alert per unit
    alert = page.locator("#health-alerts .health-alert")
    assert "danger" in alert.get_attribute("class")
    text = alert.inner_text()
    assert "past your 80% alert" in text and "BTC liquidates at" in text, text
    page.wait_for_function("() => document.querySelector('#positions tbody tr[data-coin=\"BTC\"]')"
                           ".dataset.health === 'danger'", timeout=15_000)
    alerted_at = int(alert.get_attribute("data-time"))
    assert page.locator('#account-summary dd.health-danger').count() == 1  # maint. used (cross)
    shot(page, "margin-alert-1440x900")

    phone = open_page("mobile")
    watch(phone, user)
    phone.locator("#health-alerts .health-alert").wait_for()
    banner = box(phone, "#health-alerts")
    for region in (".order-card", ".book-card", ".chart-card"):
        assert not overlap(banner, box(phone, region)), region
    assert banner["x"] >= 0 and banner["x"] + banner["width"] <= 390  # no sideways scroll
    shot(phone, "margin-alert-390x844")

    # Dismissed, it stays away while the mark flickers across the threshold.
    alert.locator("button.dismiss").click()
    page.locator("#health-alerts").wait_for(state="hidden")
    page.wait_for_timeout(2_500)
    assert page.locator("#health-alerts").is_hidden()

    # On to the liquidation: the 80% alert came first.
    pin_for(node, user, 1.3)
    page.locator('#positions tbody tr[data-coin="BTC"]').wait_for(state="detached", timeout=20_000)
    closes = [f for f in node.info({"type": "userFills", "user": user})
              if f["dir"] == "Close Long"]  # the trader never closed: the liquidation did
    assert closes, "the long should have been liquidated"
    assert alerted_at < min(f["time"] for f in closes)


def test_the_thresholds_are_the_traders_and_survive_a_reload(node, open_page) -> None:
    user = open_long(node, "SOL", 10, 6)  # SOL: 10x on 100 USDC, about 23% used (the other
    page = open_page("desktop")           # test may have pinned BTC low on this node)
    watch(page, user, "SOL")
    page.fill("#health-thresholds", "20 90")
    page.locator("#health-settings button").click()
    alert = page.locator('#health-alerts .health-alert[data-threshold="20"]')
    alert.wait_for()  # the new subscription's snapshot: 23% is past 20%
    assert "was" in alert.inner_text() and "past your 20% alert" in alert.inner_text()
    page.wait_for_function("() => document.querySelector('#positions tbody tr[data-coin=\"SOL\"]')"
                           ".dataset.health === 'warn'", timeout=15_000)
    page.reload()
    page.locator('#positions tbody tr[data-coin="SOL"]').wait_for()
    assert page.input_value("#health-thresholds") == "20, 90"
    page.locator('#health-alerts .health-alert[data-threshold="20"]').wait_for()
    page.fill("#health-thresholds", "0, 2000")
    page.locator("#health-settings button").click()
    assert page.evaluate("() => document.getElementById('health-thresholds').validationMessage")
    assert page.evaluate("() => localStorage.getItem('l2perp.healthThresholds')") == "20,90"
