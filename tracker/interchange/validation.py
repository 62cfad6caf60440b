"""Checking import records against the reference data, collecting every problem.

A record that passes becomes a Row, in the database's terms; one that does not
gives its problems, each with the line the record starts on and the column at
fault. Nothing here writes: the Validator only reads the reference data.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from tracker.interchange.formats import (
    CITATION_FIELDS,
    EVIDENCE_FIELDS,
    MAX_FIELD,
    Problem,
    Refused,
    format_partial_date,
    parse_partial_date,
    quoted,
    split_notes,
    unknown_fields,
)
from tracker.models import (
    Actor,
    Citation,
    Development,
    DevelopmentKind,
    DevelopmentStatus,
    EvidenceStance,
    EvidenceStrength,
    Recommendation,
    Source,
    country_name,
    max_length,
)

KEY_LENGTH = max_length(Development, "key")
TITLE_LENGTH = max_length(Development, "title")
LOCATION_LENGTH = max_length(Development, "location")
SOURCE_TITLE_LENGTH = max_length(Source, "title")
PUBLISHER_LENGTH = max_length(Source, "publisher")
URL_LENGTH = max_length(Source, "url")
LOCATOR_LENGTH = max_length(Citation, "locator")

STRENGTHS = {str(value): value for value in EvidenceStrength.values}  # as text gives them
MAX_RECORD_PROBLEMS = 20  # listed for one record
KEY_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{KEY_LENGTH}}}\Z")
STATUSES = set(DevelopmentStatus.values)
STANCES = set(EvidenceStance.values)


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

        title = check.text("title", limit=TITLE_LENGTH, required=True)
        summary = check.text("summary", limit=MAX_FIELD)
        location = check.text("location", limit=LOCATION_LENGTH)
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
        assert precision is not None and kind_id is not None  # else a problem was found
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
                f"unknown kind {quoted(kind_code)} (known: {', '.join(sorted(self.kinds))})",
            )
        return kind_id

    def _status(self, check: RecordCheck) -> str:
        status = check.text("status") or DevelopmentStatus.OCCURRED
        if status not in STATUSES:
            check.problem(
                "status", f"{quoted(status)} is not one of {', '.join(sorted(STATUSES))}"
            )
        return status

    def _key(self, check: RecordCheck, date, precision, title) -> tuple[str, bool]:
        key = check.text("key")
        keyed = bool(key)
        if key and not KEY_PATTERN.match(key):
            check.problem(
                "key",
                f"{quoted(key)} may hold only letters, digits, '-' and '_' ({KEY_LENGTH} at most)",
            )
        elif not key and date and title:
            made = slugify(f"{format_partial_date(date, precision)}-{title}")
            key = made[:KEY_LENGTH].strip("-")
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
                f"unknown actor {quoted(code)} (not an ISO country code, "
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
                    "citations", f"the source {quoted(row.title or row.url)} is cited twice"
                )
            seen.add(row.source_key)
        return tuple(rows)

    def _citation(self, get, problem, prefix) -> CitationRow | None:
        title = get("title", limit=SOURCE_TITLE_LENGTH)
        publisher = get("publisher", limit=PUBLISHER_LENGTH)
        url = get("url", limit=URL_LENGTH)
        raw_date = get("date")
        quote = get("quote", limit=MAX_FIELD)
        locator = get("locator", limit=LOCATOR_LENGTH)
        if not (title or publisher or url or raw_date or quote or locator):
            return None
        published_on = None
        if raw_date:
            try:
                published_on, _ = parse_partial_date(raw_date)
            except ValueError as error:
                problem(f"{prefix}date", str(error))
        source_key: tuple
        if url:
            if not _is_http_url(url):
                problem(f"{prefix}url", f"{quoted(url, 80)} is not an http(s) address")
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
        links = []
        seen: set[str] = set()
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
            problem("evidence", f"unknown recommendation {quoted(code)}")
            return None
        if stance not in STANCES:
            problem("evidence", f"{quoted(stance)} for {code} is not 'advances' or 'hinders'")
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
        unknown = unknown_fields(citation, CITATION_FIELDS)
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


def _evidence_from_text(value: str, problem) -> list[tuple[str, str, Any, str | None]]:
    items: list[tuple[str, str, Any, str | None]] = []
    for item in value.split(";"):
        if not item.strip():
            continue
        parts = [p.strip() for p in item.split(":")]
        if len(parts) not in (2, 3):
            problem("evidence", f"{quoted(item.strip())} is not CODE:STANCE[:STRENGTH]")
            continue
        items.append((parts[0], parts[1], parts[2] if len(parts) == 3 else 2, None))
    return items


def _evidence_from_object(item, problem) -> tuple[str, str, Any, str | None] | None:
    if not isinstance(item, dict):
        problem("evidence", f"each item must be an object, not {_kind_of(item)}")
        return None
    unknown = unknown_fields(item, EVIDENCE_FIELDS)
    if unknown:
        problem("evidence", f"{unknown} in an evidence item")
        return None
    code, stance = item.get("recommendation"), item.get("stance", "")
    rationale = item.get("rationale")
    if not isinstance(code, str):
        given = "" if code is None else f", not {_kind_of(code)}"
        problem("evidence", f"each item needs a recommendation code{given}")
    elif not isinstance(stance, str):
        problem("evidence", f"the stance for {quoted(code)} must be text")
    elif rationale is not None and not isinstance(rationale, str):
        problem("evidence", f"the rationale for {quoted(code)} must be text")
    else:
        return code, stance, item.get("strength", 2), rationale
    return None


def _strength(value: Any) -> int | None:
    """1, 2 or 3, given as an integer or as the digit in text; else None (true, 2.5)."""
    if isinstance(value, str):
        return STRENGTHS.get(value.strip())
    if type(value) is int and value in STRENGTHS.values():  # not bool, a subclass of int
        return value
    return None
