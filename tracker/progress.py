"""Progress of recommendations: the figures reports and progress bars show."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.models import Assessment


def display_percentages(history: Iterable[Assessment]) -> list[int]:
    """The progress-bar percentage of each assessment in a recommendation's history.

    `history` runs oldest first. Each status maps to a fixed percentage, except
    `stalled`, which keeps the percentage the recommendation had reached (0 when
    it stalled before any progress). The status stays the authority; this is
    only how far the bar is drawn.
    """
    percentages = []
    previous = 0
    for assessment in history:
        percentage = Assessment.PERCENTAGES[assessment.status]
        previous = previous if percentage is None else percentage
        percentages.append(previous)
    return percentages
