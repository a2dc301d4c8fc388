"""Every view on a phone-sized (390x844) and a desktop (1280x800) screen: the page fits the
phone's width (wide tables scroll inside their cards), an order placed and cancelled from the
phone reaches the node, and the lab view reads the files a real lab run, sweep and drill wrote
(`l2perp lab ...` as a user runs it) and shows their figures. Screenshots of every view at both
sizes go to the artifacts directory."""

from __future__ import annotations

import json
import math
import subprocess

from tests.e2e.page import best_prices, open_orders, pick_key, reply_text
from tests.support.rollup_proc import BIN, TRADERS

VIEWS = ("trade", "rollup", "governance", "lab")
READY = {"trade": "#book tbody tr.bid", "rollup": "#rollup-cards .stat",
         "governance": "#operator-table tbody tr", "lab": "#lab-files"}


def overflow(page) -> int:
    """How far the document is wider than the screen (px); 0 when it fits."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_every_view_fits_and_works_on_a_phone_and_on_a_desktop(node, open_page, shot) -> None:
    for viewport in ("mobile", "desktop"):
        page = open_page(viewport)
        for view in VIEWS:
            page.goto(f"{node.url}/#{view}")
            page.locator(f"section#{view}").wait_for(state="visible")
            page.locator(READY[view]).first.wait_for()
            assert overflow(page) <= 0, (viewport, view, overflow(page))
            shot(page, f"view-{view}-{viewport}")

    # The phone places an ETH bid inside the spread, sees it in the book, and cancels it.
    trader = TRADERS[3]
    page = open_page("mobile")
    page.locator("#book tbody tr.bid").first.wait_for()
    pick_key(page, trader)
    page.locator('#markets tbody tr[data-coin="ETH"]').click()
    page.wait_for_function("() => document.getElementById('book-coin').textContent === 'ETH'")
    bid, ask = best_prices(node, "ETH")
    # 5 significant figures, above the bid, written as the book writes prices
    price = f"{math.floor(bid * 10) / 10 + 0.1:.1f}".rstrip("0").rstrip(".")
    assert bid < float(price) < ask
    page.fill("#px", price)
    page.fill("#sz", "0.05")
    page.select_option("#tif", "Alo")
    page.locator("#place").click()
    assert "resting" in reply_text(page)
    page.locator(f'#book tbody tr.bid[data-px="{price}"]').wait_for()
    assert [o["limitPx"] for o in open_orders(node, trader.address.lower())] == [price]
    page.locator('#account-tabs button[data-tab="orders"]').click()
    row = page.locator("#open-orders tbody tr[data-oid]").first
    row.scroll_into_view_if_needed()
    shot(page, "trade-order-mobile")
    row.get_by_role("button", name="cancel").click()
    row.wait_for(state="detached")
    assert open_orders(node, trader.address.lower()) == []


def lab(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN), "lab", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


SHORT_DRILL = """description = "the 3 a.m. oracle stall, shortened for the web test"
scenario = "oracle_stall"
market = "BTC"
action = "pauseMarket"
night = false
response_s = [30, 60]
report_s = 120
duration_s = 2400
stall_s = 600
"""


def test_the_lab_view_reads_a_run_a_sweep_and_a_drill(node, open_page, shot, artifacts,
                                                      tmp_path) -> None:
    (tmp_path / "drill.toml").write_text(SHORT_DRILL)
    jobs = [lab("run", "jelly_like", "--out", str(tmp_path / "run"), "--duration", "120"),
            lab("sweep", "ci_small", "--out", str(tmp_path / "sweep")),
            lab("drill", str(tmp_path / "drill.toml"), "--out", str(tmp_path / "drill"))]
    for job in jobs:
        _, err = job.communicate(timeout=300)
        assert job.returncode == 0, err
    run = json.loads((tmp_path / "run" / "report.json").read_text())
    sweep = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    after = json.loads((tmp_path / "drill" / "after_action.json").read_text())

    page = open_page("desktop", "/#lab")
    files = [tmp_path / "run" / "report.json", tmp_path / "run" / "report.html",
             tmp_path / "sweep" / "sweep.json", tmp_path / "drill" / "after_action.json",
             tmp_path / "drill" / "after_action.md"]
    page.set_input_files("#lab-files", [str(f) for f in files])
    cards = page.locator("#lab-out article.lab-item")
    cards.nth(len(files) - 1).wait_for()
    assert cards.count() == len(files)

    figures = cards.nth(0)
    assert f"jelly_like (seed {run['seed']})" in figures.locator("h3").inner_text()
    labels = figures.locator("dt").all_inner_texts()
    values = figures.locator("dd").all_inner_texts()
    shown = dict(zip(labels, values))
    assert shown["transactions"] == str(run["transactions_count"])
    assert shown["final state root"] == run["final_state_root"]

    frame = cards.nth(1).locator("iframe.report-frame")
    assert frame.get_attribute("sandbox") == ""  # no scripts from a report file
    report = page.frame_locator("#lab-out article:nth-child(2) iframe")
    assert report.locator("figure.chart svg").count() >= 1  # the inline SVG charts render
    frame.scroll_into_view_if_needed()
    report.locator("figure.chart svg").first.wait_for()
    cards.nth(1).screenshot(path=str(artifacts / "lab-report-html-desktop.png"))

    plot = cards.nth(2)
    assert plot.locator("svg.plot circle").count() == len(sweep["points"])
    assert plot.locator("tbody tr.frontier").count() == len(sweep["frontier"])

    drill = cards.nth(3)
    assert drill.locator("ul.held li.up").all_inner_texts() == after["held"]
    assert drill.locator("ul.held li.down").all_inner_texts() == after["did_not_hold"]
    timeline = drill.locator("table").first.locator("tbody tr")
    assert timeline.count() == len(after["timeline"])
    assert timeline.nth(0).locator("td").nth(1).inner_text() == \
        after["timeline"][0]["kind"].removeprefix("drill:")

    markdown = cards.nth(4)
    assert markdown.locator("h1").first.inner_text().startswith("After-action report")
    assert markdown.locator("table tbody tr").count() == len(after["timeline"])
    shot(page, "lab-reports-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "lab-reports-mobile")

    # sweep.html as written, at 1280x800: the recommendation, the frontier plot, a row per
    # point with its intervals, and no heading overlapping another or the plot
    sweep_page = open_page((1280, 800))
    sweep_page.goto((tmp_path / "sweep" / "sweep.html").as_uri())
    headings = sweep_page.locator("h3")
    texts = headings.all_inner_texts()
    assert texts[:2] == ["Recommended parameter set", "Frontier"], texts
    assert "Objective:" in sweep_page.locator("body").inner_text()
    assert sweep_page.locator("svg").count() >= 1
    assert sweep_page.locator("td.point").count() == len(sweep["points"])
    assert sweep_page.locator("div.ci").count() >= len(sweep["points"])  # the intervals
    boxes = [headings.nth(i).bounding_box() for i in range(headings.count())]
    boxes.append(sweep_page.locator("svg").first.bounding_box())
    for i, one in enumerate(boxes):
        for other in boxes[i + 1:]:
            apart = (one["x"] + one["width"] <= other["x"] or other["x"] + other["width"] <= one["x"]
                     or one["y"] + one["height"] <= other["y"]
                     or other["y"] + other["height"] <= one["y"])
            assert apart, (one, other)
    sweep_page.screenshot(path=str(artifacts / "sweep-html-1280x800.png"))


def test_the_rollup_view_accounts_for_every_dollar_the_bridge_holds(node, open_page,
                                                                    shot) -> None:
    """The money table: the bridge's balance, then each term it must equal (the L2 total at
    the last finalized batch, deposits awaiting finality, claimable withdrawals, bonds), each
    named; a difference row only when they do not add up (here they do)."""
    page = open_page("desktop")
    page.goto(f"{node.url}/#rollup")
    table = page.locator("#money-table")
    table.wait_for()
    text = table.inner_text()
    for term in ("bridge balance", "L2 total at the last finalized batch",
                 "deposits on L1 no finalized batch has consumed",
                 "finalized withdrawals not yet claimed", "operators' bonds held"):
        assert term in text, text
    page.wait_for_function("() => !document.getElementById('money-table').innerText"
                           ".includes('not measured yet')", timeout=15_000)
    assert "difference" not in table.inner_text()
    assert "every L1 message is included" not in page.locator("section#rollup").inner_text()
    # the devnet's L1 data fee: the reconciler's account of it, every term named
    fee = page.locator("#l1-fee-table")
    fee.wait_for()
    text = fee.inner_text()
    for term in ("batch costs L1 recorded", "costs L2 took on", "charged to takers",
                 "paid to batch posters", "owed to batch posters", "the fee pool"):
        assert term in text, text
    shot(page, "rollup-money-table-desktop")
