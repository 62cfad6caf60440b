"""One django-tables2 table per report."""

from __future__ import annotations

from collections.abc import Iterator

import django_tables2 as tables
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join

from tracker.dates import time_element
from tracker.interchange.formats import format_partial_date
from tracker.methodology import as_number, format_points
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    Citation,
    Development,
    DevelopmentActor,
    Evidence,
    EvidenceConfidence,
    Recommendation,
    SourceReliability,
)

# A source's grade is the letter its reliability's label begins with ("A: primary
# official record"); a development without a source has none.
GRADES = {value: label.split(":")[0] for value, label in SourceReliability.choices}
GRADE_LABELS = {GRADES[value]: label for value, label in SourceReliability.choices}
NO_GRADE = "—"
CONFIDENCE_ORDER = {value: rank for rank, value in enumerate(EvidenceConfidence.values)}


def best_source_grade(development: str = "pk") -> Subquery:
    """SQL for the grade (A, B or C) of the best source a development cites, NULL
    when it cites none. `development` leads from the query's model to the
    development's id. Report views annotate their rows with it as `source_grade`."""
    grade = Case(
        *(When(source__reliability=value, then=Value(letter)) for value, letter in GRADES.items()),
        output_field=CharField(),
    )
    return Subquery(
        Citation.objects.filter(development=OuterRef(development))
        .annotate(grade=grade)
        .order_by("grade")
        .values("grade")[:1]
    )


def grade_mark(grade: str | None):
    """A grade as a table shows it: the letter, its meaning on hover."""
    if grade is None:
        return format_html('<span title="No source cited">{}</span>', NO_GRADE)
    return format_html('<abbr title="{}">{}</abbr>', GRADE_LABELS.get(grade, ""), grade)


def by_grade(queryset, is_descending: bool, *then: str):
    """Rows by their best source's grade, A first (or last); those without a source
    count as the worst grade, as the methodology weighs them."""
    grade = F("source_grade")
    order = grade.desc(nulls_first=True) if is_descending else grade.asc(nulls_last=True)
    return queryset.order_by(order, *then), True


def evidence_links(evidence):
    """Each link as its recommendation's code, which the hover names in full: the
    titles are sentences, too long for a column."""
    return format_html_join(
        " ",
        '<span class="{} stance-mark" title="{} {}: {}; strength {}, {} confidence">'
        '{} <small class="muted">{}</small></span>',
        (
            (
                e.stance,
                e.get_stance_display(),
                e.recommendation.code,
                e.recommendation.title,
                e.strength,
                e.get_confidence_display().lower(),
                e.recommendation.code,
                e.get_confidence_display().lower(),
            )
            for e in evidence
        ),
    )


# An organisation's name longer than this reads as its acronym, the name on hover
# ("NATO"); a state always reads as its name.
LONGEST_ACTOR_NAME = 20


def actor_names(actors) -> str:
    """Actors as the report tables name them, by name ('European Union, Japan'), an
    organisation with a long name by its code in an <abbr> that gives the name
    ('<abbr title="North Atlantic Treaty Organization">NATO</abbr>'), in order of
    name. Exports keep the codes (value_actors, export_rows)."""
    shown = []
    for actor in sorted(actors, key=lambda actor: (actor.name or actor.code).casefold()):
        name = actor.name or actor.code
        if actor.kind != Actor.Kind.STATE and len(name) > LONGEST_ACTOR_NAME:
            shown.append(format_html('<abbr title="{}">{}</abbr>', name, actor.code))
        else:
            shown.append(format_html('<span title="{}">{}</span>', actor.code, name))
    return format_html_join(", ", "{}", ((item,) for item in shown))


def date_cell(development) -> str:
    """A development's date as a table shows it: words in a <time> element."""
    return time_element(development.date, development.precision, development.end_date)


def export_header(table: tables.Table) -> list[str]:
    """The headings of a table's exported columns."""
    return [
        force_str(column.header)
        for column in table.columns.iterall()
        if not column.column.exclude_from_export
    ]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _joined(parts: str, order: str, rows: str) -> RawSQL:
    """SQL joining `parts` of `rows` (a FROM ... WHERE clause) by ';' in `order`,
    bytewise as Python sorts (PostgreSQL's "C" collation), so both databases write
    the same file. SQLite before 3.44 has no ORDER BY inside group_concat: it joins
    an ordered subquery."""
    if connection.vendor == "postgresql":
        sql = f"SELECT string_agg({parts}, ';' ORDER BY {order} COLLATE \"C\") {rows}"
    else:
        sql = (
            f"SELECT group_concat(part, ';') FROM (SELECT {parts} AS part {rows} ORDER BY {order})"
        )
    return RawSQL(f"({sql})", [])


# An export's main query selects its developments' actors and links joined in SQL, so
# that no chunk of rows needs a query of its own: the recommendation export of 100,000
# links on SQLite went from 2.5x a plain csv dump of the same rows to 1.8x, when the
# actors came from a second query per chunk of 1,000 (issue 13).


def joined_actor_codes(development: str) -> RawSQL:
    """The codes of a development's actors joined by ';' in code order; `development`
    names the column that holds the development's id."""
    return _joined(
        "actor.code",
        "actor.code",
        f"FROM {_table(DevelopmentActor)} link INNER JOIN {_table(Actor)} actor "
        f"ON actor.id = link.actor_id WHERE link.development_id = {development}",
    )


def joined_evidence_codes(development: str) -> RawSQL:
    """A development's evidence links as CODE:stance:strength:confidence joined by ';'
    in recommendation code order."""
    return _joined(
        "recommendation.code || ':' || link.stance || ':' || link.strength || ':' "
        "|| link.confidence",
        "recommendation.code",
        f"FROM {_table(Evidence)} link INNER JOIN {_table(Recommendation)} recommendation "
        f"ON recommendation.id = link.recommendation_id WHERE link.development_id = {development}",
    )


class ReportTable(tables.Table):
    """Base for report tables: on a phone each row stacks into a card, cells labelled;
    paged by the report pager (tracker/_table.html), which counts `noun`.

    Empty, it says `Meta.empty_text` when a filter is set ("No developments match
    these filters.") and `nothing_yet` when none is (the view picks, PagedTableMixin)."""

    noun = "rows"
    nothing_yet = "Nothing yet."
    pager = None  # set by the view (PagedTableMixin) once the table is paged

    class Meta:
        template_name = "tracker/_table.html"
        attrs = {
            "class": "report-table stack-on-phone",
            "td": {"data-label": lambda bound_column: bound_column.header},
        }


def end_date_column(development: str = "") -> tables.Column:
    """Exports only: the last day of a span (empty for a single date), at the date's
    precision, beside the first. Pages show both in the date column."""
    return tables.Column(
        accessor=f"{development}end_date", visible=False, orderable=False, verbose_name="End date"
    )


def exported_date(day, precision: str) -> str | None:
    """A date as every export writes it: at its precision, '2023', '2023-01' or
    '2023-01-09' (the import format's), so a month is not read as its first day;
    None (empty, or null in JSON) for no date."""
    return format_partial_date(day, precision) if day else None


def date_column(development: str = "") -> tables.Column:
    """A development's date as it reads ("January 2023"), sorted by date, then title.
    `development` is the path to the development from the table's rows."""
    return tables.Column(
        accessor=f"{development}date_display",
        order_by=(f"{development}date", f"{development}title", "pk"),
        verbose_name="Date",
        attrs={"td": {"class": "date", "data-label": "Date"}},
    )


class DevelopmentTable(ReportTable):
    noun = "developments"
    nothing_yet = "No developments yet."
    date = date_column()
    end_date = end_date_column()
    title = tables.Column(linkify=True)
    kind = tables.Column(
        accessor="kind__name", order_by=("kind__name", "-date"), verbose_name="Kind"
    )
    status = tables.Column()
    source_grade = tables.Column(empty_values=(), verbose_name="Source grade")
    actors = tables.Column(empty_values=(), orderable=False)
    evidence = tables.Column(empty_values=(), orderable=False, verbose_name="Evidence")

    class Meta(ReportTable.Meta):
        model = Development
        fields = (
            "date",
            "end_date",
            "title",
            "kind",
            "status",
            "source_grade",
            "actors",
            "evidence",
        )
        order_by = ("-date",)
        empty_text = "No developments match these filters."

    def render_source_grade(self, value):
        return grade_mark(value)

    def order_source_grade(self, queryset, is_descending):
        return by_grade(queryset, is_descending, "-date", "title", "pk")

    def render_date(self, record):
        return date_cell(record)

    def render_actors(self, record):
        return actor_names(record.actors.all())

    def render_evidence(self, record):
        return evidence_links(record.evidence.all())

    def export_rows(self) -> Iterator[list]:
        """The export (tracker/downloads.py), read as plain values in chunks rather than
        as model instances, by one query: an export of 100,000 developments takes
        seconds, not a minute (benchmarks/exports.py measures it), in the same memory
        as one of ten.
        Dates at their precision (exported_date), the source grade a letter ('—' without
        a source), actors and evidence (CODE:stance:strength:confidence) joined by ';'."""
        yield [force_str(column.header) for column in self.columns.iterall()]
        statuses = dict(Development.Status.choices)
        development = f"{_table(Development)}.id"
        rows = (
            self.data.data.prefetch_related(None)
            .annotate(
                actor_codes=joined_actor_codes(development),
                evidence_codes=joined_evidence_codes(development),
            )
            .values_list(
                "date",
                "end_date",
                "precision",
                "title",
                "kind__name",
                "status",
                "source_grade",
                "actor_codes",
                "evidence_codes",
            )
            .iterator(chunk_size=CHUNK_SIZE)
        )
        for date, end_date, precision, title, kind, status, grade, actors, evidence in rows:
            yield [
                exported_date(date, precision),
                exported_date(end_date, precision),
                title,
                kind,
                statuses[status],
                grade or NO_GRADE,
                actors or "",
                evidence or "",
            ]


class EvidenceTable(ReportTable):
    """A recommendation's evidence: one row per linked development."""

    noun = "evidence links"
    nothing_yet = "No evidence yet: no development is linked to this recommendation."

    date = date_column("development__")
    end_date = end_date_column("development__")
    development = tables.Column(
        accessor="development__title",
        verbose_name="Development",
        linkify=lambda record: record.development.get_absolute_url(),
        order_by=("development__title", "pk"),
    )
    kind = tables.Column(
        accessor="development__kind__name",
        verbose_name="Kind",
        order_by=("development__kind__name", "-development__date", "pk"),
    )
    actors = tables.Column(empty_values=(), orderable=False)
    stance = tables.Column(order_by=("stance", "-development__date", "pk"))
    strength = tables.Column(order_by=("strength", "-development__date", "pk"))
    confidence = tables.Column()
    source_grade = tables.Column(empty_values=(), verbose_name="Source grade")
    rationale = tables.Column(
        orderable=False, attrs={"td": {"class": "rationale", "data-label": "Rationale"}}
    )

    class Meta(ReportTable.Meta):
        model = Evidence
        fields = (
            "date",
            "end_date",
            "development",
            "kind",
            "actors",
            "stance",
            "strength",
            "confidence",
            "source_grade",
            "rationale",
        )
        order_by = ("-date",)
        empty_text = "No evidence matches these filters."

    def order_confidence(self, queryset, is_descending):
        rank = Case(
            *(When(confidence=value, then=Value(n)) for value, n in CONFIDENCE_ORDER.items()),
            output_field=IntegerField(),
        )
        order = rank.desc() if is_descending else rank.asc()
        return queryset.order_by(order, "-development__date", "pk"), True

    def value_confidence(self, record):
        return record.confidence

    def render_source_grade(self, value):
        return grade_mark(value)

    def value_source_grade(self, value):
        return value or NO_GRADE

    def order_source_grade(self, queryset, is_descending):
        return by_grade(queryset, is_descending, "-development__date", "pk")

    def render_date(self, record):
        return date_cell(record.development)

    def render_actors(self, record):
        return actor_names(record.development.actors.all())

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
        return exported_date(record.development.date, record.development.precision)

    def value_end_date(self, record):
        return exported_date(record.development.end_date, record.development.precision)

    def export_rows(self) -> Iterator[list]:
        """The export (tracker/downloads.py) as plain values read in chunks by one query,
        the actors' codes joined in SQL (joined_actor_codes): the same cells as the
        `value_` methods give (dates at their precision; stance and confidence as
        stored; the source grade a letter, '—' without a source; actors joined by ';'),
        some hundred times faster."""
        yield export_header(self)
        rows = (
            self.data.data.prefetch_related(None)
            .annotate(actor_codes=joined_actor_codes(f"{_table(Evidence)}.development_id"))
            .values_list(
                "actor_codes",
                "development__date",
                "development__end_date",
                "development__precision",
                "development__title",
                "development__kind__name",
                "stance",
                "strength",
                "confidence",
                "source_grade",
                "rationale",
            )
            .iterator(chunk_size=CHUNK_SIZE)
        )
        for actors, date, end, precision, title, kind, *coding, grade, why in rows:
            stance, strength, confidence = coding
            yield [
                exported_date(date, precision),
                exported_date(end, precision),
                title or None,
                kind or None,
                actors or "",  # sorted as value_actors sorts them
                stance,
                strength,
                confidence or None,
                grade or NO_GRADE,
                why or None,
            ]


class ActorTable(ReportTable):
    """Every actor with its developments and evidence figures (annotated)."""

    noun = "actors"
    nothing_yet = "No actors yet. An actor appears here once a published development names it."

    code = tables.Column()
    name = tables.Column(linkify=True, order_by=("name", "code"))
    kind = tables.Column(order_by=("kind", "code"))
    region = tables.Column(order_by=("region", "code"))
    development_count = tables.Column(
        verbose_name="Developments", order_by=("development_count", "code")
    )
    advancing = tables.Column(verbose_name="Advancing", order_by=("advancing", "code"))
    hindering = tables.Column(verbose_name="Hindering", order_by=("hindering", "code"))
    net_score = tables.Column(verbose_name="Net score", order_by=("net_score", "code"))

    def render_net_score(self, value):
        return format_points(value)

    def value_net_score(self, value):
        return as_number(value)

    class Meta(ReportTable.Meta):
        order_by = ("-development_count",)
        empty_text = "No actors yet."

    def value_kind(self, record):
        return record.kind

    def value_region(self, record):
        return record.region

    def export_rows(self) -> Iterator[list]:
        """The export (tracker/downloads.py): the same cells as the `value_` methods
        give (kind and region as stored), read as plain values in chunks, figures
        and all (progress.actors_with_figures), without django-tables2's cost per
        cell. The figures are the tally's columns themselves, not the annotations
        that sort them: the ORM converts an annotation's every value, a third of
        this export's time at 100,000 actors (an actor without a tally has none)."""
        yield export_header(self)
        rows = self.data.data.values_list(
            "code",
            "name",
            "kind",
            "region",
            "tally__development_count",
            "tally__advancing",
            "tally__hindering",
            "tally__net_score",
        ).iterator(chunk_size=CHUNK_SIZE)
        for code, name, kind, region, count, advancing, hindering, net_score in rows:
            yield [
                code or None,
                name or None,
                kind or None,
                region or None,
                count or 0,
                advancing or 0,
                hindering or 0,
                as_number(net_score),
            ]
