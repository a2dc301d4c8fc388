"""What a newcomer and a DAO member do in the web app, in headless Chromium against a live
`l2perp up` node: pick a devnet key, place a limit order and see it rest in the book, cancel it,
set isolated leverage and place a market order and see the position with its liquidation price,
vote on a proposal and see the tally change, and watch a batch turn finalized in the rollup view.
Every request the page makes is signed in the browser (sign.js) and goes through /exchange;
the test only reads the node's /info to check what the page shows. Screenshots of each step go
to the artifacts directory."""

from __future__ import annotations

import re

import requests

from tests.e2e.page import best_prices, open_orders, pick_key, reply_text
from tests.support.rollup_proc import TRADERS

DAY_MS = 86_400_000


def test_limit_order_rests_in_the_book_and_cancels_then_a_market_order_opens_a_position(
        node, open_page, shot) -> None:
    trader = TRADERS[0]
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()
    pick_key(page, trader)

    # A post-only bid one dollar above the best bid: it rests at the top of the book.
    bid, ask = best_prices(node, "BTC")
    assert ask - bid > 2, "the demo book should have a spread to rest inside"
    price = str(int(bid) + 1)
    page.fill("#px", price)
    page.fill("#sz", "0.002")
    page.select_option("#tif", "Alo")
    page.locator("#place").click()
    assert "resting" in reply_text(page)
    level = page.locator(f'#book tbody tr.bid[data-px="{price}"]')
    level.wait_for()
    assert level.locator("td").nth(1).inner_text() == "0.00200"  # BTC sizes: 5 decimals
    orders = open_orders(node, trader.address.lower())
    assert [(o["limitPx"], o["sz"], o["side"]) for o in orders] == [(price, "0.002", "B")]
    page.locator('#account-tabs button[data-tab="orders"]').click()
    row = page.locator(f'#open-orders tbody tr[data-oid="{orders[0]["oid"]}"]')
    row.wait_for()
    shot(page, "trade-limit-resting-desktop")

    # Cancel from the open-orders table: the order leaves the node and the book.
    row.get_by_role("button", name="cancel").click()
    row.wait_for(state="detached")
    level.wait_for(state="detached")
    assert open_orders(node, trader.address.lower()) == []
    assert "cancelled" in page.locator("#order-reply").inner_text()

    # Isolated 10x, then a market buy: the position shows its liquidation price.
    page.select_option("#margin-mode", "isolated")
    page.fill("#lev", "10")
    page.locator("#lev-set").click()
    page.wait_for_function(
        "() => document.getElementById('order-reply').textContent === 'BTC: isolated 10x'")
    page.select_option("#otype", "market")
    assert page.locator("#px").is_disabled()
    page.fill("#sz", "0.01")
    assert page.locator("#place").inner_text() == "Market buy"
    page.locator("#place").click()
    page.wait_for_function(
        "() => /filled/.test(document.getElementById('order-reply').textContent)")
    page.locator('#account-tabs button[data-tab="positions"]').click()
    position = page.locator('#positions tbody tr[data-coin="BTC"]')
    position.wait_for()
    cells = position.locator("td")
    assert cells.nth(1).inner_text() == "0.01000"
    state = node.info({"type": "clearinghouseState", "user": trader.address.lower()})
    liq = state["assetPositions"][0]["position"]["liquidationPx"]
    assert liq is not None and 0 < float(liq) < bid  # a long's liquidation price is below
    shown = float(cells.nth(6).inner_text().replace(",", ""))
    assert abs(shown - float(liq)) <= 0.5  # BTC prices show whole dollars
    assert "isolated 10x" in cells.nth(7).inner_text()
    page.locator('#account-tabs button[data-tab="fills"]').click()
    page.locator("#fills tbody tr", has_text="Open Long").first.wait_for()
    page.locator('#account-tabs button[data-tab="positions"]').click()
    shot(page, "trade-position-desktop")


def test_a_proposal_written_in_the_page_and_a_vote_that_changes_the_tally(
        node, open_page, shot) -> None:
    proposer, voter = TRADERS[1], TRADERS[2]
    page = open_page("desktop", "/#governance")
    pick_key(page, proposer)
    page.locator('#pa-key option[value="1.tier0.maxLeverage"]').wait_for(state="attached")
    page.select_option("#pa-key", "1.tier0.maxLeverage")
    assert page.get_attribute("#pa-value", "placeholder") == "now 25 (25)"
    page.fill("#pa-value", "20")
    page.locator("#pa-add").click()
    assert page.locator("#pa-list li").first.inner_text().startswith(
        "setRiskParam: 1.tier0.maxLeverage → 20")
    page.locator("#pa-submit").click()
    page.wait_for_function("() => /proposal of 1 action: accepted/"
                           ".test(document.getElementById('gov-reply').textContent)")
    pid = node.wait(lambda: next((p["id"] for p in node.info({"type": "govProposals"})
                                  if p["proposer"] == proposer.address.lower()), None),
                    10, "the proposal")
    row = node.info({"type": "govProposal", "proposal": pid})
    assert row["actions"] == [["setRiskParam", "1.tier0.maxLeverage", 20]]
    assert row["state"] == "Pending" and row["lane"] == "standard"
    node.advance(DAY_MS + 1_000)  # past the review delay
    node.wait(lambda: node.info({"type": "govProposal", "proposal": pid})["state"] == "Active",
              10, "voting to open")

    pick_key(page, voter)  # a new key refetches the proposals: now Active
    card = page.locator(f'article.proposal[data-proposal="{pid}"][data-state="Active"]')
    card.wait_for()
    tally = card.locator(".tally-text")
    assert tally.inner_text().startswith("for 0 · against 0")
    page.locator("#power dd").first.wait_for()
    assert "100,000" in page.locator("#power").inner_text()  # the voter's balance
    shot(page, "governance-before-vote-desktop")

    card.get_by_role("button", name="vote for").click()
    page.wait_for_function(
        "pid => document.querySelector(`article.proposal[data-proposal='${pid}'] .tally-text`)"
        ".textContent.startsWith('for 100,000')", arg=pid)
    assert "vote for on #" in page.locator("#gov-reply").inner_text()
    card.locator(".my-vote").wait_for()
    assert card.locator(".my-vote").inner_text() == "you voted for with 100,000"
    votes = node.info({"type": "govProposal", "proposal": pid})["votes"]
    assert votes == {"for": 100_000, "against": 0, "abstain": 0}
    shot(page, "governance-after-vote-desktop")


def test_the_rollup_view_shows_a_batch_turn_finalized(node, open_page, shot) -> None:
    page = open_page("desktop", "/#rollup")
    posted = page.locator('#batches tbody tr[data-finality="posted"]').first
    posted.wait_for(timeout=30_000)
    batch = posted.get_attribute("data-batch")
    assert re.fullmatch(r"\d+", batch)
    row = page.locator(f'#batches tbody tr[data-batch="{batch}"]')
    assert "posted" in row.inner_text() and "in " in row.locator("td").nth(6).inner_text()
    shot(page, "rollup-posted-desktop")

    node.advance(60_000)  # past the 50 s challenge window
    page.wait_for_selector(f'#batches tbody tr[data-batch="{batch}"][data-finality="finalized"]',
                           timeout=30_000)
    record = requests.post(node.url + "/info", json={"type": "batch", "batchNo": int(batch)},
                           timeout=10).json()
    assert record["status"] == "finalized"
    assert int(page.locator("#rollup-cards .stat").nth(2).locator("strong").inner_text()) >= \
        record["lastHeight"]
    shot(page, "rollup-finalized-desktop")


def test_a_limit_order_with_take_profit_and_stop_loss_places_its_triggers(
        node, open_page, shot) -> None:
    """normalTpsl from the form: the parent rests, its two reduce-only market triggers wait for
    its fill (the node answers waitingForFill), all three show in open orders and cancel."""
    trader = TRADERS[4]
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()
    pick_key(page, trader)
    bid, _ = best_prices(node, "BTC")
    entry, tp, sl = (str(int(bid * f)) for f in (0.97, 1.05, 0.9))
    page.fill("#px", entry)
    page.fill("#sz", "0.003")
    page.check("#tpsl")
    page.locator("#tp").wait_for()
    page.fill("#tp", tp)
    page.fill("#sl", sl)
    page.locator("#place").click()
    reply = reply_text(page)  # the node has answered: the orders are in
    parent = open_orders(node, trader.address.lower())[-1]["oid"]  # newest first
    assert reply == f"resting (oid {parent}); waitingForFill; waitingForFill"
    rows = node.info({"type": "frontendOpenOrders", "user": trader.address.lower()})
    assert sorted((r["orderType"], r["side"], r["reduceOnly"], r["triggerPx"]) for r in rows) == [
        ("Limit", "B", False, "0.0"), ("Stop Market", "A", True, sl),
        ("Take Profit Market", "A", True, tp)]
    page.locator('#account-tabs button[data-tab="orders"]').click()
    table = page.locator("#open-orders tbody tr[data-oid]")
    page.wait_for_function("() => document.querySelectorAll('#open-orders tbody tr[data-oid]')"
                           ".length === 3")
    text = page.locator("#open-orders").inner_text()
    assert "Take Profit Market" in text and "Stop Market" in text
    assert f"Price above {tp}" in text and f"Price below {sl}" in text
    shot(page, "trade-tpsl-desktop")
    for left in (2, 1, 0):
        table.first.get_by_role("button", name="cancel").click()
        page.wait_for_function("n => document.querySelectorAll('#open-orders tbody tr[data-oid]')"
                               ".length === n", arg=left)
    assert open_orders(node, trader.address.lower()) == []
