"""Writing an import: the first pass checks every record, and only when none has a
problem does the second pass write, in batches, inside one transaction.

The bulk writes are raw SQL with values prepared once (see insert_rows), and
record_history gives them the audit trail a save in the admin would. What a
development follows may be written later in the file, so it is set last, once
every development is in (Writer.link_stages), in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from tracker import corrections, dates, figures, review
from tracker.interchange.formats import Problem, quoted, read_records
from tracker.interchange.validation import CitationRow, Row, Validator, chain_state
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    Citation,
    DataVersion,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Recommendation,
    Source,
    clipped,
    country_name,
    max_length,
)

PREVIEW_LIMIT = 500  # planned changes listed in a report (all are counted)
MAX_PROBLEMS = 1000  # listed in a report; any further ones are counted
SOURCE_CACHE = 10_000  # sources remembered by an import (a cache of lookups)


def development_record(
    row: Row, kinds: dict[int, str], recommendations: dict[int, str], citations: list[tuple]
) -> dict:
    """A row as review's record of a development, its kind and recommendations by
    code and its citations (source key, quote, locator) given: what a proposal
    holds, and what the preview compares an update with."""
    return review.record(
        key=row.key,
        title=row.title,
        date=row.date,
        end_date=row.end_date,
        precision=row.precision,
        kind=kinds.get(row.kind_id, "?"),
        status=row.status,
        follows=row.follows,
        follows_as=row.follows_as,
        location=row.location,
        summary=row.summary,
        actors=row.actor_codes,
        citations=citations,
        evidence=[(recommendations.get(rec, "?"), *rest) for rec, *rest in row.evidence],
    )


@dataclass(frozen=True)
class PlannedChange:
    """One record's effect, as a preview lists it: what it is, and for an update of
    a development in the database, what it changes (field by field, link by link,
    as a proposal's review shows it)."""

    action: str  # create | update | propose
    key: str
    line: int
    title: str
    date: str  # in its precision: '9–14 January 2023'
    actors: tuple[str, ...]
    evidence: tuple[str, ...]  # 'TSU-2 advances, strength 3, high confidence'
    differences: tuple[review.Difference, ...] = ()


@dataclass
class ImportReport:
    """What an import did, or (dry run, or errors) would have done."""

    created: int = 0
    updated: int = 0
    proposed: int = 0  # updates of published developments kept for review (an editor's file)
    unchanged: int = 0
    records: int = 0
    errors: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    fingerprint: str = ""  # of the planned changes, for the admin's confirm step
    changes: list[PlannedChange] = field(default_factory=list)  # the first PREVIEW_LIMIT
    unlisted_errors: int = 0  # problems past MAX_PROBLEMS: counted, not listed
    # Records with a problem. A preview of a file with problems still counts what its
    # other records would do (`created`, `updated`, …), once they are fixed.
    invalid: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problem_count(self) -> int:
        """Every problem found: those listed, and those only counted."""
        if not self.unlisted_errors:
            return len(self.errors)
        return len(self.errors) - 1 + self.unlisted_errors  # less the line that counts them

    def summary(self) -> str:
        verb = "would be" if self.dry_run or self.errors else "were"
        proposed = (
            f"{self.proposed} {verb} proposed for review (changes to published developments), "
            if self.proposed
            else ""
        )
        effect = (
            f"{self.created} {verb} created, {self.updated} {verb} updated, "
            f"{proposed}{self.unchanged} unchanged"
        )
        records = f"{self.records} record{'s' if self.records != 1 else ''}"
        if not self.errors:
            return f"{records}: {effect}."
        if not self.invalid:  # too many problems to count the rest, or none per record
            return f"{records}; nothing is imported until the problems are fixed."
        valid = self.records - self.invalid
        return (
            f"{records}: {self.invalid} with problems; of the other {valid}, {effect}. "
            "Nothing is imported until the problems are fixed."
        )


class Writer:
    """Compares validated rows with the database and applies the differences."""

    FIELDS = ("date", "precision", "end_date", "title", "summary", "kind_id", "status", "location")
    # Compared too, and written last: what the development follows, and how.
    CHAIN = ("follows__key", "follows_as")

    def __init__(
        self, dry_run: bool, created_by=None, reason: str = "import", publish: bool = True
    ):
        self.dry_run = dry_run
        self.publish = publish
        self.created_by = created_by
        self.reason = clipped(Development.history.model, "history_change_reason", reason)
        self.actor_ids = dict(Actor.objects.values_list("code", "pk"))
        self.sources: dict[tuple, int | None] = {}  # source key: id (None: not there)
        self.sources_absent: set[tuple] = set()  # source keys find_sources() did not find
        self.report = ImportReport(dry_run=dry_run)
        self.problems = ProblemList()
        self.digest = hashlib.sha256()  # of every planned change, in file order
        # (line, id, earlier stage's key, how, history type) of each development written
        # that follows another: set by link_stages() once the whole file is in.
        self.following: list[tuple[int, int, str, str, str]] = []
        # The developments written, and the stages they followed: their links' points
        # are refreshed once the whole file is in (tracker/figures.py).
        self.touched: set[int] = set()
        self._codes: tuple[dict[int, str], dict[int, str]] | None = None  # kinds, recs
        self._source_keys: dict[int, str] = {}  # of sources a listed update cites

    def plan(self, action: str, row: Row, found: dict | None = None, current=None) -> None:
        """Count a record's effect in the fingerprint and, in a dry run (a preview), list
        it (the first PREVIEW_LIMIT): an update with what it changes."""
        self.digest.update(f"{action}:{row.key}\n".encode())
        if not self.dry_run or len(self.report.changes) >= PREVIEW_LIMIT:
            return
        kinds, recommendations = self._reference_codes()
        differences: tuple[review.Difference, ...] = ()
        if found is not None and current is not None:
            fields, (follows, follows_as), actors, citations, evidence = current
            before = review.record(
                **dict(zip(self.FIELDS, fields, strict=True)),
                key=found["key"],
                kind=kinds.get(found["kind_id"], "?"),
                follows=follows,
                follows_as=follows_as,
                actors=actors,
                citations=[(self._source_key_of(s), q, loc) for s, q, loc in citations],
                evidence=[(recommendations.get(rec, "?"), *rest) for rec, *rest in evidence],
            )
            differences = tuple(review.record_differences(before, self._record(row)))
        self.report.changes.append(
            PlannedChange(
                action=action,
                key=row.key,
                line=row.line,
                title=row.title,
                date=dates.format_span(row.date, row.end_date, row.precision),
                actors=row.actor_codes,
                evidence=tuple(
                    f"{recommendations.get(rec, '?')} {stance}, strength {strength}, "
                    f"{confidence} confidence"
                    for rec, stance, strength, _, confidence in row.evidence
                ),
                differences=differences,
            )
        )

    def _reference_codes(self) -> tuple[dict[int, str], dict[int, str]]:
        """{id: code} of the development kinds and of the recommendations."""
        if self._codes is None:
            self._codes = (
                dict(DevelopmentKind.objects.values_list("pk", "code")),
                dict(Recommendation.objects.values_list("pk", "code")),
            )
        return self._codes

    def _record(self, row: Row) -> dict:
        """A row as review's record of a development (what a proposal would hold)."""
        kinds, recommendations = self._reference_codes()
        citations = [
            (
                self._source_key_of(source)
                if (source := self.source_id(c)) is not None
                else f"new source: {c.title or c.url}",
                c.quote,
                c.locator,
            )
            for c in row.citations
        ]
        return development_record(row, kinds, recommendations, citations)

    def _source_key_of(self, source_id: int) -> str:
        return self._source_keys.get(source_id) or f"source {source_id}"

    def _look_up_source_keys(self, citations: Iterable[tuple]) -> None:
        wanted = {c[0] for c in citations if c[0] is not None} - self._source_keys.keys()
        if len(self._source_keys) + len(wanted) > SOURCE_CACHE:
            self._source_keys.clear()
        for chunk in _chunks(sorted(wanted), 500):
            self._source_keys.update(Source.objects.filter(pk__in=chunk).values_list("pk", "key"))

    def add_countries(self, codes: Iterable[str]) -> None:
        now = timezone.now()
        new = [
            Actor(
                code=code,
                name=country_name(code) or "",  # the validator knew each code
                kind=Actor.Kind.STATE,
                created_at=now,
                updated_at=now,
                created_by=self.created_by,
            )
            for code in sorted(codes)
            if code not in self.actor_ids
        ]
        if new and not self.dry_run:
            Actor.objects.bulk_create(new)
            self.actor_ids.update(
                Actor.objects.filter(code__in=[a.code for a in new]).values_list("code", "pk")
            )

    def find_sources(self, rows: list[Row]) -> None:
        """Look up the sources a batch cites, a few queries for the batch instead of
        one per source; source_id() then needs the database only to make new ones."""
        wanted = {c.source_key for row in rows for c in row.citations} - self.sources.keys()
        if len(self.sources) + len(wanted) > SOURCE_CACHE:
            self.sources.clear()  # a cache: memory stays flat however many sources
        urls = sorted(key[1] for key in wanted if key[0] == "url")
        titles = sorted({key[1] for key in wanted if key[0] == "title"})
        ordering = Source._meta.ordering or ()  # the source first() would give
        for chunk in _chunks(urls, 500):
            for url, pk in (
                Source.objects.filter(url__in=chunk).order_by(*ordering).values_list("url", "pk")
            ):
                self.sources.setdefault(("url", url), pk)
        for chunk in _chunks(titles, 500):
            for title, publisher, pk in (
                Source.objects.filter(title__in=chunk)
                .order_by(*ordering)
                .values_list("title", "publisher", "pk")
            ):
                if ("title", title, publisher) in wanted:
                    self.sources.setdefault(("title", title, publisher), pk)
        self.sources_absent = wanted - self.sources.keys()

    def source_id(self, citation: CitationRow) -> int | None:
        """The source a citation names: found by URL, else title and publisher, else made."""
        if citation.source_key in self.sources:
            return self.sources[citation.source_key]
        found = None if citation.source_key in self.sources_absent else self._find(citation)
        if found is None and not self.dry_run:
            found = Source.objects.create(
                key=self._source_key(citation),
                # A URL may be longer than a title.
                title=clipped(Source, "title", citation.title or citation.url),
                publisher=citation.publisher,
                published_on=citation.published_on,
                url=citation.url,
                # Only a source the import creates takes the file's grade: an existing
                # one keeps the grade an editor gave it.
                reliability=citation.reliability,
                created_by=self.created_by,
            ).pk
        self.sources[citation.source_key] = found
        return found

    def _find(self, citation: CitationRow) -> int | None:
        if citation.url:
            return Source.objects.filter(url=citation.url).values_list("pk", flat=True).first()
        return (
            Source.objects.filter(title=citation.title, publisher=citation.publisher)
            .values_list("pk", flat=True)
            .first()
        )

    def _source_key(self, citation: CitationRow) -> str:
        room = max_length(Source, "key") - 10  # for a "-N" suffix
        base = slugify(f"{citation.title or citation.url}-{citation.publisher}")[:room] or "source"
        key, n = base, 1
        while Source.objects.filter(key=key).exists():
            n += 1
            key = f"{base}-{n}"
        return key

    def write_batch(self, rows: list[Row]) -> None:
        existing = self._existing(rows)
        self.find_sources(rows)
        links = self._links([d["pk"] for d in existing.values() if d])
        to_create, to_update, to_propose = [], [], []
        compared: dict[int, tuple[dict, tuple]] = {}  # line: (found, current) of updates
        recoded = []  # (id, title, evidence as it was, row) of published developments updated
        for row in rows:
            if row.line not in existing:
                continue
            found = existing[row.line]
            citation_rows = tuple(
                sorted(
                    ((self.source_id(c), c.quote, c.locator) for c in row.citations),
                    key=lambda c: (c[0] is None, c[0] or 0, c[1], c[2]),
                )
            )
            if found is None:
                to_create.append((row, citation_rows))
                continue
            current = self._current(found, links)
            # The fingerprint covers what the database holds now, so that a confirm
            # refuses if anyone changed a development the preview compared.
            self.digest.update(f"{found['pk']}:{found['key']}:{current!r}\n".encode())
            proposed = (
                tuple(getattr(row, name) for name in self.FIELDS),
                (row.follows, row.follows_as),
                row.actor_codes,
                citation_rows,
                row.evidence,
            )
            if proposed == current and None not in [c[0] for c in citation_rows]:
                self.report.unchanged += 1
                continue
            if self.dry_run and len(self.report.changes) + len(compared) < PREVIEW_LIMIT:
                compared[row.line] = (found, current)
                self._look_up_source_keys((*current[3], *citation_rows))
            if found["published"] and not self.publish:
                to_propose.append((row, found["pk"], citation_rows))
            else:
                to_update.append((row, found["pk"], citation_rows))
                if found["published"]:
                    recoded.append((found["pk"], found["title"], current[4], row))
        self.report.created += len(to_create)
        self.report.updated += len(to_update)
        self.report.proposed += len(to_propose)
        for row, _ in to_create:
            self.plan("create", row)
        for action, changes in (("update", to_update), ("propose", to_propose)):
            for row, _, _ in changes:
                self.plan(action, row, *compared.get(row.line, (None, None)))
        if self.dry_run or self.problems:
            return
        self._apply(to_create, to_update)
        self._log_corrections(recoded)
        self._propose(to_propose)

    def _log_corrections(self, recoded) -> None:
        """The judgements this import changed on published developments, in the
        corrections log with the import's reason."""
        if not recoded:
            return
        codes = dict(Recommendation.objects.values_list("pk", "code"))

        def record(title, evidence) -> dict:
            return {
                "title": title,
                "evidence": [
                    dict(
                        zip(review.LINKS["evidence"][2], rest, strict=True),
                        recommendation=codes[rec],
                    )
                    for rec, *rest in evidence
                ],
            }

        for pk, title, evidence, row in recoded:
            corrections.record(
                corrections.changes(record(title, evidence), record(row.title, row.evidence)),
                reason=self.reason,
                made_by=self.created_by,
                development_id=pk,
            )

    def _propose(self, changes) -> None:
        """An editor's changes to published developments: proposals, not writes."""
        if not changes:
            return
        kinds = dict(DevelopmentKind.objects.values_list("pk", "code"))
        recommendations = dict(Recommendation.objects.values_list("pk", "code"))
        sources = dict(
            Source.objects.filter(
                pk__in={c[0] for _, _, citations in changes for c in citations}
            ).values_list("pk", "key")
        )
        for row, pk, citations in changes:
            keyed = [(sources[source], quote, locator) for source, quote, locator in citations]
            after = development_record(row, kinds, recommendations, keyed)
            review.propose_development(
                Development.objects.get(pk=pk), after, self.created_by, self.reason
            )

    def _existing(self, rows: list[Row]) -> dict[int, dict | None]:
        """{line: the development a row updates, or None}, for the rows that can go
        ahead; a key made from date and title that another development has is a problem."""
        keyed = [row.key for row in rows if row.keyed]
        by_key = {
            d["key"]: d
            for d in Development.objects.filter(key__in=keyed).values(
                "pk", "key", "published", *self.FIELDS, *self.CHAIN
            )
        }
        keyless = [row for row in rows if not row.keyed]
        by_identity = {}
        generated_taken = set()
        if keyless:
            for d in Development.objects.filter(title__in=[r.title for r in keyless]).values(
                "pk", "key", "published", *self.FIELDS, *self.CHAIN
            ):
                by_identity[(d["date"], d["title"])] = d
            generated_taken = set(
                Development.objects.filter(key__in=[r.key for r in keyless]).values_list(
                    "key", flat=True
                )
            )
        existing = {}
        for row in rows:
            found = by_key.get(row.key) if row.keyed else by_identity.get((row.date, row.title))
            if found is None and not row.keyed and row.key in generated_taken:
                self.problems.add(
                    Problem(
                        row.line,
                        "key",
                        f"the key '{row.key}' made from date and title is "
                        "taken by another development; give the record a key",
                    )
                )
                continue
            existing[row.line] = found
        return existing

    def _current(self, found: dict, links) -> tuple:
        """A development as the database holds it: (fields, (the key of the development
        it follows, how), actors, citations, evidence)."""
        actors, citations, evidence = links
        pk = found["pk"]
        return (
            tuple(found[name] for name in self.FIELDS),
            tuple(found[name] for name in self.CHAIN),
            actors.get(pk, ()),
            citations.get(pk, ()),
            evidence.get(pk, ()),
        )

    def _links(self, ids):
        actors, citations, evidence = defaultdict(list), defaultdict(list), defaultdict(list)
        if ids:
            for dev, code in DevelopmentActor.objects.filter(development_id__in=ids).values_list(
                "development_id", "actor__code"
            ):
                actors[dev].append(code)
            for dev, *rest in Citation.objects.filter(development_id__in=ids).values_list(
                "development_id", "source_id", "quote", "locator"
            ):
                citations[dev].append(tuple(rest))
            for dev, *rest in Evidence.objects.filter(development_id__in=ids).values_list(
                "development_id",
                "recommendation_id",
                "stance",
                "strength",
                "rationale",
                "confidence",
            ):
                evidence[dev].append(tuple(rest))
        return (
            {k: tuple(sorted(v)) for k, v in actors.items()},
            {k: tuple(sorted(v, key=lambda c: (False, *c))) for k, v in citations.items()},
            {k: tuple(sorted(v)) for k, v in evidence.items()},
        )

    def _apply(self, to_create, to_update) -> None:
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        user = self.created_by.pk if self.created_by else None
        drafter = None if self.publish else user

        def field_values(row):
            return [
                ops.adapt_datefield_value(row.date),
                row.precision,
                ops.adapt_datefield_value(row.end_date),
                row.title,
                row.summary,
                row.kind_id,
                row.status,
                row.location,
            ]

        if to_create:
            insert_rows(
                Development,
                [
                    "key",
                    *self.FIELDS,
                    # Set by link_stages(): the development followed may come later.
                    "follows",
                    "follows_as",
                    "created_at",
                    "updated_at",
                    "created_by",
                    "drafted_by",
                    "published",
                ],
                [
                    [row.key, *field_values(row), None, "", now, now, user, drafter, self.publish]
                    for row, _ in to_create
                ],
            )
        ids = dict(
            Development.objects.filter(key__in=[row.key for row, _ in to_create]).values_list(
                "key", "pk"
            )
        )
        self.touched.update(pk for _, pk, _ in to_update)
        if to_update:
            # The stages they followed until now count again unless followed anew.
            self.touched.update(
                Development.objects.filter(
                    pk__in=[pk for _, pk, _ in to_update], follows__isnull=False
                ).values_list("follows_id", flat=True)
            )
            updated = []
            for row, pk, _ in to_update:
                development = Development(pk=pk, updated_at=timezone.now())
                for name in self.FIELDS:
                    setattr(development, name, getattr(row, name))
                development.follows_id, development.follows_as = None, ""  # link_stages()
                development.drafted_by = None if self.publish else self.created_by
                updated.append(development)
            # An editor's file updates only drafts (its changes to published ones are
            # proposals): it becomes their author, who may not publish them.
            Development.objects.bulk_update(
                updated,
                [
                    *self.FIELDS,
                    "follows",
                    "follows_as",
                    "updated_at",
                    *(() if self.publish else ("drafted_by",)),
                ],
            )
            changed = [pk for _, pk, _ in to_update]
            for model in (DevelopmentActor, Citation, Evidence):
                model.objects.filter(development_id__in=changed).delete()

        self.touched.update(ids.values())
        pairs = [(ids[row.key], row, c) for row, c in to_create]
        pairs += [(pk, row, c) for row, pk, c in to_update]
        # A development that follows another has its history recorded once that is set.
        history: dict[str, list[int]] = {"+": [], "~": []}
        for number, (pk, row, _) in enumerate(pairs):
            history_type = "+" if number < len(to_create) else "~"
            if row.follows:
                self.following.append((row.line, pk, row.follows, row.follows_as, history_type))
            else:
                history[history_type].append(pk)
        for history_type, history_ids in history.items():
            record_history(
                Development, "id", history_ids, history_type, self.created_by, self.reason
            )
        insert_rows(
            DevelopmentActor,
            ["development", "actor"],
            [[pk, self.actor_ids[code]] for pk, row, _ in pairs for code in row.actor_codes],
        )
        insert_rows(
            Citation,
            [
                "development",
                "source",
                "quote",
                "locator",
                "created_at",
                "updated_at",
                "created_by",
            ],
            [
                [pk, source_id, quote, locator, now, now, user]
                for pk, _, citation_rows in pairs
                for source_id, quote, locator in citation_rows
            ],
        )
        insert_rows(
            Evidence,
            [
                "development",
                "recommendation",
                "stance",
                "strength",
                "rationale",
                "confidence",
                "created_at",
                "updated_at",
                "created_by",
            ],
            [[pk, *link, now, now, user] for pk, row, _ in pairs for link in row.evidence],
        )
        for model in (DevelopmentActor, Citation, Evidence):
            record_history(
                model,
                "development_id",
                [pk for pk, _, _ in pairs],
                "+",
                self.created_by,
                self.reason,
            )

    def link_stages(self) -> None:
        """Set what each development written follows, once every development of the
        file is in (the one it follows may come later in the file), in one statement;
        then record their history, so that it holds the chain."""
        if not self.following or self.dry_run or self.problems:
            return
        keys = sorted({earlier for _, _, earlier, _, _ in self.following})
        ids: dict[str, int] = {}
        for chunk in _chunks(keys, 500):
            ids.update(Development.objects.filter(key__in=chunk).values_list("key", "pk"))
        for line, _, earlier, _, _ in self.following:
            if earlier not in ids:  # deleted since the first pass checked it
                self.problems.add(
                    Problem(
                        line,
                        "follows",
                        f"no development has the key {quoted(earlier)} in the database "
                        "or this file",
                    )
                )
        if self.problems:
            return
        sql = (
            f"UPDATE {connection.ops.quote_name(Development._meta.db_table)} "
            f"SET {_column(Development, 'follows')} = %s, "
            f"{_column(Development, 'follows_as')} = %s WHERE {_column(Development, 'id')} = %s"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                sql, [(ids[earlier], kind, pk) for _, pk, earlier, kind, _ in self.following]
            )
        for history_type in ("+", "~"):
            history_ids = [pk for _, pk, _, _, done in self.following if done == history_type]
            for chunk in _chunks(history_ids, CHUNK_SIZE):
                record_history(
                    Development, "id", chunk, history_type, self.created_by, self.reason
                )


def record_history(model, column: str, ids: list[int], history_type: str, user, reason: str):
    """Write audit-trail rows for rows written in bulk (bulk writes send no signals).

    One INSERT … SELECT copies the rows as they now stand into the model's
    django-simple-history table, as a save in the admin would.
    """
    if not ids:
        return
    quote = connection.ops.quote_name
    historical = model.history.model._meta
    kept = {f.column for f in historical.concrete_fields}  # excluded_fields are not
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields if f.column in kept)
    extra = ", ".join(
        quote(historical.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    )
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"INSERT INTO {quote(historical.db_table)} ({columns}, {extra}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(column)} IN ({placeholders})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, reason, history_type, user.pk if user else None, *ids])


def insert_rows(model, field_names: list[str], rows: list[list]) -> None:
    """INSERT many rows at once, values already in the database's terms.

    Django's bulk_create spends most of an import preparing each value through its
    field; executemany with values prepared once writes the same rows in a tenth of
    the time on SQLite and about half on PostgreSQL (`make bench-writer`).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(_column(model, name) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _column(model, field_name: str) -> str:
    """The quoted column of a model's field."""
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


# Any constant: the key of the PostgreSQL advisory lock imports take.
IMPORT_LOCK = 7_471_100


def serialise_imports() -> None:
    """Make concurrent imports take turns, so that two copies of one file cannot
    both decide to create the same developments.

    PostgreSQL: a transaction-scoped advisory lock. SQLite lets one writer at a
    time in any case.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ProblemList:
    """The problems of an import: the first MAX_PROBLEMS listed, the others counted,
    so that a file of nothing but errors cannot fill the memory or the page."""

    def __init__(self):
        self.listed: list[Problem] = []
        self.unlisted = 0
        self.first_unlisted_line = 0

    def __bool__(self) -> bool:
        return bool(self.listed)

    def add(self, *problems: Problem) -> None:
        for problem in problems:
            if len(self.listed) < MAX_PROBLEMS:
                self.listed.append(problem)
                continue
            if not self.unlisted:
                self.first_unlisted_line = problem.line
            self.unlisted += 1

    def put_in(self, report: ImportReport) -> None:
        # In line order: the checks of the whole file (what records follow) come last.
        report.errors = sorted(self.listed, key=lambda problem: problem.line)
        report.unlisted_errors = self.unlisted
        if self.unlisted:
            report.errors.append(
                Problem(
                    self.first_unlisted_line,
                    "file",
                    f"{self.unlisted:,} more problems from here on are not listed",
                )
            )


def check_records(stream: IO[bytes], file_format: str, progress=None):
    """The first pass: (validator, number of records, problems) of every record."""
    validator = Validator()
    problems = ProblemList()
    records = 0
    for line, record, found in read_records(stream, file_format):
        records += 1
        problems.add(*validator.validate(line, record, found)[1])
        if progress and records % CHUNK_SIZE == 0:
            progress("validated", records)
    problems.add(*validator.finish())
    return validator, records, problems


class _ChangedSinceChecked(Exception):
    """A record the first pass found valid is not any more: reference data it names
    (a kind, a recommendation, an actor) was deleted between the two passes."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


def _rows(stream: IO[bytes], file_format: str) -> Iterator[Row]:
    """The second pass: the records as rows (the first pass found them all valid)."""
    checker = Validator(check_duplicates=False)  # the first pass did that
    for line, record, _ in read_records(stream, file_format):
        row, problems = checker.validate(line, record)
        if row is None:
            raise _ChangedSinceChecked(problems)
        yield row


def _plan_valid_records(
    report: ImportReport, stream: IO[bytes], file_format: str, created_by, publish: bool
) -> None:
    """A preview of a file with problems: what its other records would do once the
    problems are fixed, counted and listed as for a file without any (problems the
    comparison with the database finds are added to the report's)."""
    bad_lines = {problem.line for problem in report.errors}
    writer = Writer(dry_run=True, created_by=created_by, publish=publish)
    checker = Validator(check_duplicates=False)  # the first pass did that

    def valid_rows() -> Iterator[Row]:
        for line, record, _ in read_records(stream, file_format):
            if line in bad_lines:
                continue
            row, _ = checker.validate(line, record)
            if row is not None:
                yield row

    for batch in _batches(valid_rows(), CHUNK_SIZE):
        writer.write_batch(batch)
    for name in ("created", "updated", "proposed", "unchanged"):
        setattr(report, name, getattr(writer.report, name))
    report.changes = sorted(writer.report.changes, key=lambda change: change.line)
    report.errors = sorted([*report.errors, *writer.problems.listed], key=lambda p: p.line)
    report.invalid = len({problem.line for problem in report.errors} - {0})


def import_developments(
    stream: IO[bytes],
    file_format: str,
    *,
    dry_run: bool = False,
    created_by=None,
    progress: Callable[[str, int], None] | None = None,
    expect_fingerprint: str | None = None,
    reason: str = "import",
    publish: bool = True,
) -> ImportReport:
    """Validate a whole CSV or JSON file, then (unless dry_run) write it in one go.

    `stream` is a binary file that can be read twice (seek(0)). Raises
    ImportFileError when the file as a whole cannot be read; problems with
    records come back in the report's `errors`, and then nothing is written.
    `expect_fingerprint` makes the write refuse if the planned changes, or the
    developments they compare with, differ from an earlier dry run's (the admin's
    preview). New developments are published unless `publish` is False (an
    editor's upload: drafts for review).
    """
    validator, records, problems = check_records(stream, file_format, progress)
    if problems:
        report = ImportReport(records=records, dry_run=dry_run)
        problems.put_in(report)
        if dry_run and not problems.unlisted:
            _plan_valid_records(report, stream, file_format, created_by, publish)
        return report

    with transaction.atomic():
        serialise_imports()
        DataVersion.objects.bump()  # bulk writes send no signals
        writer = Writer(dry_run=dry_run, created_by=created_by, reason=reason, publish=publish)
        writer.add_countries(validator.new_countries)
        if validator.following:
            # The chains the first pass checked the file's against: a confirm refuses
            # if one changed since the preview.
            writer.digest.update(f"chains:{chain_state(validator.referenced)!r}\n".encode())
        done = 0
        try:
            # The links and actors it replaces mark what they bore on as they go;
            # the figures of all of it are refreshed once, at the end.
            with figures.batch(skip=dry_run):
                for batch in _batches(_rows(stream, file_format), CHUNK_SIZE):
                    writer.write_batch(batch)
                    done += len(batch)
                    if progress:
                        progress("written" if not dry_run else "checked", done)
                writer.link_stages()
                figures.refresh(writer.touched)  # the links written
        except _ChangedSinceChecked as changed:
            writer.problems.add(*changed.problems)  # reported, and the writes rolled back
        for code in sorted(validator.new_countries):
            writer.digest.update(f"country:{code}\n".encode())
        report = writer.report
        report.records = records
        report.changes.sort(key=lambda change: change.line)  # a batch lists creations first
        report.fingerprint = writer.digest.hexdigest()
        writer.problems.put_in(report)
        if expect_fingerprint is not None and report.fingerprint != expect_fingerprint:
            report.errors.append(
                Problem(0, "file", "the data changed since the preview; preview it again")
            )
        if report.errors or dry_run:
            transaction.set_rollback(True)
    return report
