"""Period arithmetic behind the dashboard's months and the timeline's bins.

Plain functions on dates: none of these tests touches the database.
"""

from __future__ import annotations

import datetime
import itertools

import pytest

from tracker import dates
from tracker.progress import ScorePoint, _period, by_month, months_back, months_between

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


# --- months_back ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(D(2023, 5, 17), 0, D(2023, 5, 1), id="zero-is-the-month-itself"),
        pytest.param(D(2023, 5, 31), 1, D(2023, 4, 1), id="from-a-31st-into-a-30-day-month"),
        pytest.param(D(2024, 3, 31), 1, D(2024, 2, 1), id="into-a-leap-february"),
        pytest.param(D(2024, 2, 29), 12, D(2023, 2, 1), id="leap-day-a-year-back"),
        pytest.param(D(2023, 1, 9), 1, D(2022, 12, 1), id="january-back-to-december"),
        pytest.param(D(2023, 12, 31), 23, D(2022, 1, 1), id="the-dashboards-24-months"),
        pytest.param(D(2023, 12, 31), 24, D(2021, 12, 1), id="two-years-back"),
        pytest.param(D(2023, 12, 1), -1, D(2024, 1, 1), id="negative-goes-forward-over-new-year"),
        pytest.param(D(2023, 10, 1), -3, D(2024, 1, 1), id="a-quarter-forward-from-q4"),
    ],
)
def test_months_back_gives_the_first_of_the_month_that_many_months_earlier(day, months, expected):
    assert months_back(day, months) == expected


# --- months_between -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(D(2023, 3, 10), D(2023, 3, 20), [D(2023, 3, 1)], id="a-single-month"),
        pytest.param(
            D(2023, 1, 31), D(2023, 2, 1), [D(2023, 1, 1), D(2023, 2, 1)], id="a-day-apart"
        ),
        pytest.param(
            D(2022, 11, 15),
            D(2023, 2, 1),
            [D(2022, 11, 1), D(2022, 12, 1), D(2023, 1, 1), D(2023, 2, 1)],
            id="across-new-year",
        ),
        pytest.param(
            D(2024, 1, 31),
            D(2024, 3, 1),
            [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)],
            id="through-a-leap-february",
        ),
        pytest.param(D(2023, 2, 1), D(2023, 1, 31), [], id="last-before-first-is-empty"),
    ],
)
def test_months_between_lists_each_month_start_from_first_to_last(first, last, expected):
    assert months_between(first, last) == expected


def test_months_between_misses_no_month_over_many_years():
    months = months_between(D(1999, 1, 1), D(2030, 12, 31))
    assert len(months) == 32 * 12
    assert all(month.day == 1 for month in months)
    assert all(months_back(b, 1) == a for a, b in itertools.pairwise(months))


# --- _period: the timeline's month, quarter and year bins ----------------------------


@pytest.mark.parametrize(
    ("month", "start", "end", "label"),
    [
        pytest.param(D(2023, 1, 1), D(2023, 1, 1), D(2023, 3, 31), "Q1 2023", id="q1-first-month"),
        pytest.param(D(2023, 3, 1), D(2023, 1, 1), D(2023, 3, 31), "Q1 2023", id="q1-last-month"),
        pytest.param(D(2024, 2, 1), D(2024, 1, 1), D(2024, 3, 31), "Q1 2024", id="q1-leap-year"),
        pytest.param(D(2023, 4, 1), D(2023, 4, 1), D(2023, 6, 30), "Q2 2023", id="q2-first-month"),
        pytest.param(D(2023, 6, 1), D(2023, 4, 1), D(2023, 6, 30), "Q2 2023", id="q2-last-month"),
        pytest.param(D(2023, 7, 1), D(2023, 7, 1), D(2023, 9, 30), "Q3 2023", id="q3-first-month"),
        pytest.param(D(2023, 9, 1), D(2023, 7, 1), D(2023, 9, 30), "Q3 2023", id="q3-last-month"),
        pytest.param(
            D(2023, 10, 1), D(2023, 10, 1), D(2023, 12, 31), "Q4 2023", id="q4-first-month"
        ),
        pytest.param(
            D(2023, 12, 1),
            D(2023, 10, 1),
            D(2023, 12, 31),
            "Q4 2023",
            id="q4-ends-on-new-years-eve",
        ),
    ],
)
def test_a_quarter_runs_from_its_first_day_to_its_last(month, start, end, label):
    assert _period(month, 3) == (start, end, label)


@pytest.mark.parametrize(
    ("month", "start", "end", "label"),
    [
        pytest.param(D(2023, 1, 1), D(2023, 1, 1), D(2023, 1, 31), "January 2023", id="january"),
        pytest.param(D(2023, 2, 1), D(2023, 2, 1), D(2023, 2, 28), "February 2023", id="february"),
        pytest.param(
            D(2024, 2, 1), D(2024, 2, 1), D(2024, 2, 29), "February 2024", id="leap-february"
        ),
        pytest.param(D(2023, 4, 1), D(2023, 4, 1), D(2023, 4, 30), "April 2023", id="30-days"),
        pytest.param(
            D(2023, 12, 1), D(2023, 12, 1), D(2023, 12, 31), "December 2023", id="december"
        ),
    ],
)
def test_a_month_bin_is_the_whole_month(month, start, end, label):
    assert _period(month, 1) == (start, end, label)


@pytest.mark.parametrize(
    "month",
    [D(2024, 1, 1), D(2024, 2, 1), D(2024, 7, 1), D(2024, 12, 1)],
    ids=["january", "leap-february", "july", "december"],
)
def test_a_year_bin_is_the_whole_calendar_year(month):
    assert _period(month, 12) == (D(2024, 1, 1), D(2024, 12, 31), "2024")


def test_months_across_new_year_fall_into_the_two_quarters_either_side():
    months = months_between(D(2023, 11, 1), D(2024, 2, 1))
    bins = sorted({_period(month, 3) for month in months})
    assert bins == [
        (D(2023, 10, 1), D(2023, 12, 31), "Q4 2023"),
        (D(2024, 1, 1), D(2024, 3, 31), "Q1 2024"),
    ]


@pytest.mark.parametrize("size", [1, 3, 12], ids=["months", "quarters", "years"])
def test_bins_hold_their_month_and_tile_the_calendar_without_gaps_or_overlaps(size):
    months = months_between(D(2019, 1, 1), D(2025, 12, 1))
    bins = sorted({_period(month, size)[:2] for month in months})
    for month in months:
        start, end, _ = _period(month, size)
        assert start <= month <= end
    assert bins[0][0] == D(2019, 1, 1)
    assert bins[-1][1] == D(2025, 12, 31)
    for (_, end), (next_start, _) in itertools.pairwise(bins):
        assert end + ONE_DAY == next_start
    assert len(bins) == 7 * 12 // size


# --- by_month: the net-score chart's points when there are too many days --------------


def test_by_month_of_nothing_is_nothing():
    assert by_month([]) == []


def test_a_single_point_becomes_its_month():
    assert by_month([ScorePoint(D(2015, 3, 9), 4, 4)]) == [
        ScorePoint(D(2015, 3, 9), 4, 4, "March 2015")
    ]


def test_points_in_one_month_sum_their_changes_at_the_months_last_date():
    points = [
        ScorePoint(D(2023, 12, 2), 3, 3),
        ScorePoint(D(2023, 12, 20), -5, -2),
        ScorePoint(D(2023, 12, 31), 1, -1),
        ScorePoint(D(2024, 1, 1), 2, 1),
    ]
    assert by_month(points) == [
        ScorePoint(D(2023, 12, 31), -1, -1, "December 2023"),
        ScorePoint(D(2024, 1, 1), 2, 1, "January 2024"),
    ]


def test_the_same_month_in_different_years_stays_apart():
    points = [ScorePoint(D(2022, 6, 1), 1, 1), ScorePoint(D(2023, 6, 1), 1, 2)]
    assert [point.label for point in by_month(points)] == ["June 2022", "June 2023"]


def test_a_point_reads_as_its_day_unless_it_sums_a_month():
    assert ScorePoint(D(2024, 2, 29), 1, 1).label == "29 February 2024"
    assert ScorePoint(D(2024, 2, 29), 1, 1, "February 2024").label == "February 2024"


# --- dates.truncate: a date stored no finer than it is known --------------------------


@pytest.mark.parametrize(
    ("day", "precision", "expected"),
    [
        pytest.param(D(2024, 2, 29), dates.DAY, D(2024, 2, 29), id="leap-day-to-the-day"),
        pytest.param(D(2024, 2, 29), dates.MONTH, D(2024, 2, 1), id="leap-day-to-the-month"),
        pytest.param(D(2024, 2, 29), dates.YEAR, D(2024, 1, 1), id="leap-day-to-the-year"),
        pytest.param(D(2023, 12, 31), dates.MONTH, D(2023, 12, 1), id="new-years-eve-month"),
        pytest.param(D(2023, 12, 31), dates.YEAR, D(2023, 1, 1), id="new-years-eve-year"),
        pytest.param(D(2023, 1, 1), dates.YEAR, D(2023, 1, 1), id="already-a-year-start"),
    ],
)
def test_truncate_keeps_the_date_within_its_own_month_or_year(day, precision, expected):
    assert dates.truncate(day, precision) == expected
