"""Portable backups at any scale: the whole database as JSON, and back into an empty one.

`write_backup` writes what `dumpdata tracker auth.user auth.group` covers (users
with their password hashes, groups with their permissions and members, every
tracker table with its audit trail) as a JSON list of Django fixture objects,
one a line, read in one transaction so that it is one consistent state of a
database in use. Each object keeps its primary key and refers to the others
by theirs: the audit trail's references stay exact, those to deleted rows too
(which `dumpdata --natural-foreign` cannot name: it stops at the first one).
Only rows whose ids `migrate` chooses (permissions, and the groups it makes)
are named by natural key. The file is a fixture Django's `loaddata` reads too.

`restore` reads such a file, or any dumpdata JSON of the same tables (natural
keys included: the backups the README described before), a record at a time
into an empty, migrated database, in one transaction:

- each run of records of one table is written in chunks of CHUNK_SIZE rows by
  one INSERT (values prepared once per field, as the import's writer does),
  keeping their primary keys; foreign keys are checked once everything is in;
- natural keys are looked up one query per table per chunk, not one per
  reference as loaddata does: 1.3 s against loaddata's 24 s for the same
  dumpdata file of 2,000 developments; a backup of 100,000 (1.36 million rows
  with their history) restores in 30 s on SQLite (`make bench-backup`);
- a bad file is refused whole with the line of the record at fault, and
  nothing is written.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gzip
import io
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    models,
    transaction,
)
from django.utils import timezone
from django.utils.duration import duration_string

from tracker import figures, roles
from tracker.models import CHUNK_SIZE, DataVersion, Evidence

Model = type[models.Model]

# How each model's rows are found by natural key in bulk: the lookups whose values,
# in order, make its natural_key() (tests/test_backup.py holds each to it). A model
# with get_by_natural_key() but missing here is looked up a key at a time.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "auth.permission": ("codename", "content_type__app_label", "content_type__model"),
    "contenttypes.contenttype": ("app_label", "model"),
    "auth.group": ("name",),
    "auth.user": ("username",),
    "tracker.source": ("key",),
    "tracker.framework": ("code",),
    "tracker.recommendation": ("code",),
    "tracker.actor": ("code",),
    "tracker.developmentkind": ("code",),
    "tracker.development": ("key",),
    "tracker.developmentactor": ("development__key", "actor__code"),
    "tracker.citation": ("development__key", "source__key"),
    "tracker.evidence": ("development__key", "recommendation__code"),
    "tracker.assessment": ("recommendation__code", "assessed_on"),
    "tracker.snapshot": ("slug",),
}

# Rows that `migrate` makes, and makes again in a new database with ids of its own
# choosing (the roles' groups among them): a backup names them by natural key only.
NAMED_BY_KEY = frozenset({"auth.permission", "contenttypes.contenttype", "auth.group"})

READ_SIZE = 1 << 20  # characters read from a backup at a time


class BackupError(Exception):
    """A backup that cannot be written, or restored: what is wrong and, for a
    record at fault, the line of the file where it begins."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# What a backup leaves out, since the restore computes it again from the rest.
DERIVED = {model._meta.label_lower for model in figures.TALLIES}


def backed_up_models() -> list[Model]:
    """What a backup holds, in the order it is written: groups, users, then every
    tracker table (the audit trail's included), as `dumpdata tracker auth.user
    auth.group` covers them."""
    return [
        Group,
        get_user_model(),
        *(
            model
            for model in apps.get_app_config("tracker").get_models()
            if model._meta.label_lower not in DERIVED
        ),
    ]


def _fields(model: Model) -> list[Any]:
    """The columns a fixture object lists under "fields" (its pk is apart)."""
    meta: Any = model._meta
    return [f for f in meta.local_fields if f.serialize and f.concrete]


def _many_to_many(model: Model) -> list[Any]:
    """The links a fixture object lists with it: those of Django's own through tables."""
    meta: Any = model._meta
    return [
        f
        for f in meta.local_many_to_many
        if f.serialize and f.remote_field.through._meta.auto_created
    ]


def _as_json(value: Any) -> Any:
    """A natural key's part as JSON holds it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, datetime.date | datetime.time) else value


# --- Writing a backup ---------------------------------------------------------------


def _datetime_text(value: datetime.datetime) -> str:
    """ISO 8601 to the microsecond (dumpdata keeps milliseconds only), UTC as 'Z'."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _base64(value: bytes | memoryview) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


JSON_TEXT: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": _datetime_text,
    "DateField": _as_json,
    "TimeField": _as_json,
    "DecimalField": str,
    "UUIDField": str,
    "DurationField": duration_string,
    "BinaryField": _base64,
}


def _natural_keys_of(model: Model) -> dict[Any, list]:
    """Every row of a table `migrate` fills (permissions, groups): its natural key by id."""
    lookups = NATURAL_KEYS[model._meta.label_lower]
    rows = model._base_manager.values_list("pk", *lookups)
    return {pk: [_as_json(value) for value in key] for pk, *key in rows}


class _Writer:
    def __init__(self, out: IO[str]):
        self.out = out
        self.named: dict[Model, dict[Any, list]] = {}
        self.counts: Counter[str] = Counter()
        self.separator = "\n"  # before the first object; ",\n" before each other

    def reference(self, target: Model) -> Callable[[Any], Any] | None:
        """How a reference to `target` is written: by pk, or by natural key when
        `migrate` chooses the ids of its rows (NAMED_BY_KEY)."""
        if target._meta.label_lower not in NAMED_BY_KEY:
            return None
        if target not in self.named:
            self.named[target] = _natural_keys_of(target)
        return self.named[target].__getitem__

    def convert(self, f: Any) -> Callable[[Any], Any] | None:
        if f.is_relation:
            return self.reference(f.related_model) or JSON_TEXT.get(
                f.target_field.get_internal_type()
            )
        return JSON_TEXT.get(f.get_internal_type())

    def links(self, f: Any) -> dict[Any, list]:
        """Each row's links through one of Django's own through tables, by the row's pk."""
        through = f.remote_field.through
        source = through._meta.get_field(f.m2m_field_name()).attname
        target = through._meta.get_field(f.m2m_reverse_field_name()).attname
        convert = self.reference(f.related_model) or (lambda pk: pk)
        links: dict[Any, list] = defaultdict(list)
        for pk, other in through._base_manager.order_by(source, target).values_list(
            source, target
        ):
            links[pk].append(convert(other))
        return links

    def write(self, model: Model) -> None:
        fields = _fields(model)
        columns = [(f.name, self.convert(f)) for f in fields]
        many = [(f.name, self.links(f)) for f in _many_to_many(model)]
        label = model._meta.label_lower
        named = label in NAMED_BY_KEY  # written without its id
        rows = model._base_manager.order_by("pk").values_list("pk", *(f.attname for f in fields))
        out, count = self.out, 0
        for pk, *values in rows.iterator(chunk_size=CHUNK_SIZE):
            data = {
                name: value if convert is None or value is None else convert(value)
                for (name, convert), value in zip(columns, values, strict=True)
            }
            for name, links in many:
                data[name] = links.get(pk, [])
            key = "" if named else f', "pk": {json.dumps(pk)}'
            out.write(self.separator)
            out.write(
                f'{{"model": "{label}"{key}, "fields": {json.dumps(data, ensure_ascii=False)}}}'
            )
            self.separator = ",\n"
            count += 1
        self.counts[label] = count


@contextmanager
def one_state():
    """A transaction that reads the database as it stood when it began, however
    long the backup (or the open-data package) takes and whatever is written
    meanwhile (SQLite: any read transaction; PostgreSQL: REPEATABLE READ, which must
    be asked for first)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def write_backup(out: IO[str]) -> Counter[str]:
    """Write every backed-up table to `out`: a JSON list, one object a line. Returns
    the rows written by model label."""
    writer = _Writer(out)
    with one_state():
        out.write("[")
        for model in backed_up_models():
            writer.write(model)
        out.write("\n]\n")
    return writer.counts


def backup_to(path: str) -> Counter[str]:
    """Write a backup to the file at `path` ('-': standard output), gzip-compressed
    when its name ends in '.gz'. The file appears whole or not at all."""
    if path == "-":
        return write_backup(sys.stdout)
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        raw = os.fdopen(handle, "wb")
        binary = (
            cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0))
            if target.suffix == ".gz"
            else raw
        )
        with raw, binary, io.TextIOWrapper(binary, encoding="utf-8") as out:
            counts = write_backup(out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts


# --- Reading a backup: a JSON list, an element at a time ---------------------------------


class _JSONList:
    """The elements of a JSON list read from a text stream one at a time, each with
    the line it begins on, without holding the whole file (a million records)."""

    WHITESPACE = " \t\n\r"

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.text = ""
        self.at = 0  # where reading has got to in self.text
        self.line = 1  # the line self.counted is on
        self.counted = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def line_of(self, position: int) -> int:
        self.line += self.text.count("\n", self.counted, position)
        self.counted = position
        return self.line

    def more(self) -> bool:
        """Read on (dropping what is done with); False at the end of the stream."""
        if self.eof:
            return False
        # Twice what is held when one record outgrows it (a snapshot's links), so that
        # decoding it again from its start each time adds up to twice its length at most.
        chunk = self.stream.read(max(READ_SIZE, len(self.text) - self.at))
        if not chunk:
            self.eof = True
            return False
        self.line_of(self.at)
        self.text, self.counted = self.text[self.at :] + chunk, 0
        self.at = 0
        return True

    def next_sign(self) -> str:
        """The next character that is not white space ('' at the end), not consumed."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in self.WHITESPACE:
                self.at += 1
            if self.at < len(self.text):
                return self.text[self.at]
            if not self.more():
                return ""

    def fail(self, message: str, position: int | None = None) -> BackupError:
        return BackupError(message, self.line_of(self.at if position is None else position))

    def value(self) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.at)
            except json.JSONDecodeError as error:
                # Cut off by the end of what has been read so far? Read on and retry.
                cut = (
                    error.msg.startswith("Unterminated string") or error.pos > len(self.text) - 32
                )
                if cut and self.more():
                    continue
                raise self.fail(f"not valid JSON: {error.msg}", error.pos) from None
            self.at = end
            return value

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self.next_sign() == "\ufeff":  # a byte-order mark
            self.at += 1
        if self.next_sign() != "[":
            raise self.fail("a backup is a JSON list of objects: it begins with '['")
        self.at += 1
        if self.next_sign() == "]":
            self.at += 1
        else:
            while True:
                self.next_sign()
                yield self.line_of(self.at), self.value()
                sign = self.next_sign()
                self.at += 1
                if sign == "]":
                    break
                if sign != ",":
                    raise self.fail("expected ',' or ']' after an object", self.at - 1)
        if self.next_sign():
            raise self.fail("text after the end of the list")


def open_backup(path: str) -> IO[str]:
    """The text of a backup file ('-': standard input), gzip-compressed or not."""
    binary: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    if binary.peek(2)[:2] == b"\x1f\x8b":  # type: ignore[attr-defined]
        binary = cast(IO[bytes], gzip.GzipFile(fileobj=binary, mode="rb"))
    return io.TextIOWrapper(binary, encoding="utf-8-sig")


# --- Restoring -------------------------------------------------------------------------


MISSING = object()


def _slow(f: Any) -> Callable[[Any], Any]:
    """A JSON value as loaddata takes it (to_python) and a save writes it."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is looked up at every use
    return lambda value: None if value is None else f.get_db_prep_save(f.to_python(value), db)


TEXT_FIELDS = ("CharField", "TextField", "SlugField", "EmailField", "URLField")


def _to_db(f: Any) -> Callable[[Any], Any]:
    """How a JSON value becomes what the database driver takes, for one field: as
    loaddata's to_python and a save would make it, the common cases (text, whole
    numbers, ISO dates and times, null) in a step of their own (a third of the
    time of a restore went to Django's conversions, measured on 20,000 developments)."""
    if f.is_relation:
        f = f.target_field
    slow, kind = _slow(f), f.get_internal_type()
    if kind == "DateTimeField":
        return _datetime_to_db(slow)
    if kind == "DateField":
        return _date_to_db(slow)
    if kind in TEXT_FIELDS:
        exact: type = str
    elif kind.endswith(("IntegerField", "AutoField")):
        exact = int
    elif kind == "BooleanField":
        exact = bool
    else:
        return slow
    return lambda value: value if value.__class__ is exact or value is None else slow(value)


def _datetime_to_db(slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    db = connections[DEFAULT_DB_ALIAS]
    adapt = db.ops.adapt_datetimefield_value
    # SQLite keeps UTC times as text, as str() of the naive time writes them.
    as_text = db.vendor == "sqlite" and settings.USE_TZ and db.timezone_name == "UTC"

    def convert(value):
        if value.__class__ is str:
            try:
                moment = datetime.datetime.fromisoformat(value)
            except ValueError:
                return slow(value)  # for loaddata's own message
            if as_text and moment.utcoffset() == datetime.timedelta(0):
                return str(moment.replace(tzinfo=None))
            if moment.tzinfo is not None or not settings.USE_TZ:
                return adapt(moment)
        return slow(value)

    return convert


def _date_to_db(slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    adapt = connections[DEFAULT_DB_ALIAS].ops.adapt_datefield_value

    def convert(value):
        if value.__class__ is str:
            try:
                return adapt(datetime.date.fromisoformat(value))
            except ValueError:
                pass
        return slow(value)

    return convert


@dataclass
class _Column:
    field: Any
    name: str
    to_db: Callable[[Any], Any]
    target: Model | None  # what a relation refers to


@dataclass
class _Links:
    """One of a model's many-to-many fields and the INSERT of its through rows."""

    name: str
    target: Model
    to_db: Callable[[Any], Any]
    insert: str


def _insert_sql(table: str, columns: list[str]) -> str:
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


@dataclass
class _Plan:
    """How one model's records become rows."""

    model: Model
    label: str
    pk_to_db: Callable[[Any], Any]
    columns: list[_Column]
    links: list[_Links]
    names: frozenset[str]
    insert: str

    @classmethod
    def of(cls, model: Model) -> _Plan:
        meta: Any = model._meta
        columns = [
            _Column(f, f.name, _to_db(f), f.related_model if f.is_relation else None)
            for f in _fields(model)
        ]
        links = []
        for f in _many_to_many(model):
            through: Any = f.remote_field.through._meta
            own = through.get_field(f.m2m_field_name()).column
            other = through.get_field(f.m2m_reverse_field_name()).column
            links.append(
                _Links(
                    f.name, f.related_model, _to_db(f), _insert_sql(through.db_table, [own, other])
                )
            )
        return cls(
            model=model,
            label=meta.label_lower,
            pk_to_db=_to_db(meta.pk),
            columns=columns,
            links=links,
            names=frozenset([c.name for c in columns] + [link.name for link in links]),
            insert=_insert_sql(
                meta.db_table, [meta.pk.column, *(c.field.column for c in columns)]
            ),
        )

    @property
    def tables(self) -> list[str]:
        meta = self.model._meta
        return [meta.db_table] + [
            f.remote_field.through._meta.db_table for f in _many_to_many(self.model)
        ]


class _NaturalKeys:
    """Rows found by natural key: looked up in bulk, a query per model for all the
    keys a chunk names, and remembered."""

    def __init__(self) -> None:
        self.known: dict[Model, dict[tuple, Any]] = defaultdict(dict)
        self.missing: dict[Model, set[tuple]] = defaultdict(set)

    def pk(self, model: Model, key: list) -> Any:
        """The pk of the row, or None (and the key noted) when not known yet."""
        try:
            name = tuple(key)
            found = self.known[model].get(name)
        except TypeError:  # a list or an object inside the key: nothing has that key
            return None
        if found is None:
            self.missing[model].add(name)
        return found

    def look_up(self) -> None:
        """Find every key noted missing since the last look-up."""
        for model, keys in self.missing.items():
            lookups = NATURAL_KEYS.get(model._meta.label_lower)
            if lookups is None:
                self._one_by_one(model, keys)
                continue
            firsts = sorted({key[0] for key in keys if key}, key=str)
            for start in range(0, len(firsts), CHUNK_SIZE):
                rows = model._base_manager.filter(
                    **{f"{lookups[0]}__in": firsts[start : start + CHUNK_SIZE]}
                ).values_list(*lookups, "pk")
                for *values, pk in rows:
                    self.known[model][tuple(_as_json(value) for value in values)] = pk
        self.missing.clear()

    def _one_by_one(self, model: Model, keys: set[tuple]) -> None:
        manager = model._default_manager
        for key in keys:
            missing = (ObjectDoesNotExist, MultipleObjectsReturned, TypeError, ValueError)
            with contextlib.suppress(*missing):
                self.known[model][key] = manager.get_by_natural_key(*key).pk  # type: ignore[attr-defined]


class _Unresolved(Exception):
    """A record names a row by a natural key that is not (yet) there."""

    def __init__(self, column: str, target: Model, key: list):
        super().__init__(column)
        self.column, self.target, self.key = column, target, key

    def __str__(self) -> str:
        return (
            f"{self.column}: no {self.target._meta.label_lower} {json.dumps(self.key)} "
            "in the backup or the database"
        )


@dataclass
class RestoreReport:
    """What a restore wrote: rows by model label, and links of Django's through tables."""

    rows: Counter[str] = field(default_factory=Counter)
    links: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "Would restore" if self.dry_run else "Restored"
        history = sum(n for label, n in self.rows.items() if ".historical" in label)
        shown = ", ".join(
            f"{self.rows[label]:,} {name}"
            for label, name in (
                ("auth.user", "users"),
                ("auth.group", "groups"),
                ("tracker.development", "developments"),
                ("tracker.evidence", "evidence links"),
                ("tracker.assessment", "assessments"),
            )
        )
        return (
            f"{verb} {self.rows.total():,} rows ({shown}, {history:,} versions in the "
            f"audit trail) and {self.links:,} links of users and groups to groups and "
            "permissions"
        )


class _Restorer:
    """Writes records into an empty database, a chunk of one model at a time."""

    def __init__(self, progress: Callable[[int], None] | None = None):
        self.inside = {model._meta.label_lower: model for model in backed_up_models()}
        self.plans: dict[str, _Plan] = {}
        self.keys = _NaturalKeys()
        self.next_pk: dict[Model, int] = {}
        self.chunk: list[tuple[int, dict]] = []
        self.chunk_plan: _Plan | None = None
        self.deferred: list[tuple[_Plan, int, dict, _Unresolved]] = []
        self.report = RestoreReport()
        self.progress = progress
        self.points_missing = False  # an evidence link without its points (an older backup)
        self.unresolved: _Unresolved | None = None  # the record's first unknown natural key

    def plan(self, line: int, record: Any) -> _Plan:
        if not isinstance(record, dict):
            raise BackupError("each element of the list must be an object", line)
        label, fields = record.get("model"), record.get("fields")
        if not isinstance(label, str) or not isinstance(fields, dict):
            raise BackupError('an object needs "model" (text) and "fields" (an object)', line)
        plan = self.plans.get(label.lower())
        if plan is None:
            model = self.inside.get(label.lower())
            if model is None:
                raise BackupError(
                    f"'{label}' is not a table a backup holds "
                    "(auth.group, auth.user and the tracker's)",
                    line,
                )
            plan = self.plans[label.lower()] = _Plan.of(model)
        unknown = fields.keys() - plan.names
        if unknown:
            raise BackupError(f"{plan.label} has no field '{sorted(unknown)[0]}'", line)
        return plan

    def add(self, line: int, record: Any) -> None:
        if isinstance(record, dict) and str(record.get("model", "")).lower() in DERIVED:
            return  # a dumpdata file's tallies: the restore counts them again
        plan = self.plan(line, record)
        if plan is not self.chunk_plan or len(self.chunk) >= CHUNK_SIZE:
            self.flush()
            self.chunk_plan = plan
        self.chunk.append((line, record))

    def flush(self) -> None:
        if self.chunk_plan is not None and self.chunk:
            self.write(self.chunk_plan, self.chunk)
        self.chunk = []

    def default(self, column: _Column) -> Any:
        """A field the record leaves out (one added since the backup) takes its default."""
        if column.name == "points" and column.field.model is Evidence:
            self.points_missing = True
        return column.to_db(column.field.get_default())

    def natural(self, name: str, target: Model, key: list) -> Any:
        """The pk of the row `key` names; when not known yet, the key is noted for
        the next look-up, and so is the first such reference of the record."""
        pk = self.keys.pk(target, key)
        if pk is None and self.unresolved is None:
            self.unresolved = _Unresolved(name, target, key)
        return pk

    def linked(self, link: _Links, values: Any) -> list[Any]:
        """The pks of the rows a many-to-many field lists."""
        if not isinstance(values, list):
            raise ValidationError("must be a list")
        return [
            self.natural(link.name, link.target, value)
            if value.__class__ is list
            else link.to_db(value)
            for value in values
        ]

    def row(self, plan: _Plan, line: int, record: dict) -> tuple[list, list[list]]:
        """The record's row (its pk first: None when the record has none) and the
        pks of the rows each of its many-to-many fields lists."""
        fields, name = record["fields"], "pk"
        try:
            given = record.get("pk")
            row: list[Any] = [None if given is None else plan.pk_to_db(given)]
            for column in plan.columns:  # the loop of a restore: a million times ten
                name = column.name
                value = fields.get(name, MISSING)
                if value is MISSING:
                    value = self.default(column)
                elif column.target is not None and value.__class__ is list:
                    value = self.natural(name, column.target, value)
                else:
                    value = column.to_db(value)
                row.append(value)
            others = []
            for link in plan.links:
                name = link.name
                others.append(self.linked(link, fields.get(link.name, [])))
        except ValidationError as error:
            raise BackupError(f"{plan.label}, {name}: {' '.join(error.messages)}", line) from None
        except (ValueError, TypeError, ArithmeticError) as error:
            raise BackupError(f"{plan.label}, {name}: {error}", line) from None
        if self.unresolved is not None:
            unresolved, self.unresolved = self.unresolved, None
            raise unresolved
        return row, others

    def new_pk(self, model: Model) -> int:
        """The next free id of a table, for a record written without one
        (dumpdata's natural keys): ids follow the order of the file."""
        if model not in self.next_pk:
            highest = model._base_manager.aggregate(highest=models.Max("pk"))["highest"]
            self.next_pk[model] = (highest or 0) + 1
        pk = self.next_pk[model]
        self.next_pk[model] = pk + 1
        return pk

    def write(self, plan: _Plan, records: list[tuple[int, dict]]) -> None:
        built: list[tuple[int, dict, Any]] = []
        for line, record in records:
            try:
                built.append((line, record, self.row(plan, line, record)))
            except _Unresolved:
                built.append((line, record, None))
        if any(made is None for _, _, made in built):
            self.keys.look_up()  # every key the chunk names: a query per model
            for number, (line, record, made) in enumerate(built):
                if made is not None:
                    continue
                try:
                    built[number] = (line, record, self.row(plan, line, record))
                except _Unresolved as unresolved:  # named later in the file, perhaps
                    self.deferred.append((plan, line, record, unresolved))
        rows = []
        for line, _, made in built:
            if made is None:
                continue
            row, others = made
            if row[0] is None:
                row[0] = self.new_pk(plan.model)
            elif isinstance(row[0], int) and row[0] >= self.next_pk.get(plan.model, 0):
                self.next_pk[plan.model] = row[0] + 1
            rows.append((line, row, [[(row[0], other) for other in linked] for linked in others]))
        self.insert(plan, rows)

    def insert(self, plan: _Plan, rows: list[tuple[int, list, list[list]]]) -> None:
        _execute(plan.insert, [(line, row) for line, row, _ in rows], plan.label)
        for number, link in enumerate(plan.links):
            pairs = [(line, pair) for line, _, links in rows for pair in links[number]]
            _execute(link.insert, pairs, f"{plan.label}.{link.name}")
            self.report.links += len(pairs)
        before = self.report.rows.total()
        self.report.rows[plan.label] += len(rows)
        if self.progress and before // 100_000 != self.report.rows.total() // 100_000:
            self.progress(self.report.rows.total())

    def finish(self) -> None:
        """Write the records that named rows later in the file, then check every
        reference, as the database would at commit."""
        self.flush()
        while self.deferred:
            waiting, self.deferred = self.deferred, []
            self.keys.look_up()
            for plan, line, record, _ in waiting:
                self.write(plan, [(line, record)])
            if len(self.deferred) == len(waiting):
                _, line, _, unresolved = self.deferred[0]
                raise BackupError(f"{self.deferred[0][0].label}, {unresolved}", line)
        tables = [table for plan in self.plans.values() for table in plan.tables]
        try:
            connection.check_constraints(table_names=tables)
        except IntegrityError as error:
            raise BackupError(
                f"A row refers to one the backup does not hold: {_one_line(error)}"
            ) from None
        _new_ids_after([plan.model for plan in self.plans.values()])


def _new_ids_after(written: list[Model]) -> None:
    """New rows take ids after the restored ones, and after every id the audit trail
    has seen: a new development given a deleted one's id would take on its history
    (and the deleted one would drop out of the admin's list of deleted developments).
    The database the backup came from never gives an id twice (AUTOINCREMENT on
    SQLite, sequences on PostgreSQL); neither does the restored one."""
    with connection.cursor() as cursor:
        for model in written:
            _never_back(cursor, model)  # PostgreSQL: past the restored rows
        for model in written:
            manager = getattr(model._meta, "simple_history_manager_attribute", None)
            if manager is None:
                continue
            seen = getattr(model, manager).model._base_manager.aggregate(seen=models.Max("id"))
            highest = model._base_manager.aggregate(highest=models.Max("pk"))["highest"]
            if seen["seen"] is not None and seen["seen"] > (highest or 0):
                _ids_go_on_after(cursor, model, seen["seen"])


def _never_back(cursor, model: Model) -> None:
    """On PostgreSQL, move the model's sequence past its rows, never back: a sequence
    is not rolled back with a transaction, so one moved back below rows another
    transaction holds would hand out their ids (a dry run, or a test's restore)."""
    if connection.vendor != "postgresql" or not isinstance(model._meta.pk, models.AutoField):
        return
    table, column = model._meta.db_table, str(model._meta.pk.column)
    quote = connection.ops.quote_name
    cursor.execute(
        f"SELECT MAX({quote(column)}) FROM {quote(table)}",
    )
    highest = cursor.fetchone()[0] or 0
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
    sequence = cursor.fetchone()[0]
    if sequence is None:
        return
    cursor.execute(f"SELECT last_value FROM {sequence}")
    current = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, max(highest, current)])


def _ids_go_on_after(cursor, model: Model, last: int) -> None:
    table, column = model._meta.db_table, model._meta.pk.column
    if connection.vendor == "postgresql":
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, last])
    elif connection.vendor == "sqlite":
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        last = max(last, found[0] if found else 0)
        cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _execute(sql: str, rows: list[tuple[int, Any]], label: str) -> None:
    """INSERT the rows; on a refusal, find the first row refused and name its line."""
    if not rows:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [row for _, row in rows])
    except (DatabaseError, ValueError):
        with connection.cursor() as cursor:
            for line, row in rows:
                try:
                    with transaction.atomic():
                        cursor.execute(sql, row)
                except (DatabaseError, ValueError) as error:
                    raise BackupError(f"{label}: {_one_line(error)}", line) from None
        raise


def _refuse_unless_empty() -> None:
    """Only into a migrated database that holds nothing but what `migrate` makes."""
    tables = set(connection.introspection.table_names())
    missing = [m._meta.db_table for m in backed_up_models() if m._meta.db_table not in tables]
    if missing:
        raise BackupError(f"The database has no table {missing[0]}: run `manage.py migrate` first")
    held = []
    for model in backed_up_models():
        if model is DataVersion:
            continue
        rows = model._base_manager.all()
        if model is Group:
            rows = rows.exclude(name__in=list(roles.ROLES))  # `migrate` makes them
        if rows.exists():
            held.append(str(model._meta.verbose_name_plural))
    held.sort(key=lambda name: name.startswith("historical"))  # the records themselves first
    if held:
        more = f" and {len(held) - 3} more tables" if len(held) > 3 else ""
        raise BackupError(
            f"The database is not empty (it holds {', '.join(held[:3])}{more}): "
            "restore into a new database, after `manage.py migrate`"
        )


def _data_version_after(restored: int) -> int:
    """Past the backup's version and past any this database's cache may hold from a
    database it replaces (whose versions went on after the backup was taken): cached
    figures are keyed by it (tracker/caching.py)."""
    return max(restored + 1, int(timezone.now().timestamp() * 1000))


def restore(
    stream: IO[str], dry_run: bool = False, progress: Callable[[int], None] | None = None
) -> RestoreReport:
    """Restore a backup into this (empty, migrated) database, in one transaction:
    all of it, or, on any problem, nothing (BackupError says what and where)."""
    restorer = _Restorer(progress)
    with transaction.atomic():
        _refuse_unless_empty()
        # What `migrate` made, the backup brings its own of: the roles, the data version.
        Group.objects.all().delete()
        DataVersion.objects.all().delete()
        for line, record in _JSONList(stream):
            restorer.add(line, record)
        restorer.finish()
        if restorer.points_missing:  # a backup from before links kept their points
            figures.refresh_all_points()
        figures.tally_all()
        if not restorer.report.rows["auth.group"]:
            roles.ensure_roles()
        version = DataVersion.objects.current()
        DataVersion.objects.update_or_create(
            pk=1, defaults={"version": _data_version_after(version)}
        )
        if dry_run:
            transaction.set_rollback(True)
    restorer.report.dry_run = dry_run
    return restorer.report
