"""The report's findings are sentences from the numbers, in units with thousands separators."""

from __future__ import annotations

from l2perp.lab.findings import (
    DEFINITIONS, fund_finding, gaps, liquidation_finding, pct, usd,
)

JELLY = {"insurance_fund_start_usd": 1_000_000.0, "insurance_fund_min_usd": 250_000.0,
         "insurance_fund_end_usd": 262_500.0, "backstop_notional_usd": 400_000.0,
         "liquidated_notional_usd": 0.0, "liquidations_count": 16, "adl_count": 0,
         "adl_notional_usd": 0.0, "fund_deficit_usd": 0.0}


def test_the_fund_finding_states_the_share_of_capital_lost() -> None:
    assert fund_finding(JELLY) == (
        "The insurance fund lost 75% of its capital at its lowest ($750,000 of $1,000,000) "
        "carrying the $400,000 it took over, 1.88x that notional, and ended at $262,500; "
        "no ADL was needed.")


def test_zero_book_notional_next_to_liquidations_is_explained() -> None:
    events = [{"kind": "backstop"}] * 16
    text = liquidation_finding(JELLY, events)
    assert text.startswith("16 liquidations went through the waterfall; none filled on the book")
    assert "the backstop took over $400,000" in text and "16 takeovers" in text


def test_units_and_gaps() -> None:
    assert usd(1_234_567.8) == "$1,234,568" and usd(-63_024.2) == "-$63,024"
    assert usd(0.0094871) == "$0.009487" and usd(12.5) == "$12.50"
    assert pct(0.75) == "75%" and pct(0.004) == "0.4%"
    nan = float("nan")
    assert gaps([0, 60, 120, 180, 240], [1.0, nan, nan, 1.0, nan]) == [(1, 2), (4, 4)]


def test_every_figure_has_a_one_line_definition() -> None:
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys))
    for key in ("liquidated_notional_usd", "backstop_notional_usd", "liq_delay_p50_s"):
        assert key in keys
    assert all(d.meaning.endswith((".", ")")) and "\n" not in d.meaning for d in DEFINITIONS)
