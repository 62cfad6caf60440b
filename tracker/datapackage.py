"""The open data: what the reports' readers may see, as a Frictionless Data Package.

A package is a folder (or a zip) of CSV files, one per table, and `datapackage.json`
describing each (https://datapackage.org): every column's type, format and
constraints, each table's primary key and foreign keys, when it was made and the
methodology version its figures follow. `frictionless validate datapackage.json`
checks it; pandas, R or a spreadsheet read the CSVs as they are.

What is in it is what the read API shows (tracker/api/views.py): frameworks and
recommendations; published developments with their actors, citations and evidence;
published assessments; the actors and sources those name. Never a draft, a user or
a password. Records are keyed by their stable codes and keys (`TSU-2`,
`2023-01-11-japan-uk-raa`), the ones the import matches on and a citation can name.

Cells are written raw, not through `text.neutralise()`: a package is data for
programs and must come back exactly as it went out (`import_package`), and a title
such as "-5% in 2024" is the title. Spreadsheet users open the reports' exports,
which are neutralised; a package's CSV opened by double-click in a spreadsheet
runs a cell beginning with '=' as a formula, as any raw CSV would.

Written as a stream: each table is one query read a chunk at a time and written as
it comes, so memory stays flat however large the tables, and the queries are one a
table whatever their size; all of it in one transaction, so the tables agree with
each other (every foreign key finds its row) while editors write.

`import_package` reads a package back: the reference tables and assessments saved
record by record, the developments (with their actors, citations and evidence)
through the import (tracker/interchange), turned into its JSON format, so they are
checked and written exactly as an imported file's are.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import tempfile
import zipfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, F, OuterRef, When
from django.utils import timezone

from tracker import dates, figures, methodology
from tracker.backup import one_state
from tracker.downloads import Pipe
from tracker.interchange import ImportFileError, ImportReport, import_developments
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
)
from tracker.text import CsvLine

NAME = "policy-recommendation-tracker"
DESCRIPTOR = "datapackage.json"
LINES_PER_WRITE = 200  # CSV lines written (and, in a download, sent) at a time
ZIP_COMPRESSION = 1  # zlib's fastest: the download streams as it is read


# --- The tables and their schema ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: a Table Schema field."""

    name: str
    type: str  # string, integer, number, date
    description: str
    constraints: dict[str, Any] = field(default_factory=dict)
    format: str | None = None

    def schema(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        if self.format:
            described["format"] = self.format
        if self.constraints:
            described["constraints"] = self.constraints
        return described


def column(
    model: type[models.Model],
    name: str,
    *,
    required: bool = False,
    description: str | None = None,
) -> Column:
    """The column for `model.name`, its type and constraints read from the model's
    field (a foreign key is written as the code or key of the row it names), so the
    schema cannot drift from the database."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # a column of the model's own
    target = model_field
    if isinstance(model_field, models.ForeignKey):
        related = model_field.related_model
        assert isinstance(related, type)
        natural_key = related._meta.get_field(NATURAL_KEYS[related])
        assert isinstance(natural_key, models.Field)
        target = natural_key
    constraints: dict[str, Any] = {"required": True} if required else {}
    kind, form = "string", None
    if isinstance(target, models.DateField):
        kind = "date"
    elif isinstance(target, models.FloatField):
        kind = "number"
    elif isinstance(target, models.IntegerField):
        kind = "integer"
        constraints.update(_bounds(target))
    else:
        constraints.update(_text_constraints(model, name, target))
        form = "uri" if isinstance(target, models.URLField) else None
    if model_field.choices and not isinstance(model_field, models.ForeignKey):
        constraints["enum"] = [value for value, _ in model_field.flatchoices]
    text = description or str(model_field.help_text) or str(model_field.verbose_name)
    return Column(name, kind, text[:1].upper() + text[1:], constraints, form)


def _bounds(target: models.Field) -> dict[str, int]:
    """An integer field's least and greatest values, from its type and validators."""
    bounds = {}
    if isinstance(target, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        bounds["minimum"] = 0
    for validator in target.validators:
        if isinstance(validator, MinValueValidator):
            bounds["minimum"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["maximum"] = validator.limit_value
    return bounds


def _text_constraints(model, name: str, target: models.Field) -> dict[str, Any]:
    """A text field's length, and the pattern of a slug or a code."""
    constraints: dict[str, Any] = {}
    if target.max_length:
        constraints["maxLength"] = target.max_length
    if isinstance(target, models.SlugField):
        constraints["pattern"] = "[-a-zA-Z0-9_]+"
    elif name == "code" and model in (Recommendation, Actor):
        constraints["pattern"] = "[A-Z0-9][A-Z0-9_-]*"  # models.code_validator
    return constraints


# The stable identifier each table's rows are named by, here and in every reference.
NATURAL_KEYS: dict[type[models.Model], str] = {
    Source: "key",
    Framework: "code",
    Recommendation: "code",
    DevelopmentKind: "code",
    Actor: "code",
    Development: "key",
}


@dataclass(frozen=True)
class Table:
    """One resource of the package: a CSV file, its schema, and the query behind it."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    # (columns, the table they name, its columns)
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]
    query: Callable[[], models.QuerySet]  # values_list in column order

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def schema(self) -> dict[str, Any]:
        return {
            "fields": [c.schema() for c in self.columns],
            "missingValues": [""],
            "primaryKey": list(self.primary_key),
            "foreignKeys": [
                {
                    "fields": list(fields),
                    # "" is the table itself (a development that follows another).
                    "reference": {
                        "resource": "" if resource == self.name else resource,
                        "fields": list(targets),
                    },
                }
                for fields, resource, targets in self.foreign_keys
            ],
        }

    def rows(self) -> Iterator[tuple]:
        """The table's rows, read from the database a chunk at a time (one query)."""
        return self.query().iterator(chunk_size=CHUNK_SIZE)


def _published_sources() -> models.QuerySet:
    """The sources readers see: those published developments cite, and frameworks'."""
    return Source.objects.filter(
        Exists(Citation.objects.filter(source=OuterRef("pk"), development__published=True))
        | Exists(Framework.objects.filter(source=OuterRef("pk")))
    )


def _earlier_stage(name: str):
    """What a published development follows (the earlier stage's key, or how), or
    NULL when that stage is a draft: a reader never learns a draft's key."""
    return Case(When(follows__published=True, then=F(name)), default=None)


TABLES: tuple[Table, ...] = (
    Table(
        "sources",
        "Sources",
        "Where facts come from: the sources published developments cite, and the "
        "publications frameworks come from.",
        (
            column(Source, "key", required=True),
            column(Source, "title", required=True),
            column(Source, "publisher"),
            column(Source, "author"),
            column(Source, "published_on", description="The date it was published."),
            column(Source, "url"),
            column(Source, "kind", required=True, description="What sort of publication."),
            column(Source, "reliability", required=True),
        ),
        ("key",),
        (),
        lambda: (
            _published_sources()
            .order_by("key")
            .values_list(
                "key", "title", "publisher", "author", "published_on", "url", "kind", "reliability"
            )
        ),
    ),
    Table(
        "frameworks",
        "Frameworks",
        "Published sets of recommendations.",
        (
            column(Framework, "code", required=True),
            column(Framework, "title", required=True),
            column(Framework, "author"),
            column(Framework, "year", required=True),
            column(Framework, "source"),
            column(Framework, "description"),
        ),
        ("code",),
        ((("source",), "sources", ("key",)),),
        lambda: Framework.objects.order_by("code").values_list(
            "code", "title", "author", "year", "source__key", "description"
        ),
    ),
    Table(
        "recommendations",
        "Recommendations",
        "Each framework's recommendations, quoted verbatim.",
        (
            column(Recommendation, "code", required=True),
            column(Recommendation, "framework", required=True),
            column(Recommendation, "ordinal", required=True),
            column(Recommendation, "title", required=True, description="A short title."),
            column(Recommendation, "text", required=True, description="The verbatim text."),
            column(Recommendation, "elaboration"),
        ),
        ("code",),
        ((("framework",), "frameworks", ("code",)),),
        lambda: Recommendation.objects.order_by("code").values_list(
            "code", "framework__code", "ordinal", "title", "text", "elaboration"
        ),
    ),
    Table(
        "development_kinds",
        "Development kinds",
        "What sort of thing a development is, and whether it is words or deeds.",
        (
            column(DevelopmentKind, "code", required=True),
            column(DevelopmentKind, "name", required=True),
            column(DevelopmentKind, "nature", required=True),
            column(DevelopmentKind, "description"),
        ),
        ("code",),
        (),
        lambda: DevelopmentKind.objects.order_by("code").values_list(
            "code", "name", "nature", "description"
        ),
    ),
    Table(
        "actors",
        "Actors",
        "The states and organisations that published developments name.",
        (
            column(Actor, "code", required=True),
            column(Actor, "name", description="Its name (a state's from the ISO country list)."),
            column(Actor, "kind", required=True),
            column(Actor, "region"),
        ),
        ("code",),
        (),
        lambda: (
            Actor.objects.on_record()
            .order_by("code")
            .values_list("code", "name", "kind", "region")
        ),
    ),
    Table(
        "developments",
        "Developments",
        "Published developments: what happened or was announced. A date known only to "
        "its month or year is the first day of that month or year, with its precision.",
        (
            column(Development, "key", required=True),
            column(Development, "date", required=True),
            column(Development, "precision", required=True),
            column(Development, "end_date"),
            column(Development, "status", required=True),
            column(Development, "kind", required=True),
            column(Development, "title", required=True),
            column(Development, "summary"),
            column(Development, "location"),
            column(Development, "follows"),
            column(Development, "follows_as"),
        ),
        ("key",),
        ((("kind",), "development_kinds", ("code",)), (("follows",), "developments", ("key",))),
        lambda: (
            Development.objects.published()
            .order_by("key")
            .values_list(
                "key",
                "date",
                "precision",
                "end_date",
                "status",
                "kind__code",
                "title",
                "summary",
                "location",
                _earlier_stage("follows__key"),
                _earlier_stage("follows_as"),
            )
        ),
    ),
    Table(
        "development_actors",
        "Actors of developments",
        "Who took part in each published development.",
        (
            column(DevelopmentActor, "development", required=True),
            column(DevelopmentActor, "actor", required=True),
        ),
        ("development", "actor"),
        (
            (("development",), "developments", ("key",)),
            (("actor",), "actors", ("code",)),
        ),
        lambda: (
            DevelopmentActor.objects.published()
            .order_by("development__key", "actor__code")
            .values_list("development__key", "actor__code")
        ),
    ),
    Table(
        "citations",
        "Citations",
        "The sources of each published development, with a quote or locator.",
        (
            column(Citation, "development", required=True),
            column(Citation, "source", required=True),
            column(Citation, "quote"),
            column(Citation, "locator"),
        ),
        ("development", "source"),
        (
            (("development",), "developments", ("key",)),
            (("source",), "sources", ("key",)),
        ),
        lambda: (
            Citation.objects.published()
            .order_by("development__key", "source__key")
            .values_list("development__key", "source__key", "quote", "locator")
        ),
    ),
    Table(
        "evidence",
        "Evidence",
        "Published developments counted for or against recommendations, with their "
        "coding and the points each counts today.",
        (
            column(Evidence, "development", required=True),
            column(Evidence, "recommendation", required=True),
            column(Evidence, "stance", required=True),
            column(Evidence, "strength", required=True),
            column(Evidence, "confidence", required=True),
            column(Evidence, "rationale", required=True),
            column(
                Evidence,
                "points",
                description="The link's points in today's figures, under the package's "
                "methodology version; empty while it does not count (a stage a later "
                "one replaces).",
            ),
        ),
        ("development", "recommendation"),
        (
            (("development",), "developments", ("key",)),
            (("recommendation",), "recommendations", ("code",)),
        ),
        lambda: (
            Evidence.objects.published()
            .order_by("development__key", "recommendation__code")
            .values_list(
                "development__key",
                "recommendation__code",
                "stance",
                "strength",
                "confidence",
                "rationale",
                "points",
            )
        ),
    ),
    Table(
        "assessments",
        "Assessments",
        "Published judgements of how far each recommendation is implemented; the "
        "latest is its current status.",
        (
            column(Assessment, "recommendation", required=True),
            column(Assessment, "assessed_on", required=True, description="The day of it."),
            column(Assessment, "status", required=True),
            column(Assessment, "reason"),
            column(Assessment, "rationale", required=True),
        ),
        ("recommendation", "assessed_on"),
        ((("recommendation",), "recommendations", ("code",)),),
        lambda: (
            Assessment.objects.published()
            .order_by("recommendation__code", "assessed_on")
            .values_list("recommendation__code", "assessed_on", "status", "reason", "rationale")
        ),
    ),
)
TABLES_BY_NAME = {table.name: table for table in TABLES}


def descriptor(created: datetime.datetime, files: dict[str, FileStats]) -> dict[str, Any]:
    """datapackage.json: the package, and each table with its file's size and hash."""
    return {
        "profile": "tabular-data-package",
        "name": NAME,
        "title": "Policy Recommendation Tracker: open data",
        "description": "Frameworks of policy recommendations, the developments that "
        "advance or hinder them, the evidence linking the two, and analysts' "
        "assessments, as published. Points follow the methodology version below "
        "(its codebook is the tracker's /methodology/ page).",
        "created": created.isoformat(timespec="seconds"),
        "methodology": {"version": methodology.VERSION, "weights": methodology.weights()},
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": table.name,
                "path": table.path,
                "title": table.title,
                "description": table.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": files[table.name].size,
                "hash": f"sha256:{files[table.name].sha256}",
                "schema": table.schema(),
            }
            for table in TABLES
        ],
    }


# --- Writing -------------------------------------------------------------------------------


@dataclass
class FileStats:
    """What was written to one file: rows, bytes and their SHA-256."""

    rows: int = 0
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    return value


def csv_chunks(table: Table, stats: FileStats) -> Iterator[bytes]:
    """The table as UTF-8 CSV (RFC 4180: CRLF line ends, fields quoted as needed), a
    few hundred lines at a time, counting its rows, bytes and hash in `stats`."""
    writer = csv.writer(CsvLine())
    rows = table.rows()
    lines: Iterable[str] = [writer.writerow(table.header)]
    while lines:
        data = "".join(lines).encode()
        stats.size += len(data)
        stats.digest.update(data)
        yield data
        batch = list(islice(rows, LINES_PER_WRITE))
        stats.rows += len(batch)
        lines = [writer.writerow([_cell(value) for value in row]) for row in batch]


def write_package(directory: Path) -> dict[str, int]:
    """Write the package into `directory` (which must exist): a CSV per table, then
    datapackage.json. Returns the rows written per table."""
    files: dict[str, FileStats] = {}
    with one_state():
        created = timezone.now()
        for table in TABLES:
            stats = files[table.name] = FileStats()
            with open(directory / table.path, "wb") as out:
                for chunk in csv_chunks(table, stats):
                    out.write(chunk)
    text = json.dumps(descriptor(created, files), indent=2, ensure_ascii=False) + "\n"
    (directory / DESCRIPTOR).write_text(text, encoding="utf-8")
    return {name: stats.rows for name, stats in files.items()}


def zip_chunks(files: dict[str, FileStats] | None = None) -> Iterator[bytes]:
    """The package as a zip, sent as it is written: each table's CSV is compressed a
    few hundred lines at a time, and datapackage.json (which holds each file's size
    and hash) goes last. The zip is written to a stream it cannot seek, so each
    file's sizes follow its data (zip's data descriptors, which every unzip reads).
    `files`, if given, receives what was written to each file."""
    pipe = Pipe()
    files = {} if files is None else files
    with (
        one_state(),
        zipfile.ZipFile(
            pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_COMPRESSION
        ) as archive,
    ):
        created = timezone.now()
        for table in TABLES:
            stats = files[table.name] = FileStats()
            with archive.open(table.path, "w") as member:
                for chunk in csv_chunks(table, stats):
                    member.write(chunk)
                    if data := pipe.take():
                        yield data
        text = json.dumps(descriptor(created, files), indent=2, ensure_ascii=False) + "\n"
        archive.writestr(DESCRIPTOR, text)
    yield pipe.take()


# --- Reading a package back ----------------------------------------------------------------


class PackageError(Exception):
    """The package cannot be read, or a record of it not written: one line that says
    why (for a record, the file and line)."""


@dataclass
class PackageReport:
    """What reading a package did: rows saved per reference table and the import's
    report of the developments."""

    saved: Counter[str] = field(default_factory=Counter)  # created or updated
    unchanged: Counter[str] = field(default_factory=Counter)
    developments: ImportReport | None = None
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would be saved" if self.dry_run else "saved"
        tables = ", ".join(
            f"{name} {self.saved[name]} {verb}, {self.unchanged[name]} unchanged"
            for name in (*REFERENCE_TABLES, "assessments")
        )
        developments = self.developments.summary() if self.developments else ""
        return f"{tables}. Developments: {developments}"


@contextmanager
def _opened(path: Path) -> Iterator[Callable[[str], IO[str]]]:
    """A function opening each file of the package at `path` (a folder, its
    datapackage.json, or a zip) as text."""
    with ExitStack() as stack:
        if path.is_file() and zipfile.is_zipfile(path):
            archive = stack.enter_context(zipfile.ZipFile(path))
            names = set(archive.namelist())

            def open_zipped(name: str) -> IO[str]:
                if name not in names:
                    raise PackageError(f"{path} holds no {name}.")
                member = stack.enter_context(archive.open(name))
                return io.TextIOWrapper(member, encoding="utf-8", newline="")

            yield open_zipped
            return
        folder = path.parent if path.name == DESCRIPTOR else path

        def open_file(name: str) -> IO[str]:
            try:
                return stack.enter_context(open(folder / name, encoding="utf-8", newline=""))
            except OSError as error:
                raise PackageError(f"Cannot open {folder / name}: {error.strerror}.") from None

        yield open_file


def _records(open_file: Callable[[str], IO[str]], table: Table) -> Iterator[tuple[int, dict]]:
    """(line, {column: text}) of each row of a table's CSV; its header must be the
    table's columns (in any order)."""
    reader = csv.DictReader(open_file(table.path))
    try:
        header = reader.fieldnames or []
        if sorted(header) != sorted(table.header):
            raise PackageError(
                f"{table.path}: the header must be {', '.join(table.header)}; "
                f"it is {', '.join(header) or 'empty'}."
            )
        line = reader.line_num
        for record in reader:
            if None in record or None in record.values():  # more cells, or fewer
                raise PackageError(
                    f"{table.path}, line {line + 1}: not one cell per column of the header."
                )
            yield line + 1, record
            line = reader.line_num
    except (UnicodeDecodeError, csv.Error) as error:
        raise PackageError(f"{table.path}, near line {reader.line_num}: {error}.") from None


def _check_descriptor(open_file: Callable[[str], IO[str]]) -> dict[str, Any]:
    try:
        described = json.load(open_file(DESCRIPTOR))
    except (ValueError, UnicodeDecodeError) as error:
        raise PackageError(f"{DESCRIPTOR} is not JSON: {error}.") from None
    if not isinstance(described, dict) or described.get("name") != NAME:
        raise PackageError(f"{DESCRIPTOR} does not describe a package of this tracker ({NAME}).")
    named = {r.get("name") for r in described.get("resources", []) if isinstance(r, dict)}
    missing = [table.name for table in TABLES if table.name not in named]
    if missing:
        raise PackageError(f"{DESCRIPTOR} lacks the tables {', '.join(missing)}.")
    return described


def _save(table: Table, line: int, model, lookup: dict, values: dict, report: PackageReport):
    """Create or update one record, checked as the admin checks it (its history and
    figures follow from its save, as an edit's do); one that the package leaves as
    it is, is not saved."""
    record = model.objects.filter(**lookup).first() or model(**lookup)
    before = [getattr(record, f.attname) for f in model._meta.concrete_fields]
    for name, value in values.items():
        setattr(record, name, value)
    try:
        record.full_clean(validate_unique=False)
        if record.pk and before == [
            getattr(record, f.attname) for f in model._meta.concrete_fields
        ]:
            report.unchanged[table.name] += 1
            return
        record._change_reason = "Imported from a data package"
        record.save()
    except ValidationError as error:
        problems = "; ".join(f"{name}: {' '.join(m)}" for name, m in error.message_dict.items())
        raise PackageError(f"{table.path}, line {line}: {problems}") from None
    except IntegrityError as error:
        raise PackageError(f"{table.path}, line {line}: {error}") from None
    report.saved[table.name] += 1


def _looked_up(model, table: Table, line: int, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        wanted = ", ".join(f"{value}" for value in lookup.values())
        raise PackageError(
            f"{table.path}, line {line}: no {model._meta.verbose_name} {wanted!r} in the "
            "package or the database."
        )
    return found


REFERENCE_TABLES = ("sources", "frameworks", "recommendations", "development_kinds", "actors")


def _save_reference(open_file, report: PackageReport) -> None:
    """Sources, frameworks, recommendations, kinds and actors, by their codes and keys."""
    table = TABLES_BY_NAME["sources"]
    for line, r in _records(open_file, table):
        _save(
            table,
            line,
            Source,
            {"key": r["key"]},
            {
                "title": r["title"],
                "publisher": r["publisher"],
                "author": r["author"],
                "published_on": r["published_on"] or None,
                "url": r["url"],
                "kind": r["kind"],
                "reliability": r["reliability"],
            },
            report,
        )
    table = TABLES_BY_NAME["frameworks"]
    for line, r in _records(open_file, table):
        source = _looked_up(Source, table, line, key=r["source"]) if r["source"] else None
        values = {k: r[k] for k in ("title", "author", "year", "description")}
        _save(table, line, Framework, {"code": r["code"]}, {**values, "source": source}, report)
    table = TABLES_BY_NAME["recommendations"]
    for line, r in _records(open_file, table):
        framework = _looked_up(Framework, table, line, code=r["framework"])
        values = {k: r[k] for k in ("ordinal", "title", "text", "elaboration")}
        values["framework"] = framework
        _save(table, line, Recommendation, {"code": r["code"]}, values, report)
    for table, model in (
        (TABLES_BY_NAME["development_kinds"], DevelopmentKind),
        (TABLES_BY_NAME["actors"], Actor),
    ):
        for line, r in _records(open_file, table):
            values = {k: r[k] for k in table.header if k != "code"}
            _save(table, line, model, {"code": r["code"]}, values, report)


def _linked(records: Iterator[tuple[int, dict]]) -> Iterator[tuple[str, list[tuple[int, dict]]]]:
    """The rows of a link table grouped by development, in the file's order."""
    for key, group in groupby(records, key=lambda item: item[1]["development"]):
        yield key, list(group)


class _Links:
    """A link table read alongside developments.csv: both list their rows in the
    order of the developments' keys, so each development's links are the next group
    (a merge, holding one development's links at a time)."""

    def __init__(self, open_file, name: str):
        self.table = TABLES_BY_NAME[name]
        self.groups = _linked(_records(open_file, self.table))
        self.next = next(self.groups, None)

    def of(self, key: str) -> list[dict]:
        if self.next is None or self.next[0] != key:
            return []
        rows = [record for _, record in self.next[1]]
        self.next = next(self.groups, None)
        return rows

    def check_used(self) -> None:
        """Every row was some development's: else it names none, or is out of order."""
        if self.next is not None:
            key, rows = self.next
            raise PackageError(
                f"{self.table.path}, line {rows[0][0]}: the development {key!r} is not in "
                "developments.csv, or the rows are not in the order of its keys."
            )


DATE_WIDTHS = {dates.DAY: 10, dates.MONTH: 7, dates.YEAR: 4}


def _import_records(open_file, spool: IO[bytes]) -> array:
    """Write developments.csv with its links into `spool` as the import's JSON, one
    record a line; returns the CSV line of each record."""
    sources = {
        key: (title, publisher, published_on, url, reliability)
        for key, title, publisher, published_on, url, reliability in Source.objects.values_list(
            "key", "title", "publisher", "published_on", "url", "reliability"
        ).iterator(chunk_size=CHUNK_SIZE)
    }
    actors = _Links(open_file, "development_actors")
    citations = _Links(open_file, "citations")
    evidence = _Links(open_file, "evidence")
    lines = array("L")
    spool.write(b"[")
    for line, r in _records(open_file, TABLES_BY_NAME["developments"]):
        # The import's partial date says the precision: '2023-01-09', '2023-01', '2023'.
        width = DATE_WIDTHS.get(r["precision"])
        if width is None:
            raise PackageError(
                f"developments.csv, line {line}: the precision must be one of "
                f"{', '.join(DATE_WIDTHS)}, not {r['precision']!r}."
            )
        record = {
            "key": r["key"],
            "date": r["date"][:width],
            "end_date": r["end_date"][:width],
            **{k: r[k] for k in ("title", "summary", "kind", "status", "location")},
            "follows": r["follows"],
            "follows_as": r["follows_as"],
            "actors": [a["actor"] for a in actors.of(r["key"])],
            "citations": [_citation(c, sources, line) for c in citations.of(r["key"])],
            "evidence": [
                {k: e[k] for k in ("recommendation", "stance", "strength", "confidence")}
                | {"rationale": e["rationale"]}
                for e in evidence.of(r["key"])
            ],
        }
        spool.write((b",\n" if lines else b"\n") + json.dumps(record).encode())
        lines.append(line)
    spool.write(b"\n]\n")
    for links in (actors, citations, evidence):
        links.check_used()
    return lines


def _citation(row: dict, sources: dict, line: int) -> dict:
    if row["source"] not in sources:
        raise PackageError(
            f"citations.csv: the source {row['source']!r} (of the development on "
            f"developments.csv line {line}) is not in sources.csv."
        )
    title, publisher, published_on, url, reliability = sources[row["source"]]
    return {
        "title": title,
        "publisher": publisher,
        "date": published_on.isoformat() if published_on else "",
        "url": url,
        "reliability": reliability,
        "quote": row["quote"],
        "locator": row["locator"],
    }


def _save_assessments(open_file, report: PackageReport) -> None:
    table = TABLES_BY_NAME["assessments"]
    for line, r in _records(open_file, table):
        recommendation = _looked_up(Recommendation, table, line, code=r["recommendation"])
        _save(
            table,
            line,
            Assessment,
            {"recommendation": recommendation, "assessed_on": r["assessed_on"]},
            {"status": r["status"], "reason": r["reason"], "rationale": r["rationale"]},
            report,
        )


def import_package(path: Path, *, dry_run: bool = False, created_by=None) -> PackageReport:
    """Read a package this tracker wrote (a folder or a zip) into the database, in
    one transaction: the reference tables by their codes and keys, the developments
    with their actors, citations and evidence through the import (each record
    checked as an imported file's, and a development that exists is updated), then
    the assessments. Any problem raises PackageError and nothing is written."""
    report = PackageReport(dry_run=dry_run)
    with _opened(path) as open_file, transaction.atomic(), figures.batch(skip=dry_run):
        _check_descriptor(open_file)
        _save_reference(open_file, report)
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
            lines = _import_records(open_file, spool)
            try:
                imported = import_developments(
                    spool,
                    "json",
                    dry_run=dry_run,
                    created_by=created_by,
                    reason=f"Imported from the data package {path.name}",
                )
            except ImportFileError as error:
                raise PackageError(f"developments.csv: {error}") from None
        if imported.errors:
            first = imported.errors[0]
            where = f"line {lines[first.line - 2]}" if first.line >= 2 else "the file"
            more = (
                f" (and {imported.problem_count - 1:,} more)" if imported.problem_count > 1 else ""
            )
            raise PackageError(f"developments.csv, {where}, {first.column}: {first.message}{more}")
        report.developments = imported
        _save_assessments(open_file, report)
        if dry_run:
            transaction.set_rollback(True)
    return report
