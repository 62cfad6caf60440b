"""The SVG charts, drawn from plain dataclasses: edges of each, no database.

Each chart is parsed as XML, so a test also fails if a chart stops being
well-formed (an unescaped label, say).
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from tracker import charts
from tracker.models import Recommendation
from tracker.progress import Lane, ScorePoint, TimelineBin, TimelineMark, _period

D = datetime.date


def svg(chart) -> ET.Element:
    return ET.fromstring(str(chart))


def rects(chart) -> list[dict]:
    return [rect.attrib for rect in svg(chart).iter("rect")]


def axis_labels(chart) -> list[str]:
    return [text.text for text in svg(chart).iter("text") if text.get("class") == "axis"]


# --- monthly_bars --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "months"),
    [
        pytest.param([], [], id="no-months"),
        pytest.param([0, 0, 0], [D(2023, 1, 1), D(2023, 2, 1), D(2023, 3, 1)], id="all-zero"),
    ],
)
def test_monthly_bars_without_evidence_say_so_instead_of_drawing(counts, months):
    assert str(charts.monthly_bars(counts, months, "TSU-1")) == (
        '<span class="muted">No evidence yet</span>'
    )


def test_a_single_month_is_one_full_height_bar():
    chart = charts.monthly_bars([1], [D(2024, 2, 1)], "TSU-1")
    assert svg(chart).get("viewBox") == "0 0 12 28"
    assert svg(chart).get("aria-label") == (
        "TSU-1: 1 evidence link from February 2024 to February 2024, at most 1 in a month"
    )
    [bar] = rects(chart)
    assert (bar["x"], bar["y"], bar["height"], bar["fill"]) == ("0", "0", "28", charts.ADVANCES)


def test_monthly_bars_span_the_new_year_and_total_every_month():
    chart = charts.monthly_bars([2, 0, 3], [D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1)], "X")
    assert svg(chart).get("aria-label") == (
        "X: 5 evidence links from December 2023 to February 2024, at most 3 in a month"
    )
    assert [rect["x"] for rect in rects(chart)] == ["0", "12", "24"]
    titles = [title.text for title in svg(chart).iter("title")][1:]
    assert titles == ["December 2023: 2", "January 2024: 0", "February 2024: 3"]


def test_an_empty_month_is_a_grey_sliver_and_a_small_one_still_shows_in_blue():
    chart = charts.monthly_bars([0, 1, 100], [D(2023, 1, 1), D(2023, 2, 1), D(2023, 3, 1)], "X")
    drawn = [(rect["height"], rect["y"], rect["fill"]) for rect in rects(chart)]
    assert drawn == [
        ("1", "27", charts.TRACK),
        ("1", "27", charts.ADVANCES),  # 1/100 of 28 rounds to 0: drawn 1 high, not hidden
        ("28", "0", charts.ADVANCES),
    ]


def test_monthly_bars_refuse_counts_and_months_of_different_lengths():
    with pytest.raises(ValueError):
        charts.monthly_bars([1, 2], [D(2023, 1, 1)], "X")


# --- _scale --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "low", "high", "start", "end", "expected"),
    [
        pytest.param(0, 0, 10, 100, 200, 100, id="low-to-start"),
        pytest.param(10, 0, 10, 100, 200, 200, id="high-to-end"),
        pytest.param(5, 0, 10, 100, 200, 150, id="halfway"),
        pytest.param(-2, -2, 2, 190, 14, 190, id="negative-low-to-bottom-of-a-y-axis"),
        pytest.param(0, -2, 2, 190, 14, 102, id="zero-in-the-middle-of-a-y-axis"),
        pytest.param(7, 7, 7, 100, 200, 150, id="no-range-is-the-middle"),
    ],
)
def test_scale_maps_a_value_linearly_onto_the_drawing(value, low, high, start, end, expected):
    assert charts._scale(value, low, high, start, end) == expected


# --- _ticks --------------------------------------------------------------------------


def labels(first, last):
    return [label for _, label in charts._ticks(first, last)]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(
            D(2023, 1, 1), D(2023, 3, 1), ["Jan 2023", "Feb 2023", "Mar 2023"], id="both-ends"
        ),
        pytest.param(D(2023, 1, 2), D(2023, 3, 1), ["Feb 2023", "Mar 2023"], id="after-a-start"),
        pytest.param(D(2023, 1, 1), D(2023, 2, 28), ["Jan 2023", "Feb 2023"], id="before-one"),
        pytest.param(
            D(2023, 10, 20),
            D(2024, 2, 10),
            ["Nov 2023", "Dec 2023", "Jan 2024", "Feb 2024"],
            id="across-new-year",
        ),
        pytest.param(D(2024, 2, 2), D(2024, 2, 29), [], id="inside-one-month-no-start-to-mark"),
    ],
)
def test_ticks_mark_each_month_start_within_the_range(first, last, expected):
    assert labels(first, last) == expected


def test_ticks_over_a_year_are_thinned_to_at_most_twelve():
    assert len(labels(D(2023, 1, 1), D(2023, 12, 31))) == 12
    assert labels(D(2023, 1, 1), D(2024, 1, 31)) == [
        "Jan 2023",
        "Mar 2023",
        "May 2023",
        "Jul 2023",
        "Sep 2023",
        "Nov 2023",
        "Jan 2024",
    ]


def test_ticks_switch_from_months_to_years_past_24_month_starts():
    two_years = labels(D(2022, 1, 1), D(2023, 12, 31))
    assert len(two_years) == 12
    assert two_years[:2] == ["Jan 2022", "Mar 2022"]
    assert labels(D(2022, 1, 1), D(2024, 1, 1)) == ["2022", "2023", "2024"]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (D(2023, 1, 15), D(2023, 2, 15)),
        (D(2022, 12, 1), D(2024, 11, 30)),
        (D(2021, 7, 1), D(2030, 6, 30)),
        (D(1900, 1, 1), D(2100, 12, 31)),
    ],
    ids=["a-month", "two-years", "nine-years", "the-whole-accepted-range"],
)
def test_ticks_are_few_in_order_and_inside_the_range(first, last):
    ticks = [day for day, _ in charts._ticks(first, last)]
    assert 1 <= len(ticks) <= 12
    assert ticks == sorted(ticks)
    assert all(first <= day <= last and day.day == 1 for day in ticks)


# --- cumulative_net_chart ------------------------------------------------------------


def test_no_points_no_chart():
    assert "No evidence yet" in str(charts.cumulative_net_chart([], "TSU-1"))


def test_a_single_point_is_drawn_in_a_month_around_it():
    chart = charts.cumulative_net_chart([ScorePoint(D(2024, 1, 10), 3, 3)], "TSU-1")
    assert axis_labels(chart) == ["3", "0", "26 Dec 2023", "25 Jan 2024"]
    assert svg(chart).get("aria-label") == (
        "TSU-1: from 10 January 2024 to 10 January 2024 the net score went to 3, "
        "ranging between 3 and 3"
    )


def test_a_score_that_stays_at_zero_still_has_an_axis():
    points = [ScorePoint(D(2024, 1, 1), 0, 0), ScorePoint(D(2024, 2, 1), 0, 0)]
    assert axis_labels(charts.cumulative_net_chart(points, "X"))[:2] == ["1", "0"]


def test_rises_are_blue_circles_and_falls_vermilion_squares_at_the_axis_ends():
    points = [ScorePoint(D(2023, 12, 31), 2, 2), ScorePoint(D(2024, 1, 1), -3, -1)]
    chart = svg(charts.cumulative_net_chart(points, "X"))
    [circle] = chart.iter("circle")
    [square] = chart.iter("rect")
    assert (circle.get("fill"), float(circle.get("cy"))) == (charts.ADVANCES, 14)  # top: 2
    assert (square.get("fill"), float(square.get("y"))) == (charts.HINDERS, 190 - 4)  # bottom: -1
    assert circle.find("title").text == "31 December 2023: +2 (total 2)"
    assert square.find("title").text == "1 January 2024: -3 (total -1)"
    assert chart.get("aria-label").endswith("went to -1, ranging between -1 and 2")


# --- timeline_chart ------------------------------------------------------------------


def lane(**kwargs):
    return Lane(Recommendation(code="TSU-1", title="Joint exercises"), **kwargs)


@pytest.mark.parametrize(
    "lanes",
    [pytest.param([], id="no-lanes"), pytest.param([lane(), lane()], id="empty-lanes")],
)
def test_a_timeline_with_nothing_to_place_says_so(lanes):
    assert "No evidence to place" in str(charts.timeline_chart(lanes, "Evidence"))


def test_a_quarter_bin_links_to_its_quarters_developments_up_and_down():
    start, end, label = _period(D(2023, 11, 1), 3)
    bins = [TimelineBin(start, end, label, advancing=3, hindering=2)]
    chart = svg(charts.timeline_chart([lane(total=5, bins=bins)], "Evidence"))
    links = list(chart.iter("a"))
    assert [link.find("title").text for link in links] == [
        "TSU-1, Q4 2023: 3 advancing links",
        "TSU-1, Q4 2023: 2 hindering links",
    ]
    queries = [parse_qs(urlsplit(link.get("href")).query) for link in links]
    assert queries == [
        {
            "recommendation": ["TSU-1"],
            "stance": [stance],
            "date_after": ["2023-10-01"],
            "date_before": ["2023-12-31"],
        }
        for stance in ("advances", "hinders")
    ]
    up, down = (link.find("rect").attrib for link in links)
    centre = 28 + 64 / 2  # the first lane's line
    assert float(up["y"]) + float(up["height"]) == centre - 2
    assert (float(up["height"]), up["fill"]) == (24, charts.ADVANCES)  # tallest: half a lane
    assert (float(down["y"]), float(down["height"]), down["fill"]) == (
        centre + 2,
        16,  # 2 of 3 links: two thirds of 24
        charts.HINDERS,
    )


def test_bins_either_side_of_new_year_sit_side_by_side_without_overlap():
    bins = [
        TimelineBin(*_period(D(2023, 12, 1), 3), advancing=1),
        TimelineBin(*_period(D(2024, 1, 1), 3), advancing=1),
    ]
    chart = svg(charts.timeline_chart([lane(total=2, bins=bins)], "Evidence"))
    q4, q1 = (link.find("rect").attrib for link in chart.iter("a"))
    assert float(q4["x"]) + float(q4["width"]) < float(q1["x"])


def test_a_single_mark_is_placed_and_linked_without_a_zero_width_axis():
    mark = TimelineMark(7, D(2024, 2, 29), "Exercise held", "29 February 2024", "hinders", 3)
    chart = svg(charts.timeline_chart([lane(total=1, marks=[mark])], "Evidence"))
    [link] = chart.iter("a")
    assert link.get("href") == "/developments/7/"
    assert link.find("title").text == (
        "TSU-1, 29 February 2024: Exercise held (hinders, strength 3)"
    )
    square = link.find("rect").attrib
    assert (float(square["width"]), square["fill"]) == (13, charts.HINDERS)  # 2 × (2 + 3 × 1.5)
    assert chart.get("aria-label").startswith("Evidence: 1 evidence link across")
    assert chart.get("aria-label").endswith("from 29 February 2024 to 29 February 2024")


def test_advancing_marks_sit_above_the_line_and_grow_with_strength():
    marks = [
        TimelineMark(1, D(2024, 1, 1), "Weak", "1 January 2024", "advances", 1),
        TimelineMark(2, D(2024, 3, 1), "Strong", "1 March 2024", "advances", 3),
    ]
    chart = svg(charts.timeline_chart([lane(total=2, marks=marks)], "Evidence"))
    weak, strong = (link.find("circle").attrib for link in chart.iter("a"))
    assert float(weak["r"]) < float(strong["r"])
    centre = 28 + 64 / 2
    assert all(float(c["cy"]) + float(c["r"]) <= centre - 6 for c in (weak, strong))
    assert float(weak["cx"]) < float(strong["cx"])


def test_a_date_known_to_its_month_is_drawn_across_the_month_not_on_its_first_day():
    day_mark = TimelineMark(1, D(2023, 1, 9), "Summit", "9 January 2023", "advances", 2)
    month_mark = TimelineMark(
        2, D(2023, 1, 1), "Visit", "January 2023", "advances", 2, last=D(2023, 1, 31)
    )
    chart = svg(charts.timeline_chart([lane(total=2, marks=[day_mark, month_mark])], "E"))
    day_link, month_link = chart.iter("a")
    assert day_link.find("line") is None  # a day is a point
    period = month_link.find("line")
    circle = month_link.find("circle")
    start, end = float(period.get("x1")), float(period.get("x2"))
    assert end - start > 10  # a month wide
    assert float(circle.get("cx")) == pytest.approx((start + end) / 2, abs=0.1)
    assert float(day_link.find("circle").get("cx")) > start  # 9 January is inside it
