"""The order form tells the truth: it shows the leverage and margin mode the account's next
order really uses (after a reload, and after the SDK changed them behind the page's back), it
starts empty on another market (a BTC price typed into ETH meant a $45M notional), and a market
order has no price field."""

from __future__ import annotations

from eth_account import Account
from hyperliquid.exchange import Exchange

from tests.e2e.page import pick_key
from tests.support.rollup_proc import TRADERS


def lev_is(page, value: str, mode: str, timeout_ms: int = 25_000) -> None:
    page.wait_for_function(
        "([v, m]) => document.getElementById('lev').value === v && "
        "document.getElementById('margin-mode').value === m", arg=[value, mode],
        timeout=timeout_ms)


def test_the_form_shows_the_accounts_leverage_after_a_reload_and_an_sdk_change(
        node, open_page, shot) -> None:
    trader = TRADERS[2]
    exchange = Exchange(Account.from_key(trader.private_key), node.url, timeout=10)
    assert exchange.update_leverage(7, "SOL", is_cross=False)["status"] == "ok"
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()
    pick_key(page, trader)
    page.locator('#markets tbody tr[data-coin="SOL"]').click()
    lev_is(page, "7", "isolated")
    page.reload()
    page.locator("#book tbody tr.bid").first.wait_for()
    lev_is(page, "7", "isolated")  # not the form's default: the account's setting
    assert exchange.update_leverage(3, "SOL", is_cross=True)["status"] == "ok"
    lev_is(page, "3", "cross")  # changed by another client: the next refresh shows it
    shot(page, "order-form-leverage")


def test_another_market_starts_with_an_empty_form_and_market_orders_have_no_price(
        node, open_page) -> None:
    page = open_page("desktop")
    page.locator("#book tbody tr.bid").first.wait_for()
    page.locator('#markets tbody tr[data-coin="BTC"]').click()
    page.fill("#px", "95000")
    page.fill("#sz", "1")
    page.locator('#markets tbody tr[data-coin="ETH"]').click()
    page.wait_for_function("() => document.getElementById('book-coin').textContent === 'ETH'")
    assert page.input_value("#px") == "" and page.input_value("#sz") == ""
    assert "95,000" not in page.locator("#order-estimate").inner_text()
    page.select_option("#otype", "market")
    assert not page.locator("#px").is_visible()
    page.select_option("#otype", "limit")
    assert page.locator("#px").is_visible()
