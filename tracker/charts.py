"""Charts drawn on the server as SVG: readable without JavaScript, no CDN.

Each chart carries a <title> and an aria-label (its text alternative). The
colours come from the Okabe-Ito palette, which colour-blind readers can tell
apart; advancing and hindering also differ in position, not only in colour.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tracker import dates
from tracker.methodology import format_points as fmt

if TYPE_CHECKING:
    from tracker.progress import TimelineMark

    Placed = tuple[float, float, TimelineMark]  # a mark's centre and radius, and the mark

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


# The timeline is drawn at its own size, never scaled: a viewBox shrunk to a
# phone's width took its 11px labels under 8px. It scrolls sideways instead,
# beside a column of lane names (HTML, so titles wrap) that stays put; that
# column's spacing in site.css (.timeline-labels) matches these heights.
TIMELINE_WIDTH = 900  # px
TIMELINE_LEFT, TIMELINE_RIGHT = 36, 24  # px: room for the bars' count scale; the last label
TIMELINE_AXIS = 28  # px: the row of dates above the first lane
LANE_HEIGHT = 64  # px
BAR_ROOM = 24  # px: the tallest bar, half a lane less a margin
# Marks that would touch are drawn as one badge that counts them, this wide.
BADGE_WIDTH, BADGE_HEIGHT = 22, 14  # px


def _mark_radius(mark) -> float:
    return 2 + mark.strength * 1.5  # bigger is stronger


def _clusters(placed: list[Placed]) -> list[list[Placed]]:
    """Groups a lane's marks of one stance, (centre, radius, mark) sorted by centre,
    so that no two drawn groups touch: a mark that would touch the group before it
    joins it. A group of one is drawn as its mark; a larger one as a badge from its
    first mark's left edge, so a group never grows leftwards into the one before."""
    groups: list[list[Placed]] = []
    for centre, radius, mark in placed:
        if groups:
            first_centre, first_radius, _ = groups[-1][0]
            if len(groups[-1]) == 1:
                right = first_centre + first_radius
            else:
                right = first_centre - first_radius + BADGE_WIDTH
            if centre - radius < right + 1:
                groups[-1].append((centre, radius, mark))
                continue
        groups.append([(centre, radius, mark)])
    return groups


def timeline_chart(lanes, label: str) -> SafeString:
    """Swimlanes, one per recommendation, named by code and title: advancing
    evidence above the lane's line in blue, hindering below it in vermilion.

    Each link is a mark of its own (circles and squares, bigger is stronger,
    linking to the development); marks that would overlap are drawn as one badge
    that counts them, linking to those developments in the explorer. When there
    are too many links, a bar per period counts them instead, against a count
    scale beside each lane.
    """
    spans = [(mark.day, mark.last or mark.day) for lane in lanes for mark in lane.marks] + [
        (period.start, period.end) for lane in lanes for period in lane.bins
    ]
    if not spans:
        return mark_safe('<p class="muted">No evidence to place on the timeline yet.</p>')
    days = [day for span in spans for day in span]
    first, last = min(days) - datetime.timedelta(days=10), max(days) + datetime.timedelta(days=10)
    span = (last - first).days
    width, left, right, top = TIMELINE_WIDTH, TIMELINE_LEFT, TIMELINE_RIGHT, TIMELINE_AXIS
    height = top + LANE_HEIGHT * len(lanes) + 8
    bins = [period for lane in lanes for period in lane.bins]
    tallest = max((max(p.advancing, p.hindering) for p in bins), default=1)

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
    names = []
    for i, lane in enumerate(lanes):
        centre = top + LANE_HEIGHT * i + LANE_HEIGHT / 2
        recommendation = lane.recommendation
        code = recommendation.code
        total += lane.total
        names.append(
            format_html(
                '<li><a href="{}" title="{}: {}"><span class="code">{}</span> '
                '<span class="lane-title">{}</span></a></li>',
                recommendation.get_absolute_url(),
                code,
                recommendation.title,
                code,
                recommendation.title,
            )
        )
        parts.append(
            format_html(
                '<line x1="{l}" x2="{r}" y1="{c}" y2="{c}" class="lane-line"/>',
                l=left,
                r=width - right,
                c=centre,
            )
        )
        if lane.bins:
            parts.append(_count_scale(tallest, centre, left, width - right))
        parts += _lane_marks(lane, x, centre)
        parts += _lane_bars(lane, x, centre, tallest)
    text = (
        f"{label}: {total} evidence link{'s' if total != 1 else ''} across {len(lanes)} "
        f"recommendation{'s' if len(lanes) != 1 else ''} from {dates.format_day(min(days))} "
        f"to {dates.format_day(max(days))}"
    )
    chart = format_html(
        '<div class="timeline-scroll" tabindex="0" role="region" aria-label="Timeline">'
        '<div class="timeline-grid"><ol class="timeline-labels">{names}</ol>'
        # A group, not an image: its marks are links a screen reader can reach.
        '<svg class="chart timeline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'role="group" aria-label="{t}"><title>{t}</title>{parts}</svg></div></div>',
        names=SafeString("".join(names)),
        w=width,
        h=height,
        t=text,
        parts=SafeString("".join(parts)),
    )
    scrolls = mark_safe(
        '<p class="muted timeline-note timeline-scrolls">The timeline scrolls sideways; '
        "the lane names stay in view.</p>"
    )
    notes = []
    if bins:
        period = _period_name(bins[0])
        notes.append(
            format_html(
                '<p class="muted timeline-note">Bars count links per {}, advancing up from '
                "each lane's line and hindering down. The dashed lines either side of a "
                "line mark {}, the most in any one {} (the number beside each lane).</p>",
                period,
                tallest,
                period,
            )
        )
    return format_html(
        '<div class="timeline-chart">{}{}{}</div>', scrolls, chart, SafeString("".join(notes))
    )


def _lane_marks(lane, x, centre: float) -> list[SafeString]:
    """A lane's marks, each stance's grouped where they would touch."""
    code = lane.recommendation.code
    drawn = []
    for stance in ("advances", "hinders"):
        placed = sorted(
            (
                (round((x(mark.day) + x(mark.last or mark.day)) / 2, 1), _mark_radius(mark), mark)
                for mark in lane.marks
                if (mark.stance == "hinders") == (stance == "hinders")
            ),
            key=lambda item: item[0],
        )
        for group in _clusters(placed):
            if len(group) == 1:
                mark = group[0][2]
                drawn.append(
                    _timeline_mark(code, mark, x(mark.day), x(mark.last or mark.day), centre)
                )
            else:
                drawn.append(_timeline_badge(code, stance, group, centre))
    return drawn


def _lane_bars(lane, x, centre: float, tallest: int) -> list[SafeString]:
    """A lane's bars, a period's advancing links up and hindering links down."""
    drawn = []
    for period in lane.bins:
        left = x(period.start)
        width = max(1.0, round(x(period.end + datetime.timedelta(days=1)) - left - 1, 1))
        for stance, count in (("advances", period.advancing), ("hinders", period.hindering)):
            if count:
                drawn.append(
                    _timeline_bar(
                        lane.recommendation.code,
                        period,
                        stance,
                        count,
                        left,
                        width,
                        centre,
                        tallest,
                    )
                )
    return drawn


def _period_name(period) -> str:
    length = (period.end - period.start).days
    return "month" if length < 32 else "quarter" if length < 93 else "year"


def _count_scale(tallest: int, centre: float, left: float, right: float) -> SafeString:
    """The bars' scale in a lane: dashed lines at the tallest bar's height above and
    below the line, the upper one labelled with the count it stands for (the lower
    one's label would sit against the next lane's)."""
    high, low = centre - 2 - BAR_ROOM, centre + 2 + BAR_ROOM
    return format_html(
        '<line x1="{l}" x2="{r}" y1="{high}" y2="{high}" class="grid scale"/>'
        '<line x1="{l}" x2="{r}" y1="{low}" y2="{low}" class="grid scale"/>'
        '<text x="{tx}" y="{ty}" text-anchor="end" class="axis scale">{tallest}</text>',
        l=left,
        r=right,
        high=high,
        low=low,
        tx=left - 4,
        ty=high + 4,
        tallest=tallest,
    )


def _timeline_badge(code: str, stance: str, group, centre: float) -> SafeString:
    """Marks too close to tell apart: one badge that counts them (round for
    advancing, square for hindering, as the marks are), listing them in its title
    and linking to them in the explorer."""
    marks = [mark for _, _, mark in group]
    first_centre, first_radius, _ = group[0]
    x = round(first_centre - first_radius, 1)
    hinders = stance == "hinders"
    y = centre + 6 if hinders else centre - 6 - BADGE_HEIGHT
    shown = "; ".join(f"{mark.date_display}: {mark.title}" for mark in marks[:8])
    more = f"; and {len(marks) - 8} more" if len(marks) > 8 else ""
    title = (
        f"{code}: {len(marks)} {'hindering' if hinders else 'advancing'} links "
        f"close together: {shown}{more}"
    )
    query = urlencode(
        {
            "recommendation": code,
            "stance": stance,
            "date_after": min(mark.day for mark in marks).isoformat(),
            "date_before": max(mark.day for mark in marks).isoformat(),
        }
    )
    return format_html(
        '<a href="{}" class="mark badge"><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="#ffffff" stroke="{}" '
        'stroke-width="2"/>'
        '<text x="{}" y="{}" text-anchor="middle" class="count">{}</text></a>',
        f"{reverse('tracker:development-list')}?{query}",
        title,
        x,
        y,
        BADGE_WIDTH,
        BADGE_HEIGHT,
        1 if hinders else BADGE_HEIGHT // 2,
        HINDERS if hinders else ADVANCES,
        round(x + BADGE_WIDTH / 2, 1),
        y + 11,
        len(marks),
    )


def _timeline_mark(code: str, mark, start: float, end: float, centre: float) -> SafeString:
    """One evidence link: a circle above the line or a square below, linking to it.

    A date known only to its month or year, or a span of days, is drawn as what it
    is: a bar across the period with the mark at its middle, not a point on day 1."""
    size = _mark_radius(mark)
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
    bar = max(1.0, round(count / tallest * BAR_ROOM, 1))
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
