"""Calibration: the scenarios that imitate an event cite its public figures with sources and
tolerance bands, and their CI versions stay within those bands over a few seeds."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from l2perp.lab.calibrate import (
    METRICS, calibrate, event_scenarios, format_value, measure_liq_share, time_scale,
)
from l2perp.lab.scenario import ScenarioError, load_scenario, parse_scenario

CI_SEEDS = [1, 2, 3]


def test_the_three_event_scenarios_cite_figures_with_sources_and_bands() -> None:
    assert event_scenarios() == ["jelly_like", "mar12_like", "oct10_like"]
    for name in event_scenarios():
        event = load_scenario(name).event
        assert event.date and len(event.summary) > 200
        assert sum(1 for f in event.figures if f.band) >= 3
        for figure in event.figures:
            assert figure.metric in METRICS
            assert figure.source and figure.url.startswith("https://")


@pytest.mark.parametrize("name", ["jelly_like", "mar12_like", "oct10_like"])
def test_ci_version_stays_within_the_event_bands(name: str) -> None:
    rows = calibrate([name], CI_SEEDS, ci=True)
    judged = [r for r in rows if r.judged]
    assert len(judged) >= 3
    for row in judged:
        assert len(row.values) == len(CI_SEEDS)
        assert row.passed, (f"{name}: {row.figure.label} median {row.median} outside "
                            f"{row.figure.band} ({row.values})")


def test_ci_times_read_in_event_time() -> None:
    oct10 = load_scenario("oct10_like")
    assert time_scale(oct10, ci=True) == 1800 / 14400
    assert time_scale(oct10, ci=False) == 1.0


def test_liquidation_share_counts_the_busiest_window() -> None:
    minute = 60_000
    times = [0, 1 * minute, 2 * minute, 30 * minute]
    result = SimpleNamespace(metrics=SimpleNamespace(liq_times_ms=times))
    assert measure_liq_share(result, 10, 1.0) == 0.75
    assert measure_liq_share(result, 40, 1.0) == 1.0
    assert measure_liq_share(result, 10, 0.1) == 0.25  # one event minute is 6 s of CI time
    empty = SimpleNamespace(metrics=SimpleNamespace(liq_times_ms=[]))
    assert measure_liq_share(empty, 10, 1.0) == 0.0


def test_figures_read_in_their_units() -> None:
    assert format_value("move", -0.131) == "-13%"
    assert format_value("move", 4.0) == "+400%"
    assert format_value("liq_share_40m", 0.7) == "70%"
    assert format_value("backstop_loss", 2.6) == "2.60x"
    assert format_value("move_minutes", 12) == "12.0 min"
    assert format_value("move", math.nan) == "not reported"


def test_an_event_band_must_be_low_then_high() -> None:
    data = {"markets": [{"name": "BTC", "sz_decimals": 5, "price": 1}],
            "event": {"name": "x", "date": "2020-01-01", "summary": "s",
                      "figures": [{"metric": "move", "label": "m", "value": -0.1, "text": "t",
                                   "source": "s", "url": "https://x", "band": [0.1, -0.1]}]}}
    with pytest.raises(ScenarioError, match="band"):
        parse_scenario(data, "x")
