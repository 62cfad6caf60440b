"""The corrections log: every change to a published judgement, with its reason.

A judgement is an evidence link's coding (JUDGEMENT: its stance, strength and
confidence) and an assessment's verdict (VERDICT: its status, and the reason it
stopped). `changes()` compares two records in the shape tracker/review.py gives
them and says which judgements changed; it is the one place that decides what a
correction is. A rationale, a title or a date changed alone is not one.

Whoever changes a published record writes the corrections in the same
transaction as the change (`record`): review.approve, the admin's direct
changes by an administrator, and a publishing import.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from tracker import dates
from tracker.models import (
    AssessmentReason,
    AssessmentStatus,
    Correction,
    CorrectionKind,
    EvidenceConfidence,
    EvidenceStance,
    Recommendation,
    clipped,
)

JUDGEMENT = ("stance", "strength", "confidence")
VERDICT = ("status", "reason")


@dataclass(frozen=True)
class Change:
    """One judgement changed: its recommendation (code), what it belongs to, and its
    coding before and after (None where there was none)."""

    kind: str
    recommendation: str
    subject: str
    before: dict | None
    after: dict | None

    @property
    def label(self) -> str:
        return str(CorrectionKind(self.kind).label).lower()


def _pick(record: dict, names: tuple[str, ...]) -> dict:
    return {name: record[name] for name in names}


def assessment_subject(record: dict) -> str:
    return f"assessment of {dates.format_day(datetime.date.fromisoformat(record['assessed_on']))}"


def changes(before: dict, after: dict | None) -> list[Change]:
    """The judgements that differ between two records of one development or one
    assessment (`after` None: it was deleted), in the order of their recommendation.

    A development's record is read for its title and its `evidence`; an
    assessment's for its recommendation, date, status and reason."""
    if "evidence" in before:
        return _link_changes(before, after)
    return _verdict_changes(before, after)


def _link_changes(before: dict, after: dict | None) -> list[Change]:
    subject = before["title"]
    old = {link["recommendation"]: _pick(link, JUDGEMENT) for link in before["evidence"]}
    if after is None:
        return [
            Change(CorrectionKind.WITHDRAWN, code, subject, coding, None)
            for code, coding in sorted(old.items())
        ]
    new = {link["recommendation"]: _pick(link, JUDGEMENT) for link in after["evidence"]}
    found = []
    for code in sorted(old.keys() | new.keys()):
        was, now = old.get(code), new.get(code)
        if was == now:
            continue
        kind = (
            CorrectionKind.ADDED
            if was is None
            else CorrectionKind.REMOVED
            if now is None
            else CorrectionKind.RECODED
        )
        found.append(Change(kind, code, subject, was, now))
    return found


def _verdict_changes(before: dict, after: dict | None) -> list[Change]:
    subject, code = assessment_subject(before), before["recommendation"]
    was = _pick(before, VERDICT)
    if after is None:
        return [Change(CorrectionKind.WITHDRAWN, code, subject, was, None)]
    now = _pick(after, VERDICT)
    if after["recommendation"] != code:
        # Moved to another recommendation: withdrawn from one, given to the other.
        return [
            Change(CorrectionKind.WITHDRAWN, code, subject, was, None),
            Change(CorrectionKind.STATUS, after["recommendation"], subject, None, now),
        ]
    if was == now:
        return []
    return [Change(CorrectionKind.STATUS, code, subject, was, now)]


def record(
    found: Iterable[Change],
    *,
    reason: str,
    made_by=None,
    approved_by=None,
    proposal=None,
    development_id: int | None = None,
    assessment_id: int | None = None,
) -> list[Correction]:
    """Write the corrections `changes()` found, in one statement (none: no query)."""
    found = list(found)
    if not found:
        return []
    reason = reason.strip()
    if not reason:
        raise ValueError("A change to a published judgement needs a reason.")
    ids = dict(
        Recommendation.objects.filter(code__in={c.recommendation for c in found}).values_list(
            "code", "pk"
        )
    )
    return Correction.objects.bulk_create(
        Correction(
            kind=change.kind,
            recommendation_id=ids[change.recommendation],
            development_id=development_id,
            assessment_id=assessment_id,
            subject=clipped(Correction, "subject", change.subject),
            before=change.before,
            after=change.after,
            reason=reason,
            made_by=made_by,
            approved_by=approved_by,
            proposal=proposal,
        )
        for change in found
    )


# --- Reading them ----------------------------------------------------------------------

LABELS = {
    "stance": EvidenceStance,
    "confidence": EvidenceConfidence,
    "status": AssessmentStatus,
    "reason": AssessmentReason,
}


def _text(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    choices = LABELS.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _coding_text(coding: dict) -> str:
    return ", ".join(
        f"{name} {_text(name, value)}" for name, value in coding.items() if value not in (None, "")
    )


def describe(before: dict | None, after: dict | None) -> str:
    """Before -> after in words: 'strength 3 → 2; confidence Medium → Low'."""
    if before is None:
        return f"— → {_coding_text(after or {})}"
    if after is None:
        return f"{_coding_text(before)} → —"
    return "; ".join(
        f"{name} {_text(name, before.get(name))} → {_text(name, after.get(name))}"
        for name in (*JUDGEMENT, *VERDICT)
        if (name in before or name in after) and before.get(name) != after.get(name)
    )
