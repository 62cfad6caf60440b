"""Reading import files: CSV and JSON records, the format's columns and limits,
and its encodings of values (partial dates, per-recommendation notes).

Hostile files are refused, never fatal: whatever a file holds, reading it ends
in problems with their line (and column) or an ImportFileError of one line.
Memory stays flat as files grow: records are never all held at once, and a JSON
file is decoded a chunk at a time, one record after another.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from tracker import dates
from tracker.text import formula_unquoted

COLUMNS = (
    "key",
    "date",
    "end_date",
    "title",
    "summary",
    "kind",
    "status",
    "follows",
    "follows_as",
    "actors",
    "location",
    "source_title",
    "source_publisher",
    "source_date",
    "source_url",
    "source_reliability",
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
EVIDENCE_FIELDS = ("recommendation", "stance", "strength", "rationale", "confidence")
CITATION_FIELDS = ("title", "publisher", "date", "url", "reliability", "quote", "locator")
KNOWN_NAMES = JSON_FIELDS.union(EVIDENCE_FIELDS, CITATION_FIELDS)

MAX_FIELD = 100_000  # characters; a larger cell is refused, not truncated
# Characters of a JSON record, or of a CSV line: several times the longest a valid one
# can be, but few enough that no record can fill the memory with millions of values.
MAX_RECORD = 2_000_000
MAX_COLUMNS = 100  # in a CSV header: more are refused before looking at their names
MAX_DIGITS = 100  # of a JSON integer: none of the format's numbers needs more
CHUNK = 1 << 18  # bytes of a JSON file decoded at a time (more for a longer record)
NUL = "holds a NUL character (\\x00), which cannot be stored"
SURROGATE = "holds half of a UTF-16 pair (a \\uD800-\\uDFFF escape alone), which is not text"
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")
NOTE_LINE = re.compile(r"^\[([^\]]+)\]\s*(.*)\Z")


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
    # The csv module's limit is the process's: set it for every file, as a library
    # may have raised it meanwhile (frictionless does, when it is imported).
    csv.field_size_limit(MAX_FIELD + 1)
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
    record = dict(zip(header, (formula_unquoted(cell) for cell in row), strict=False))
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
    text = ", ".join(quoted(name) for name in first)
    others = sum(1 for name in names if name not in first)
    if others:
        text += f" and {others:,} more"
    lower_case = [name.lower() for name in first if name.lower() in known]
    if lower_case:
        text += f" (names are lower case: {', '.join(repr(n) for n in lower_case)})"
    return text


def quoted(value: str, limit: int = 40) -> str:
    """A value from the file, quoted for a message, at most `limit` characters of it;
    escaped if it holds what a page or a terminal cannot show (NUL, half a pair)."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    return f"'{shown}'" if shown.isprintable() else repr(shown)


def unknown_fields(record: dict, known: Iterable[str]) -> str | None:
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
        unknown = unknown_fields(record, JSON_FIELDS)
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
            space = JSON_SPACE.match(self.text, self.position)
            assert space is not None  # it matches everywhere, if only the empty string
            self.position = space.end()
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
                (_column(name), f"{quoted(name)} given {count} times in one object")
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
            return self._refuse(f"the number {quoted(text, 20)} is too large")
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


# --- Encodings of values -------------------------------------------------------------


def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """'2023-01-09', '2023-01' or '2023' as (first day, precision)."""
    match = DATE_PATTERN.match(value)
    if not match:
        raise ValueError(f"{quoted(value)} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
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
    return "" if day is None else dates.machine_date(day, precision)


def split_notes(note: str) -> str | dict[str, str]:
    """A note for every link, or one per recommendation when each line starts '[CODE]'."""
    lines = [line for line in note.splitlines() if line.strip()]
    matches = [match for line in lines if (match := NOTE_LINE.match(line.strip()))]
    if lines and len(matches) == len(lines):
        notes: dict[str, str] = {}
        for match in matches:
            code, text = match.groups()
            notes[code.strip().upper()] = text
        return notes
    return note


def join_notes(links: list[tuple[str, str]]) -> str:
    """The note column for (recommendation code, rationale) pairs: one note if all agree."""
    rationales = {rationale for _, rationale in links}
    if len(rationales) <= 1:
        return rationales.pop() if rationales else ""
    return "\n".join(f"[{code}] {rationale}" for code, rationale in links)
