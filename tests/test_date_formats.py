"""How dates read on the pages, at each precision: edges beyond test_dates.py.

Plain functions on dates: none of these tests touches the database.
"""

from __future__ import annotations

import datetime

import pytest

from tracker import dates

D = datetime.date


@pytest.mark.parametrize(
    ("day", "precision", "expected"),
    [
        pytest.param(D(2023, 1, 9), dates.DAY, "9 January 2023", id="day-without-a-leading-zero"),
        pytest.param(D(2024, 2, 29), dates.DAY, "29 February 2024", id="leap-day"),
        pytest.param(D(2023, 12, 31), dates.DAY, "31 December 2023", id="new-years-eve"),
        pytest.param(D(2023, 12, 31), dates.MONTH, "December 2023", id="month-hides-the-day"),
        pytest.param(D(2023, 12, 31), dates.YEAR, "2023", id="year-hides-month-and-day"),
        pytest.param(dates.EARLIEST, dates.DAY, "1 January 1900", id="earliest-accepted"),
        pytest.param(dates.LATEST, dates.DAY, "31 December 2100", id="latest-accepted"),
    ],
)
def test_format_date_shows_no_more_than_its_precision(day, precision, expected):
    assert dates.format_date(day, precision) == expected


@pytest.mark.parametrize(
    ("day", "short", "expected"),
    [
        pytest.param(D(2023, 5, 1), False, "1 May 2023", id="may-long"),
        pytest.param(D(2023, 5, 1), True, "1 May 2023", id="may-short-is-the-same"),
        pytest.param(D(2023, 9, 30), True, "30 Sep 2023", id="september-short"),
        pytest.param(D(2024, 2, 29), True, "29 Feb 2024", id="leap-day-short"),
    ],
)
def test_format_day_long_and_short(day, short, expected):
    assert dates.format_day(day, short=short) == expected


@pytest.mark.parametrize(
    ("start", "end", "precision", "expected"),
    [
        pytest.param(
            D(2023, 1, 5), D(2023, 1, 20), dates.MONTH, "January 2023", id="month-same-month"
        ),
        pytest.param(D(2023, 2, 1), D(2023, 11, 30), dates.YEAR, "2023", id="year-same-year"),
        pytest.param(
            D(2023, 12, 1),
            D(2024, 1, 1),
            dates.MONTH,
            "December 2023 – January 2024",
            id="month-december-to-january",
        ),
        pytest.param(
            D(2023, 12, 31),
            D(2024, 1, 1),
            dates.DAY,
            "31 December 2023 – 1 January 2024",
            id="day-new-years-eve-to-new-year",
        ),
        pytest.param(
            D(2024, 2, 28),
            D(2024, 3, 1),
            dates.DAY,
            "28 February – 1 March 2024",
            id="day-over-a-leap-day",
        ),
        pytest.param(
            D(2022, 1, 1),
            D(2023, 1, 1),
            dates.MONTH,
            "January 2022 – January 2023",
            id="month-same-month-a-year-apart",
        ),
        pytest.param(D(2021, 6, 1), D(2024, 6, 1), dates.YEAR, "2021–2024", id="year-span"),
    ],
)
def test_format_span_shares_what_both_ends_share(start, end, precision, expected):
    assert dates.format_span(start, end, precision) == expected
