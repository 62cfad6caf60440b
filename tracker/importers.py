"""Import developments from CSV or JSON, and export them in the same formats.

An import is accepted whole or not at all. The file is read twice, as a stream:
the first pass validates every record and collects every problem (with the line
the record starts on and the column at fault); only when there are none does
the second pass write, in batches, inside one transaction. Memory stays flat as
files grow: records are never all held at once, and a JSON file is decoded a
chunk at a time, one record after another.

Hostile files are refused, never fatal: whatever a file holds, reading it ends
in problems with their line (and column) or an ImportFileError of one line.

The management commands (`import_developments`, `export_developments`) and the
admin's upload page are thin wrappers around `import_developments()` and
`export_developments()` here.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import hashlib
import io
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from tracker import dates, review
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
CSV_COLUMNS = frozenset(COLUMNS)
JSON_FIELDS = frozenset(COLUMNS + JSON_ONLY)
EVIDENCE_FIELDS = ("recommendation", "stance", "strength", "rationale")
CITATION_FIELDS = ("title", "publisher", "date", "url", "quote", "locator")
KNOWN_NAMES = JSON_FIELDS.union(EVIDENCE_FIELDS, CITATION_FIELDS)
STRENGTHS = {"1": 1, "2": 2, "3": 3}  # as CSV (and JSON, as text) gives them

BATCH_SIZE = 1000
PREVIEW_LIMIT = 500  # planned changes listed by key in a report (all are counted)
MAX_FIELD = 100_000  # characters; a larger cell is refused, not truncated
# Characters of a JSON record, or of a CSV line: several times the longest a valid one
# can be, but few enough that no record can fill the memory with millions of values.
MAX_RECORD = 2_000_000
MAX_COLUMNS = 100  # in a CSV header: more are refused before looking at their names
MAX_DIGITS = 100  # of a JSON integer: none of the format's numbers needs more
MAX_PROBLEMS = 1000  # listed in a report; any further ones are counted
MAX_RECORD_PROBLEMS = 20  # listed for one record
SOURCE_CACHE = 10_000  # sources remembered by an import (a cache of lookups)
SOURCE_TITLE = Source._meta.get_field("title").max_length  # a URL may be longer
CHUNK = 1 << 18  # bytes of a JSON file decoded at a time (more for a longer record)
NUL = "holds a NUL character (\\x00), which cannot be stored"
SURROGATE = "holds half of a UTF-16 pair (a \\uD800-\\uDFFF escape alone), which is not text"
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
    proposed: int = 0  # updates of published developments kept for review (an editor's file)
    unchanged: int = 0
    records: int = 0
    errors: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    fingerprint: str = ""  # of the planned changes, for the admin's confirm step
    changes: list[tuple[str, str]] = field(default_factory=list)  # (create|update, key)
    unlisted_errors: int = 0  # problems past MAX_PROBLEMS: counted, not listed

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
        verb = "would be" if self.dry_run else "were"
        proposed = (
            f"{self.proposed} {verb} proposed for review (changes to published developments), "
            if self.proposed
            else ""
        )
        return (
            f"{self.records} record{'s' if self.records != 1 else ''}: "
            f"{self.created} {verb} created, {self.updated} {verb} updated, "
            f"{proposed}{self.unchanged} unchanged."
        )


# --- Reading records ---------------------------------------------------------------
#
# A reader yields (line the record starts on, record, problems found in reading it),
# each problem a (column, message) pair. A record with such problems is reported
# as it stands, without checking its values.


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


def csv_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, str], list]]:
    """(line the record starts on, {column: value}, problems) for each CSV record."""
    text = _text(stream)
    reader = csv.reader(_lines(text))
    line_before = 0
    try:
        try:
            header = _header(next(reader))
        except StopIteration:
            raise ImportFileError("The file is empty.") from None
        line_before = reader.line_num
        any_record = False
        for row in reader:
            start, line_before = line_before + 1, reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            any_record = True
            yield start, *_csv_record(header, row)
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


def _lines(text: IO[str]) -> Iterator[str]:
    """The lines of a text file, refusing one longer than a record can be: a line of
    millions of commas would be a row of millions of cells."""
    number = 0
    while line := text.readline(MAX_RECORD + 1):
        number += 1
        if len(line) > MAX_RECORD:
            raise ImportFileError(f"Line {number} is longer than {MAX_RECORD:,} characters.")
        yield line


def _csv_record(header: list[str], row: list[str]) -> tuple[dict[str, str], list]:
    if len(row) > len(header):
        return {}, [("record", f"{len(row):,} cells but the header has {len(header):,}")]
    record = dict(zip(header, row, strict=False))
    return record, [(name, NUL) for name, value in record.items() if "\x00" in value]


def _header(row: list[str]) -> list[str]:
    """The column names of a header row; ImportFileError if one is unknown, repeated
    or missing. Linear in the row's width, and a row too wide is refused at once."""
    if len(row) > MAX_COLUMNS:
        raise ImportFileError(
            f"The header row has {len(row):,} columns; the format has {len(COLUMNS)}: "
            f"{', '.join(COLUMNS)}."
        )
    header = [name.strip() for name in row]
    if not any(header):
        raise ImportFileError("The header row is empty.")
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header: "
            f"{_names(unknown, COLUMNS)}. Known columns: {', '.join(COLUMNS)}."
        )
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)
    if repeated:
        raise ImportFileError(f"Column repeated in the header: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"Required column missing from the header: {', '.join(missing)}.")
    return header


def _names(names: list[str], known: Iterable[str], shown: int = 5) -> str:
    """Unknown names for a message: the first few, shortened, how many others, and a
    hint when a name is a known one in capitals. Linear in the number of names."""
    first: list[str] = []
    for name in names:
        if name not in first:
            first.append(name)
            if len(first) == shown:
                break
    text = ", ".join(_quoted(name) for name in first)
    others = sum(1 for name in names if name not in first)
    if others:
        text += f" and {others:,} more"
    lower_case = [name.lower() for name in first if name.lower() in known]
    if lower_case:
        text += f" (names are lower case: {', '.join(repr(n) for n in lower_case)})"
    return text


def _quoted(value: str, limit: int = 40) -> str:
    """A value from the file, quoted for a message, at most `limit` characters of it;
    escaped if it holds what a page or a terminal cannot show (NUL, half a pair)."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    return f"'{shown}'" if shown.isprintable() else repr(shown)


def _unknown_fields(record: dict, known: Iterable[str]) -> str | None:
    unknown = [name for name in record if name not in known]
    return f"unknown field(s) {_names(unknown, known)}" if unknown else None


class Refused:
    """Stands in a decoded record for a number that JSON can write but an import cannot
    take (NaN, Infinity, 1e400, an integer of thousands of digits)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


JSON_SPACE = re.compile(r"[ \t\n\r]*")
# Escapes of what a string cannot hold in the database: NUL, and half a surrogate
# pair (a whole pair is decoded to one character).
UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRecords:
    """The records of a JSON list, decoded one at a time from a byte stream.

    The stream is read CHUNK bytes at a time, and the text before the record being
    decoded is dropped, so memory holds a chunk and a record, never the file. When
    a record runs past the text read so far, as much again is read and the record
    decoded again from its start (up to MAX_RECORD characters), so that a record
    costs at most twice its length to decode, however long.
    """

    def __init__(self, stream: IO[bytes]):
        stream.seek(0)
        self.stream = stream
        self.bytes = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.text = ""
        self.position = 0  # in self.text: where reading goes on
        self.line, self.counted = 1, 0  # the line at self.text[self.counted]
        self.column_offset = 0  # characters of self.text[0]'s line that were dropped
        self.ended = False
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_int=self._int,
            parse_float=self._float,
            parse_constant=self._constant,
        )
        self.problems: list[tuple[str, str]] = []  # found by the hooks in this record
        self.refused = False  # whether a hook refused a value of this record

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any], list]]:
        first = self._peek()
        if not first:
            raise ImportFileError("The file is empty.")
        if first != "[":
            raise ImportFileError(
                "A JSON import is a list of objects: the file must start with '['."
            )
        self.position += 1
        if self._peek() == "]":
            raise ImportFileError("The file holds an empty list: no records.")
        while True:
            line = self._line_at(self.position)
            yield line, *self._record(line)
            after = self._peek()
            if after not in (",", "]"):
                line = self._line_at(self.position)
                raise ImportFileError(f"Line {line}: expected ',' or ']' after a record.")
            self.position += 1
            if after == "]":
                return self._end()
            self._peek()

    def _end(self) -> None:
        if self._peek():
            raise ImportFileError(
                f"Line {self._line_at(self.position)}: text after the ']' that closes the "
                "list; a file holds one list of records."
            )

    def _record(self, line: int) -> tuple[dict[str, Any], list]:
        record, end = self._decode(line)
        if not isinstance(record, dict):
            raise ImportFileError(f"Line {line}: each record must be an object {{...}}.")
        problems = self.problems
        if self.refused or UNSTORABLE_ESCAPE.search(self.text, self.position, end):
            problems += _value_problems(record)
        unknown = _unknown_fields(record, JSON_FIELDS)
        if unknown:
            problems.append(("record", unknown))
        self.position = end
        return record, problems

    def _decode(self, line: int) -> tuple[Any, int]:
        while True:
            self.problems, self.refused = [], False
            try:
                return self.decoder.raw_decode(self.text, self.position)
            except json.JSONDecodeError as error:
                if not self._cut_short(error) or not self._more(line):
                    raise self._not_json(error, line) from None
            except RecursionError:
                raise ImportFileError(
                    f"Line {line}: values nested too deeply; a record needs three levels "
                    "at most (record, list, object)."
                ) from None

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may come from the end of the text read so far."""
        return error.pos >= len(self.text) - 6 or error.msg.startswith("Unterminated")

    def _more(self, line: int) -> bool:
        if len(self.text) - self.position > MAX_RECORD:
            raise ImportFileError(
                f"Line {line}: a record runs on for more than {MAX_RECORD:,} characters "
                "(is a quote or a bracket left open?)."
            )
        return self._fill()

    def _not_json(self, error: json.JSONDecodeError, line: int) -> ImportFileError:
        line += self.text.count("\n", self.position, error.pos)
        start = self.text.rfind("\n", 0, error.pos) + 1
        column = error.pos - start + 1 + (self.column_offset if start == 0 else 0)
        message = error.msg
        if message.startswith("Invalid control character"):
            message = f"a control character ({self.text[error.pos]!r}) inside a string"
        return ImportFileError(f"Line {line} is not valid JSON: {message} (column {column}).")

    def _peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            self.position = JSON_SPACE.match(self.text, self.position).end()
            if self.position < len(self.text) or not self._fill():
                return self.text[self.position : self.position + 1]

    def _fill(self) -> bool:
        """Add the next chunk, dropping the text before self.position: False at the end
        of the file (and then nothing is dropped, so positions stay as they were)."""
        if self.ended:
            return False
        raw = self.stream.read(max(CHUNK, len(self.text) - self.position))  # a long record
        if raw:
            self._drop_read()
        try:
            self.text += self.bytes.decode(raw, final=not raw)
        except UnicodeDecodeError as error:
            line = self._line_at(len(self.text)) + error.object[: error.start].count(b"\n")
            raise ImportFileError(
                f"The file is not UTF-8 text (near line {line}); save it as UTF-8 and try again."
            ) from None
        self.ended = not raw
        return bool(raw)

    def _drop_read(self) -> None:
        """Drop the text before self.position, keeping count of its lines and columns."""
        self._line_at(self.position)
        start = self.text.rfind("\n", 0, self.position) + 1
        self.column_offset = self.position - start + (self.column_offset if start == 0 else 0)
        self.text = self.text[self.position :]
        self.position = self.counted = 0

    def _line_at(self, index: int) -> int:
        """The line of self.text[index], counting on from the last index asked about."""
        self.line += self.text.count("\n", self.counted, index)
        self.counted = index
        return self.line

    # Hooks of the JSON decoder.

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        record = dict(pairs)
        if len(record) < len(pairs):
            counts = Counter(name for name, _ in pairs)
            self.problems += [
                (_column(name), f"{_quoted(name)} given {count} times in one object")
                for name, count in counts.items()
                if count > 1
            ]
        return record

    def _int(self, text: str) -> int | Refused:
        digits = len(text.lstrip("-"))
        if digits > MAX_DIGITS:
            return self._refuse(f"a number of {digits:,} digits")
        return int(text)

    def _float(self, text: str) -> float | Refused:
        value = float(text)
        if not math.isfinite(value):
            return self._refuse(f"the number {_quoted(text, 20)} is too large")
        return value

    def _constant(self, name: str) -> Refused:
        return self._refuse(f"{name} is not a number JSON allows")

    def _refuse(self, message: str) -> Refused:
        self.refused = True
        return Refused(message)


def json_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any], list]]:
    """(line the object starts on, object, problems) for each record of a JSON list."""
    return iter(JsonRecords(stream))


def _value_problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Refused numbers and text the database cannot store, each named by the field
    of the record that holds it, however deep."""
    problems = []
    for name, value in record.items():
        messages = set()
        for leaf in _leaves(value):
            if isinstance(leaf, Refused):
                messages.add(leaf.message)
            elif isinstance(leaf, str) and "\x00" in leaf:
                messages.add(NUL)
            elif isinstance(leaf, str) and LONE_SURROGATE.search(leaf):
                messages.add(SURROGATE)
        problems += [(_column(name), message) for message in sorted(messages)]
    return problems


def _column(name: str) -> str:
    """A field's name as a problem's column: only a known name, as is; any other is
    named in the message that says it is unknown."""
    return name if name in KNOWN_NAMES else "record"


def _leaves(value: Any) -> Iterator[Any]:
    """Every value in a decoded JSON value that is not a list or an object, and every
    name in its objects; without recursion, so that no depth can break it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.keys()
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        else:
            yield item


def read_records(stream: IO[bytes], file_format: str):
    """The records of a file as (line, record, problems found in reading it)."""
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
        raise ValueError(f"{_quoted(value)} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
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


def _kind_of(value: Any) -> str:
    """What a JSON value is, for a message that says it is the wrong kind."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float | Refused):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "text"


def as_text(value: Any, column: str, problem, limit: int | None = None, required=False) -> str:
    """A field's value as stripped text: empty when missing, a problem when it is not
    text. A number is not taken for text: a JSON file gives text in quotes."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        problem(column, f"must be text, not {_kind_of(value)}")
        return ""
    value = value.strip()
    if required and not value:
        problem(column, "is required")
    if limit and len(value) > limit:
        problem(column, f"is {len(value):,} characters long; at most {limit} allowed")
        return value[:limit]
    return value


class RecordCheck:
    """One record being checked: its values as text, and the problems found in it."""

    def __init__(self, line: int, record: dict[str, Any]):
        self.line = line
        self.record = record
        self.problems: list[Problem] = []
        self.unlisted = 0

    def problem(self, column: str, message: str) -> None:
        if len(self.problems) < MAX_RECORD_PROBLEMS:
            self.problems.append(Problem(self.line, column, message))
        else:
            self.unlisted += 1

    def text(self, column: str, limit: int | None = None, required=False) -> str:
        return as_text(self.record.get(column), column, self.problem, limit, required)

    def all_problems(self) -> list[Problem]:
        if not self.unlisted:
            return self.problems
        more = f"and {self.unlisted:,} more problems in this record"
        return [*self.problems, Problem(self.line, "record", more)]


@functools.lru_cache(maxsize=4096)
def _is_http_url(url: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


class Validator:
    """Checks records against the reference data, collecting every problem."""

    def __init__(self, check_duplicates: bool = True):
        self.check_duplicates = check_duplicates
        self.kinds = dict(DevelopmentKind.objects.values_list("code", "pk"))
        self.recommendations = dict(Recommendation.objects.values_list("code", "pk"))
        self.actors = set(Actor.objects.values_list("code", flat=True))
        self.new_countries: set[str] = set()
        self.keys_seen: dict[str, int] = {}

    def validate(
        self, line: int, record: dict[str, Any], found: Iterable[tuple[str, str]] = ()
    ) -> tuple[Row | None, list[Problem]]:
        """The record as a Row, or the problems with it (`found`: those its reader found)."""
        check = RecordCheck(line, record)
        for column, message in found:
            check.problem(column, message)
        if check.problems:
            return None, check.all_problems()

        title = check.text("title", limit=200, required=True)
        summary = check.text("summary", limit=MAX_FIELD)
        location = check.text("location", limit=200)
        date, precision, end_date = self._dates(check)
        kind_id = self._kind(check)
        status = self._status(check)
        actor_codes = self._actors(record.get("actors"), check.problem)
        citations = self._citations(record, check)
        evidence = self._evidence(
            record.get("evidence"), check.text("note", limit=MAX_FIELD), check.problem
        )
        key, keyed = self._key(check, date, precision, title)

        if check.problems:
            return None, check.all_problems()
        self.new_countries.update(code for code in actor_codes if code not in self.actors)
        row = Row(
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
        )
        return row, []

    def _dates(self, check: RecordCheck) -> tuple[Any, str | None, Any]:
        """(date, precision, end date), each None when missing or wrong."""
        date = precision = end_date = None
        raw_date = check.text("date", required=True)
        if raw_date:
            try:
                date, precision = parse_partial_date(raw_date)
            except ValueError as error:
                check.problem("date", str(error))
        raw_end = check.text("end_date")
        if not raw_end:
            return date, precision, None
        try:
            end_date, end_precision = parse_partial_date(raw_end)
        except ValueError as error:
            check.problem("end_date", str(error))
            return date, precision, None
        if date and end_precision != precision:
            check.problem("end_date", f"give it as precisely as date ({raw_date!r} form)")
        elif date and end_date < date:
            check.problem("end_date", f"{raw_end} is before the date {raw_date}")
        return date, precision, end_date

    def _kind(self, check: RecordCheck) -> int | None:
        kind_code = check.text("kind", required=True)
        kind_id = self.kinds.get(kind_code)
        if kind_code and kind_id is None:
            check.problem(
                "kind",
                f"unknown kind {_quoted(kind_code)} (known: {', '.join(sorted(self.kinds))})",
            )
        return kind_id

    def _status(self, check: RecordCheck) -> str:
        status = check.text("status") or Development.Status.OCCURRED
        if status not in STATUSES:
            check.problem(
                "status", f"{_quoted(status)} is not one of {', '.join(sorted(STATUSES))}"
            )
        return status

    def _key(self, check: RecordCheck, date, precision, title) -> tuple[str, bool]:
        key = check.text("key")
        keyed = bool(key)
        if key and not KEY_PATTERN.match(key):
            check.problem(
                "key", f"{_quoted(key)} may hold only letters, digits, '-' and '_' (100 at most)"
            )
        elif not key and date and title:
            key = slugify(f"{format_partial_date(date, precision)}-{title}")[:100].strip("-")
        if key and self.check_duplicates:
            earlier = self.keys_seen.get(key)
            if earlier is not None:
                what = "key" if keyed else "date and title"
                check.problem(
                    "key" if keyed else "title", f"same {what} as the record on line {earlier}"
                )
            else:
                self.keys_seen[key] = check.line
        return key, keyed

    def _actors(self, value, problem) -> tuple[str, ...]:
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            items = value.split(";")
        elif value is None:
            items = []
        else:
            problem(
                "actors",
                f"must be codes separated by ';' (or, in JSON, a list), not {_kind_of(value)}",
            )
            return ()
        codes, bad = set(), False
        for item in items:
            code = self._actor_code(item, problem)
            if code is None:
                bad = True
            elif code:
                codes.add(code)
        if not codes and not bad:
            problem("actors", "is required: at least one actor code")
        return tuple(sorted(codes))

    def _actor_code(self, item, problem) -> str | None:
        """The code an item of `actors` gives ('' for none), or None if it is wrong."""
        if not isinstance(item, str):
            problem("actors", f"each actor must be a code (text), not {_kind_of(item)}")
            return None
        code = item.strip().upper()
        if code and code not in self.actors and country_name(code) is None:
            problem(
                "actors",
                f"unknown actor {_quoted(code)} (not an ISO country code, "
                "nor an actor in the admin)",
            )
            return None
        return code

    def _citations(self, record, check: RecordCheck) -> tuple[CitationRow, ...]:
        rows = []
        for citation in _citation_objects(record.get("citations"), check.problem):
            row = self._citation(
                lambda name, citation=citation, **kw: as_text(
                    citation.get(name), f"citations.{name}", check.problem, **kw
                ),
                check.problem,
                prefix="citations.",
            )
            if row:
                rows.append(row)
        row = self._citation(
            lambda name, **kw: check.text(f"source_{name}", **kw), check.problem, prefix="source_"
        )
        if row:
            rows.append(row)
        seen = set()
        for row in rows:
            if row.source_key in seen:
                check.problem(
                    "citations", f"the source {_quoted(row.title or row.url)} is cited twice"
                )
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
            if not _is_http_url(url):
                problem(f"{prefix}url", f"{_quoted(url, 80)} is not an http(s) address")
            source_key = ("url", url)
        elif title:
            source_key = ("title", title, publisher)
        else:
            problem(f"{prefix}title", "a citation needs the source's title or URL")
            return None
        return CitationRow(source_key, title, publisher, published_on, url, quote, locator)

    def _evidence(self, value, note: str, problem) -> tuple[tuple[int, str, int, str], ...]:
        items = _evidence_items(value, problem)
        if not items:
            return ()
        notes = split_notes(note)
        links, seen = [], set()
        for item in items:
            link = self._evidence_link(*item, notes, seen, problem)
            if link:
                links.append(link)
        return tuple(sorted(links))

    def _evidence_link(self, code, stance, strength, rationale, notes, seen, problem):
        """(recommendation id, stance, strength, rationale) for one item, or None."""
        code = code.upper()
        recommendation_id = self.recommendations.get(code)
        if recommendation_id is None:
            problem("evidence", f"unknown recommendation {_quoted(code)}")
            return None
        if stance not in STANCES:
            problem("evidence", f"{_quoted(stance)} for {code} is not 'advances' or 'hinders'")
            return None
        strength = _strength(strength)
        if strength is None:
            problem("evidence", f"strength for {code} must be 1, 2 or 3")
            return None
        if code in seen:
            problem("evidence", f"{code} appears twice")
            return None
        seen.add(code)
        rationale = (rationale or "").strip() or (
            notes.get(code) if isinstance(notes, dict) else notes
        )
        if not rationale:
            problem("note", f"evidence for {code} needs a rationale: say why in 'note'")
            return None
        return recommendation_id, stance, strength, rationale.strip()


def _citation_objects(value, problem) -> list[dict[str, Any]]:
    """The further citations of a JSON record, each an object of CITATION_FIELDS."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        problem("citations", "must be a list of objects")
        return []
    good = []
    for citation in value:
        unknown = _unknown_fields(citation, CITATION_FIELDS)
        if unknown:
            problem("citations", f"{unknown} in a citation")
        else:
            good.append(citation)
    return good


def _evidence_items(value, problem) -> list[tuple[str, str, Any, str | None]]:
    """(code, stance, strength, rationale) for each item of `evidence`, text or list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return _evidence_from_text(value, problem)
    if isinstance(value, list):
        items = [_evidence_from_object(item, problem) for item in value]
        return [item for item in items if item]
    problem(
        "evidence",
        f"must be items separated by ';' (or, in JSON, a list), not {_kind_of(value)}",
    )
    return []


def _evidence_from_text(value: str, problem) -> list[tuple[str, str, Any, None]]:
    items = []
    for item in value.split(";"):
        if not item.strip():
            continue
        parts = [p.strip() for p in item.split(":")]
        if len(parts) not in (2, 3):
            problem("evidence", f"{_quoted(item.strip())} is not CODE:STANCE[:STRENGTH]")
            continue
        items.append((parts[0], parts[1], parts[2] if len(parts) == 3 else 2, None))
    return items


def _evidence_from_object(item, problem) -> tuple[str, str, Any, str | None] | None:
    if not isinstance(item, dict):
        problem("evidence", f"each item must be an object, not {_kind_of(item)}")
        return None
    unknown = _unknown_fields(item, EVIDENCE_FIELDS)
    if unknown:
        problem("evidence", f"{unknown} in an evidence item")
        return None
    code, stance = item.get("recommendation"), item.get("stance", "")
    rationale = item.get("rationale")
    if not isinstance(code, str):
        given = "" if code is None else f", not {_kind_of(code)}"
        problem("evidence", f"each item needs a recommendation code{given}")
    elif not isinstance(stance, str):
        problem("evidence", f"the stance for {_quoted(code)} must be text")
    elif rationale is not None and not isinstance(rationale, str):
        problem("evidence", f"the rationale for {_quoted(code)} must be text")
    else:
        return code, stance, item.get("strength", 2), rationale
    return None


def _strength(value: Any) -> int | None:
    """1, 2 or 3, given as an integer or as the digit in text; else None (true, 2.5)."""
    if isinstance(value, str):
        return STRENGTHS.get(value.strip())
    if type(value) is int and 1 <= value <= 3:  # not bool, a subclass of int
        return value
    return None


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
        self.sources: dict[tuple, int | None] = {}  # source key: id (None: not there)
        self.sources_absent: set[tuple] = set()  # source keys find_sources() did not find
        self.report = ImportReport(dry_run=dry_run)
        self.problems = ProblemList()
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

    def find_sources(self, rows: list[Row]) -> None:
        """Look up the sources a batch cites, a few queries for the batch instead of
        one per source; source_id() then needs the database only to make new ones."""
        wanted = {c.source_key for row in rows for c in row.citations} - self.sources.keys()
        if len(self.sources) + len(wanted) > SOURCE_CACHE:
            self.sources.clear()  # a cache: memory stays flat however many sources
        urls = sorted(key[1] for key in wanted if key[0] == "url")
        titles = sorted({key[1] for key in wanted if key[0] == "title"})
        ordering = Source._meta.ordering  # the source first() would give
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
                title=(citation.title or citation.url)[:SOURCE_TITLE],
                publisher=citation.publisher,
                published_on=citation.published_on,
                url=citation.url,
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
        base = slugify(f"{citation.title or citation.url}-{citation.publisher}")[:90] or "source"
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
                row.actor_codes,
                citation_rows,
                row.evidence,
            )
            if proposed == current and None not in [c[0] for c in citation_rows]:
                self.report.unchanged += 1
            elif found["published"] and not self.publish:
                to_propose.append((row, found["pk"], citation_rows))
            else:
                to_update.append((row, found["pk"], citation_rows))
        self.report.created += len(to_create)
        self.report.updated += len(to_update)
        self.report.proposed += len(to_propose)
        for row, _ in to_create:
            self.plan("create", row.key)
        for action, changes in (("update", to_update), ("propose", to_propose)):
            for row, _, _ in changes:
                self.plan(action, row.key)
        if self.dry_run or self.problems:
            return
        self._apply(to_create, to_update)
        self._propose(to_propose)

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
            after = review.record(
                key=row.key,
                title=row.title,
                date=row.date,
                end_date=row.end_date,
                precision=row.precision,
                kind=kinds[row.kind_id],
                status=row.status,
                location=row.location,
                summary=row.summary,
                actors=row.actor_codes,
                citations=[
                    (sources[source], quote, locator) for source, quote, locator in citations
                ],
                evidence=[(recommendations[rec], *rest) for rec, *rest in row.evidence],
            )
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
                "pk", "key", "published", *self.FIELDS
            )
        }
        keyless = [row for row in rows if not row.keyed]
        by_identity = {}
        generated_taken = set()
        if keyless:
            for d in Development.objects.filter(title__in=[r.title for r in keyless]).values(
                "pk", "key", "published", *self.FIELDS
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
        """A development as the database holds it: (fields, actors, citations, evidence)."""
        actors, citations, evidence = links
        pk = found["pk"]
        return (
            tuple(found[name] for name in self.FIELDS),
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
                    "created_at",
                    "updated_at",
                    "created_by",
                    "drafted_by",
                    "published",
                ],
                [
                    [row.key, *field_values(row), now, now, user, drafter, self.publish]
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
                development.drafted_by = None if self.publish else self.created_by
                updated.append(development)
            # An editor's file updates only drafts (its changes to published ones are
            # proposals): it becomes their author, who may not publish them.
            Development.objects.bulk_update(
                updated, [*self.FIELDS, "updated_at", *(() if self.publish else ("drafted_by",))]
            )
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
        report.errors = list(self.listed)
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
        if progress and records % BATCH_SIZE == 0:
            progress("validated", records)
    return validator, records, problems


def _rows(stream: IO[bytes], file_format: str) -> Iterator[Row]:
    """The second pass: the records as rows (the first pass found them all valid)."""
    checker = Validator(check_duplicates=False)  # the first pass did that
    for line, record, _ in read_records(stream, file_format):
        row, _ = checker.validate(line, record)
        yield row


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
        return report

    with transaction.atomic():
        serialise_imports()
        DataVersion.objects.bump()  # bulk writes send no signals
        writer = Writer(dry_run=dry_run, created_by=created_by, reason=reason, publish=publish)
        writer.add_countries(validator.new_countries)
        done = 0
        for batch in _batches(_rows(stream, file_format), BATCH_SIZE):
            writer.write_batch(batch)
            done += len(batch)
            if progress:
                progress("written" if not dry_run else "checked", done)
        for code in sorted(validator.new_countries):
            writer.digest.update(f"country:{code}\n".encode())
        report = writer.report
        report.records = records
        report.fingerprint = writer.digest.hexdigest()
        writer.problems.put_in(report)
        if expect_fingerprint is not None and report.fingerprint != expect_fingerprint:
            report.errors.append(
                Problem(0, "file", "the data changed since the preview; preview it again")
            )
        if report.errors or dry_run:
            transaction.set_rollback(True)
    return report


# --- Exporting ----------------------------------------------------------------------------


def export_records(developments=None) -> Iterator[dict[str, Any]]:
    """Each development (of the queryset given, else all) as a record of the import
    format, keys in COLUMNS order. An empty queryset gives no records."""
    if developments is None:
        developments = Development.objects.all()
    developments = (
        developments.select_related("kind")
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
    """Write developments (a queryset; None for all, drafts included) as CSV or JSON;
    returns (records, citations CSV had to leave out)."""
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
