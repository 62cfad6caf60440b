"""Time one way of writing an import's rows on the database DATABASE_URL names;
print the figures as JSON. Run by import_writer.py, once per measurement.

    DATABASE_URL=... python benchmarks/write_paths.py writer|bulk_create FILE.csv

The file is read and validated first, untimed (`check_records`, then the second
pass's rows). Then the real `import_developments()` runs with those results in
place of its two readings of the file, so what is timed is its write pass: the
transaction, the look-ups of existing keys and sources, and the inserts with
their history rows. `bulk_create` swaps only the inserts (`Writer._apply`) for
the ORM's `bulk_create_with_history`; everything else is the same code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402
from simple_history.utils import bulk_create_with_history  # noqa: E402

from tracker.interchange import writer  # noqa: E402
from tracker.models import (  # noqa: E402
    Citation,
    Development,
    DevelopmentActor,
    Evidence,
    Source,
)

MODELS = (Development, DevelopmentActor, Citation, Evidence, Source)
# Left out of the comparison of contents: they differ with the moment of writing.
VOLATILE = {"id", "history_id", "history_date", "created_at", "updated_at"}


class TimedWriter(writer.Writer):
    """The import's writer, timing its inserts (`_apply`) apart from its look-ups."""

    inserting = 0.0  # seconds, over all batches

    def _apply(self, to_create, to_update) -> None:
        started = time.perf_counter()
        self.insert(to_create, to_update)
        TimedWriter.inserting += time.perf_counter() - started

    def insert(self, to_create, to_update) -> None:
        super()._apply(to_create, to_update)


class BulkCreateWriter(TimedWriter):
    """The same rows and history rows written the ORM's way, as a baseline."""

    def insert(self, to_create, to_update) -> None:
        assert not to_update, "measured on a fresh database: every row is new"
        now = timezone.now()
        user = self.created_by
        history = {"default_user": user, "default_change_reason": self.reason}
        developments = bulk_create_with_history(
            [
                Development(
                    key=row.key,
                    **{name: getattr(row, name) for name in self.FIELDS},
                    created_at=now,
                    updated_at=now,
                    created_by=user,
                    drafted_by=None if self.publish else user,
                    published=self.publish,
                )
                for row, _ in to_create
            ],
            Development,
            **history,
        )
        pairs = [(d.pk, row, c) for d, (row, c) in zip(developments, to_create, strict=True)]
        stamps = {"created_at": now, "updated_at": now, "created_by": user}
        actors = [
            DevelopmentActor(development_id=pk, actor_id=self.actor_ids[code])
            for pk, row, _ in pairs
            for code in row.actor_codes
        ]
        citations = [
            Citation(development_id=pk, source_id=source, quote=quote, locator=locator, **stamps)
            for pk, _, citation_rows in pairs
            for source, quote, locator in citation_rows
        ]
        evidence = [
            Evidence(
                development_id=pk,
                recommendation_id=recommendation,
                stance=stance,
                strength=strength,
                rationale=rationale,
                confidence=confidence,
                **stamps,
            )
            for pk, row, _ in pairs
            for recommendation, stance, strength, rationale, confidence in row.evidence
        ]
        for model, objects in (
            (DevelopmentActor, actors),
            (Citation, citations),
            (Evidence, evidence),
        ):
            bulk_create_with_history(objects, model, **history)


def tables() -> dict[str, tuple[int, str]]:
    """(rows, digest of their contents) of each table the import writes, history too."""
    found = {}
    for model in MODELS:
        for table in (model, model.history.model):
            names = [f.attname for f in table._meta.concrete_fields if f.attname not in VOLATILE]
            values = sorted(repr(r) for r in table.objects.values_list(*names))
            digest = hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]
            found[table._meta.db_table] = (len(values), digest)
    return found


def main() -> None:
    method, path = sys.argv[1], Path(sys.argv[2])
    with path.open("rb") as stream:
        validator, records, problems = writer.check_records(stream, "csv")
        if problems:
            raise SystemExit(f"{path} has problems: {problems.listed[:3]}")
        stream.seek(0)
        rows = list(writer._rows(stream, "csv"))
    before = tables()
    chosen = {"writer": TimedWriter, "bulk_create": BulkCreateWriter}[method]
    checked = (validator, records, writer.ProblemList())
    with (
        mock.patch.object(writer, "check_records", return_value=checked),
        mock.patch.object(writer, "_rows", return_value=iter(rows)),
        mock.patch.object(writer, "Writer", chosen),
    ):
        started = time.perf_counter()
        report = writer.import_developments(None, "csv", reason=f"Imported from {path}")
        seconds = time.perf_counter() - started
    if not report.ok or report.created != records:
        raise SystemExit(f"{method}: {report.summary()} {report.errors[:3]}")
    after = tables()
    written = {name: after[name][0] - before[name][0] for name in after}
    json.dump(
        {
            "method": method,
            "developments": records,
            "seconds": seconds,
            "inserting": TimedWriter.inserting,
            "written": written,
            "digests": {name: digest for name, (_, digest) in after.items()},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
