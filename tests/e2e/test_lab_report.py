"""The lab's run report in Chromium at 1280x800: it opens with the scenario's description and its
event citation, states three to five findings, and every chart has a legend, labelled axes and a
title that overlaps nothing (bounding boxes). Screenshots land in the artifacts dir. No node: the
report is a file, opened offline."""

from __future__ import annotations

import pytest

from l2perp.lab.report import write_run
from l2perp.lab.runner import run
from l2perp.lab.scenario import load_scenario


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    spec = load_scenario("jelly_like")
    result = run(spec.for_ci(), 7)
    out = tmp_path_factory.mktemp("lab-report")
    write_run(out, result.report, result.metrics.series, result.metrics.events, spec)
    return out / "report.html", spec


@pytest.fixture
def report_page(browser, report_file, artifacts):
    path, spec = report_file
    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    page.screenshot(path=str(artifacts / "lab-report-1280x800.png"))
    page.screenshot(path=str(artifacts / "lab-report-full.png"), full_page=True)
    yield page, spec
    context.close()
    assert not errors, errors


def test_report_opens_with_the_description_and_the_event_citation(report_page) -> None:
    page, spec = report_page
    description = page.locator("#description")
    assert description.is_visible() and description.bounding_box()["y"] < 800  # above the fold
    assert description.inner_text().startswith(spec.event.summary[:60])
    citation = page.locator("#citation")
    assert "2025-03-26" in citation.inner_text()
    assert citation.locator("a").count() == len(spec.event.figures)


def test_report_states_three_to_five_findings_in_sentences(report_page) -> None:
    page, _ = report_page
    findings = page.locator("#findings li").all_inner_texts()
    assert 3 <= len(findings) <= 5
    assert all(f.endswith(".") and len(f.split()) >= 6 for f in findings)
    assert any("insurance fund lost" in f and "% of its capital" in f for f in findings)
    assert any("$" in f for f in findings)  # figures in units


def test_every_figure_has_a_definition_and_a_unit(report_page) -> None:
    page, _ = report_page
    rows = page.locator("#figures tbody tr")
    assert rows.count() >= 20
    for row in rows.all():
        assert row.locator("td.meaning").inner_text().strip()
    assert page.locator("#fig-backstop_notional_usd td.value").inner_text().startswith("$")
    assert "," in page.locator("#fig-insurance_fund_start_usd td.value").inner_text()


def test_charts_have_legends_axis_labels_and_titles_that_overlap_nothing(report_page) -> None:
    page, _ = report_page
    charts = page.locator("figure.chart").all()
    assert len(charts) >= 5
    keys = [c.get_attribute("id") for c in charts]
    assert "chart-backlog" not in keys  # a flat backlog has nothing to show
    titles, plots = [], []
    for chart in charts:
        title = chart.locator(".chart-title")
        assert title.inner_text().strip()
        assert chart.locator(".legend li").count() >= 1
        texts = chart.locator("svg text").all_text_contents()
        assert "minutes from the start" in texts and any("(" in t for t in texts)  # y unit
        titles.append(title.bounding_box())
        plots.append(chart.locator("svg").bounding_box())
    for i, box in enumerate(titles):
        assert box["y"] + box["height"] <= plots[i]["y"], f"title {keys[i]} runs into its axes"
        for j, other in enumerate(titles):
            assert j == i or not overlap(box, other), (keys[i], keys[j])
        for j, plot in enumerate(plots):
            assert not overlap(box, plot), f"title of {keys[i]} overlaps the plot of {keys[j]}"
