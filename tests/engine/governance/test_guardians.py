"""The guardians' lane: R02 (pauses expire unless ratified), R03 (multisig rules), and the
drills in which a guardian tries to loosen, to replay, or to act again without a report."""

from __future__ import annotations

import pytest

from l2perp.engine.governance.guardians import GuardianError, Guardians

DAY = 86_400_000
G1, G2, G3, X = "0xg1", "0xg2", "0xg3", "0xstranger"


def council() -> Guardians:
    return Guardians((G1, G2, G3), threshold=2)


def test_R03_threshold_and_seats_are_checked() -> None:
    for members, threshold in (((G1, G2), 0), ((G1, G2), 3), ((G1, G1), 1)):
        with pytest.raises(GuardianError):
            Guardians(members, threshold)


def test_an_action_executes_at_exactly_m_signatures() -> None:
    g = council()
    action = g.sign(G1, 1, "pauseMarket", (0,), 100)
    assert not action.executed and not g.in_force(1, 100)
    with pytest.raises(GuardianError, match="already signed"):
        g.sign(G1, 1, "pauseMarket", (0,), 101)
    with pytest.raises(GuardianError, match="no guardian seat"):
        g.sign(X, 1, "pauseMarket", (0,), 101)
    with pytest.raises(GuardianError, match="other content"):
        g.sign(G2, 1, "pauseMarket", (1,), 102)
    g.sign(G2, 1, "pauseMarket", (0,), 103)
    assert g.in_force(1, 103) and g.actions[1].signers == [G1, G2]


def test_drill_a_guardian_cannot_loosen_anything() -> None:
    g = council()
    for kind, args in (("unpauseMarket", (0,)), ("lowerMargin", ("0.mm", 1)),
                       ("setRiskParam", ("0.oiCap", 10**12)), ("treasuryTransfer", (X, 1))):
        with pytest.raises(GuardianError, match="only tighten"):
            g.sign(G1, 1, kind, args, 0)
    current = {"0.mmBps": 250}

    def tightens(key: str, value: int) -> bool:
        return value > current[key]

    for value in (250, 200):  # equal or lower is no raise
        with pytest.raises(GuardianError, match="must raise"):
            g.sign(G1, 1, "raiseMargin", ("0.mmBps", value), 0, tightens)
    g.sign(G1, 1, "raiseMargin", ("0.mmBps", 251), 0, tightens)
    assert g.actions == {1: g.actions[1]} and g.next_nonce == 2


def test_drill_an_executed_nonce_cannot_be_replayed() -> None:
    g = council()
    g.sign(G1, 1, "pauseMarket", (0,), 0)
    g.sign(G2, 1, "pauseMarket", (0,), 0)
    with pytest.raises(GuardianError, match="already executed"):
        g.sign(G3, 1, "pauseMarket", (0,), 1)
    with pytest.raises(GuardianError, match="next guardian action has nonce 2"):
        g.sign(G3, 7, "pauseMarket", (0,), 1)


def test_R02_drill_a_pause_expires_unless_ratified() -> None:
    g = council()
    g.sign(G1, 1, "pauseMarket", (0,), 1_000)
    g.sign(G2, 1, "pauseMarket", (0,), 1_000)
    end = 1_000 + g.expiry_ms
    assert g.in_force(1, end - 1) and not g.in_force(1, end)
    h = council()
    h.sign(G1, 1, "pauseMarket", (0,), 1_000)
    h.sign(G2, 1, "pauseMarket", (0,), 1_000)
    h.ratify(1, end - 1)
    assert h.in_force(1, end + 365 * DAY)
    with pytest.raises(GuardianError):
        g.ratify(1, end)  # too late: it expired


def test_drill_a_missing_incident_report_blocks_the_next_emergency_action() -> None:
    g = council()
    g.sign(G1, 1, "pauseMarket", (0,), 0)
    g.sign(G2, 1, "pauseMarket", (0,), 0)
    g.sign(G1, 2, "reduceOnly", (1,), 10)  # collecting signatures is allowed ...
    with pytest.raises(GuardianError, match="no incident report"):
        g.sign(G2, 2, "reduceOnly", (1,), 11)  # ... executing is not
    assert not g.actions[2].executed and g.actions[2].signers == [G1]
    with pytest.raises(GuardianError):
        g.report(X, 1, b"r" * 32, 12)
    on_time = g.report(G3, 1, b"r" * 32, g.report_deadline_ms)  # the deadline is inclusive
    assert on_time
    g.sign(G2, 2, "reduceOnly", (1,), 13)
    assert g.actions[2].executed
    assert not g.report(G1, 2, b"s" * 32, 13 + g.report_deadline_ms + 1)  # late, recorded
    with pytest.raises(GuardianError, match="already has"):
        g.report(G1, 2, b"t" * 32, 14)
