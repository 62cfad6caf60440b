"""Charts drawn on the server as SVG: readable without JavaScript, no CDN.

Each chart carries a <title> and an aria-label (its text alternative). The
colours come from the Okabe-Ito palette, which colour-blind readers can tell
apart; advancing and hindering also differ in position, not only in colour.
"""

from __future__ import annotations

import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

ADVANCES = "#0072B2"  # blue
HINDERS = "#D55E00"  # vermilion
NEUTRAL = "#999999"
TRACK = "#e6e6e6"


def progress_bar(percentage: int, label: str) -> SafeString:
    """A horizontal bar filled to `percentage`, with its label as text alternative."""
    percentage = max(0, min(100, int(percentage)))
    text = f"{label}: {percentage}%"
    return format_html(
        '<svg class="chart progress-bar" viewBox="0 0 100 8" preserveAspectRatio="none" '
        'role="img" aria-label="{}"><title>{}</title>'
        '<rect width="100" height="8" rx="2" fill="{}"/>'
        '<rect width="{}" height="8" rx="2" fill="{}"/></svg>',
        text,
        text,
        TRACK,
        percentage,
        ADVANCES,
    )


def monthly_bars(counts: list[int], months: list[datetime.date], label: str) -> SafeString:
    """Small bars of evidence links per month, with the span and total as text."""
    if not counts or not any(counts):
        return mark_safe('<span class="muted">No evidence yet</span>')
    width, height, gap = 6, 24, 1
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
        '<svg class="chart monthly" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg>',
        len(counts) * (width + gap),
        height,
        len(counts) * (width + gap),
        height,
        text,
        text,
        bars,
    )
