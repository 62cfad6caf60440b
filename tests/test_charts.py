"""The SVG charts, drawn from plain dataclasses: edges of each, no database.

Each chart is parsed as XML, so a test also fails if a chart stops being
well-formed (an unescaped label, say).
"""

from __future__ import annotations

import datetime
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tracker import charts
from tracker.models import Recommendation
from tracker.progress import (
    MAX_TIMELINE_MARKS,
    Lane,
    ScorePoint,
    TimelineBin,
    TimelineMark,
    _period,
)

D = datetime.date


def svg(chart) -> ET.Element:
    return ET.fromstring(str(chart))


def rects(chart) -> list[dict]:
    return [rect.attrib for rect in svg(chart).iter("rect")]


def axis_labels(chart) -> list[str]:
    return [text.text for text in svg(chart).iter("text") if text.get("class") == "axis"]


# --- monthly_bars --------------------------------------------------------------------

MONTHS = [D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)]


def bars_svg(chart) -> ET.Element:
    """The bars' <svg>, inside the <figure> that holds it and its caption."""
    return ET.fromstring(str(chart)).find("svg")


def bar_labels(chart) -> list[str]:
    return [text.text for text in bars_svg(chart).iter("text") if text.get("class") == "axis"]


def months_drawn(chart) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Each month's title and its bars: (fill, top, height), pointer areas left out."""
    return [
        (
            month.find("title").text,
            [
                (rect.get("fill"), int(rect.get("y")), int(rect.get("height")))
                for rect in month.iter("rect")
                if rect.get("class") != "hit"
            ],
        )
        for month in bars_svg(chart).iter("g")
    ]


def test_monthly_bars_without_any_month_say_there_is_no_evidence_yet():
    assert str(charts.monthly_bars([], [], "TSU-1")) == (
        '<span class="muted">No evidence yet</span>'
    )


def test_monthly_bars_with_only_empty_months_say_which_months_instead_of_drawing():
    chart = charts.monthly_bars([(0, 0)] * 3, MONTHS[:3], "TSU-1")
    assert str(chart) == '<span class="muted">No evidence from Dec 2023 to Feb 2024</span>'


def test_advancing_bars_rise_and_hindering_bars_hang_from_one_line_on_one_scale():
    chart = charts.monthly_bars([(3, 1), (0, 0), (0, 2), (6, 0)], MONTHS, "X")
    base, room = charts.BARS_BASE, charts.BARS_ROOM
    assert months_drawn(chart) == [
        (
            "December 2023: 3 advancing, 1 hindering",
            [(charts.ADVANCES, base - 11, 11), (charts.HINDERS, base, 4)],  # 3/6, 1/6 of 22
        ),
        ("January 2024: 0 advancing, 0 hindering", []),  # an empty month draws nothing
        ("February 2024: 0 advancing, 2 hindering", [(charts.HINDERS, base, 7)]),
        ("March 2024: 6 advancing, 0 hindering", [(charts.ADVANCES, base - room, room)]),
    ]
    baseline = [line for line in bars_svg(chart).iter("line") if line.get("class") != "grid"]
    assert [(line.get("y1"), line.get("y2")) for line in baseline] == [(str(base),) * 2]


def test_a_month_with_only_hindering_links_draws_below_the_line_at_full_scale():
    chart = charts.monthly_bars([(0, 2)], [D(2024, 2, 1)], "TSU-1")
    assert months_drawn(chart) == [
        ("February 2024: 0 advancing, 2 hindering", [(charts.HINDERS, 26, 22)])
    ]
    assert bars_svg(chart).get("aria-label") == (
        "TSU-1: 0 advancing and 2 hindering evidence links from February 2024 to "
        "February 2024, at most 2 in a month"
    )


def test_a_single_link_among_many_still_shows_one_pixel_high():
    chart = charts.monthly_bars([(100, 1), (1, 0)], MONTHS[:2], "X")
    assert [bars for _, bars in months_drawn(chart)] == [
        [(charts.ADVANCES, 4, 22), (charts.HINDERS, 26, 1)],  # 1/100 of 22 rounds to 0
        [(charts.ADVANCES, 25, 1)],
    ]


def test_each_months_bars_sit_inside_its_own_column_in_order_across_the_plot():
    chart = charts.monthly_bars([(1, 1)] * 4, MONTHS, "X")
    columns = []
    for month in bars_svg(chart).iter("g"):
        hit, *bars = month.iter("rect")
        left, width = float(hit.get("x").rstrip("%")), float(hit.get("width").rstrip("%"))
        for bar in bars:
            x, bar_width = float(bar.get("x").rstrip("%")), float(bar.get("width").rstrip("%"))
            assert left < x and x + bar_width < left + width  # a gap either side
        assert (int(hit.get("y")), int(hit.get("height"))) == (4, 44)  # the column answers
        columns.append((left, width))
    assert columns == [(0, 21.5), (21.5, 21.5), (43, 21.5), (64.5, 21.5)]  # 86% in four


def test_monthly_bars_say_what_they_count_in_a_caption_axis_labels_and_text():
    chart = charts.monthly_bars([(2, 1), (0, 0), (3, 0)], MONTHS[:3], "X")
    figure = ET.fromstring(str(chart))
    assert "".join(figure.find("figcaption").itertext()) == (
        "Evidence links per month: ▲ advancing above the line, ▼ hindering below"
    )
    # The scale's largest count at the top and the foot, then the first and last month.
    assert bar_labels(chart) == ["3", "3", "Dec 2023", "Feb 2024"]
    assert bars_svg(chart).get("aria-label") == (
        "X: 5 advancing and 1 hindering evidence links from December 2023 to "
        "February 2024, at most 3 in a month"
    )


def test_a_single_month_has_one_month_label():
    chart = charts.monthly_bars([(1, 0)], [D(2024, 2, 1)], "X")
    assert bar_labels(chart) == ["1", "1", "Feb 2024"]


def test_monthly_bars_keep_their_labels_in_pixels_however_narrow_the_card():
    bars = bars_svg(charts.monthly_bars([(1, 0)], [D(2024, 2, 1)], "X"))
    assert bars.get("viewBox") is None  # a viewBox would scale the 11px labels down
    assert (bars.get("width"), bars.get("height")) == ("100%", str(charts.BARS_HEIGHT))


def test_monthly_bars_refuse_counts_and_months_of_different_lengths():
    with pytest.raises(ValueError):
        charts.monthly_bars([(1, 0), (2, 0)], [D(2023, 1, 1)], "X")


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
    assert axis_labels(chart) == [
        "balance (points)",
        "3",
        "0",
        "26 Dec 2023",
        "25 Jan 2024",
    ]
    assert svg(chart).get("aria-label") == (
        "TSU-1: from 10 January 2024 to 10 January 2024 the balance went to 3 points, "
        "ranging between 3 and 3"
    )


def test_a_score_that_stays_at_zero_still_has_an_axis():
    points = [ScorePoint(D(2024, 1, 1), 0, 0), ScorePoint(D(2024, 2, 1), 0, 0)]
    chart = charts.cumulative_net_chart(points, "X")
    assert axis_labels(chart)[:3] == ["balance (points)", "1", "0"]
    assert {circle.get("fill") for circle in svg(chart).iter("circle")} == {charts.NEUTRAL}


def test_a_balance_that_crosses_zero_labels_zero_between_its_ends():
    points = [ScorePoint(D(2024, 1, 1), 2, 2), ScorePoint(D(2024, 2, 1), -4, -2)]
    chart = svg(charts.cumulative_net_chart(points, "X"))
    values = {t.text: float(t.get("y")) for t in chart.iter("text") if t.get("dx") == "-9"}
    assert values == {"2": 30 + 4, "-2": 210 + 4, "0": 120 + 4}  # each on its line
    [zero] = chart.findall("line")
    assert float(zero.get("y1")) == 120


def test_rises_are_blue_circles_and_falls_vermilion_squares_at_the_axis_ends():
    points = [ScorePoint(D(2023, 12, 31), 2, 2), ScorePoint(D(2024, 1, 1), -3, -1)]
    chart = svg(charts.cumulative_net_chart(points, "X"))
    [circle] = chart.iter("circle")
    [square] = chart.iter("rect")
    assert (circle.get("fill"), float(circle.get("cy"))) == (charts.ADVANCES, 30)  # top: 2
    assert (square.get("fill"), float(square.get("y"))) == (charts.HINDERS, 210 - 4)  # foot: -1
    assert square.get("transform") == "translate(-4)"  # centred on its date
    assert circle.find("title").text == "31 December 2023: +2 (total 2)"
    assert square.find("title").text == "1 January 2024: -3 (total -1)"
    assert chart.get("aria-label").endswith("went to -1 points, ranging between -1 and 2")


def test_the_line_and_the_marks_span_the_same_plot_from_the_value_labels_to_the_edge():
    points = [ScorePoint(D(2024, 1, 1), 5, 5), ScorePoint(D(2024, 3, 1), -2, 3)]
    chart = svg(charts.cumulative_net_chart(points, "X"))
    plot = chart.find("svg")
    left, width = float(plot.get("x").rstrip("%")), float(plot.get("width").rstrip("%"))
    assert left + width == charts.CUMULATIVE_RIGHT
    circle, square = chart.find("circle"), chart.find("rect")
    assert float(circle.get("cx").rstrip("%")) == left  # the first date
    assert float(square.get("x").rstrip("%")) == charts.CUMULATIVE_RIGHT  # the last
    assert plot.find("path").get("d") == "M0.0,210.0H0.0V30.0H1000.0V102.0H1000"


def test_longer_value_labels_get_a_wider_margin():
    def left(total):
        chart = svg(charts.cumulative_net_chart([ScorePoint(D(2024, 1, 1), total, total)], "X"))
        return float(chart.find("svg").get("x").rstrip("%"))

    assert left(3) == 8  # the narrowest margin
    assert left(-1234.5) > left(-12) > left(3)


def test_the_cumulative_chart_keeps_its_labels_in_pixels_on_a_phone():
    chart = svg(charts.cumulative_net_chart([ScorePoint(D(2024, 1, 1), 1, 1)], "X"))
    assert chart.get("viewBox") is None  # a viewBox would scale the 11px labels down
    assert chart.get("width") == "100%"


# --- timeline_chart ------------------------------------------------------------------


def lane(code="TSU-1", title="Joint exercises", **kwargs):
    return Lane(Recommendation(code=code, title=title), **kwargs)


def timeline(lanes) -> ET.Element:
    """The timeline's drawing: the <svg> beside its column of lane names."""
    return svg(charts.timeline_chart(lanes, "Evidence")).find(".//svg")


@pytest.mark.parametrize(
    "lanes",
    [pytest.param([], id="no-lanes"), pytest.param([lane(), lane()], id="empty-lanes")],
)
def test_a_timeline_with_nothing_to_place_says_so(lanes):
    assert "No evidence to place" in str(charts.timeline_chart(lanes, "Evidence"))


def test_a_quarter_bin_links_to_its_quarters_developments_up_and_down():
    start, end, label = _period(D(2023, 11, 1), 3)
    bins = [TimelineBin(start, end, label, advancing=3, hindering=2)]
    chart = timeline([lane(total=5, bins=bins)])
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
    chart = timeline([lane(total=2, bins=bins)])
    q4, q1 = (link.find("rect").attrib for link in chart.iter("a"))
    assert float(q4["x"]) + float(q4["width"]) < float(q1["x"])


def test_a_single_mark_is_placed_and_linked_without_a_zero_width_axis():
    mark = TimelineMark(7, D(2024, 2, 29), "Exercise held", "29 February 2024", "hinders", 3)
    chart = timeline([lane(total=1, marks=[mark])])
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
    chart = timeline([lane(total=2, marks=marks)])
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
    chart = timeline([lane(total=2, marks=[day_mark, month_mark])])
    day_link, month_link = chart.iter("a")
    assert day_link.find("line") is None  # a day is a point
    period = month_link.find("line")
    circle = month_link.find("circle")
    start, end = float(period.get("x1")), float(period.get("x2"))
    assert end - start > 10  # a month wide
    assert float(circle.get("cx")) == pytest.approx((start + end) / 2, abs=0.1)
    assert float(day_link.find("circle").get("cx")) > start  # 9 January is inside it


def day_mark(pk, day, stance="advances", strength=2, title=None):
    return TimelineMark(
        pk, day, title or f"Development {pk}", f"{day:%-d %B %Y}", stance, strength
    )


def badges(chart) -> list[ET.Element]:
    return [link for link in chart.iter("a") if link.get("class") == "mark badge"]


def test_marks_on_the_same_day_share_a_badge_that_counts_and_lists_them():
    marks = [day_mark(pk, D(2024, 3, 5), title=f"Talk {pk}") for pk in (1, 2, 3)]
    marks.append(day_mark(4, D(2023, 1, 1)))  # far away: a mark of its own
    chart = timeline([lane(total=4, marks=marks)])
    [badge] = badges(chart)
    assert badge.find("text").text == "3"
    assert badge.find("title").text == (
        "TSU-1: 3 advancing links close together: "
        "5 March 2024: Talk 1; 5 March 2024: Talk 2; 5 March 2024: Talk 3"
    )
    assert parse_qs(urlsplit(badge.get("href")).query) == {
        "recommendation": ["TSU-1"],
        "stance": ["advances"],
        "date_after": ["2024-03-05"],
        "date_before": ["2024-03-05"],
    }
    singles = [link for link in chart.iter("a") if link.get("class") == "mark"]
    assert [link.get("href") for link in singles] == ["/developments/4/"]
    rect = badge.find("rect")
    centre = 28 + 64 / 2
    assert float(rect.get("y")) + float(rect.get("height")) == centre - 6  # above the line


def test_a_badge_of_hindering_links_is_square_below_the_line_apart_from_advancing_ones():
    day = D(2024, 3, 5)
    marks = [day_mark(1, day), day_mark(2, day), day_mark(3, day, "hinders")]
    marks.append(day_mark(4, day, "hinders"))
    chart = timeline([lane(total=4, marks=marks)])
    up, down = badges(chart)
    assert "stance=advances" in up.get("href") and "stance=hinders" in down.get("href")
    assert (up.find("rect").get("rx"), down.find("rect").get("rx")) == ("7", "1")
    assert float(down.find("rect").get("y")) == 28 + 64 / 2 + 6


def test_no_two_marks_or_badges_of_a_stance_overlap_however_crowded_the_lane():
    # A crowded year, a mark every day or two, some days twice; then a sparser one.
    start = D(2022, 1, 1)
    crowded = [start + datetime.timedelta(days=i * 37 % 365) for i in range(250)]
    sparse = [start + datetime.timedelta(days=365 + i * i) for i in range(19)]
    marks = [day_mark(i, day, strength=1 + i % 3) for i, day in enumerate(crowded + sparse)]
    chart = timeline([lane(total=len(marks), marks=marks)])
    links = list(chart.iter("a"))
    assert 0 < len(badges(chart)) < len(links)  # both badges and marks of their own
    footprints, counted = [], 0
    for link in links:
        if link.get("class") == "mark badge":
            rect = link.find("rect")
            left = float(rect.get("x"))
            footprints.append((left, left + float(rect.get("width"))))
            counted += int(link.find("text").text)
        else:
            circle = link.find("circle")
            x, r = float(circle.get("cx")), float(circle.get("r"))
            footprints.append((x - r, x + r))
            counted += 1
    assert counted == len(marks)  # every link is drawn or counted
    footprints.sort()
    assert all(a[1] < b[0] for a, b in itertools.pairwise(footprints))


def test_bars_carry_a_count_scale_at_the_tallest_bars_height():
    bins = [
        TimelineBin(*_period(D(2023, 1, 1), 1), advancing=12, hindering=3),
        TimelineBin(*_period(D(2023, 2, 1), 1), advancing=4),
    ]
    chart = timeline([lane(total=19, bins=bins), lane(code="TSU-2", total=1, bins=bins[1:])])
    labels = [text for text in chart.iter("text") if "scale" in text.get("class", "")]
    assert [text.text for text in labels] == ["12", "12"]  # one per lane, the same scale
    first_lane = 28 + 64 / 2
    scale_lines = [line for line in chart.iter("line") if line.get("class") == "grid scale"]
    assert [float(line.get("y1")) for line in scale_lines[:2]] == [
        first_lane - 2 - 24,  # the top of the tallest advancing bar
        first_lane + 2 + 24,  # the foot of the tallest hindering bar
    ]
    tallest = next(link.find("rect") for link in chart.iter("a"))
    assert float(tallest.get("y")) == first_lane - 2 - 24
    caption = ET.fromstring(str(charts.timeline_chart([lane(total=15, bins=bins)], "E")))
    assert "line mark 12, the most in any one month" in "".join(caption.itertext())


def test_marks_have_no_count_scale():
    chart = timeline([lane(total=1, marks=[day_mark(1, D(2024, 1, 1))])])
    assert not [text for text in chart.iter("text") if "scale" in text.get("class", "")]


def test_lanes_are_named_by_code_and_title_linking_to_the_recommendation():
    title = "Synergies between Japan's relationships with NATO, the EU and individual members"
    chart = svg(
        charts.timeline_chart(
            [lane(total=1, marks=[day_mark(1, D(2024, 1, 1))]), lane("TSU-3", title)], "E"
        )
    )
    names = chart.findall(".//ol[@class='timeline-labels']/li/a")
    assert ["".join(name.itertext()) for name in names] == [
        "TSU-1 Joint exercises",
        f"TSU-3 {title}",
    ]
    assert names[1].get("href") == "/recommendations/TSU-3/"
    assert names[1].get("title") == f"TSU-3: {title}"  # the whole title, however it is cut


# The font sizes site.css gives each class of chart text.
CSS = (Path(charts.__file__).parent / "static" / "tracker" / "site.css").read_text()
TEXT_SIZES = {
    name: int(size)
    for name, size in re.findall(r"\.chart text\.([\w-]+) \{ font-size: (\d+)px;", CSS)
}


@pytest.mark.parametrize(
    "chart",
    [
        pytest.param(
            charts.timeline_chart(
                [
                    lane(total=3, marks=[day_mark(pk, D(2024, 1, 1)) for pk in (1, 2)]),
                    lane("TSU-2", total=1, marks=[day_mark(3, D(2023, 6, 1), "hinders")]),
                ],
                "E",
            ),
            id="timeline-marks",
        ),
        pytest.param(
            charts.timeline_chart(
                [lane(total=3, bins=[TimelineBin(*_period(D(2023, 1, 1), 3), advancing=3)])],
                "E",
            ),
            id="timeline-bars",
        ),
        pytest.param(charts.monthly_bars([(3, 1), (0, 2)], MONTHS[:2], "X"), id="monthly"),
        pytest.param(
            charts.cumulative_net_chart(
                [ScorePoint(D(2024, 1, 1), 2, 2), ScorePoint(D(2024, 6, 1), -5, -3)], "X"
            ),
            id="cumulative",
        ),
    ],
)
def test_chart_text_is_never_drawn_under_10px(chart):
    drawing = svg(chart)
    drawing = drawing if drawing.tag == "svg" else drawing.find(".//svg")
    texts = list(drawing.iter("text"))
    assert texts
    for text in texts:
        assert text.get("font-size") is None and text.get("style") is None
        [size] = [TEXT_SIZES[name] for name in text.get("class").split() if name in TEXT_SIZES]
        assert size >= 10, text.text
    # Drawn at its own size: a viewBox narrower than the drawing would shrink the text.
    view_box = drawing.get("viewBox")
    if view_box is not None:
        assert view_box.split()[2:] == [drawing.get("width"), drawing.get("height")]
    assert ".chart.timeline { display: block; }" in CSS  # no CSS width to rescale it


def test_a_page_of_lanes_at_the_most_marks_stays_small():
    # Ten lanes sharing MAX_TIMELINE_MARKS links, the most drawn as marks, long titles.
    per_lane = MAX_TIMELINE_MARKS // 10
    lanes = [
        lane(
            f"R-{n}",
            "A recommendation with a long title " * 4,
            total=per_lane,
            marks=[
                day_mark(
                    n * 100 + i, D(2015, 1, 1) + datetime.timedelta(days=i * 97), title="T" * 200
                )
                for i in range(per_lane)
            ],
        )
        for n in range(10)
    ]
    assert len(str(charts.timeline_chart(lanes, "Evidence")).encode()) < 400_000
