"""Exporting developments in the import's own formats, CSV and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from tracker.interchange.formats import (
    COLUMNS,
    ImportFileError,
    format_partial_date,
    join_notes,
)
from tracker.models import CHUNK_SIZE, Development
from tracker.text import CsvLine, formula_quoted


def export_records(developments=None) -> Iterator[dict[str, Any]]:
    """Each development (of the queryset given, else all) as a record of the import
    format, keys in COLUMNS order, by date and key. An empty queryset gives no
    records."""
    if developments is None:
        developments = Development.objects.all()
    developments = (
        developments.select_related("kind", "follows")
        .prefetch_related(None)  # a report's queryset comes with prefetches of its own
        .prefetch_related(
            "actors",
            "citations__source",
            "evidence__recommendation",
        )
        .order_by("date", "key")
    )
    for development in developments.iterator(chunk_size=CHUNK_SIZE):
        citations = sorted(development.citations.all(), key=lambda c: c.source.key)
        first = citations[0] if citations else None
        links = sorted(
            (e.recommendation.code, e.stance, e.strength, e.rationale, e.confidence)
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
            "follows": development.follows.key if development.follows else "",
            "follows_as": development.follows_as,
            "actors": sorted(a.code for a in development.actors.all()),
            "location": development.location,
            "source_title": first.source.title if first else "",
            "source_publisher": first.source.publisher if first else "",
            "source_date": first.source.published_on.isoformat()
            if first and first.source.published_on
            else "",
            "source_url": first.source.url if first else "",
            "source_reliability": first.source.reliability if first else "",
            "source_quote": first.quote if first else "",
            "source_locator": first.locator if first else "",
            "evidence": links,
            "note": join_notes([(code, rationale) for code, _, _, rationale, _ in links]),
            "citations": citations[1:],
        }


@dataclass
class ExportCounts:
    """What an export wrote: records, and the citations CSV had to leave out."""

    records: int = 0
    dropped: int = 0


def export_chunks(
    file_format: str, developments=None, counts: ExportCounts | None = None
) -> Iterator[str]:
    """The import format as text, a record at a time (a CSV line, a JSON object), for
    a file or a streamed download (the explorer's). `developments` is a queryset,
    None for all, drafts included; `counts` is kept up to date as records are
    written."""
    if file_format not in ("csv", "json"):
        raise ImportFileError(f"Unknown format '{file_format}': use csv or json.")
    counts = counts if counts is not None else ExportCounts()
    if file_format == "csv":
        writer = csv.writer(CsvLine(), lineterminator="\n")
        yield writer.writerow(COLUMNS)
        for record in export_records(developments):
            counts.records += 1
            counts.dropped += len(record["citations"])
            record["actors"] = ";".join(record["actors"])
            record["evidence"] = ";".join(
                f"{code}:{stance}:{strength}:{confidence}"
                for code, stance, strength, _, confidence in record["evidence"]
            )
            yield writer.writerow([formula_quoted(record[name]) for name in COLUMNS])
        return
    yield "["
    for record in export_records(developments):
        extra = record.pop("citations")
        record["evidence"] = [
            {
                "recommendation": code,
                "stance": stance,
                "strength": strength,
                "rationale": note,
                "confidence": confidence,
            }
            for code, stance, strength, note, confidence in record["evidence"]
        ]
        del record["note"]
        if extra:
            record["citations"] = [
                {
                    "title": c.source.title,
                    "publisher": c.source.publisher,
                    "date": c.source.published_on.isoformat() if c.source.published_on else "",
                    "url": c.source.url,
                    "reliability": c.source.reliability,
                    "quote": c.quote,
                    "locator": c.locator,
                }
                for c in extra
            ]
        yield ("," if counts.records else "") + "\n" + json.dumps(record, ensure_ascii=False)
        counts.records += 1
    yield "\n]\n"


def export_developments(out: IO[str], file_format: str, developments=None) -> tuple[int, int]:
    """Write developments (a queryset; None for all, drafts included) as CSV or JSON;
    returns (records, citations CSV had to leave out)."""
    counts = ExportCounts()
    for chunk in export_chunks(file_format, developments, counts):
        out.write(chunk)
    return counts.records, counts.dropped
