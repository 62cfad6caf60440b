"""Template filters of the reports: scores as the methodology writes them."""

from __future__ import annotations

from django import template

from tracker.methodology import format_points

register = template.Library()


@register.filter
def points(value) -> str:
    """A net score: '7.5', '-2', '0'."""
    return format_points(value)


@register.filter
def signed_points(value) -> str:
    """A change or a cell's score, always signed: '+7.5', '-2', '0'."""
    return format_points(value, signed=True)
