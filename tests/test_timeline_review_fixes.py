"""The trends timeline after review: warning signs stand out, no marker hides another, the axis
ends on the period's last day, and the table lists every side effect (reports/charts.py,
reports/views.py)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from reports.charts import PALETTE, WARNING_COLOUR, timeline_chart

from .test_trends import _frozen_time, diary, html_text, local, side_effect, url  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"
START, END = dt.date(2026, 10, 24), dt.date(2026, 11, 23)  # "1 month" on 23 Nov
DAY = dt.date(2026, 11, 10)


def parse(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def plot_of(root: ET.Element) -> ET.Element:
    return root.find(f"./{SVG}g/{SVG}g[@class='chart-plot']")


def plot_width(root: ET.Element) -> float:
    # The left axis's baseline runs the plot's width: "M0 y h<width>".
    y_axis = plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-y']")
    line = y_axis.find(f"{SVG}path[@class='chart-axis-line']")
    return float(re.search(r"h(-?[\d.]+)", line.get("d")).group(1))


def effect_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in plot_of(root) if "chart-effect" in (g.get("class") or "")]


def centre(shape: ET.Element) -> tuple[float, float]:
    if shape.tag == f"{SVG}circle":
        return float(shape.get("cx")), float(shape.get("cy"))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def outline(shape: ET.Element) -> object:
    """A marker's shape, wherever it is: its corners around its centre."""
    if shape.tag == f"{SVG}circle":
        return "circle"
    x, y = centre(shape)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d"))]
    corners = zip(numbers[0::2], numbers[1::2], strict=True)
    return tuple((round(a - x), round(b - y)) for a, b in corners)


def x_lines(root: ET.Element) -> list[tuple[float, str]]:
    axis = plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-x']")
    return [
        (float(re.match(r"M(-?[\d.]+)", p.get("d")).group(1)), p.get("class"))
        for p in axis.iter(f"{SVG}path")
    ]


def a_month(**kwargs):
    options = {
        "title": "Timeline",
        "start": START,
        "end": END,
        "infusions": [(dt.date(2026, 11, 14), "Privigen")],
        "side_effects": [("Headache", [(DAY, 6), (END, 3)], 0)],
        "measure": ("MG-ADL", [(START, 4), (DAY, 6), (END, 5)]),
    }
    return timeline_chart(**(options | kwargs))


# --- warning signs ---------------------------------------------------------------------------


def test_a_warning_sign_is_red_outlined_with_a_shape_of_its_own_and_drawn_on_top():
    chart = a_month(
        side_effects=[
            ("Headache", [(DAY, 6)], 0),
            ("Chest pain", [(DAY, 6)], 20, True),
            ("Tiredness", [(DAY, 4)], 3),
        ]
    )
    root = parse(chart)
    plot = plot_of(root)
    groups = effect_groups(root)
    by_name = dict(zip(["Headache", "Tiredness", "Chest pain"], groups, strict=True))
    sign = by_name["Chest pain"]
    assert "chart-warn" in sign.get("class") and sign.get("fill") == WARNING_COLOUR
    assert all(shape.get("stroke") == "currentColor" for shape in sign)  # outlined
    # Nothing is drawn over it: the last thing in the plot, after the infusion marks.
    assert list(plot)[-1] is sign
    for name in ("Headache", "Tiredness"):
        group = by_name[name]
        assert "chart-warn" not in group.get("class")
        assert group.get("fill") in PALETTE and group.get("fill") != WARNING_COLOUR
        assert all(shape.get("stroke") == "none" for shape in group)
    # The legend names it a warning sign, with the same outlined red mark.
    legend = chart.svg[chart.svg.index('<g class="chart-legend">') :]
    assert re.search(
        r'class="chart-warn" fill="#C4122F" stroke="currentColor"[^>]*/><text[^>]*>'
        r"Chest pain \(warning sign\)<",
        legend,
    )


def test_side_effects_drawn_together_differ_in_both_colour_and_shape():
    """Styles 0, 4, 8 and 12 all ask for the first colour: drawn together, each gets its own
    colour and its own shape (the review found headache and chest pain both blue)."""
    root = parse(
        a_month(
            side_effects=[
                (name, [(DAY + dt.timedelta(days=n), 2 + 2 * n)], style)
                for n, (name, style) in enumerate(
                    [("Headache", 0), ("Nausea", 4), ("Rash", 8), ("Dizziness", 12)]
                )
            ]
        )
    )
    groups = effect_groups(root)
    assert len({g.get("fill") for g in groups}) == 4
    assert len({outline(g[0]) for g in groups}) == 4


def test_several_warning_signs_get_different_shapes():
    root = parse(
        a_month(
            side_effects=[
                ("Fever", [(DAY, 5)], 2, True),
                ("Stiff neck", [(DAY, 8)], 15, True),
                ("Chest pain", [(DAY, 2)], 20, True),
            ]
        )
    )
    assert len({outline(g[0]) for g in effect_groups(root)}) == 3


def test_four_side_effects_and_a_warning_sign_on_one_day_and_value_all_show():
    names = [("Headache", 0), ("Chills", 1), ("Tiredness", 3), ("Nausea", 4)]
    side_effects = [(name, [(DAY, 6)], style) for name, style in names]
    side_effects.append(("Chest pain", [(DAY, 6)], 20, True))
    root = parse(a_month(side_effects=side_effects))
    centres = [centre(shape) for group in effect_groups(root) for shape in group]
    assert len(centres) == 5
    xs = sorted(x for x, _y in centres)
    assert all(b - a >= 10 for a, b in zip(xs, xs[1:], strict=False))  # none on another
    ys = [y for _x, y in centres]
    assert max(ys) - min(ys) < 3  # all still at 6 (a triangle's box is not centred on its point)
    # centred on the day
    alone = centre(effect_groups(parse(a_month(side_effects=side_effects[:1])))[0][0])[0]
    assert abs((xs[0] + xs[-1]) / 2 - alone) < 0.5


def test_markers_moved_apart_on_the_last_day_stay_inside_the_frame():
    names = [("Headache", 0), ("Chills", 1), ("Tiredness", 3), ("Nausea", 4)]
    root = parse(a_month(side_effects=[(name, [(END, 3)], style) for name, style in names]))
    width = plot_width(root)
    xs = [centre(shape)[0] for group in effect_groups(root) for shape in group]
    assert all(0 <= x <= width for x in xs)
    assert len({round(x) for x in xs}) == 4


def test_markers_of_different_severities_on_one_day_are_not_moved():
    root = parse(a_month(side_effects=[("Headache", [(DAY, 2)], 0), ("Chills", [(DAY, 8)], 1)]))
    xs = {round(centre(group[0])[0], 2) for group in effect_groups(root)}
    assert len(xs) == 1


# --- the axis ends on the period's last day ---------------------------------------------------


def test_a_month_ends_its_axis_on_its_last_day_and_draws_no_gridline_as_an_axis():
    """The review's 1-month timeline: its last tick (21 Nov) was drawn as the axis, and the
    23 Nov points sat beyond it."""
    root = parse(a_month())
    width = plot_width(root)
    lines = x_lines(root)
    edges = sorted(x for x, kind in lines if kind == "chart-axis-line")
    assert edges == [pytest.approx(0, abs=0.01), pytest.approx(width, abs=0.01)]
    assert all(0 < x < width for x, kind in lines if kind == "chart-grid")
    ticks = [
        t.text
        for t in plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-x']").iter(f"{SVG}text")
    ]
    assert ticks[-1] == "23 Nov"  # the last day has its tick (weekly ticks count back from it)
    xs = [centre(shape)[0] for group in effect_groups(root) for shape in group]
    assert all(0 < x < width for x in xs)
    # the last day's marker sits in the last day: its middle, half a day from the frame's end
    day = width / 31
    assert max(xs) == pytest.approx(width - day / 2, abs=0.05)


def test_without_a_right_hand_axis_the_frame_still_ends_on_the_last_day():
    root = parse(a_month(measure=None))
    width = plot_width(root)
    edges = sorted(x for x, kind in x_lines(root) if kind == "chart-axis-line")
    assert edges == [pytest.approx(0, abs=0.01), pytest.approx(width, abs=0.01)]


def test_years_keep_the_frame_on_the_period_and_label_the_years():
    start, end = dt.date(2021, 11, 24), dt.date(2026, 11, 23)
    chart = timeline_chart(
        title="Timeline",
        start=start,
        end=end,
        side_effects=[("Headache", [(start, 4), (end, 6)], 0), ("Fever", [(end, 6)], 2, True)],
        measure=("MG-ADL", [(start, 4), (end, 6)]),
    )
    root = parse(chart)
    width = plot_width(root)
    lines = x_lines(root)
    edges = sorted(x for x, kind in lines if kind == "chart-axis-line")
    assert edges == [pytest.approx(0, abs=0.01), pytest.approx(width, abs=0.01)]
    ticks = [
        t.text
        for t in plot_of(root).find(f"{SVG}g[@class='chart-axis chart-axis-x']").iter(f"{SVG}text")
    ]
    assert {"2023", "2025"} <= set(ticks)
    xs = [centre(shape)[0] for group in effect_groups(root) for shape in group]
    assert all(0 <= x <= width for x in xs)


# --- the table lists every side effect -----------------------------------------------------


def test_the_table_lists_side_effects_the_chart_leaves_out():
    chart = a_month(
        more_side_effects=[("Chills", [(dt.date(2026, 11, 15), 3), (dt.date(2026, 11, 15), 5)])]
    )
    assert chart.table.columns == ("Date", "Infusion", "Headache", "Chills", "MG-ADL")
    rows = {row[0]: row[1:] for row in chart.table.rows}
    assert rows[dt.date(2026, 11, 15)] == (None, None, 5, None)  # the day's worst
    assert "Chills" not in chart.svg.split("</desc>", 1)[1]  # not drawn, not in the legend
    default = a_month(more_side_effects=[("Chills", [(DAY, 3)])], summary=None).svg
    assert "1 more side effect not drawn (the table lists it)" in default


def test_the_trends_page_tables_every_side_effect_and_styles_only_warning_signs(
    owner_client,
    owner,
    diary,  # noqa: F811
):
    day = dt.date(2026, 11, 3)
    for n, symptom in enumerate(["nausea", "chills", "muscle_aches", "back_pain", "flushing"]):
        for k in range(4):
            side_effect(diary, owner, local(day + dt.timedelta(days=k), 9 + n), symptom, 2)
    side_effect(diary, owner, local(dt.date(2026, 11, 20), 18), "stiff_neck", 8)
    side_effect(diary, owner, local(dt.date(2026, 11, 20), 19), "fever", 7)
    response = owner_client.get(url(diary, period="1"))
    page = response.content.decode()
    start = page.index('<section class="mb-4" aria-labelledby="timeline-heading">')
    timeline = page[start : page.index("</section>", start)]
    svg = timeline[timeline.index("<svg") : timeline.index("</svg>")]
    table = timeline[timeline.index("<table") : timeline.index("</table>")]
    columns = re.findall(r'<th scope="col">([^<]*)</th>', table)
    for name in (
        "Feeling sick (nausea)", "Chills", "Muscle aches", "Back pain", "Flushing",
        "Tiredness (fatigue)", "Stiff neck", "Fever",
    ):  # fmt: skip
        assert name in columns, name
    drawn = sum(
        f">{name}</text>" in svg
        for name in ("Feeling sick (nausea)", "Chills", "Muscle aches", "Back pain", "Flushing")
    )
    assert drawn == 4  # one left off the drawing, not off the table
    # A stiff neck is a warning sign; a fever, a common after-effect, is drawn (rare and worth
    # seeing) but not named one: with other signs it sets off a warning, alone it does not.
    assert ">Stiff neck (warning sign)</text>" in svg and ">Fever</text>" in svg
    assert "Fever (warning sign)" not in svg
    assert ">Tiredness (fatigue)</text>" in svg  # counted by a rule only when severe
    assert svg.count('class="chart-series chart-effect chart-warn chart-warning"') == 1
    assert "1 more side effect not drawn: the table of numbers and each course below list it" in (
        html_text(response)
    )
    assert 'href="/static/reports/trends.css"' in page


def test_only_the_catalogue_s_warning_signs_are_named_so_on_the_timeline():
    """A lone mild rash drawn as "Rash (warning sign)" alarmed a patient (browser pass): the
    common after-effects a rule counts only together with other signs keep their usual look."""
    from clinical import red_flags
    from reports.views import _is_warning_sign

    lowest = red_flags.lowest_severities()
    named = {
        code: _is_warning_sign(code, lowest)
        for code in ("rash", "hives", "fever", "vomiting", "headache", "stiff_neck", "chest_pain")
    }
    assert named == {
        "rash": False,
        "hives": False,
        "fever": False,
        "vomiting": False,
        "headache": False,
        "stiff_neck": True,
        "chest_pain": True,
    }
    assert not _is_warning_sign("other", lowest) and not _is_warning_sign("typed words", lowest)
