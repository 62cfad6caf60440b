"""Charts drawn on the server as SVG: readable without JavaScript, no CDN.

Each chart carries a <title> and an aria-label (its text alternative). The
colours come from the Okabe-Ito palette, which colour-blind readers can tell
apart; advancing and hindering also differ in position, not only in colour.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tracker import dates
from tracker.methodology import format_points as fmt

ADVANCES = "#0072B2"  # blue
HINDERS = "#D55E00"  # vermilion
NEUTRAL = "#999999"


# The monthly bars and the cumulative chart have no viewBox: they stretch to the
# width they are given, so positions across are percentages of it, while heights
# and text are pixels. Their labels stay 11px however narrow the chart; a viewBox
# shrinks them with it (the cumulative chart's, 640 units wide, were under 6px on
# a phone).


def _percent(value: float) -> str:
    """A horizontal position or width as a share of the chart's width ('12.5%')."""
    return f"{round(value, 2):g}%"


# The dashboard's monthly bars: heights in px, widths in % of the chart's.
BARS_PLOT = 86  # % of the width for the bars; the scale's labels sit to the right
BARS_TOP, BARS_ROOM = 4, 22  # px: the top gridline, the tallest bar on either side
BARS_BASE = BARS_TOP + BARS_ROOM  # the line advancing bars rise from, hindering hang from
BARS_BOTTOM = BARS_BASE + BARS_ROOM
BARS_HEIGHT = BARS_BOTTOM + 18  # and a line of month labels


def monthly_bars(
    counts: Sequence[tuple[int, int]], months: list[datetime.date], label: str
) -> SafeString:
    """Evidence links per month from a shared line: advancing above it in blue,
    hindering below it in vermilion, on one scale, with the months and the scale's
    largest count as axis labels and a caption that says what the bars count.

    `counts` holds each month's (advancing, hindering) links, month by month.
    """
    if not counts:
        return mark_safe('<span class="muted">No evidence yet</span>')
    if len(counts) != len(months):
        raise ValueError(f"{len(counts)} counts for {len(months)} months")
    if not any(advancing or hindering for advancing, hindering in counts):
        return format_html(
            '<span class="muted">No evidence from {} to {}</span>',
            f"{months[0]:%b %Y}",
            f"{months[-1]:%b %Y}",
        )
    tallest = max(max(month) for month in counts)
    advancing = sum(month[0] for month in counts)
    hindering = sum(month[1] for month in counts)
    text = (
        f"{label}: {advancing} advancing and {hindering} hindering evidence "
        f"link{'s' if advancing + hindering != 1 else ''} from {months[0]:%B %Y} to "
        f"{months[-1]:%B %Y}, at most {tallest} in a month"
    )

    def height(count: int) -> int:
        return max(1, round(count / tallest * BARS_ROOM))  # a single link still shows

    slot = BARS_PLOT / len(counts)
    bars = []
    for i, (month, (up, down)) in enumerate(zip(months, counts, strict=True)):
        x, width = _percent(i * slot + slot / 8), _percent(slot * 3 / 4)
        drawn = []
        if up:
            drawn.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    x,
                    BARS_BASE - height(up),
                    width,
                    height(up),
                    ADVANCES,
                )
            )
        if down:
            drawn.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    x,
                    BARS_BASE,
                    width,
                    height(down),
                    HINDERS,
                )
            )
        bars.append(
            format_html(
                # The month's whole column answers a pointer, even where no bar is.
                '<g class="month"><title>{}: {} advancing, {} hindering</title>'
                '<rect class="hit" x="{}" y="{}" width="{}" height="{}" fill="transparent"/>'
                "{}</g>",
                f"{month:%B %Y}",
                up,
                down,
                _percent(i * slot),
                BARS_TOP,
                _percent(slot),
                BARS_BOTTOM - BARS_TOP,
                SafeString("".join(drawn)),
            )
        )
    month_labels = [("0", "start", f"{months[0]:%b %Y}")]
    if len(months) > 1:
        month_labels.append((_percent(BARS_PLOT), "end", f"{months[-1]:%b %Y}"))
    chart = format_html(
        '<svg class="chart monthly" width="100%" height="{h}" role="img" aria-label="{t}">'
        "<title>{t}</title>"
        '<line x1="0" x2="{plot}" y1="{top}" y2="{top}" class="grid"/>'
        '<line x1="0" x2="{plot}" y1="{bottom}" y2="{bottom}" class="grid"/>'
        '<text x="{plot}" dx="4" y="{top_label}" class="axis">{tallest}</text>'
        '<text x="{plot}" dx="4" y="{bottom}" class="axis">{tallest}</text>'
        "{bars}"
        '<line x1="0" x2="{plot}" y1="{base}" y2="{base}" stroke="{n}"/>'
        "{months}</svg>",
        h=BARS_HEIGHT,
        t=text,
        plot=_percent(BARS_PLOT),
        top=BARS_TOP,
        bottom=BARS_BOTTOM,
        top_label=BARS_TOP + 8,
        tallest=tallest,
        bars=SafeString("".join(bars)),
        base=BARS_BASE,
        n=NEUTRAL,
        months=format_html_join(
            "",
            '<text x="{}" y="{}" text-anchor="{}" class="axis">{}</text>',
            ((x, BARS_HEIGHT - 4, anchor, name) for x, anchor, name in month_labels),
        ),
    )
    return format_html(
        '<figure class="chart-figure monthly-figure">{}<figcaption class="muted">'
        'Evidence links per month: <span class="advances">▲ advancing</span> above the line, '
        '<span class="hinders">▼ hindering</span> below</figcaption></figure>',
        chart,
    )


def _scale(value, low, high, start, end):
    if high == low:
        return (start + end) / 2
    return start + (value - low) / (high - low) * (end - start)


# The recommendation page's running balance: heights in px, widths in %.
CUMULATIVE_HEIGHT, CUMULATIVE_TOP, CUMULATIVE_BOTTOM = 240, 30, 210  # px
CUMULATIVE_RIGHT = 97  # %: room for the last mark


def cumulative_net_chart(points, label: str) -> SafeString:
    """A step line of the running balance over time, one mark per evidence date,
    with its axes labelled: the balance in points up the side, dates along the foot.

    Marks that raise the balance are blue circles, marks that lower it vermilion
    squares, so the two differ in shape as well as colour (a date whose links
    cancel out is a grey circle).
    """
    if not points:
        return mark_safe('<p class="muted">No evidence yet, so no score to chart.</p>')
    first, last = points[0].day, points[-1].day
    if first == last:
        first, last = first - datetime.timedelta(days=15), last + datetime.timedelta(days=15)
    span = (last - first).days
    totals = [p.total for p in points]
    low, high = min(0, *totals), max(0, *totals)
    if low == high:
        high = low + 1
    values = [(high, CUMULATIVE_TOP), (low, CUMULATIVE_BOTTOM)]

    def y(value):
        return round(_scale(value, low, high, CUMULATIVE_BOTTOM, CUMULATIVE_TOP), 1)

    if low < 0 < high and all(abs(y(0) - at) >= 14 for _, at in values):  # 0 fits between
        values.append((0, y(0)))
    # Wide enough for the longest value label (some 7px a character) on a phone,
    # where the chart is about 320px wide and 1% is 3.2px.
    left = round(max(8.0, (max(len(fmt(value)) for value, _ in values) * 7 + 10) / 3.2), 1)

    def share(day):  # of the plot's width, 0 to 1
        return _scale((day - first).days, 0, span, 0, 1)

    def x(day):
        return _percent(left + share(day) * (CUMULATIVE_RIGHT - left))

    # The line is drawn in a plot of its own, 1000 units across stretched to the
    # plot's width (its stroke unstretched); the marks are placed by percentage.
    path = [f"M{round(share(points[0].day) * 1000, 1)},{y(0)}"]
    previous = 0
    for point in points:
        path.append(f"H{round(share(point.day) * 1000, 1)}V{y(point.total)}")
        previous = point.total
    path.append("H1000")

    marks = []
    for point in points:
        title = f"{point.label}: {fmt(point.change, signed=True)} (total {fmt(point.total)})"
        if point.change >= 0:
            marks.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>',
                    x(point.day),
                    y(point.total),
                    ADVANCES if point.change else NEUTRAL,
                    title,
                )
            )
        else:
            marks.append(
                format_html(
                    '<rect x="{}" y="{}" width="8" height="8" transform="translate(-4)" '
                    'fill="{}"><title>{}</title></rect>',
                    x(point.day),
                    y(point.total) - 4,
                    HINDERS,
                    title,
                )
            )
    text = (
        f"{label}: from {dates.format_day(points[0].day)} to {dates.format_day(points[-1].day)}"
        f" the balance went to {fmt(previous)} points, ranging between {fmt(min(totals))} "
        f"and {fmt(max(totals))}"
    )
    return format_html(
        '<svg class="chart cumulative" width="100%" height="{h}" role="img" aria-label="{t}">'
        "<title>{t}</title>"
        '<text x="0" y="12" class="axis">balance (points)</text>'
        '<line x1="{l}" x2="{r}" y1="{zero}" y2="{zero}" stroke="{n}" stroke-dasharray="4 3"/>'
        "{values}"
        '<text x="{l}" y="{h2}" class="axis">{start}</text>'
        '<text x="{r}" y="{h2}" text-anchor="end" class="axis">{end}</text>'
        '<svg x="{l}" width="{w}" height="{h}" viewBox="0 0 1000 {h}" '
        'preserveAspectRatio="none" overflow="visible">'
        '<path d="{path}" fill="none" stroke="{line}" stroke-width="2" '
        'vector-effect="non-scaling-stroke"/></svg>{marks}</svg>',
        h=CUMULATIVE_HEIGHT,
        t=text,
        l=_percent(left),
        r=_percent(CUMULATIVE_RIGHT),
        w=_percent(CUMULATIVE_RIGHT - left),
        zero=y(0),
        n=NEUTRAL,
        values=format_html_join(
            "",
            '<text x="{}" dx="-9" y="{}" text-anchor="end" class="axis">{}</text>',
            ((_percent(left), at + 4, fmt(value)) for value, at in values),
        ),
        h2=CUMULATIVE_HEIGHT - 8,
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


# A framework's recommendations by status, furthest along first: Okabe-Ito greens
# and blues for the ladder's steps, orange and vermilion off it, grey not assessed.
STATUS_COLOURS = {
    "implemented": "#009E73",
    "substantial": "#0072B2",
    "in_progress": "#56B4E9",
    "not_started": "#8A96A3",
    "stalled": "#E69F00",
    "not_implemented": "#D55E00",
    "not-assessed": "#D5DAE0",
}


def status_bar(distribution: Sequence[tuple[str, str, int]], label: str) -> SafeString:
    """One stacked bar: a segment per status, as wide as its share of the
    recommendations. `distribution` is (status, label, count), in stacking order."""
    total = sum(count for _, _, count in distribution)
    if not total:
        return mark_safe('<p class="muted">No recommendations yet.</p>')
    text = f"{label}: " + ", ".join(f"{count} {name.lower()}" for _, name, count in distribution)
    parts, x = [], 0.0
    for status, name, count in distribution:
        width = count / total * 100
        parts.append(
            format_html(
                '<rect x="{}" y="0" width="{}" height="14" fill="{}"><title>{}: {} of {}</title>'
                "</rect>",
                _percent(x),
                _percent(width),
                STATUS_COLOURS[status],
                name,
                count,
                total,
            )
        )
        x += width
    return format_html(
        '<svg class="chart status-bar" width="100%" height="14" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        text,
        text,
        SafeString("".join(parts)),
    )


def status_key(labels: dict[str, str]) -> SafeString:
    """The colours of status_bar's segments, as a list of swatches and labels."""
    return format_html(
        '<ul class="status-key" aria-label="Status colours">{}</ul>',
        format_html_join(
            "",
            '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
            'fill="{}"/></svg> {}</li>',
            ((STATUS_COLOURS[status], label) for status, label in labels.items()),
        ),
    )
