"""Charts drawn on the server as SVG: readable without JavaScript, no CDN.

Each chart carries a <title> and an aria-label (its text alternative). The
colours come from the Okabe-Ito palette, which colour-blind readers can tell
apart; advancing and hindering also differ in position, not only in colour.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tracker import dates
from tracker.methodology import format_points as fmt

ADVANCES = "#0072B2"  # blue
HINDERS = "#D55E00"  # vermilion
NEUTRAL = "#999999"
TRACK = "#e6e6e6"


def monthly_bars(counts: list[int], months: list[datetime.date], label: str) -> SafeString:
    """Small bars of evidence links per month, with the span and total as text."""
    if not counts or not any(counts):
        return mark_safe('<span class="muted">No evidence yet</span>')
    width, height, gap = 10, 28, 2
    tallest = max(counts)
    total = sum(counts)
    text = (
        f"{label}: {total} evidence link{'s' if total != 1 else ''} from "
        f"{months[0]:%B %Y} to {months[-1]:%B %Y}, at most {tallest} in a month"
    )
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
        (
            (
                i * (width + gap),
                height - max(1, round(count / tallest * height)) if count else height - 1,
                width,
                max(1, round(count / tallest * height)) if count else 1,
                ADVANCES if count else TRACK,
                f"{month:%B %Y}",
                count,
            )
            for i, (month, count) in enumerate(zip(months, counts, strict=True))
        ),
    )
    return format_html(
        '<svg class="chart monthly" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg>',
        len(counts) * (width + gap),
        height,
        text,
        text,
        bars,
    )


def _scale(value, low, high, start, end):
    if high == low:
        return (start + end) / 2
    return start + (value - low) / (high - low) * (end - start)


def cumulative_net_chart(points, label: str) -> SafeString:
    """A step line of the running net score over time, one mark per evidence date.

    Marks that raise the score are blue circles, marks that lower it vermilion
    squares, so the two differ in shape as well as colour.
    """
    if not points:
        return mark_safe('<p class="muted">No evidence yet, so no score to chart.</p>')
    width, height = 640, 220
    left, right, top, bottom = 44, 16, 14, 30
    first, last = points[0].day, points[-1].day
    if first == last:
        first, last = first - datetime.timedelta(days=15), last + datetime.timedelta(days=15)
    span = (last - first).days
    totals = [p.total for p in points]
    low, high = min(0, *totals), max(0, *totals)
    if low == high:
        high = low + 1

    def x(day):
        return round(_scale((day - first).days, 0, span, left, width - right), 1)

    def y(value):
        return round(_scale(value, low, high, height - bottom, top), 1)

    path = [f"M{x(points[0].day)},{y(0)}"]
    previous = 0
    for point in points:
        path.append(f"H{x(point.day)}V{y(point.total)}")
        previous = point.total
    path.append(f"H{width - right}")

    marks = []
    for point in points:
        title = f"{point.label}: {fmt(point.change, signed=True)} (total {fmt(point.total)})"
        if point.change >= 0:
            marks.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>',
                    x(point.day),
                    y(point.total),
                    ADVANCES,
                    title,
                )
            )
        else:
            marks.append(
                format_html(
                    '<rect x="{}" y="{}" width="8" height="8" fill="{}"><title>{}</title></rect>',
                    x(point.day) - 4,
                    y(point.total) - 4,
                    HINDERS,
                    title,
                )
            )
    text = (
        f"{label}: from {dates.format_day(points[0].day)} to {dates.format_day(points[-1].day)}"
        " the net score "
        f"went to {fmt(previous)}, ranging between {fmt(min(totals))} and {fmt(max(totals))}"
    )
    return format_html(
        '<svg class="chart cumulative" viewBox="0 0 {w} {h}" role="img" aria-label="{t}">'
        "<title>{t}</title>"
        '<line x1="{l}" x2="{r}" y1="{zero}" y2="{zero}" stroke="{n}" stroke-dasharray="4 3"/>'
        '<text x="{tl}" y="{ty}" text-anchor="end" class="axis">{high}</text>'
        '<text x="{tl}" y="{by}" text-anchor="end" class="axis">{low}</text>'
        '<text x="{l}" y="{h2}" class="axis">{start}</text>'
        '<text x="{r}" y="{h2}" text-anchor="end" class="axis">{end}</text>'
        '<path d="{path}" fill="none" stroke="{line}" stroke-width="2"/>{marks}</svg>',
        w=width,
        h=height,
        t=text,
        l=left,
        r=width - right,
        zero=y(0),
        n=NEUTRAL,
        tl=left - 6,
        ty=top + 4,
        by=height - bottom,
        high=fmt(high),
        low=fmt(low),
        h2=height - 8,
        start=dates.format_day(first, short=True),
        end=dates.format_day(last, short=True),
        path="".join(path),
        line="#333333",
        marks=SafeString("".join(marks)),
    )


def _ticks(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, str]]:
    """Axis ticks between first and last with their labels, at most about a dozen:
    month starts ('Jan 2023'), or over more than two years, year starts ('2023')."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        if month >= first:
            months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    if len(months) > 24:
        years = [m for m in months if m.month == 1]
        step = max(1, -(-len(years) // 12))
        return [(year, f"{year:%Y}") for year in years[::step]]
    step = max(1, -(-len(months) // 12))
    return [(month, f"{month:%b %Y}") for month in months[::step]]


def timeline_chart(lanes, label: str) -> SafeString:
    """Swimlanes, one per recommendation: advancing evidence above the lane's line
    in blue, hindering below it in vermilion.

    Each link is a mark of its own (circles and squares, bigger is stronger,
    linking to the development) or, when there are too many, a bar per period
    whose height counts the links, linking to those developments in the explorer.
    """
    spans = [(mark.day, mark.last or mark.day) for lane in lanes for mark in lane.marks] + [
        (period.start, period.end) for lane in lanes for period in lane.bins
    ]
    if not spans:
        return mark_safe('<p class="muted">No evidence to place on the timeline yet.</p>')
    days = [day for span in spans for day in span]
    first, last = min(days) - datetime.timedelta(days=10), max(days) + datetime.timedelta(days=10)
    span = (last - first).days
    width, left, right, lane_height, top = 960, 70, 16, 64, 28
    height = top + lane_height * len(lanes) + 8
    tallest = max((max(p.advancing, p.hindering) for lane in lanes for p in lane.bins), default=1)

    def x(day):
        return round(_scale((day - first).days, 0, span, left, width - right), 1)

    parts = []
    for tick, tick_label in _ticks(first, last):
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="{t}" y2="{b}" class="grid"/>'
                '<text x="{x}" y="{ty}" text-anchor="middle" class="axis">{label}</text>',
                x=x(tick),
                t=top - 4,
                b=height - 8,
                ty=top - 10,
                label=tick_label,
            )
        )
    total = 0
    for i, lane in enumerate(lanes):
        centre = top + lane_height * i + lane_height / 2
        code = lane.recommendation.code
        total += lane.total
        parts.append(
            format_html(
                '<g class="lane"><title>{title}</title>'
                '<text x="6" y="{ty}" class="lane-label">{code}</text>'
                '<line x1="{l}" x2="{r}" y1="{c}" y2="{c}" class="lane-line"/></g>',
                title=f"{code}: {lane.recommendation.title}",
                ty=centre + 4,
                code=code,
                l=left,
                r=width - right,
                c=centre,
            )
        )
        for mark in lane.marks:
            parts.append(_timeline_mark(code, mark, x(mark.day), x(mark.last or mark.day), centre))
        for period in lane.bins:
            left_x = x(period.start)
            bar_width = max(1.0, round(x(period.end + datetime.timedelta(days=1)) - left_x - 1, 1))
            for stance, count in (("advances", period.advancing), ("hinders", period.hindering)):
                if count:
                    parts.append(
                        _timeline_bar(
                            code, period, stance, count, left_x, bar_width, centre, tallest
                        )
                    )
    text = (
        f"{label}: {total} evidence link{'s' if total != 1 else ''} across {len(lanes)} "
        f"recommendations from {dates.format_day(min(days))} to {dates.format_day(max(days))}"
    )
    return format_html(
        # A group, not an image: its marks are links a screen reader can reach.
        '<svg class="chart timeline" viewBox="0 0 {} {}" role="group" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        width,
        height,
        text,
        text,
        SafeString("".join(parts)),
    )


def _timeline_mark(code: str, mark, start: float, end: float, centre: float) -> SafeString:
    """One evidence link: a circle above the line or a square below, linking to it.

    A date known only to its month or year, or a span of days, is drawn as what it
    is: a bar across the period with the mark at its middle, not a point on day 1."""
    size = 2 + mark.strength * 1.5
    title = f"{code}, {mark.date_display}: {mark.title} ({mark.stance}, strength {mark.strength})"
    href = reverse("tracker:development-detail", args=[mark.development_id])
    x = round((start + end) / 2, 1)
    period = SafeString("")
    if end - start >= 2:  # wide enough to see
        level = centre + 6 + size if mark.stance == "hinders" else centre - 6 - size
        period = format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2" '
            'stroke-opacity=".45" class="period"/>',
            start,
            end,
            level,
            level,
            HINDERS if mark.stance == "hinders" else ADVANCES,
        )
    if mark.stance == "hinders":
        shape = format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
            x - size,
            centre + 6,
            size * 2,
            size * 2,
            HINDERS,
        )
    else:
        shape = format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}"/>', x, centre - 6 - size, size, ADVANCES
        )
    return format_html(
        '<a href="{}" class="mark"><title>{}</title>{}{}</a>', href, title, period, shape
    )


def _timeline_bar(code, period, stance, count, x, width, centre, tallest) -> SafeString:
    """A period's advancing (up) or hindering (down) links, linking to the explorer."""
    room = 24  # half a lane, less a margin
    bar = max(1.0, round(count / tallest * room, 1))
    query = urlencode(
        {
            "recommendation": code,
            "stance": stance,
            "date_after": period.start.isoformat(),
            "date_before": period.end.isoformat(),
        }
    )
    href = f"{reverse('tracker:development-list')}?{query}"
    advancing = stance == "advances"
    title = (
        f"{code}, {period.label}: {count} {'advancing' if advancing else 'hindering'} "
        f"link{'s' if count != 1 else ''}"
    )
    return format_html(
        '<a href="{}" class="mark"><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></a>',
        href,
        title,
        x,
        round(centre - 2 - bar, 1) if advancing else centre + 2,
        width,
        bar,
        ADVANCES if advancing else HINDERS,
    )
