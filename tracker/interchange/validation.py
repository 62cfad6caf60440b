"""Checking import records against the reference data, collecting every problem.

A record that passes becomes a Row, in the database's terms; one that does not
gives its problems, each with the line the record starts on and the column at
fault. What a record follows may be a development later in the file, so those
checks wait for the end of the first pass (`Validator.finish`). Nothing here
writes: the Validator only reads the reference data and the developments.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterable
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
    EvidenceConfidence,
    EvidenceStance,
    EvidenceStrength,
    FollowKind,
    Recommendation,
    Source,
    SourceReliability,
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
# In their declared order, as messages list them.
FOLLOW_KINDS = FollowKind.values
CONFIDENCES = EvidenceConfidence.values
RELIABILITIES = SourceReliability.values
LOOP_SHOWN = 6  # keys of a loop named in its message


@dataclass(frozen=True)
class CitationRow:
    source_key: tuple  # how the source is found: ("url", url) or ("title", title, publisher)
    title: str
    publisher: str
    published_on: datetime.date | None
    url: str
    quote: str
    locator: str
    reliability: str  # the grade of a source the import creates; an existing one keeps its own


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
    follows: str | None  # the key of the earlier stage
    follows_as: str  # how it follows it ('' when it follows none)
    location: str
    actor_codes: tuple[str, ...]
    citations: tuple[CitationRow, ...]
    # (recommendation id, stance, strength, rationale, confidence)
    evidence: tuple[tuple[int, str, int, str, str], ...]


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


class SeenKeys:
    """The key of each record the first pass has read, with its line; and whether a
    later record may follow it (a record that gives its key), with its date.

    The line, that flag and the day are packed in one int per key: a 50 MB file holds
    some 170,000 records, and a dict of dates beside the lines added 9 MB to the 21 MB
    its first pass takes."""

    DAY_BITS = 20  # the ordinal of the last day the format allows (2100) is below 2**20

    def __init__(self):
        self._seen: dict[str, int] = {}

    def add(self, key: str, line: int, date: datetime.date | None, stage: bool) -> None:
        day = date.toordinal() if date else 0
        self._seen[key] = (line << (self.DAY_BITS + 1)) | (stage << self.DAY_BITS) | day

    def line(self, key: str) -> int | None:
        """The line of the record with this key; None if none was read."""
        seen = self._seen.get(key)
        return None if seen is None else seen >> (self.DAY_BITS + 1)

    def is_stage(self, key: str) -> bool:
        """Whether a record gave this key, so that another may follow it."""
        return bool(self._seen.get(key, 0) >> self.DAY_BITS & 1)

    def date(self, key: str) -> datetime.date | None:
        """The date of the record with this key (None if it had none, or a wrong one)."""
        day = self._seen.get(key, 0) & ((1 << self.DAY_BITS) - 1)
        return datetime.date.fromordinal(day) if day else None


@functools.lru_cache(maxsize=4096)
def _is_http_url(url: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


class Validator:
    """Checks records against the reference data, collecting every problem.

    `check_duplicates` is the first pass: it also compares records with each other
    (a key given twice) and keeps what `finish()` checks once every record is read.
    """

    def __init__(self, check_duplicates: bool = True):
        self.check_duplicates = check_duplicates
        self.kinds = dict(DevelopmentKind.objects.values_list("code", "pk"))
        self.recommendations = dict(Recommendation.objects.values_list("code", "pk"))
        self.actors = set(Actor.objects.values_list("code", flat=True))
        self.new_countries: set[str] = set()
        self.keys_seen = SeenKeys()
        # (line, key, date, key of the earlier stage) of each record that follows one.
        self.following: list[tuple[int, str, datetime.date | None, str]] = []

    @property
    def referenced(self) -> set[str]:
        """The keys the file's records follow (first pass)."""
        return {earlier for *_, earlier in self.following}

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
        follows, follows_as = self._follows(check, key)
        if self.check_duplicates and follows:
            self.following.append((line, key, date, follows))

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
            follows=follows,
            follows_as=follows_as,
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

    def _follows(self, check: RecordCheck, key: str) -> tuple[str | None, str]:
        """(the earlier stage's key, how this one follows it); (None, '') for none.
        Whether that key exists waits for finish(): it may come later in the file."""
        follows, follows_as = check.text("follows"), check.text("follows_as")
        if follows_as and follows_as not in FOLLOW_KINDS:
            check.problem(
                "follows_as", f"{quoted(follows_as)} is not one of {', '.join(FOLLOW_KINDS)}"
            )
        if not follows:
            if follows_as:
                check.problem(
                    "follows", "is required with follows_as: the key of the earlier development"
                )
            return None, ""
        if not follows_as:
            check.problem(
                "follows_as", f"is required with follows: one of {', '.join(FOLLOW_KINDS)}"
            )
        if not KEY_PATTERN.match(follows):
            check.problem(
                "follows", f"{quoted(follows)} is not a key (letters, digits, '-' and '_')"
            )
            return None, ""
        if follows == key:
            check.problem("follows", "a development cannot follow itself")
            return None, ""
        return follows, follows_as

    def finish(self) -> list[Problem]:
        """The problems only the whole file shows, once the first pass has read every
        record: each earlier stage a record follows is in the database or the file,
        dated no later than it, and no chain loops. The file's records stand for the
        developments they write; the database's for the others."""
        if not self.check_duplicates:
            return []
        database = database_stages(self.referenced)
        follows_in_file = {key: earlier for _, key, _, earlier in self.following}

        def stage_of(key: str) -> Stage | None:
            if self.keys_seen.is_stage(key):
                return self.keys_seen.date(key), follows_in_file.get(key)
            return database.get(key)

        problems = []
        for line, _, date, earlier_key in self.following:
            earlier = stage_of(earlier_key)
            if earlier is None:
                problems.append(
                    Problem(
                        line,
                        "follows",
                        f"no development has the key {quoted(earlier_key)} in the database "
                        "or this file",
                    )
                )
            elif date and earlier[0] and earlier[0] > date:
                problems.append(
                    Problem(
                        line,
                        "follows",
                        f"{quoted(earlier_key)} is dated {earlier[0].isoformat()}, after this "
                        f"development ({date.isoformat()}): the stage it follows comes first",
                    )
                )
        problems += _loops(self.following, lambda key: (stage_of(key) or (None, None))[1])
        for key, (date, followed) in database.items():
            # A development the file leaves as it is, following one the file dates later.
            if followed is None or self.keys_seen.is_stage(key):
                continue
            followed_date = self.keys_seen.date(followed)
            followed_line = self.keys_seen.line(followed)
            if date and followed_date and followed_line and followed_date > date:
                problems.append(
                    Problem(
                        followed_line,
                        "date",
                        f"{quoted(key)} in the database follows this development and is "
                        f"dated before it ({date.isoformat()})",
                    )
                )
        return problems

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
            earlier = self.keys_seen.line(key)
            if earlier is not None:
                what = "key" if keyed else "date and title"
                check.problem(
                    "key" if keyed else "title", f"same {what} as the record on line {earlier}"
                )
            else:
                self.keys_seen.add(key, check.line, date, stage=keyed)
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
        reliability = get("reliability")
        if not (title or publisher or url or raw_date or quote or locator or reliability):
            return None
        if reliability and reliability not in RELIABILITIES:
            problem(
                f"{prefix}reliability",
                f"{quoted(reliability)} is not one of {', '.join(RELIABILITIES)}",
            )
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
        return CitationRow(
            source_key,
            title,
            publisher,
            published_on,
            url,
            quote,
            locator,
            reliability or SourceReliability.SECONDARY,
        )

    def _evidence(self, value, note: str, problem) -> tuple[tuple[int, str, int, str, str], ...]:
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

    def _evidence_link(self, code, stance, strength, rationale, confidence, notes, seen, problem):
        """(recommendation id, stance, strength, rationale, confidence) for one item, or None."""
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
        confidence = confidence or EvidenceConfidence.MEDIUM
        if confidence not in CONFIDENCES:
            problem(
                "evidence",
                f"confidence {quoted(confidence)} for {code} is not one of "
                f"{', '.join(CONFIDENCES)}",
            )
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
        return recommendation_id, stance, strength, rationale.strip(), confidence


Stage = tuple[datetime.date | None, str | None]  # (date, key of the stage it follows)


def database_stages(keys: Iterable[str]) -> dict[str, Stage]:
    """Every development of the database that follows another, and those of `keys`,
    by key: what a chain through the database needs, in a query (and one per 500 of
    `keys` that follow nothing)."""
    stages: dict[str, Stage] = {}
    for key, date, earlier_key, earlier_date in Development.objects.filter(
        follows__isnull=False
    ).values_list("key", "date", "follows__key", "follows__date"):
        stages[key] = (date, earlier_key)
        stages.setdefault(earlier_key, (earlier_date, None))
    rest = sorted(set(keys) - stages.keys())
    for start in range(0, len(rest), 500):
        chunk = rest[start : start + 500]
        for key, date in Development.objects.filter(key__in=chunk).values_list("key", "date"):
            stages[key] = (date, None)
    return stages


def chain_state(keys: Iterable[str]) -> list[tuple[str, Stage]]:
    """The database's stages `keys` name and all those before them, sorted: what the
    checks of a file's chains read, for the fingerprint of a preview."""
    stages = database_stages(keys)
    seen: dict[str, Stage] = {}
    for key in keys:
        current: str | None = key
        while current is not None and current in stages and current not in seen:
            seen[current] = stages[current]
            current = stages[current][1]
    return sorted(seen.items())


def _loops(
    following: list[tuple[int, str, datetime.date | None, str]],
    earlier_of: Callable[[str], str | None],
) -> list[Problem]:
    """A problem for each record on a loop of stages (or, when the loop is the
    database's alone, for the record whose chain runs into it). Each stage is walked
    once, however long the chains: a hostile file cannot make this quadratic."""
    lines = {key: line for line, key, _, _ in following}
    done: set[str] = set()
    problems = []
    for _, key, _, earlier in following:
        path = {key: 0}  # key: its place on the walk
        current: str | None = earlier
        while current is not None and current not in done and current not in path:
            path[current] = len(path)
            current = earlier_of(current)
        done.update(path)
        if current is None or current not in path:
            continue
        loop = list(path)[path[current] :]
        on_loop = [(start, k) for start, k in enumerate(loop) if k in lines]
        where = "makes a loop" if on_loop else "runs into a loop in the database"
        for start, member in on_loop or [(0, key)]:
            shown = [loop[(start + i) % len(loop)] for i in range(min(len(loop), LOOP_SHOWN))]
            text = " → ".join(quoted(k, 30) for k in shown)
            more = f" → … ({len(loop)} stages)" if len(loop) > LOOP_SHOWN else ""
            problems.append(
                Problem(
                    lines[member],
                    "follows",
                    f"the chain {where}: {text}{more} → {quoted(loop[start], 30)} "
                    "(each follows the next)",
                )
            )
    return problems


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


EvidenceItem = tuple[str, str, Any, str | None, str | None]


def _evidence_items(value, problem) -> list[EvidenceItem]:
    """(code, stance, strength, rationale, confidence) for each item of `evidence`, text
    or list; a rationale or confidence not given is None."""
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


def _evidence_from_text(value: str, problem) -> list[EvidenceItem]:
    items: list[EvidenceItem] = []
    for item in value.split(";"):
        if not item.strip():
            continue
        parts = [p.strip() for p in item.split(":")]
        if not 2 <= len(parts) <= 4:
            problem(
                "evidence", f"{quoted(item.strip())} is not CODE:STANCE[:STRENGTH[:CONFIDENCE]]"
            )
            continue
        code, stance, *rest = parts
        strength = rest[0] if rest else 2
        confidence = rest[1] if len(rest) == 2 else None
        items.append((code, stance, strength, None, confidence))
    return items


def _evidence_from_object(item, problem) -> EvidenceItem | None:
    if not isinstance(item, dict):
        problem("evidence", f"each item must be an object, not {_kind_of(item)}")
        return None
    unknown = unknown_fields(item, EVIDENCE_FIELDS)
    if unknown:
        problem("evidence", f"{unknown} in an evidence item")
        return None
    code, stance = item.get("recommendation"), item.get("stance", "")
    rationale, confidence = item.get("rationale"), item.get("confidence")
    if not isinstance(code, str):
        given = "" if code is None else f", not {_kind_of(code)}"
        problem("evidence", f"each item needs a recommendation code{given}")
    elif not isinstance(stance, str):
        problem("evidence", f"the stance for {quoted(code)} must be text")
    elif rationale is not None and not isinstance(rationale, str):
        problem("evidence", f"the rationale for {quoted(code)} must be text")
    elif confidence is not None and not isinstance(confidence, str):
        problem("evidence", f"the confidence for {quoted(code)} must be text")
    else:
        return code, stance, item.get("strength", 2), rationale, confidence
    return None


def _strength(value: Any) -> int | None:
    """1, 2 or 3, given as an integer or as the digit in text; else None (true, 2.5)."""
    if isinstance(value, str):
        return STRENGTHS.get(value.strip())
    if type(value) is int and value in STRENGTHS.values():  # not bool, a subclass of int
        return value
    return None
