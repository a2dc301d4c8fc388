"""Scenario R01: bounded steward updates, both sides of every bound pinned, and a property
that no steward sequence leaves the bounds or leaves an untraceable change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2perp.engine.governance.stewards import Bounds, RiskTable, StewardError

DAY = 86_400_000
S, X = "0xsteward", "0xstranger"


def table() -> RiskTable:
    return RiskTable(values={"0.oiCap": 10_000}, stewards=(S,),
                     bounds={"0.oiCap": Bounds(5_000, 20_000, 1_000, 3 * DAY)})


def test_R01_a_step_inside_range_and_size_succeeds_and_is_logged() -> None:
    t = table()
    change = t.steward_update(S, "0.oiCap", 11_000, 0)  # +10.00%: exactly the max step
    assert t.values["0.oiCap"] == 11_000 and t.log == [change] and change.source == "steward"


@pytest.mark.parametrize("new", [11_001, 8_999])
def test_R01_a_step_one_unit_beyond_the_max_is_refused(new: int) -> None:
    t = table()
    with pytest.raises(StewardError, match="exceeds"):
        t.steward_update(S, "0.oiCap", new, 0)
    assert t.values["0.oiCap"] == 10_000 and t.log == []


def test_R01_range_ends_are_inclusive() -> None:
    t = RiskTable(values={"k": 5_500}, stewards=(S,), bounds={"k": Bounds(5_000, 6_000, 5_000,
                                                                          0)})
    t.steward_update(S, "k", 5_000, 0)
    with pytest.raises(StewardError, match="outside"):
        t.steward_update(S, "k", 4_999, 1)
    t.steward_update(S, "k", 6_000, 2)
    with pytest.raises(StewardError, match="outside"):
        t.steward_update(S, "k", 6_001, 3)


def test_R01_debounce_is_per_parameter_and_inclusive_at_its_end() -> None:
    t = table()
    t.steward_update(S, "0.oiCap", 10_500, 0)
    with pytest.raises(StewardError, match="next steward update"):
        t.steward_update(S, "0.oiCap", 11_000, 3 * DAY - 1)
    t.steward_update(S, "0.oiCap", 11_000, 3 * DAY)


def test_R01_strangers_unknown_keys_and_zero_are_refused() -> None:
    t = RiskTable(values={"0.oiCap": 10_000, "z": 1}, stewards=(S,),
                  bounds={"0.oiCap": Bounds(5_000, 20_000, 1_000, 0),
                          "z": Bounds(-5, 5, 20_000, 0)})
    with pytest.raises(StewardError, match="not a risk steward"):
        t.steward_update(X, "0.oiCap", 10_100, 0)
    with pytest.raises(StewardError, match="not a steward-bounded"):
        t.steward_update(S, "0.fee", 1, 0)
    with pytest.raises(StewardError, match="zero"):
        t.steward_update(S, "z", 0, 0)  # inside the range and the step, still refused


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([S, X]), st.integers(-30_000, 30_000),
                          st.integers(0, 2 * DAY)), max_size=40))
def test_no_steward_sequence_leaves_the_bounds_and_every_change_is_traced(steps) -> None:
    t = table()
    now = 0
    for caller, new, wait in steps:
        now += wait
        try:
            t.steward_update(caller, "0.oiCap", new, now)
        except StewardError:
            pass
        assert 5_000 <= t.values["0.oiCap"] <= 20_000
    value = 10_000
    for change in t.log:  # replaying the log gives the table: nothing moved untraced
        assert change.old == value and change.author == S
        value = change.new
    assert value == t.values["0.oiCap"]
