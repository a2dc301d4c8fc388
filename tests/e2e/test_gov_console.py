"""The governance console for the people with narrow powers, in the browser against its own node
(a pause must not disturb the trading tests): a guardian co-signs a pause another guardian
started and it takes effect at M of N, files the incident report the action opened, and the
risk steward takes one bounded step. Each is signed in the page; the node's state is checked."""

from __future__ import annotations

from tests.e2e.page import pick_key, send_as
from tests.support.rollup_proc import TRADERS

GUARDIANS = TRADERS[7:10]  # the devnet DAO: traders 8-10 hold the guardian seats (2 of 3)
STEWARD = TRADERS[6]  # trader 7 is the risk steward
OP = 3  # the market paused here


def test_a_guardian_co_signs_and_reports_and_the_steward_steps(node, open_page, shot) -> None:
    nonce = node.info({"type": "guardians"})["nextNonce"]
    first = {"type": "guardianSign", "nonce": nonce, "kind": "pauseMarket", "args": [OP]}
    assert send_as(node, GUARDIANS[0], first)["status"] == "ok"
    node.wait(lambda: node.info({"type": "guardians"})["actions"], 10, "the first signature")

    page = open_page("desktop", "/#governance")
    pick_key(page, GUARDIANS[1])
    action = page.locator("#guardian-actions tbody tr", has_text="pauseMarket")
    action.get_by_role("button", name="co-sign").click()
    node.wait(lambda: node.info({"type": "guardians"})["actions"][0]["inForce"], 10,
              "the pause at 2 of 3")
    page.wait_for_function("() => /in force/.test(document.getElementById('guardian-actions')"
                           ".textContent)")
    assert "2 / 2" in action.inner_text()
    refused = send_as(node, TRADERS[0], {"type": "order", "grouping": "na", "orders": [
        {"a": OP, "b": True, "p": "1", "s": "100", "r": False, "t": {"limit": {"tif": "Gtc"}}}]})
    assert "error" in refused["response"]["data"]["statuses"][0]  # the market is paused

    incident = node.info({"type": "incidents"})[0]
    card = page.locator("#incidents article.incident").first
    card.locator("textarea").wait_for()
    report = "OP paused at 2 of 3 after its feed diverged; reopening once operators agree."
    card.locator("textarea").fill(report)
    page.wait_for_timeout(1_500)  # the view re-renders every second: the draft survives
    assert card.locator("textarea").input_value() == report
    card.get_by_role("button", name="file report").click()
    node.wait(lambda: node.info({"type": "incidents"})[0]["filed"], 10, "the report")
    filed = node.info({"type": "incidents"})[0]
    assert filed["id"] == incident["id"] and filed["report"] == report
    assert filed["filedBy"] == GUARDIANS[1].address.lower()
    page.locator("#incidents blockquote", has_text=report).wait_for()
    shot(page, "governance-guardian-desktop")

    pick_key(page, STEWARD)
    bounds = {b["key"]: b for b in node.info({"type": "stewards"})["bounds"]}
    assert bounds["0.tier0.maxLeverage"]["value"] == 40
    step = page.locator("#steward-bounds tbody tr", has_text="0.tier0.maxLeverage")
    step.locator("input").fill("10")  # below tier 1's 20x and beyond a 25% step: refused
    step.get_by_role("button", name="step").click()
    page.wait_for_function("() => document.getElementById('gov-reply').textContent"
                           ".startsWith('Governance: ')")
    assert node.info({"type": "meta"})["universe"][0]["maxLeverage"] == 40
    assert step.locator("input").input_value() == "10"  # a refused step keeps what was typed
    step.locator("input").fill("30")  # 25% down: the largest step the bounds allow
    step.get_by_role("button", name="step").click()
    node.wait(lambda: {b["key"]: b["value"] for b in node.info({"type": "stewards"})["bounds"]}
              ["0.tier0.maxLeverage"] == 30, 10, "the steward's step")
    assert node.info({"type": "meta"})["universe"][0]["maxLeverage"] == 30
    page.wait_for_function("() => /accepted/.test(document.getElementById('gov-reply')"
                           ".textContent)")
    shot(page, "governance-steward-desktop")
