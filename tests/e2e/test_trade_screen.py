"""The trade screen on a par with Hyperliquid's: candles with a crosshair readout and the mark
line, a depth chart, a book with cumulative sizes and price grouping, every figure formatted
per market with its unit, and a phone layout where nothing overlaps. Screenshots of every view
at 1440x900 and 390x844 go to the artifacts directory."""

from __future__ import annotations

import re

from l2perp.node.devnet import dev_keys

VIEWS = ("trade", "rollup", "governance", "lab")
READY = {"trade": "#book tbody tr.bid", "rollup": "#rollup-cards .stat",
         "governance": "#operator-table tbody tr", "lab": "#lab-files"}
TAKER = [k for k in dev_keys() if k.role == "maker"][1]  # the demo maker that takes quotes
RAW_FLOAT = re.compile(r"\d\.\d{7,}")  # more than 6 decimals: a float printed as it came
RAW_DURATION = re.compile(r"\d\.\d+\s?(h|d|min|m|s)\b")  # "0.666667 h": hours as a fraction
PHONE_REGIONS = ("header", "section#trade > .scroll", ".chart-card", ".book-card",
                 ".order-card", ".account-card")


def number(text: str) -> float:
    return float(text.replace(",", "").replace("$", ""))


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not on the page"
    return found


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_the_depth_chart_draws_cumulative_bids_and_asks_with_labelled_axes(open_page) -> None:
    page = open_page("desktop")
    page.locator("#depth path.bids").wait_for()
    for side in ("bids", "asks"):
        d = page.locator(f"#depth path.{side}").get_attribute("d")
        assert d.count("L") >= 6, (side, d)  # two points a level, up from the baseline
        heights = [float(y) for y in re.findall(r"L[\d.]+,([\d.]+)", d)]
        assert min(heights) < max(heights) - 20, (side, d)  # the depth really rises
    labels = page.locator("#depth text").all_text_contents()
    assert "price (USD)" in labels
    assert any(t.startswith("cumulative size (BTC)") for t in labels), labels


def test_the_crosshair_reads_out_the_candle_under_the_pointer(node, open_page) -> None:
    page = open_page("desktop")
    page.wait_for_function("() => document.getElementById('chart-readout').dataset.t")
    chart = box(page, "#chart")
    page.mouse.move(chart["x"] + chart["width"] - 68 - 3, chart["y"] + chart["height"] / 2)
    page.locator("#chart-readout.hovered").wait_for()
    readout = page.locator("#chart-readout")
    text = readout.inner_text()
    assert re.search(r"O [\d,.]+\s+H [\d,.]+\s+L [\d,.]+\s+C [\d,.]+\s+V [\d,.]+ BTC", text), text
    t = int(readout.get_attribute("data-t"))
    candles = node.info({"type": "candleSnapshot", "req": {
        "coin": "BTC", "interval": "5m", "startTime": t, "endTime": t + 300_000}})
    candle = next(c for c in candles if c["t"] == t)
    shown_open = number(readout.locator('[data-field="O"]').inner_text())
    assert abs(shown_open - float(candle["o"])) <= 1  # BTC prices show whole dollars
    page.mouse.move(chart["x"] + 5, chart["y"] - 40)  # off the chart: the crosshair goes
    page.locator("#chart-readout:not(.hovered)").wait_for()


def test_cumulative_sizes_grow_away_from_the_spread_and_grouping_merges_levels(
        open_page, shot) -> None:
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()

    def totals(cls: str) -> list[float]:
        return [number(t) for t in page.locator(f"#book tbody tr.{cls} td:nth-child(3)").all_inner_texts()]

    bids, asks = totals("bid"), totals("ask")
    assert len(bids) > 2 and bids == sorted(bids) and len(set(bids)) == len(bids)  # down the book
    assert len(asks) > 2 and asks == sorted(asks, reverse=True)  # up from the best ask
    levels = page.locator("#book tbody tr.bid, #book tbody tr.ask").count()
    assert page.locator("#book-group option").all_inner_texts() == ["1", "10", "100", "1000"]
    page.select_option("#book-group", "1000")
    page.wait_for_function(f"() => document.querySelectorAll('#book tbody tr.bid, #book tbody "
                           f"tr.ask').length < {levels}")
    for px in page.locator("#book tbody tr.bid, #book tbody tr.ask").evaluate_all(
            "rows => rows.map((r) => r.dataset.px)"):
        assert float(px) % 1000 == 0, px
    grouped = totals("bid")
    assert grouped == sorted(grouped)
    shot(page, "book-grouped-1000")


def test_nothing_overlaps_on_a_phone_and_the_wallet_is_a_dropdown(open_page) -> None:
    page = open_page("mobile")
    page.locator("#book tbody tr.bid").first.wait_for()
    page.locator("#depth path.asks").wait_for()
    assert not page.locator("#wallet-form").is_visible()
    regions = {name: box(page, name) for name in PHONE_REGIONS}
    wallet = box(page, "#wallet")
    for name, region in regions.items():
        if name != "header":
            assert not overlap(wallet, region), (name, wallet, region)
    names = list(regions)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not overlap(regions[a], regions[b]), (a, b, regions[a], regions[b])
    parts = [box(page, s) for s in ("#book", "#depth", "#trades")]
    assert not any(overlap(a, b) for i, a in enumerate(parts) for b in parts[i + 1:])
    page.locator("#wallet summary").click()
    page.locator("#wallet-form").wait_for(state="visible")
    page.locator("#depth").click()  # a tap elsewhere closes it
    page.locator("#wallet-form").wait_for(state="hidden")
    page.locator("#wallet summary").click()
    page.locator("#wallet-form").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#wallet-form").wait_for(state="hidden")


def test_the_trade_view_writes_no_raw_floats_and_prices_have_five_significant_figures(
        open_page) -> None:
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()
    page.fill("#watch-user", TAKER.address.lower())
    page.locator("#watch button").click()
    page.locator("#positions tbody tr[data-coin]").first.wait_for()
    page.wait_for_function("() => document.getElementById('chart-readout').dataset.t")
    texts = []
    for tab in ("positions", "orders", "fills", "funding"):
        page.locator(f'#account-tabs button[data-tab="{tab}"]').click()
        texts.append(page.locator("section#trade").inner_text())
    text = "\n".join(texts)
    assert not RAW_FLOAT.findall(text), RAW_FLOAT.findall(text)[:5]
    assert not RAW_DURATION.findall(text)
    for cell in page.locator("#markets tbody td:nth-child(2), #markets tbody td:nth-child(3), "
                             "#book tbody td:first-child").all_inner_texts():
        if "." in cell:  # a whole number is always a valid price; decimals only to 5 figures
            digits = cell.replace(",", "").replace(".", "").lstrip("0")
            assert len(digits) <= 5, cell


def test_screenshots_of_every_view_at_1440x900_and_390x844(node, open_page, shot, artifacts) -> None:
    for size in ((1440, 900), (390, 844)):
        page = open_page(size)
        for view in VIEWS:
            page.goto(f"{node.url}/#{view}")
            page.locator(f"section#{view}").wait_for(state="visible")
            page.locator(READY[view]).first.wait_for()
            page.wait_for_timeout(1000)
            shot(page, f"screen-{view}-{size[0]}x{size[1]}")
        page.goto(f"{node.url}/#trade")  # an account with positions, fills and funding
        page.locator("#book tbody tr.bid").first.wait_for()
        page.fill("#watch-user", TAKER.address.lower())
        page.locator("#watch button").click()
        page.locator("#positions tbody tr[data-coin]").first.wait_for()
        page.locator("#chart").scroll_into_view_if_needed()
        chart = box(page, "#chart")
        page.mouse.move(chart["x"] + chart["width"] - 68 - 3, chart["y"] + chart["height"] / 3)
        page.locator("#chart-readout.hovered").wait_for()
        shot(page, f"screen-trade-account-{size[0]}x{size[1]}")
        page.locator("#wallet summary").click()
        page.locator("#wallet-form").wait_for(state="visible")
        page.screenshot(path=str(artifacts / f"screen-wallet-open-{size[0]}x{size[1]}.png"))  # the viewport
