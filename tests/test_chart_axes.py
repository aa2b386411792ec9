"""The value axis of a measure (reports/charts.py, measure_axis): a score with a published scale
(MG-ADL 0-24, INCAT 0-10, GBS level 0-5) is drawn on the whole scale, any other measure on an
axis that follows its readings; the same rule on the timeline and the cycle chart. And the
timeline's right-hand axis has a title of its own, above its labels.

Crafted data with known answers: MG-ADL 2 to 9 is drawn on 0-24, ticked 0, 4, ... 24 (it was
drawn on 0-10, the severity axis's own numbers); grip 40 to 60 kPa on 35-65, ticked every 5.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from clinical import scales
from reports import trends
from reports.charts import FONT, WIDTH, cycle_chart, measure_axis, timeline_chart

from .test_trends import _frozen_time, diary, url  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"
START, END = dt.date(2026, 8, 1), dt.date(2026, 10, 31)
MGADL_VALUES = [2, 3, 4, 5, 6, 7, 8, 9]
GRIP_VALUES = [40, 45, 50, 55, 60]
MGADL_TITLE = "MG-ADL (0-24), higher is worse"
GRIP_TITLE = "Grip strength (kPa), higher is better"


def weekly(values):
    return [(START + dt.timedelta(days=7 * n + 3), v) for n, v in enumerate(values)]


def a_timeline(values=MGADL_VALUES, *, name="MG-ADL (0-24)", kind=scales.MGADL, **kwargs):
    options = {
        "title": "Infusions, side effects and a measure",
        "start": START,
        "end": END,
        "infusions": [(START + dt.timedelta(days=28 * n + 2), "Privigen") for n in range(3)],
        "side_effects": [("Headache", [(START + dt.timedelta(days=3), 6)])],
        "measure": (name, weekly(values)),
        "measure_higher_is_worse": scales.HIGHER_IS_WORSE.get(kind),
        "measure_kind": kind,
    }
    return timeline_chart(**(options | kwargs))


def a_cycle_chart(values, kind, **kwargs):
    points = [(7 * n, v) for n, v in enumerate(values)]
    options = {"title": "By day of the cycle", "y_label": "A measure", "higher_is_worse": True}
    return cycle_chart([("Cycle 1", points)], points, measure_kind=kind, **(options | kwargs))


def parse(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def plot_of(root: ET.Element) -> ET.Element:
    return root.find(f"./{SVG}g/{SVG}g[@class='chart-plot']")


def axis_texts(root: ET.Element, which: str) -> list[ET.Element]:
    axis = plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-{which}']")
    return [] if axis is None else list(axis.iter(f"{SVG}text"))


def labels(root: ET.Element, which: str) -> list[str]:
    return [t.text for t in axis_texts(root, which)]


def as_numbers(texts: list[str]) -> list[float]:
    return sorted(float(t.replace(",", "")) for t in texts)


def right_title(root: ET.Element) -> list[ET.Element]:
    group = plot_of(root).find(f"{SVG}g[@class='chart-axis-title chart-axis-title-y2']")
    return [] if group is None else list(group.iter(f"{SVG}text"))


def plot_origin(root: ET.Element) -> tuple[float, float]:
    found = re.search(r"translate\(([-\d.]+),\s*([-\d.]+)\)", plot_of(root).get("transform"))
    return float(found.group(1)), float(found.group(2))


def label_height(text: ET.Element) -> float:
    """Where a y-axis label points: pygal sets its baseline 0.35 em below its tick."""
    return float(text.get("y")) - 0.35 * FONT


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (scales.MGADL, MGADL_VALUES, (0, 24, (0, 4, 8, 12, 16, 20, 24))),
        (scales.MGADL, [0], (0, 24, (0, 4, 8, 12, 16, 20, 24))),
        (scales.INCAT, [1, 2, 3], (0, 10, (0, 2, 4, 6, 8, 10))),
        (scales.GBS_DISABILITY, [2, 3], (0, 5, (0, 1, 2, 3, 4, 5))),
    ],
)
def test_a_score_with_a_published_scale_spans_the_whole_scale(kind, values, expected):
    axis = measure_axis(kind, values)
    assert (axis.lo, axis.hi, axis.ticks) == expected
    assert axis.on_scale


def test_the_scales_are_those_of_clinical_scales():
    assert measure_axis(scales.MGADL, [5]).hi == scales.MGADL_TOTAL_MAX
    assert measure_axis(scales.INCAT, [5]).hi == scales.INCAT_TOTAL_MAX
    assert measure_axis(scales.GBS_DISABILITY, [1]).hi == scales.GBS_DISABILITY_MAX


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        # 40-60, a little more each side, rounded out to fives: not from 0 (40 is over half 60).
        (scales.GRIP, GRIP_VALUES, (35, 65, (35, 40, 45, 50, 55, 60, 65))),
        # The lowest under half the highest: from 0.
        (scales.PLATELETS, [12, 80], (0, 100, (0, 20, 40, 60, 80, 100))),
        # One reading: in the middle of its axis, not on the frame.
        (scales.WEIGHT, [70], (60, 80, (60, 65, 70, 75, 80))),
        ("custom", [410, 430], (405, 435, (405, 410, 415, 420, 425, 430, 435))),
        (None, [3, 9], (0, 10, (0, 2, 4, 6, 8, 10))),
    ],
)
def test_any_other_measure_follows_its_readings(kind, values, expected):
    axis = measure_axis(kind, values)
    assert (axis.lo, axis.hi, axis.ticks) == expected
    assert not axis.on_scale
    assert axis.lo < min(values) or axis.lo == 0
    assert axis.hi > max(values)


def test_fixed_ends_are_kept_and_a_reading_off_the_scale_is_not_cut_off():
    assert measure_axis(None, [1, 5], y_min=0, y_max=10).ticks == (0, 2, 4, 6, 8, 10)
    off = measure_axis(scales.INCAT, [3, 12])  # not a valid INCAT total: shown, not hidden
    assert (off.lo, off.hi) == (0, 12)


# --- the timeline ------------------------------------------------------------------------------


def test_mgadl_on_the_timeline_is_drawn_on_0_to_24_whatever_its_readings():
    root = parse(a_timeline())
    assert as_numbers(labels(root, "y2")) == [0, 4, 8, 12, 16, 20, 24]
    assert as_numbers(labels(root, "y")) == [0, 2, 4, 6, 8, 10]  # severity keeps its own
    # Each reading sits at its place on 0-24: 9 at 9/24 of the way up, not near the top.
    left = {t.text: label_height(t) for t in axis_texts(root, "y")}
    bottom, top = left["0"], left["10"]
    line = plot_of(root).find(f"{SVG}g[@class='chart-series chart-measure']")
    heights = [float(c.get("cy")) for c in line.iter(f"{SVG}circle")]
    assert len(heights) == len(MGADL_VALUES)
    for value, y in zip(MGADL_VALUES, heights, strict=True):
        assert y == pytest.approx(bottom + (top - bottom) * value / 24, abs=0.1)
    # Each right-hand label at its own tick, marked on the frame.
    right = {t.text: label_height(t) for t in axis_texts(root, "y2")}
    for value, y in right.items():
        assert y == pytest.approx(bottom + (top - bottom) * int(value) / 24, abs=0.1)
    marks = plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-y2']")
    mark_heights = sorted(float(m.get("y1")) for m in marks.iter(f"{SVG}line"))
    assert mark_heights == pytest.approx(sorted(right.values()), abs=0.1)


def test_incat_on_the_timeline_is_drawn_on_0_to_10():
    root = parse(a_timeline([1, 2, 3], name="INCAT (0-10)", kind=scales.INCAT))
    assert as_numbers(labels(root, "y2")) == [0, 2, 4, 6, 8, 10]
    assert [t.text for t in right_title(root)] == ["INCAT (0-10), higher is worse"]


def test_grip_on_the_timeline_keeps_an_axis_of_its_readings():
    root = parse(a_timeline(GRIP_VALUES, name="Grip strength (kPa)", kind=scales.GRIP))
    assert as_numbers(labels(root, "y2")) == [35, 40, 45, 50, 55, 60, 65]


def test_a_measure_alone_on_the_timeline_has_the_left_axis_and_the_same_rule():
    root = parse(a_timeline(side_effects=[]))
    assert as_numbers(labels(root, "y")) == [0, 4, 8, 12, 16, 20, 24]
    assert labels(root, "y2") == [] and right_title(root) == []
    grip = parse(
        a_timeline(GRIP_VALUES, name="Grip strength (kPa)", kind=scales.GRIP, side_effects=[])
    )
    assert as_numbers(labels(grip, "y")) == [35, 40, 45, 50, 55, 60, 65]


@pytest.mark.parametrize(
    ("values", "name", "kind", "title"),
    [
        (MGADL_VALUES, "MG-ADL (0-24)", scales.MGADL, MGADL_TITLE),
        (GRIP_VALUES, "Grip strength (kPa)", scales.GRIP, GRIP_TITLE),
    ],
)
def test_the_right_hand_axis_has_a_title_above_its_labels(values, name, kind, title):
    root = parse(a_timeline(values, name=name, kind=kind))
    (text,) = right_title(root)
    assert text.text == title
    assert text.get("text-anchor") == "end"
    left, top = plot_origin(root)
    x, baseline = float(text.get("x")), float(text.get("y"))
    # Inside the drawing (its right end at the edge, less the margin), whole lines only.
    assert left + x <= WIDTH
    assert left + x - len(title) * FONT * 0.6 >= 0
    assert top + baseline - FONT >= 0
    # Above the highest right-hand label and the infusion markers (below it: descenders).
    highest_label = min(float(t.get("y")) for t in axis_texts(root, "y2"))
    assert baseline + 0.3 * FONT < highest_label - 0.8 * FONT
    infusions = plot_of(root).find(f"{SVG}g[@class='chart-infusions']")
    marker_tops = [
        min(float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))[1::2])
        for p in infusions.iter(f"{SVG}path")
    ]
    assert marker_tops and baseline + 0.3 * FONT < min(marker_tops)
    # The left axis's title is still there, and still its own.
    titles = [t.text for t in root.iter(f"{SVG}text")]
    assert "How bad (0-10)" in titles


def test_a_long_right_hand_title_wraps_onto_lines_of_its_own():
    name = "Peak expiratory flow in the morning before any medication (L/min)"
    one_line = parse(a_timeline([410, 430], name="Peak flow (L/min)", kind="custom"))
    root = parse(a_timeline([410, 430], name=name, kind="custom"))
    lines = right_title(root)
    assert len(lines) == 2
    assert " ".join(t.text for t in lines) == name
    for text in lines:
        assert len(text.text) * FONT * 0.58 <= WIDTH - 24
    baselines = [float(t.get("y")) for t in lines]
    assert baselines[1] - baselines[0] >= FONT  # one under the other, not on top
    _left, top = plot_origin(root)
    assert top + baselines[0] - FONT >= 0
    # The drawing grows by the extra line; the plot keeps its height.
    height = float(root.get("viewBox").split()[3])
    assert height > float(one_line.get("viewBox").split()[3])


def test_the_text_alternative_is_the_same_with_the_new_axis():
    """The title, summary and table say the readings; the axis changes none of them."""
    on_scale = a_timeline()
    on_data = a_timeline(kind=None)
    assert (on_scale.title, on_scale.summary, on_scale.table) == (
        on_data.title,
        on_data.summary,
        on_data.table,
    )
    root = parse(on_scale)
    assert root.find(f"{SVG}title").text == on_scale.title
    assert root.find(f"{SVG}desc").text == parse(on_data).find(f"{SVG}desc").text
    svg = str(on_scale.svg)
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert not re.search(r"href|url\(|\son\w+=", svg)


# --- the cycle chart ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (scales.MGADL, MGADL_VALUES, [0, 4, 8, 12, 16, 20, 24]),
        (scales.INCAT, [1, 2, 3], [0, 2, 4, 6, 8, 10]),
        (scales.GRIP, GRIP_VALUES, [35, 40, 45, 50, 55, 60, 65]),
    ],
)
def test_the_cycle_chart_draws_a_measure_on_the_same_axis(kind, values, expected):
    root = parse(a_cycle_chart(values, kind, y_min=0 if kind != scales.GRIP else None))
    assert as_numbers(labels(root, "y")) == expected
    assert as_numbers(labels(root, "y")) == list(measure_axis(kind, values).ticks)


def test_the_cycle_chart_of_a_severity_keeps_0_to_10():
    root = parse(a_cycle_chart([1, 5, 3], None, y_min=0, y_max=10))
    assert as_numbers(labels(root, "y")) == [0, 2, 4, 6, 8, 10]


# --- the pages ---------------------------------------------------------------------------------


def svgs_of(response) -> dict[str, ET.Element]:
    page = response.content.decode()
    found = {}
    for svg in re.findall(r"<svg\b.*?</svg>", page, re.DOTALL):
        root = ET.fromstring(svg)
        title = root.find(f"{SVG}title")
        if title is not None:
            found[title.text] = root
    return found


def test_the_trends_page_draws_mgadl_on_its_scale_with_a_titled_right_axis(
    diary,  # noqa: F811
    owner_client,
):
    """The crafted diary's MG-ADL runs 4 to 8, with a headache on the timeline."""
    charts = svgs_of(owner_client.get(url(diary, period="3")))
    timeline = charts["Infusions, side effects and MG-ADL score"]
    assert as_numbers(labels(timeline, "y2")) == [0, 4, 8, 12, 16, 20, 24]
    assert [t.text for t in right_title(timeline)] == [MGADL_TITLE]
    cycles = charts["MG-ADL score by day of the cycle"]
    assert as_numbers(labels(cycles, "y")) == [0, 4, 8, 12, 16, 20, 24]


def test_the_trends_page_draws_grip_on_an_axis_of_its_readings(
    diary,  # noqa: F811
    owner_client,
):
    """The right hand's grip is 66 kPa in every cycle: an axis around 66, not from 0."""
    charts = svgs_of(owner_client.get(url(diary, period="6", show=trends.GRIP_RIGHT)))
    chart = charts["Grip strength, right hand by day of the cycle"]
    assert as_numbers(labels(chart, "y")) == [55, 60, 65, 70, 75]


def test_the_doctors_report_draws_mgadl_on_its_scale(
    diary,  # noqa: F811
    owner_client,
):
    response = owner_client.get(reverse("reports:report", args=[diary.public_id]))
    (chart,) = [root for title, root in svgs_of(response).items() if "by day" in title]
    assert as_numbers(labels(chart, "y")) == [0, 4, 8, 12, 16, 20, 24]
