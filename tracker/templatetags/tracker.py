"""Template filters and tags of the reports: scores as the methodology writes them,
dates as every page writes them, and the methodology's version."""

from __future__ import annotations

from django import template

from tracker import corrections, dates, methodology, tables
from tracker.methodology import format_points
from tracker.models import AssessmentStatus, person_name

register = template.Library()


@register.filter
def points(value) -> str:
    """A net score: '7.5', '-2', '0'."""
    return format_points(value)


@register.filter
def signed_points(value) -> str:
    """A change or a cell's score, always signed: '+7.5', '-2', '0'."""
    return format_points(value, signed=True)


@register.filter
def when(value) -> str:
    """A date as every page shows it, in a <time> element (tracker.dates.time_element):
    a development's ('January 2023', '9–14 January 2023'), a date ('9 January 2023',
    also from its ISO text), a moment ('9 January 2023, 14:05'). Empty for none, so
    `|default:"none"` still reads."""
    if hasattr(value, "precision"):  # a development, or a row with its dates
        return dates.time_element(value.date, value.precision, value.end_date)
    return dates.time_element(value)


@register.filter
def actor_names(actors) -> str:
    """Actors by name, as the report tables name them (tracker.tables.actor_names)."""
    return tables.actor_names(actors)


@register.filter
def assessment_status(code: str) -> str:
    """An assessment status's label from its stored code ('in_progress': 'In progress')."""
    return AssessmentStatus(code).label if code in AssessmentStatus.values else "Not yet assessed"


@register.filter
def person(user) -> str:
    """A user as reports name them: full name, else username ('–' for nobody)."""
    return person_name(user) or "–"


@register.filter
def correction_change(correction) -> str:
    """A correction's before -> after in words: 'strength 3 → 2; confidence Medium → Low'."""
    return corrections.describe(correction.before, correction.after)


@register.simple_tag
def methodology_version() -> str:
    """The version of the methodology the figures follow: '2.0'."""
    return methodology.VERSION
