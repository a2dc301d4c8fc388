"""The web app comes up in headless Chromium against a live demo node, on a desktop and a
phone-sized screen, with no console or page errors; screenshots go to the artifacts dir."""

from __future__ import annotations


def test_the_page_shows_the_markets_on_desktop_and_mobile(open_page, shot) -> None:
    for viewport in ("desktop", "mobile"):
        page = open_page(viewport)
        btc = page.locator("#markets tbody tr", has_text="BTC").first
        btc.wait_for()
        assert btc.locator("td").first.inner_text() == "BTC"
        page.locator("#book tbody tr").first.wait_for()  # the demo book reaches the page
        shot(page, f"smoke-{viewport}")
