import datetime

import pytest

from tracker import dates

D = datetime.date


@pytest.mark.parametrize(
    ("start", "end", "precision", "expected"),
    [
        (D(2023, 1, 9), None, "day", "9 January 2023"),
        (D(2023, 1, 9), D(2023, 1, 14), "day", "9–14 January 2023"),
        (D(2023, 1, 30), D(2023, 2, 2), "day", "30 January – 2 February 2023"),
        (D(2022, 12, 30), D(2023, 1, 2), "day", "30 December 2022 – 2 January 2023"),
        (D(2023, 1, 9), D(2023, 1, 9), "day", "9 January 2023"),
        (D(2022, 12, 1), None, "month", "December 2022"),
        (D(2023, 1, 1), D(2023, 2, 1), "month", "January–February 2023"),
        (D(2022, 11, 1), D(2023, 2, 1), "month", "November 2022 – February 2023"),
        (D(2023, 1, 1), None, "year", "2023"),
        (D(2022, 1, 1), D(2023, 1, 1), "year", "2022–2023"),
    ],
)
def test_format_span_shows_a_date_no_finer_than_its_precision(start, end, precision, expected):
    assert dates.format_span(start, end, precision) == expected


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("day", D(2023, 1, 24)), ("month", D(2023, 1, 1)), ("year", D(2023, 1, 1))],
)
def test_truncate_moves_a_date_to_the_start_of_its_period(precision, expected):
    assert dates.truncate(D(2023, 1, 24), precision) == expected


def test_a_day_reads_the_same_on_every_platform():
    day = datetime.date(2023, 1, 9)
    assert dates.format_day(day) == "9 January 2023"
    assert dates.format_day(day, short=True) == "9 Jan 2023"


@pytest.mark.parametrize(
    ("day", "precision", "end", "last"),
    [
        (datetime.date(2023, 1, 9), "day", None, datetime.date(2023, 1, 9)),
        (datetime.date(2023, 1, 9), "day", datetime.date(2023, 1, 14), datetime.date(2023, 1, 14)),
        (datetime.date(2023, 1, 1), "month", None, datetime.date(2023, 1, 31)),
        (datetime.date(2024, 2, 1), "month", None, datetime.date(2024, 2, 29)),
        (datetime.date(2023, 12, 1), "month", None, datetime.date(2023, 12, 31)),
        (datetime.date(2023, 1, 1), "year", None, datetime.date(2023, 12, 31)),
    ],
)
def test_the_last_day_a_date_may_mean(day, precision, end, last):
    assert dates.last_day(day, precision, end) == last


@pytest.mark.parametrize(
    ("as_of", "month", "year"),
    [
        (datetime.date(2023, 1, 30), datetime.date(2023, 1, 1), datetime.date(2023, 1, 1)),
        (datetime.date(2023, 1, 31), datetime.date(2023, 2, 1), datetime.date(2023, 1, 1)),
        (datetime.date(2023, 12, 31), datetime.date(2024, 1, 1), datetime.date(2024, 1, 1)),
    ],
)
def test_a_month_or_year_ends_with_its_last_day(as_of, month, year):
    bounds = dates.period_ends_before(as_of)
    assert bounds == {"day": as_of + datetime.timedelta(days=1), "month": month, "year": year}
