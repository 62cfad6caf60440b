"""One django-tables2 table per report."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html_join

from tracker.models import Development


def evidence_links(evidence):
    return format_html_join(
        " ",
        '<span class="{} stance-mark" title="{} {}, strength {}">{}</span>',
        (
            (
                e.stance,
                e.get_stance_display(),
                e.recommendation.code,
                e.strength,
                e.recommendation.code,
            )
            for e in evidence
        ),
    )


class DevelopmentTable(tables.Table):
    date = tables.Column(
        accessor="date_display",
        order_by=("date", "title"),
        verbose_name="Date",
        attrs={"td": {"class": "date"}},
    )
    title = tables.Column(linkify=True)
    kind = tables.Column(
        accessor="kind__name", order_by=("kind__name", "-date"), verbose_name="Kind"
    )
    status = tables.Column()
    actors = tables.Column(empty_values=(), orderable=False)
    evidence = tables.Column(empty_values=(), orderable=False)

    class Meta:
        model = Development
        fields = ("date", "title", "kind", "status", "actors", "evidence")
        order_by = ("-date",)
        empty_text = "No developments match these filters."
        attrs = {"class": "report-table"}

    def render_actors(self, record):
        return ", ".join(sorted(actor.code for actor in record.actors.all()))

    def value_actors(self, record):
        return ";".join(sorted(actor.code for actor in record.actors.all()))

    def render_evidence(self, record):
        return evidence_links(record.evidence.all())

    def value_evidence(self, record):
        return ";".join(
            f"{e.recommendation.code}:{e.stance}:{e.strength}" for e in record.evidence.all()
        )

    def value_date(self, record):
        return record.date.isoformat()
