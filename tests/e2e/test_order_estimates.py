"""The order form's estimates are the truth (issue 20): the liquidation price it estimates
before a market order is within 1% of the one clearinghouseState reports once it filled (cross
and isolated), its fee is the notional times the account's rate (for a market order the
tier's taker rate plus this hour's L1 data fee, for a resting Alo the maker rate) and the fill
pays it, a price typed off the tick and a size off
the lot are rounded with a hint and sent rounded, and the markets table's funding column is the
predicted rate, labelled so (on a fresh devnet the last hour paid nothing)."""

from __future__ import annotations

from tests.e2e.page import best_prices, fresh_account, open_orders, reply_text, use_key
from tests.e2e.test_trade_screen import box, overlap


def estimate(page, key: str) -> float:
    """A figure of the estimate (its exact value, not the rounded text)."""
    line = page.locator(f'#order-estimate [data-est="{key}"]')
    line.wait_for()
    return float(line.get_attribute("data-value"))


def ready(page, account, coin: str) -> None:
    page.locator("#book tbody tr.bid").first.wait_for()
    use_key(page, account)
    page.locator(f'#markets tbody tr[data-coin="{coin}"]').click()
    page.wait_for_function("c => document.getElementById('book-coin').textContent === c", arg=coin)


def position(node, user: str, coin: str) -> dict | None:
    state = node.info({"type": "clearinghouseState", "user": user})
    return next((a["position"] for a in state["assetPositions"]
                 if a["position"]["coin"] == coin), None)


def market_order_liquidation(node, page, user: str, coin: str, size: str) -> tuple[float, float]:
    """(estimated, reported) liquidation price of a market buy of `size` from the form."""
    held = float((position(node, user, coin) or {"szi": "0"})["szi"])
    page.select_option("#otype", "market")
    page.fill("#sz", size)
    page.wait_for_function("() => document.querySelector('#order-estimate [data-est=\"liq\"]')"
                           "?.dataset.value > 0")
    estimated = estimate(page, "liq")
    assert "(estimate)" in page.locator('#order-estimate [data-est="liq"]').inner_text()
    page.evaluate("() => { document.getElementById('order-reply').textContent = ''; }")
    page.locator("#place").click()
    assert "filled" in reply_text(page)
    after = node.wait(lambda: (p := position(node, user, coin)) and
                      abs(float(p["szi"]) - held - float(size)) < 1e-9 and p, 10, "the fill")
    return estimated, float(after["liquidationPx"])


def test_the_liquidation_price_estimate_is_within_1_percent_of_the_nodes_after_the_fill(
        node, open_page, shot) -> None:
    account, exchange = fresh_account(node, "1000")
    user = account.address.lower()
    assert exchange.update_leverage(20, "BTC", is_cross=True)["status"] == "ok"
    page = open_page("desktop")
    ready(page, account, "BTC")
    page.wait_for_function("() => document.getElementById('lev').value === '20'")
    shot(page, "order-estimate-before")
    estimated, reported = market_order_liquidation(node, page, user, "BTC", "0.1")
    assert abs(estimated - reported) / reported < 0.01, (estimated, reported)

    # Adding to the position: the estimate starts from the account as it now is.
    page.wait_for_function("() => document.querySelector('#positions tbody tr[data-coin=\"BTC\"]')")
    estimated, reported = market_order_liquidation(node, page, user, "BTC", "0.02")
    assert abs(estimated - reported) / reported < 0.01, (estimated, reported)


def test_an_isolated_liquidation_price_estimate_matches_too(node, open_page) -> None:
    account, exchange = fresh_account(node, "1000")
    user = account.address.lower()
    assert exchange.update_leverage(10, "ETH", is_cross=False)["status"] == "ok"
    page = open_page("desktop")
    ready(page, account, "ETH")
    page.wait_for_function("() => document.getElementById('margin-mode').value === 'isolated'")
    estimated, reported = market_order_liquidation(node, page, user, "ETH", "1")
    assert abs(estimated - reported) / reported < 0.01, (estimated, reported)


def test_the_fee_estimate_is_the_notional_times_the_tier_rate_and_the_fill_pays_it(
        node, open_page) -> None:
    account, _ = fresh_account(node, "1000")
    user = account.address.lower()
    rates = node.info({"type": "feeSchedule", "user": user})["user"]
    taker, maker = float(rates["takerRate"]), float(rates["makerRate"])
    assert taker > float(rates["tierTakerRate"])  # the devnet's L1 data fee is in it
    page = open_page("desktop")
    ready(page, account, "BTC")
    page.select_option("#otype", "market")
    page.fill("#sz", "0.01")
    fee = estimate(page, "fee")
    line = page.locator('#order-estimate [data-est="fee"]')
    assert float(line.get_attribute("data-rate")) == taker
    assert f"taker {taker * 100:.4f}%" in line.inner_text()
    assert abs(fee - estimate(page, "notional") * taker) < 1e-9
    page.locator("#place").click()
    assert "filled" in reply_text(page)
    paid = node.wait(lambda: node.info({"type": "userFills", "user": user}), 10, "the fill")
    assert abs(float(paid[0]["fee"]) - fee) / fee < 0.01, (paid[0], fee)

    # A post-only bid well below the book rests: the maker rate.
    bid, _ = best_prices(node, "BTC")
    page.select_option("#otype", "limit")
    page.select_option("#tif", "Alo")
    page.fill("#px", str(int(bid * 0.95)))
    page.wait_for_function("() => /maker/.test(document.querySelector("
                           "'#order-estimate [data-est=\"fee\"]').textContent)")
    line = page.locator('#order-estimate [data-est="fee"]')
    assert float(line.get_attribute("data-rate")) == maker
    assert abs(estimate(page, "fee") - estimate(page, "notional") * maker) < 1e-9


def test_an_off_tick_price_and_an_off_lot_size_are_rounded_with_a_hint(node, open_page) -> None:
    account, _ = fresh_account(node, "1000")
    page = open_page("desktop")
    ready(page, account, "BTC")
    bid, _ = best_prices(node, "BTC")
    whole = int(bid * 0.9)
    page.fill("#px", f"{whole}.37")  # BTC: whole dollars at this price (5 significant figures)
    page.fill("#sz", "0.0012345")  # BTC: 5 decimals
    hint = page.locator("#order-hint")
    hint.wait_for()
    assert f"price rounded to {whole:,} (tick)" in hint.inner_text()
    assert "size rounded to 0.00123 (lot)" in hint.inner_text()
    page.locator("#px").blur()
    assert page.input_value("#px") == str(whole)  # the field shows what is sent
    page.locator("#sz").press("Tab")
    assert page.input_value("#sz") == "0.00123"
    assert "rounded to" in hint.inner_text()  # the hint stays with the rounded value
    page.locator("#place").click()
    assert "resting" in reply_text(page)
    rows = open_orders(node, account.address.lower())
    assert [(o["limitPx"], o["sz"]) for o in rows] == [(str(whole), "0.00123")]
    page.fill("#px", str(whole - 1))  # typed on the tick and the lot: no hint
    page.fill("#sz", "0.002")
    page.wait_for_function("() => document.getElementById('order-hint').textContent === ''")

    page.locator('#markets tbody tr[data-coin="ETH"]').click()  # ETH: at most 2 decimals
    page.wait_for_function("() => document.getElementById('book-coin').textContent === 'ETH'")
    page.fill("#px", "3505.555")
    page.wait_for_function("() => document.getElementById('order-hint').textContent"
                           ".includes('price rounded to 3,505.6 (tick)')")
    page.fill("#sz", "0.000001")
    page.wait_for_function("() => document.getElementById('order-hint').textContent"
                           ".includes('size below the lot (0.0001 ETH)')")


def test_the_markets_table_shows_the_predicted_funding_labelled_so(node, open_page) -> None:
    page = open_page("desktop")
    page.locator("#markets tbody tr[data-coin]").first.wait_for()
    header = page.locator("#markets thead th").nth(4).inner_text()
    assert "funding / h" in header and "predicted" in header
    cells = page.locator("#markets tbody td.predicted").all_inner_texts()
    assert cells and all(c.endswith("%") for c in cells)
    rates = [float(c.rstrip("%")) for c in cells]
    assert all(rate != 0 for rate in rates), cells  # the interest term alone is 0.00125%
    assert all(abs(rate) <= 4 for rate in rates)  # the hourly cap
    assert "predicted" in page.locator("#chart-stats").inner_text()
    # the node's prediction, as its predictedFundings info type reads it
    predicted = {coin: venues[0][1]["fundingRate"]
                 for coin, venues in node.info({"type": "predictedFundings"})}
    first = page.locator("#markets tbody tr[data-coin]").first
    coin = first.get_attribute("data-coin")
    shown = float(first.locator("td.predicted").inner_text().rstrip("%"))
    assert abs(shown - float(predicted[coin]) * 100) < 0.001, (shown, predicted[coin])


def test_on_a_phone_the_estimate_stays_inside_the_order_form(node, open_page, shot) -> None:
    account, _ = fresh_account(node, "1000")
    for size in ((1440, 900), (390, 844)):
        page = open_page("mobile" if size == (390, 844) else size)
        ready(page, account, "BTC")
        page.select_option("#otype", "market")
        page.fill("#sz", "0.05")
        page.locator('#order-estimate [data-est="liq"]').wait_for()
        form, estimate_box = box(page, ".order-card"), box(page, "#order-estimate")
        assert form["y"] <= estimate_box["y"] and estimate_box["y"] + estimate_box["height"] <= \
            form["y"] + form["height"]
        assert not overlap(estimate_box, box(page, ".book-card"))
        assert estimate_box["x"] + estimate_box["width"] <= size[0]
        page.locator(".order-card").scroll_into_view_if_needed()
        shot(page, f"order-estimate-{size[0]}x{size[1]}")
