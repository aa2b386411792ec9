"""reports/charts.py: SVG safe to inline, accessible, deterministic, saying what it shows."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from django.utils.translation import gettext_lazy

from reports.charts import (
    PALETTE,
    Chart,
    cycle_chart,
    severity_by_day_chart,
    timeline_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def ten_cycles():
    """10 cycles x 28 days: better to day 5, worse again from day 21 (MG-ADL: higher is worse)."""
    series = []
    for cycle in range(10):
        points = [
            (day, 9 - min(day, 5) + max(0, day - 21) + (cycle % 3) * 0.5) for day in range(28)
        ]
        series.append((f"Cycle {cycle + 1}", points))
    median = [(day, 9.5 - min(day, 5) + max(0, day - 21)) for day in range(28)]
    return series, median


def mgadl_chart(**kwargs):
    series, median = ten_cycles()
    options = {
        "title": "MG-ADL by day of the cycle",
        "y_label": "MG-ADL",
        "higher_is_worse": True,
        "marker_day": 21,
    }
    return cycle_chart(series, median, **(options | kwargs))


def a_timeline(**kwargs):
    start = dt.date(2026, 8, 1)
    courses = [
        (start + dt.timedelta(days=28 * n + 2), start + dt.timedelta(days=28 * n + 3), f"C{n}")
        for n in range(3)
    ]
    options = {
        "title": "August to October",
        "start": start,
        "end": dt.date(2026, 10, 31),
        "courses": courses,
        "infusions": [(first, "Privigen 34 g") for first, _last, _label in courses],
        "side_effects": [
            ("Headache", [(first + dt.timedelta(days=1), 6) for first, _l, _c in courses]),
            ("Fatigue", [(dt.datetime(2026, 8, 4, 9, 30), 3), (dt.datetime(2026, 8, 4, 20), 5)]),
        ],
        "measure": ("MG-ADL", [(start + dt.timedelta(days=7 * n), 4 + n % 4) for n in range(13)]),
        "measure_higher_is_worse": True,
    }
    return timeline_chart(**(options | kwargs))


def a_severity_chart(**kwargs):
    options = {"title": "Headache by day of the cycle", "value_kind": "cycles", "cycles_total": 6}
    return severity_by_day_chart([(0, 1), (1, 5), (2, 4), (3, 2), (5, 1)], **(options | kwargs))


ALL_CHARTS = {
    "cycle": mgadl_chart,
    "timeline": a_timeline,
    "severity": a_severity_chart,
    "empty": lambda: cycle_chart([], [], title="Grip", y_label="kPa", higher_is_worse=False),
}


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(chart.svg)


@pytest.fixture(params=sorted(ALL_CHARTS))
def chart(request):
    return ALL_CHARTS[request.param]()


# --- safe to inline under the strict CSP ---


def test_it_parses_as_svg(chart):
    root = parse(chart)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox").startswith("0 0 600 ")


def test_it_has_no_script_style_or_outside_reference(chart):
    svg = chart.svg
    assert "<script" not in svg
    assert "<style" not in svg
    assert "style=" not in svg  # a style attribute is blocked by style-src 'self' too
    assert "foreignObject" not in svg
    assert not re.search(r"href|url\(", svg)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", svg)
    assert not re.search(r"\son\w+=", svg)


def test_it_keeps_label_text_as_text_not_markup():
    series = [('<script>alert("x")</script>', [(0, 1), (1, 2)])]
    chart = cycle_chart(
        series,
        [],
        title='Grip <img src="https://evil.example/x">',
        y_label="kPa",
        higher_is_worse=False,
    )
    assert "<script" not in chart.svg
    assert "<img" not in chart.svg
    assert parse(chart).find(f"{SVG}title").text == 'Grip <img src="https://evil.example/x">'
    # the label reaches the table alternative unchanged; the template escapes it there
    assert chart.table.columns[1] == '<script>alert("x")</script>'


# --- accessible ---


def test_it_has_role_title_and_desc_with_ids(chart):
    root = parse(chart)
    chart_id = root.get("id")
    assert chart_id == chart.chart_id
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title"
    assert root.get("aria-describedby") == f"{chart_id}-desc"
    title, desc = root[0], root[1]
    assert (title.tag, title.get("id"), title.text) == (
        f"{SVG}title",
        f"{chart_id}-title",
        chart.title,
    )
    assert desc.tag == f"{SVG}desc" and desc.get("id") == f"{chart_id}-desc" and desc.text
    # nothing else claims an id: two charts on one page must not clash
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert ids == [chart_id, f"{chart_id}-title", f"{chart_id}-desc"]


def test_it_uses_the_summary_as_description():
    chart = mgadl_chart(summary="Worse again from day 21 in 10 of 10 cycles.")
    assert chart.summary == "Worse again from day 21 in 10 of 10 cycles."
    assert parse(chart).find(f"{SVG}desc").text == "Worse again from day 21 in 10 of 10 cycles."


def test_it_scales_to_its_box_with_text_large_enough_on_a_phone(chart):
    root = parse(chart)
    assert root.get("width") == "100%"
    assert root.get("height") is None
    width = float(root.get("viewBox").split()[2])
    # At 358 CSS px (a 390 px phone less the page's padding) text must stay >= 12 px.
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert min(sizes) * 358 / width >= 12


def test_it_writes_real_text_for_ticks_and_legend():
    texts = ["".join(t.itertext()) for t in parse(mgadl_chart()).iter(f"{SVG}text")]
    assert {"0", "7", "14", "21", "28"} <= set(texts)
    assert "Day of the cycle" in texts
    assert "Median" in texts and "Each cycle" in texts
    assert "Typical wear-off: day 21" in texts
    assert "MG-ADL, higher is worse" in " ".join(texts)


def test_it_follows_the_page_colour_and_marks_the_median_by_width():
    root = parse(mgadl_chart())
    assert root.get("fill") == "currentColor"  # text takes the page's (dark or light) colour
    median = root.find(".//*[@class='chart-series chart-median']")
    assert median.get("stroke") == "currentColor"
    median_width = float(median.find(f"{SVG}path").get("stroke-width"))
    cycles = root.findall(".//*[@class]")
    cycle_lines = [
        path
        for group in cycles
        if "chart-cycle" in group.get("class")
        for path in group.findall(f"{SVG}path")
    ]
    assert len(cycle_lines) == 10
    assert all(float(path.get("stroke-width")) * 2 <= median_width for path in cycle_lines)
    # colour-blind-safe colours, and after four cycles a dash pattern as well
    colours = [g.get("stroke") for g in cycles if "chart-cycle" in g.get("class")]
    assert set(colours) == set(PALETTE)
    assert len({path.get("stroke-dasharray") for path in cycle_lines}) == 3


def test_it_draws_the_wear_off_day_as_a_dashed_line():
    root = parse(mgadl_chart())
    marker = root.find(f".//*[@class='chart-marker']/{SVG}line")
    assert marker.get("stroke-dasharray")
    ticks = {t.text: t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-tick"}
    # on the x axis, right above the tick "21"
    assert marker.get("x1") == marker.get("x2") == ticks["21"].get("x")


# --- deterministic ---


def test_it_gives_the_same_bytes_for_the_same_input():
    for make in ALL_CHARTS.values():
        assert make().svg == make().svg


def test_it_gives_different_ids_for_different_charts():
    ids = {make().chart_id for make in ALL_CHARTS.values()}
    assert len(ids) == len(ALL_CHARTS)
    assert mgadl_chart().chart_id != mgadl_chart(marker_day=20).chart_id
    assert mgadl_chart(chart_id="report-main").chart_id == "report-main"


def test_it_takes_lazy_translations_without_losing_determinism():
    one = mgadl_chart(title=gettext_lazy("Trends"))
    two = mgadl_chart(title=gettext_lazy("Trends"))
    assert one.svg == two.svg
    assert one.title == "Trends"


# --- the table alternative matches the input ---


def test_it_tables_each_cycle_and_the_median_by_day():
    series, median = ten_cycles()
    table = mgadl_chart().table
    assert table.columns == ("Day of the cycle", *(f"Cycle {n}" for n in range(1, 11)), "Median")
    assert len(table.rows) == 28
    for row in table.rows:
        day = row[0]
        assert row[1:11] == tuple(dict(points)[day] for _label, points in series)
        assert row[11] == dict(median)[day]


def test_it_leaves_a_blank_cell_for_a_day_a_cycle_has_no_reading():
    chart = cycle_chart(
        [("Cycle 1", [(0, 9), (7, 5)]), ("Cycle 2", [(0, 8), (3, None), (14, 6)])],
        [(0, 8.5), (7, 5)],
        title="MG-ADL",
        y_label="MG-ADL",
        higher_is_worse=True,
    )
    assert chart.table.rows == ((0, 9, 8, 8.5), (7, 5, None, 5), (14, None, 6, None))


def test_it_tables_the_timeline_by_date():
    chart = a_timeline()
    assert chart.table.columns == ("Date", "Infusion", "Headache", "Fatigue", "MG-ADL")
    rows = {row[0]: row[1:] for row in chart.table.rows}
    assert rows[dt.date(2026, 8, 3)] == ("Privigen 34 g", None, None, None)
    # the worst of the day's two fatigue readings, on the same day as the headache
    assert rows[dt.date(2026, 8, 4)] == (None, 6, 5, None)
    assert rows[dt.date(2026, 8, 1)] == (None, None, None, "4")
    assert [row[0] for row in chart.table.rows] == sorted(rows)


def test_it_leaves_out_readings_outside_the_period():
    chart = a_timeline(end=dt.date(2026, 8, 31))
    assert max(row[0] for row in chart.table.rows) <= dt.date(2026, 8, 31)
    assert all(row[0] >= dt.date(2026, 8, 1) for row in chart.table.rows)


def test_it_draws_one_shape_per_side_effect_day_and_one_band_per_course():
    root = parse(a_timeline())
    bands = root.find(".//*[@class='chart-courses']")
    assert len(bands) == 3
    series = [g for g in root.iter() if "chart-series" in (g.get("class") or "")]
    headache, fatigue, measure = series
    assert len(headache) == 3  # three days with a headache
    assert len(fatigue) == 1  # two readings on one day: its worst
    assert measure.get("class") == "chart-series chart-measure"


def test_it_tables_severity_by_day():
    chart = a_severity_chart()
    assert chart.table.columns == ("Day of the cycle", "Cycles with it (of 6)")
    assert chart.table.rows == ((0, 1), (1, 5), (2, 4), (3, 2), (5, 1))
    bars = parse(chart).findall(f".//*[@class='chart-series chart-c0 chart-bars']/{SVG}rect")
    assert len(bars) == 6  # day 4 is drawn, empty


def test_it_charts_median_severity_on_a_0_to_10_axis():
    chart = a_severity_chart(value_kind="severity", cycles_total=None)
    texts = ["".join(t.itertext()) for t in parse(chart).iter(f"{SVG}text")]
    assert {"0", "10"} <= set(texts)
    assert "Median severity (0-10)" in " ".join(texts)  # the axis title may wrap
    with pytest.raises(ValueError, match="value_kind"):
        a_severity_chart(value_kind="worst")


# --- no data ---


@pytest.mark.parametrize(
    "make",
    [
        lambda: cycle_chart([], [], title="Grip", y_label="kPa", higher_is_worse=False),
        lambda: cycle_chart(
            [("Cycle 1", [(0, None)])], [], title="Grip", y_label="kPa", higher_is_worse=None
        ),
        lambda: a_timeline(side_effects=[], measure=None, infusions=[], courses=[]),
        lambda: severity_by_day_chart([], title="Chills", value_kind="cycles", cycles_total=3),
    ],
)
def test_it_says_no_data_when_there_is_nothing_to_draw(make):
    chart = make()
    assert chart.empty
    root = parse(chart)
    assert root.get("role") == "img"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["No data"]
    assert root.find(f"{SVG}desc").text == "No data"
    assert chart.table.rows == ()


# --- size and use in a template ---


def test_it_renders_ten_cycles_of_28_days_compactly():
    chart = mgadl_chart()
    assert not chart.empty
    assert len(chart.svg) < 20_000
    # coordinates are rounded: no 15-digit floats
    assert not re.search(r"\d\.\d{3,}", chart.svg)


def test_it_inserts_the_svg_in_a_template_without_escaping():
    chart = mgadl_chart()
    html = Template("{{ chart }} {{ chart.svg }}").render(Context({"chart": chart}))
    assert html == f"{chart.svg} {chart.svg}"


def test_a_timeline_with_only_infusions_is_drawn():
    """A new diary's first course, before anything was logged after it: pygal lays out nothing
    without a series (it raised AttributeError: a 500 on the trends page)."""
    chart = timeline_chart(
        title="Timeline",
        start=dt.date(2026, 8, 1),
        end=dt.date(2026, 8, 31),
        courses=[(dt.date(2026, 8, 3), dt.date(2026, 8, 4), "Course")],
        infusions=[(dt.date(2026, 8, 3), "Privigen 34 g"), (dt.date(2026, 8, 4), "Privigen 34 g")],
    )
    assert not chart.empty
    root = parse(chart)
    marks = root.find(".//*[@class='chart-infusions']")
    # A line each; a marker each only where they stand a marker's width apart (a day is about
    # that wide on a month: the plot ends with the period, with no margin).
    tags = [m.tag.rsplit("}", 1)[-1] for m in marks]
    assert tags.count("line") == 2
    paths = [m for m in marks if m.tag.endswith("path")]
    corners = [[float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))] for p in paths]
    assert all(a[2] < b[0] for a, b in zip(corners, corners[1:], strict=False))  # no overlap
    # The anchor that holds the axes is not in the picture.
    assert not [g for g in root.iter() if "chart-series" in (g.get("class") or "")]
    assert chart.table.rows[0] == (dt.date(2026, 8, 3), "Privigen 34 g")


def test_a_side_effect_keeps_the_style_it_asks_for_and_two_never_look_alike():
    def swatches(side_effects):
        svg = a_timeline(side_effects=side_effects).svg
        legend = svg[svg.index('<g class="chart-legend">') :]
        return re.findall(r'class="(chart-c\d)"[^>]*/><text[^>]*>([^<]+)<', legend)

    day = dt.date(2026, 8, 4)
    alone = swatches([("Fever", [(day, 4)], 2)])
    with_others = swatches([("Headache", [(day, 6)], 0), ("Fever", [(day, 4)], 2)])
    assert alone == [("chart-c2", "Fever")]
    assert ("chart-c2", "Fever") in with_others
    # 18 is 2 again (16 styles): the larger one moves on, the smaller keeps its own.
    clash = swatches([("Drowsiness", [(day, 3)], 18), ("Fever", [(day, 4)], 2)])
    assert clash == [("chart-c3", "Drowsiness"), ("chart-c2", "Fever")]


def test_years_of_infusions_get_a_marker_per_course_not_a_band():
    """Five years of two-day courses every four weeks: one marker per course, smaller than on
    a short period so that none overlaps the next; every day stays in the table."""
    start = dt.date(2021, 12, 1)
    firsts = [start + dt.timedelta(days=28 * n) for n in range(65)]
    days = [(d + dt.timedelta(days=k), "Privigen") for d in firsts for k in (0, 1)]
    chart = timeline_chart(
        title="Timeline",
        start=start,
        end=dt.date(2026, 11, 23),
        courses=[(d, d + dt.timedelta(days=1), "Course") for d in firsts],
        infusions=days,
    )
    marks = parse(chart).find(".//*[@class='chart-infusions']")
    paths = [m for m in marks if m.tag.endswith("path")]
    assert len(paths) == 65
    corners = [[float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))] for p in paths]
    lefts, rights = [c[0] for c in corners], [c[2] for c in corners]
    assert all(right < left for right, left in zip(rights, lefts[1:], strict=False))  # no overlap
    assert len([m for m in marks if m.tag.endswith("line")]) == 65
    assert len(chart.table.rows) == 130


def test_weekly_infusions_over_years_leave_marks_out_rather_than_overlap():
    """Weekly infusions (each a course) over five years are closer than the smallest mark:
    some marks are left out, none is drawn over the next; the table keeps every day."""
    start = dt.date(2021, 12, 1)
    days = [(start + dt.timedelta(days=7 * n), "Hizentra") for n in range(260)]
    chart = timeline_chart(title="Timeline", start=start, end=dt.date(2026, 11, 23), infusions=days)
    marks = parse(chart).find(".//*[@class='chart-infusions']")
    paths = [m for m in marks if m.tag.endswith("path")]
    corners = [[float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))] for p in paths]
    lefts, rights = [c[0] for c in corners], [c[2] for c in corners]
    assert 30 <= len(paths) < 260
    assert all(right < left for right, left in zip(rights, lefts[1:], strict=False))
    lines = [float(m.get("x1")) for m in marks if m.tag.endswith("line")]
    assert all(b - a >= 3 for a, b in zip(lines, lines[1:], strict=False))
    assert len(chart.table.rows) == 260
