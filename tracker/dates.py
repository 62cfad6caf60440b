"""Dates known to a day, a month or a year, and how they read.

The article the tracker starts from says "on January 9", "in December" and
"later this year": a development's date carries its precision, and every page
shows it no finer than it is known.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.html import format_html

DAY = "day"
MONTH = "month"
YEAR = "year"
PRECISIONS = (DAY, MONTH, YEAR)

# The years the tracker accepts: wide enough for any policy record, narrow
# enough that a typo such as 0023 is caught instead of stretching every chart.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
RANGE_MESSAGE = "Give a date between 1900 and 2100."


def truncate(day: datetime.date, precision: str) -> datetime.date:
    """The first day of the month or year that `day` falls in, as precision asks."""
    if precision == MONTH:
        return day.replace(day=1)
    if precision == YEAR:
        return day.replace(month=1, day=1)
    return day


def period_ends_before(as_of: datetime.date) -> dict[str, datetime.date]:
    """For each precision, the first stored date whose period has not ended by
    `as_of`: a date known only to its month (stored as the 1st) has happened, as far
    as anyone can say, once the month is over; one known to its year once the year is.
    A stored date counts by as_of when it is before this bound."""
    next_day = as_of + datetime.timedelta(days=1)
    return {
        DAY: next_day,
        MONTH: next_day.replace(day=1),  # the month of as_of counts once as_of ends it
        YEAR: next_day.replace(month=1, day=1),
    }


def last_day(
    day: datetime.date, precision: str, end: datetime.date | None = None
) -> datetime.date:
    """The last day a date in its precision may mean (a span's, its end's): 31 January
    for 'January 2023', 31 December for '2023'."""
    day = end or day
    if precision == MONTH:
        next_month = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return next_month - datetime.timedelta(days=1)
    if precision == YEAR:
        return day.replace(month=12, day=31)
    return day


def _month(day: datetime.date) -> str:
    return day.strftime("%B")


def format_date(day: datetime.date, precision: str) -> str:
    """One date in its precision: '9 January 2023', 'January 2023' or '2023'."""
    if precision == YEAR:
        return str(day.year)
    if precision == MONTH:
        return f"{_month(day)} {day.year}"
    return f"{day.day} {_month(day)} {day.year}"


def format_day(day: datetime.date, short: bool = False) -> str:
    """A day as pages write it, '9 January 2023' (or '9 Jan 2023'), on any platform
    (strftime's '%-d' exists only in glibc)."""
    month = day.strftime("%b") if short else _month(day)
    return f"{day.day} {month} {day.year}"


def format_span(start: datetime.date, end: datetime.date | None, precision: str) -> str:
    """A date or a span in its precision, sharing what both ends share.

    '9–14 January 2023', '30 January – 2 February 2023', 'January–March 2023',
    '2022–2023'.
    """
    if end is None or format_date(start, precision) == format_date(end, precision):
        return format_date(start, precision)
    if precision == YEAR:
        return f"{start.year}–{end.year}"
    if start.year != end.year:
        return f"{format_date(start, precision)} – {format_date(end, precision)}"
    if precision == MONTH:
        return f"{_month(start)}–{_month(end)} {end.year}"
    if start.month == end.month:
        return f"{start.day}–{end.day} {_month(end)} {end.year}"
    return f"{start.day} {_month(start)} – {end.day} {_month(end)} {end.year}"


def format_moment(moment: datetime.datetime) -> str:
    """A moment as pages write it, in the site's time zone: '9 January 2023, 14:05'."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{format_day(moment.date())}, {moment:%H:%M}"


def machine_date(day: datetime.date, precision: str = DAY) -> str:
    """A date as <time datetime="…"> reads it, no finer than it is known: '2023-01-09',
    '2023-01' or '2023' (the import format's forms too)."""
    if precision == YEAR:
        return f"{day.year:04d}"
    if precision == MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def time_element(
    day: datetime.date | datetime.datetime | str | None,
    precision: str = DAY,
    end: datetime.date | None = None,
) -> str:
    """A date as every page shows it: its words in a <time> element whose `datetime`
    holds it for machines ('<time datetime="2023-01">January 2023</time>'). A
    datetime reads '9 January 2023, 14:05'; a text date ('2023-01-09', as figures
    keep them) is read first; a span ('9–14 January 2023') is words alone, as a
    <time> holds one moment. Empty for no date."""
    if not day:
        return ""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    if isinstance(day, datetime.datetime):
        local = timezone.localtime(day) if timezone.is_aware(day) else day
        return format_html(
            '<time datetime="{}">{}</time>',
            local.isoformat(timespec="minutes"),
            format_moment(day),
        )
    words = format_span(day, end, precision)
    if end is not None and words != format_date(day, precision):
        return format_html("{}", words)
    return format_html('<time datetime="{}">{}</time>', machine_date(day, precision), words)
