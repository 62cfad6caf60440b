"""One django-tables2 table per report."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from tracker.models import Development, Evidence


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
    evidence = tables.Column(empty_values=(), orderable=False, verbose_name="Evidence")

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


class EvidenceTable(tables.Table):
    """A recommendation's evidence: one row per linked development."""

    date = tables.Column(
        accessor="development__date_display",
        order_by=("development__date", "development__title"),
        verbose_name="Date",
        attrs={"td": {"class": "date"}},
    )
    development = tables.Column(
        accessor="development__title",
        verbose_name="Development",
        linkify=lambda record: record.development.get_absolute_url(),
        order_by=("development__title",),
    )
    kind = tables.Column(accessor="development__kind__name", verbose_name="Kind")
    actors = tables.Column(empty_values=(), orderable=False)
    stance = tables.Column()
    strength = tables.Column()
    rationale = tables.Column(orderable=False)

    class Meta:
        model = Evidence
        fields = ("date", "development", "kind", "actors", "stance", "strength", "rationale")
        order_by = ("-date",)
        empty_text = "No evidence matches these filters."

    def render_actors(self, record):
        return ", ".join(sorted(actor.code for actor in record.development.actors.all()))

    def value_actors(self, record):
        return ";".join(sorted(actor.code for actor in record.development.actors.all()))

    def render_stance(self, record):
        return format_html(
            '<span class="{} stance-mark">{}</span>', record.stance, record.get_stance_display()
        )

    def value_stance(self, record):
        return record.stance

    def value_strength(self, record):
        return record.strength

    def value_date(self, record):
        return record.development.date.isoformat()


class ActorTable(tables.Table):
    """Every actor with its developments and evidence figures (annotated)."""

    code = tables.Column(linkify=True)
    name = tables.Column()
    kind = tables.Column()
    region = tables.Column()
    development_count = tables.Column(verbose_name="Developments")
    advancing = tables.Column(verbose_name="Advancing")
    hindering = tables.Column(verbose_name="Hindering")
    net_score = tables.Column(verbose_name="Net score")

    class Meta:
        order_by = ("-development_count",)
        empty_text = "No actors yet."

    def value_kind(self, record):
        return record.kind

    def value_region(self, record):
        return record.region
