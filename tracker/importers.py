"""Import developments from CSV or JSON, and export them in the same formats.

An import is accepted whole or not at all. The file is read twice, as a stream:
the first pass validates every record and collects every problem (with the line
the record starts on and the column at fault); only when there are none does
the second pass write, in batches, inside one transaction. Memory stays flat as
files grow: records are never all held at once.

The management commands (`import_developments`, `export_developments`) and the
admin's upload page are thin wrappers around `import_developments()` and
`export_developments()` here.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from tracker import dates
from tracker.models import (
    Actor,
    Citation,
    DataVersion,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Recommendation,
    Source,
    country_name,
)

COLUMNS = (
    "key",
    "date",
    "end_date",
    "title",
    "summary",
    "kind",
    "status",
    "actors",
    "location",
    "source_title",
    "source_publisher",
    "source_date",
    "source_url",
    "source_quote",
    "source_locator",
    "evidence",
    "note",
)
REQUIRED = ("date", "title", "kind", "actors")
# JSON records may also carry these, for a lossless exchange between trackers.
JSON_ONLY = ("citations",)

BATCH_SIZE = 1000
PREVIEW_LIMIT = 500  # planned changes listed by key in a report (all are counted)
MAX_FIELD = 100_000  # characters; a larger cell is refused, not truncated
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}\Z")
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")
NOTE_LINE = re.compile(r"^\[([^\]]+)\]\s*(.*)\Z")
STATUSES = {choice.value for choice in Development.Status}
STANCES = {choice.value for choice in Evidence.Stance}

csv.field_size_limit(MAX_FIELD + 1)


class ImportFileError(Exception):
    """The file as a whole cannot be read: one line that says why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record."""

    line: int
    column: str
    message: str

    def __str__(self):
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or (dry run, or errors) would have done."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    records: int = 0
    errors: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    fingerprint: str = ""  # of the planned changes, for the admin's confirm step
    changes: list[tuple[str, str]] = field(default_factory=list)  # (create|update, key)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.records} record{'s' if self.records != 1 else ''}: "
            f"{self.created} {verb} created, {self.updated} {verb} updated, "
            f"{self.unchanged} unchanged."
        )


# --- Reading records ---------------------------------------------------------------


def detect_format(name: str, given: str | None) -> str:
    """The format asked for, else the one the file name's extension says."""
    if given:
        return given
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".json"):
        return "json"
    raise ImportFileError(
        f"Cannot tell the format of '{name}' from its extension; give --format csv or json."
    )


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    stream.seek(0)
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="strict")


def csv_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line the record starts on, {column: value}) for each CSV record."""
    text = _text(stream)
    reader = csv.reader(text)
    line_before = 0
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError("The file is empty.") from None
        header = [name.strip() for name in header]
        _check_header(header)
        line_before = reader.line_num
        any_record = False
        for row in reader:
            start, line_before = line_before + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            any_record = True
            if len(row) > len(header):
                yield start, {"__width__": f"{len(row)} cells but the header has {len(header)}"}
                continue
            yield start, dict(zip(header, row, strict=False))
        if not any_record:
            raise ImportFileError("The file has a header row but no records.")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{error.object[error.start]:02x} "
            f"near line {line_before + 1}); save it as UTF-8 and try again."
        ) from None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise ImportFileError(
                f"Line {line_before + 1} holds a field longer than {MAX_FIELD:,} characters."
            ) from None
        raise ImportFileError(f"Line {line_before + 1} is not valid CSV: {error}.") from None
    finally:
        text.detach()


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise ImportFileError("The header row is empty.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header: "
            f"{', '.join(repr(n) for n in unknown)}. Known columns: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportFileError(f"Column repeated in the header: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"Required column missing from the header: {', '.join(missing)}.")


def json_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line the object starts on, object) for each record of a JSON list."""
    stream.seek(0)
    raw = stream.read()
    try:
        text = codecs.decode(raw, "utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(f"The file is not UTF-8 text (near line {line}).") from None
    if not text.strip():
        raise ImportFileError("The file is empty.")
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"\s*")
    position = whitespace.match(text, 0).end()
    if text[position : position + 1] != "[":
        raise ImportFileError("A JSON import is a list of objects: the file must start with '['.")
    line, counted = 1, 0
    position = whitespace.match(text, position + 1).end()
    if text[position : position + 1] == "]":
        raise ImportFileError("The file holds an empty list: no records.")
    while True:
        line += text.count("\n", counted, position)
        counted = position
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"Line {error.lineno} is not valid JSON: {error.msg}.") from None
        if not isinstance(record, dict):
            raise ImportFileError(f"Line {line}: each record must be an object {{...}}.")
        unknown = [name for name in record if name not in COLUMNS + JSON_ONLY]
        if unknown:
            yield line, {"__unknown__": ", ".join(repr(n) for n in unknown)}
        else:
            yield line, record
        position = whitespace.match(text, position).end()
        if text[position : position + 1] == ",":
            position = whitespace.match(text, position + 1).end()
            continue
        if text[position : position + 1] == "]":
            return
        line += text.count("\n", counted, position)
        raise ImportFileError(f"Line {line}: expected ',' or ']' after a record.")


def read_records(stream: IO[bytes], file_format: str):
    if file_format == "csv":
        return csv_records(stream)
    if file_format == "json":
        return json_records(stream)
    raise ImportFileError(f"Unknown format '{file_format}': use csv or json.")


# --- Validating a record --------------------------------------------------------------


def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """'2023-01-09', '2023-01' or '2023' as (first day, precision)."""
    match = DATE_PATTERN.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = match.groups()
    try:
        if day:
            parsed = datetime.date(int(year), int(month), int(day)), dates.DAY
        elif month:
            parsed = datetime.date(int(year), int(month), 1), dates.MONTH
        else:
            parsed = datetime.date(int(year), 1, 1), dates.YEAR
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None
    if not dates.EARLIEST <= parsed[0] <= dates.LATEST:
        raise ValueError(f"'{value}' is outside 1900–2100")
    return parsed


def format_partial_date(day: datetime.date | None, precision: str) -> str:
    """The inverse of parse_partial_date."""
    if day is None:
        return ""
    if precision == dates.YEAR:
        return f"{day.year:04d}"
    if precision == dates.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@dataclass(frozen=True)
class CitationRow:
    source_key: tuple  # how the source is found: ("url", url) or ("title", title, publisher)
    title: str
    publisher: str
    published_on: datetime.date | None
    url: str
    quote: str
    locator: str


@dataclass
class Row:
    """A record that passed validation, in the database's terms."""

    line: int
    key: str  # given, or made from date and title
    keyed: bool  # whether the file gave the key
    date: datetime.date
    precision: str
    end_date: datetime.date | None
    title: str
    summary: str
    kind_id: int
    status: str
    location: str
    actor_codes: tuple[str, ...]
    citations: tuple[CitationRow, ...]
    evidence: tuple[tuple[int, str, int, str], ...]  # (recommendation id, stance, strength, note)


class Validator:
    """Checks records against the reference data, collecting every problem."""

    def __init__(self, check_duplicates: bool = True):
        self.check_duplicates = check_duplicates
        self.kinds = dict(DevelopmentKind.objects.values_list("code", "pk"))
        self.recommendations = dict(Recommendation.objects.values_list("code", "pk"))
        self.actors = set(Actor.objects.values_list("code", flat=True))
        self.new_countries: set[str] = set()
        self.keys_seen: dict[str, int] = {}
        self.url_validator = URLValidator(schemes=["http", "https"])
        self.urls_checked: dict[str, bool] = {}

    def valid_url(self, url: str) -> bool:
        if url not in self.urls_checked:
            try:
                self.url_validator(url)
                self.urls_checked[url] = True
            except ValidationError:
                self.urls_checked[url] = False
        return self.urls_checked[url]

    def validate(self, line: int, record: dict[str, Any]) -> tuple[Row | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(column, message):
            problems.append(Problem(line, column, message))

        if "__width__" in record:
            problem("record", record["__width__"])
            return None, problems
        if "__unknown__" in record:
            problem("record", f"unknown field(s) {record['__unknown__']}")
            return None, problems

        def text(column, limit=None, required=False) -> str:
            value = record.get(column)
            if value is None:
                value = ""
            if not isinstance(value, str):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    value = str(value)
                else:
                    problem(column, "must be text")
                    return ""
            value = value.strip()
            if required and not value:
                problem(column, "is required")
            if limit and len(value) > limit:
                problem(column, f"is {len(value):,} characters long; at most {limit} allowed")
                return value[:limit]
            return value

        title = text("title", limit=200, required=True)
        summary = text("summary", limit=MAX_FIELD)
        location = text("location", limit=200)

        date = precision = end_date = None
        raw_date = text("date", required=True)
        if raw_date:
            try:
                date, precision = parse_partial_date(raw_date)
            except ValueError as error:
                problem("date", str(error))
        raw_end = text("end_date")
        if raw_end:
            try:
                end_date, end_precision = parse_partial_date(raw_end)
            except ValueError as error:
                problem("end_date", str(error))
            else:
                if date and end_precision != precision:
                    problem("end_date", f"give it as precisely as date ({raw_date!r} form)")
                elif date and end_date < date:
                    problem("end_date", f"{raw_end} is before the date {raw_date}")

        kind_code = text("kind", required=True)
        kind_id = self.kinds.get(kind_code)
        if kind_code and kind_id is None:
            problem("kind", f"unknown kind '{kind_code}' (known: {', '.join(sorted(self.kinds))})")

        status = text("status") or Development.Status.OCCURRED
        if status not in STATUSES:
            problem("status", f"'{status}' is not one of {', '.join(sorted(STATUSES))}")

        actor_codes = self._actors(record.get("actors"), problem)
        citations = self._citations(record, text, problem)
        evidence = self._evidence(record.get("evidence"), text("note", limit=MAX_FIELD), problem)

        key = text("key")
        keyed = bool(key)
        if key and not KEY_PATTERN.match(key):
            problem(
                "key", f"'{key[:40]}' may hold only letters, digits, '-' and '_' (100 at most)"
            )
        elif not key and date and title:
            key = slugify(f"{format_partial_date(date, precision)}-{title}")[:100].strip("-")
        if key and self.check_duplicates:
            earlier = self.keys_seen.get(key)
            if earlier is not None:
                what = "key" if keyed else "date and title"
                problem(
                    "key" if keyed else "title", f"same {what} as the record on line {earlier}"
                )
            else:
                self.keys_seen[key] = line

        if problems:
            return None, problems
        for code in actor_codes:
            if code not in self.actors:
                self.new_countries.add(code)
        return (
            Row(
                line=line,
                key=key,
                keyed=keyed,
                date=date,
                precision=precision,
                end_date=end_date,
                title=title,
                summary=summary,
                kind_id=kind_id,
                status=status,
                location=location,
                actor_codes=actor_codes,
                citations=citations,
                evidence=evidence,
            ),
            [],
        )

    def _actors(self, value, problem) -> tuple[str, ...]:
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            items = value.split(";")
        elif value is None:
            items = []
        else:
            problem("actors", "must be codes separated by ';' (or, in JSON, a list)")
            return ()
        codes, bad = [], False
        for item in items:
            if not isinstance(item, str):
                problem("actors", f"{item!r} is not an actor code")
                bad = True
                continue
            code = item.strip().upper()
            if not code:
                continue
            if code not in self.actors and country_name(code) is None:
                problem(
                    "actors",
                    f"unknown actor '{code}' (not an ISO country code, nor an actor in the admin)",
                )
                bad = True
            elif code not in codes:
                codes.append(code)
        if not codes and not bad:
            problem("actors", "is required: at least one actor code")
        return tuple(sorted(codes))

    def _citations(self, record, text, problem) -> tuple[CitationRow, ...]:
        rows = []
        if record.get("citations") is not None:
            if not isinstance(record["citations"], list) or not all(
                isinstance(c, dict) for c in record["citations"]
            ):
                problem("citations", "must be a list of objects")
                return ()
            for citation in record["citations"]:
                row = self._citation(
                    lambda name, citation=citation, **kw: _field(citation, name, problem, **kw),
                    problem,
                    prefix="citations.",
                )
                if row:
                    rows.append(row)
        row = self._citation(
            lambda name, **kw: text(f"source_{name}", **kw), problem, prefix="source_"
        )
        if row:
            rows.append(row)
        seen = set()
        for row in rows:
            if row.source_key in seen:
                problem("citations", f"the source '{row.title or row.url}' is cited twice")
            seen.add(row.source_key)
        return tuple(rows)

    def _citation(self, get, problem, prefix) -> CitationRow | None:
        title = get("title", limit=300)
        publisher = get("publisher", limit=200)
        url = get("url", limit=500)
        raw_date = get("date")
        quote = get("quote", limit=MAX_FIELD)
        locator = get("locator", limit=100)
        if not (title or publisher or url or raw_date or quote or locator):
            return None
        published_on = None
        if raw_date:
            try:
                published_on, _ = parse_partial_date(raw_date)
            except ValueError as error:
                problem(f"{prefix}date", str(error))
        if url:
            if not self.valid_url(url):
                problem(f"{prefix}url", f"'{url[:80]}' is not an http(s) address")
            source_key = ("url", url)
        elif title:
            source_key = ("title", title, publisher)
        else:
            problem(f"{prefix}title", "a citation needs the source's title or URL")
            return None
        return CitationRow(source_key, title, publisher, published_on, url, quote, locator)

    def _evidence(self, value, note: str, problem) -> tuple[tuple[int, str, int, str], ...]:
        if value is None or value == "":
            return ()
        items: list[tuple[str, str, Any, str | None]] = []
        if isinstance(value, str):
            for item in value.split(";"):
                if not item.strip():
                    continue
                parts = [p.strip() for p in item.split(":")]
                if len(parts) not in (2, 3):
                    problem("evidence", f"'{item.strip()}' is not CODE:STANCE[:STRENGTH]")
                    continue
                items.append((parts[0], parts[1], parts[2] if len(parts) == 3 else 2, None))
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict) or "recommendation" not in item:
                    problem("evidence", f"{str(item)[:60]} is not an object with a recommendation")
                    continue
                items.append(
                    (
                        str(item.get("recommendation", "")),
                        str(item.get("stance", "")),
                        item.get("strength", 2),
                        item.get("rationale"),
                    )
                )
        else:
            problem("evidence", "must be items separated by ';' (or, in JSON, a list)")
            return ()

        notes = split_notes(note)
        links, seen = [], set()
        for code, stance, strength, rationale in items:
            code = code.upper()
            recommendation_id = self.recommendations.get(code)
            if recommendation_id is None:
                problem("evidence", f"unknown recommendation '{code}'")
                continue
            if stance not in STANCES:
                problem("evidence", f"'{stance}' for {code} is not 'advances' or 'hinders'")
                continue
            try:
                strength = int(strength)
            except (TypeError, ValueError):
                strength = 0
            if strength not in (1, 2, 3):
                problem("evidence", f"strength for {code} must be 1, 2 or 3")
                continue
            if code in seen:
                problem("evidence", f"{code} appears twice")
                continue
            seen.add(code)
            rationale = (rationale if isinstance(rationale, str) else None) or (
                notes.get(code) if isinstance(notes, dict) else notes
            )
            if not rationale:
                problem("note", f"evidence for {code} needs a rationale: say why in 'note'")
                continue
            links.append((recommendation_id, stance, strength, rationale.strip()))
        return tuple(sorted(links))


def _field(record, name, problem, limit=None):
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        problem(f"citations.{name}", "must be text")
        return ""
    value = value.strip()
    if limit and len(value) > limit:
        problem(f"citations.{name}", f"is longer than {limit} characters")
    return value[:limit] if limit else value


def split_notes(note: str) -> str | dict[str, str]:
    """A note for every link, or one per recommendation when each line starts '[CODE]'."""
    lines = [line for line in note.splitlines() if line.strip()]
    if lines and all(NOTE_LINE.match(line.strip()) for line in lines):
        notes: dict[str, str] = {}
        for line in lines:
            code, text = NOTE_LINE.match(line.strip()).groups()
            notes[code.strip().upper()] = text
        return notes
    return note


def join_notes(links: list[tuple[str, str]]) -> str:
    """The note column for (recommendation code, rationale) pairs: one note if all agree."""
    rationales = {rationale for _, rationale in links}
    if len(rationales) <= 1:
        return rationales.pop() if rationales else ""
    return "\n".join(f"[{code}] {rationale}" for code, rationale in links)


# --- Writing ---------------------------------------------------------------------------


class Writer:
    """Compares validated rows with the database and applies the differences."""

    FIELDS = ("date", "precision", "end_date", "title", "summary", "kind_id", "status", "location")

    def __init__(
        self, dry_run: bool, created_by=None, reason: str = "import", publish: bool = True
    ):
        self.dry_run = dry_run
        self.publish = publish
        self.created_by = created_by
        self.reason = reason[:100]
        self.actor_ids = dict(Actor.objects.values_list("code", "pk"))
        self.sources: dict[tuple, int | None] = {}
        self.report = ImportReport(dry_run=dry_run)
        self.digest = hashlib.sha256()  # of every planned change, in file order

    def plan(self, action: str, key: str) -> None:
        self.digest.update(f"{action}:{key}\n".encode())
        if len(self.report.changes) < PREVIEW_LIMIT:
            self.report.changes.append((action, key))

    def add_countries(self, codes: Iterable[str]) -> None:
        now = timezone.now()
        new = [
            Actor(
                code=code,
                name=country_name(code),
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

    def source_id(self, citation: CitationRow) -> int | None:
        """The source a citation names: found by URL, else title and publisher, else made."""
        if citation.source_key in self.sources:
            return self.sources[citation.source_key]
        if citation.url:
            found = Source.objects.filter(url=citation.url).values_list("pk", flat=True).first()
        else:
            found = (
                Source.objects.filter(title=citation.title, publisher=citation.publisher)
                .values_list("pk", flat=True)
                .first()
            )
        if found is None and not self.dry_run:
            found = Source.objects.create(
                key=self._source_key(citation),
                title=citation.title or citation.url,
                publisher=citation.publisher,
                published_on=citation.published_on,
                url=citation.url,
                created_by=self.created_by,
            ).pk
        self.sources[citation.source_key] = found
        return found

    def _source_key(self, citation: CitationRow) -> str:
        base = slugify(f"{citation.title or citation.url}-{citation.publisher}")[:90] or "source"
        key, n = base, 1
        while Source.objects.filter(key=key).exists():
            n += 1
            key = f"{base}-{n}"
        return key

    def write_batch(self, rows: list[Row]) -> None:
        keyed = [row.key for row in rows if row.keyed]
        by_key = {
            d["key"]: d
            for d in Development.objects.filter(key__in=keyed).values("pk", "key", *self.FIELDS)
        }
        keyless = [row for row in rows if not row.keyed]
        by_identity = {}
        generated_taken = set()
        if keyless:
            for d in Development.objects.filter(title__in=[r.title for r in keyless]).values(
                "pk", "key", *self.FIELDS
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
                self.report.errors.append(
                    Problem(
                        row.line,
                        "key",
                        f"the key '{row.key}' made from date and title is "
                        "taken by another development; give the record a key",
                    )
                )
                continue
            existing[row.line] = found
        ids = [d["pk"] for d in existing.values() if d]
        actors, citations, evidence = self._links(ids)

        to_create, to_update = [], []
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
            same_fields = all(found[name] == getattr(row, name) for name in self.FIELDS)
            same_links = (
                actors.get(found["pk"], ()) == row.actor_codes
                and citations.get(found["pk"], ()) == citation_rows
                and None not in [c[0] for c in citation_rows]
                and evidence.get(found["pk"], ()) == row.evidence
            )
            if same_fields and same_links:
                self.report.unchanged += 1
            else:
                to_update.append((row, found["pk"], citation_rows))
        self.report.created += len(to_create)
        self.report.updated += len(to_update)
        for row, _ in to_create:
            self.plan("create", row.key)
        for row, _, _ in to_update:
            self.plan("update", row.key)
        if self.dry_run or self.report.errors:
            return
        self._apply(to_create, to_update)

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
                "development_id", "recommendation_id", "stance", "strength", "rationale"
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
                ["key", *self.FIELDS, "created_at", "updated_at", "created_by", "published"],
                [
                    [row.key, *field_values(row), now, now, user, self.publish]
                    for row, _ in to_create
                ],
            )
        ids = dict(
            Development.objects.filter(key__in=[row.key for row, _ in to_create]).values_list(
                "key", "pk"
            )
        )
        if to_update:
            updated = []
            for row, pk, _ in to_update:
                development = Development(pk=pk, updated_at=timezone.now())
                for name in self.FIELDS:
                    setattr(development, name, getattr(row, name))
                updated.append(development)
            Development.objects.bulk_update(updated, [*self.FIELDS, "updated_at"])
            changed = [pk for _, pk, _ in to_update]
            for model in (DevelopmentActor, Citation, Evidence):
                model.objects.filter(development_id__in=changed).delete()

        created_ids = [ids[row.key] for row, _ in to_create]
        changed_ids = [pk for _, pk, _ in to_update]
        record_history(Development, "id", created_ids, "+", self.created_by, self.reason)
        record_history(Development, "id", changed_ids, "~", self.created_by, self.reason)
        pairs = [(ids[row.key], row, c) for row, c in to_create]
        pairs += [(pk, row, c) for row, pk, c in to_update]
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


def record_history(model, column: str, ids: list[int], history_type: str, user, reason: str):
    """Write audit-trail rows for rows written in bulk (bulk writes send no signals).

    One INSERT … SELECT copies the rows as they now stand into the model's
    django-simple-history table, as a save in the admin would.
    """
    if not ids:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields)
    historical = model.history.model._meta
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

    Measured on 100,000 developments: Django's bulk_create spends most of an
    import preparing each value through its field; executemany with values
    prepared once is several times faster, on SQLite and on PostgreSQL alike.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
    `expect_fingerprint` makes the write refuse if the planned changes differ
    from an earlier dry run's (the admin's preview). New developments are
    published unless `publish` is False (an editor's upload: drafts for review).
    """
    validator = Validator()
    errors: list[Problem] = []
    records = 0
    for line, record in read_records(stream, file_format):
        records += 1
        _, problems = validator.validate(line, record)
        errors.extend(problems)
        if progress and records % BATCH_SIZE == 0:
            progress("validated", records)
    if errors:
        return ImportReport(records=records, errors=errors, dry_run=dry_run)

    def rows() -> Iterator[Row]:
        checker = Validator(check_duplicates=False)  # the first pass did that
        for line, record in read_records(stream, file_format):
            row, _ = checker.validate(line, record)
            yield row

    with transaction.atomic():
        serialise_imports()
        DataVersion.objects.bump()  # bulk writes send no signals
        writer = Writer(dry_run=dry_run, created_by=created_by, reason=reason, publish=publish)
        writer.add_countries(validator.new_countries)
        done = 0
        for batch in _batches(rows(), BATCH_SIZE):
            writer.write_batch(batch)
            done += len(batch)
            if progress:
                progress("written" if not dry_run else "checked", done)
        for code in sorted(validator.new_countries):
            writer.digest.update(f"country:{code}\n".encode())
        report = writer.report
        report.records = records
        report.fingerprint = writer.digest.hexdigest()
        if report.errors or (
            expect_fingerprint is not None and report.fingerprint != expect_fingerprint
        ):
            transaction.set_rollback(True)
            if expect_fingerprint is not None and report.fingerprint != expect_fingerprint:
                report.errors.append(
                    Problem(0, "file", "the data changed since the preview; preview it again")
                )
    return report


# --- Exporting ----------------------------------------------------------------------------


def export_records(developments=None) -> Iterator[dict[str, Any]]:
    """Each development as a record of the import format, keys in COLUMNS order."""
    developments = (
        (developments or Development.objects.all())
        .select_related("kind")
        .prefetch_related(
            "actors",
            "citations__source",
            "evidence__recommendation",
        )
        .order_by("date", "key")
    )
    for development in developments.iterator(chunk_size=BATCH_SIZE):
        citations = sorted(development.citations.all(), key=lambda c: c.source.key)
        first = citations[0] if citations else None
        links = sorted(
            (e.recommendation.code, e.stance, e.strength, e.rationale)
            for e in development.evidence.all()
        )
        yield {
            "key": development.key,
            "date": format_partial_date(development.date, development.precision),
            "end_date": format_partial_date(development.end_date, development.precision),
            "title": development.title,
            "summary": development.summary,
            "kind": development.kind.code,
            "status": development.status,
            "actors": sorted(a.code for a in development.actors.all()),
            "location": development.location,
            "source_title": first.source.title if first else "",
            "source_publisher": first.source.publisher if first else "",
            "source_date": first.source.published_on.isoformat()
            if first and first.source.published_on
            else "",
            "source_url": first.source.url if first else "",
            "source_quote": first.quote if first else "",
            "source_locator": first.locator if first else "",
            "evidence": links,
            "note": join_notes([(code, rationale) for code, _, _, rationale in links]),
            "citations": citations[1:],
        }


def export_developments(out: IO[str], file_format: str, developments=None) -> tuple[int, int]:
    """Write developments as CSV or JSON; returns (records, citations CSV had to leave out)."""
    count = dropped = 0
    if file_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in export_records(developments):
            count += 1
            dropped += len(record["citations"])
            record["actors"] = ";".join(record["actors"])
            record["evidence"] = ";".join(
                f"{code}:{stance}:{strength}" for code, stance, strength, _ in record["evidence"]
            )
            writer.writerow([record[name] for name in COLUMNS])
        return count, dropped
    if file_format != "json":
        raise ImportFileError(f"Unknown format '{file_format}': use csv or json.")
    out.write("[")
    for record in export_records(developments):
        extra = record.pop("citations")
        record["evidence"] = [
            {"recommendation": code, "stance": stance, "strength": strength, "rationale": note}
            for code, stance, strength, note in record["evidence"]
        ]
        del record["note"]
        if extra:
            record["citations"] = [
                {
                    "title": c.source.title,
                    "publisher": c.source.publisher,
                    "date": c.source.published_on.isoformat() if c.source.published_on else "",
                    "url": c.source.url,
                    "quote": c.quote,
                    "locator": c.locator,
                }
                for c in extra
            ]
        out.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count, dropped
