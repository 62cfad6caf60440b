"""Review of changes to published records.

An editor's change to a published development (its fields, actors, citations or
evidence) or assessment, or its deletion, does not touch the live row: it is kept
as a `Proposal` holding the record as it stood (`before`) and as proposed
(`after`). Another editor or an administrator sees the difference field by field
and link by link, and approves it (then `apply_*` writes it, with history) or
rejects it, each with a reason. The live record never changes in between, so
reports, exports, feeds and cached figures need no filter of their own.

A record is a plain dict, the same shape in `before`, `after` and the diff:

- a development: its fields (dates as ISO days with their precision, the kind by
  code, `follows` as the earlier stage's key), `actors` (codes), `citations`
  (source key, quote, locator) and `evidence` (recommendation code, stance,
  strength, rationale, confidence), links sorted;
- an assessment: recommendation code, date, status, reason and rationale.

Approval refuses a proposal whose `before` no longer matches the live record
(someone else's change was approved meanwhile): it would undo that change.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tracker import corrections
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Proposal,
    Recommendation,
    Source,
    clipped,
)

DEVELOPMENT_FIELDS = {
    "key": "Key",
    "title": "Title",
    "date": "Date",
    "end_date": "End date",
    "precision": "Date precision",
    "kind": "Kind",
    "status": "Status",
    "location": "Location",
    "summary": "Summary",
    "follows": "Follows",
    "follows_as": "Follows as",
}
ASSESSMENT_FIELDS = {
    "recommendation": "Recommendation",
    "assessed_on": "Assessed on",
    "status": "Status",
    "reason": "Reason",
    "rationale": "Rationale",
}
# Each kind of link: its name in the record, the field that tells its rows apart,
# and the fields a change may touch.
LINKS = {
    "actors": ("Actor", "actor", ()),
    "citations": ("Citation", "source", ("quote", "locator")),
    "evidence": ("Evidence", "recommendation", ("stance", "strength", "rationale", "confidence")),
}


class ReviewError(Exception):
    """A proposal that cannot be made, approved or rejected, and why."""


# --- Records --------------------------------------------------------------------------


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def record(
    *,
    date,
    end_date,
    kind: str,
    actors,
    citations,
    evidence,
    follows: str | None = None,
    follows_as: str = "",
    **fields,
) -> dict:
    """A development's record from its values: the one place its shape is made.

    `citations` are (source key, quote, locator) and `evidence` (recommendation
    code, stance, strength, rationale, confidence); `follows` is the earlier
    stage's key; the other fields are named as on the model.
    """
    return {
        **{name: fields[name] for name in ("key", "title", "precision", "status")},
        "date": _iso(date),
        "end_date": _iso(end_date),
        "kind": kind,
        "location": fields["location"],
        "summary": fields["summary"],
        "follows": follows,
        "follows_as": follows_as,
        "actors": sorted(actors),
        "citations": sorted(
            (
                {"source": key, "quote": quote, "locator": locator}
                for key, quote, locator in citations
            ),
            key=lambda c: c["source"],
        ),
        "evidence": sorted(
            (
                {
                    "recommendation": code,
                    "stance": stance,
                    "strength": int(strength),
                    "rationale": why,
                    "confidence": confidence,
                }
                for code, stance, strength, why, confidence in evidence
            ),
            key=lambda e: e["recommendation"],
        ),
    }


FIELDS = ("key", "title", "date", "end_date", "precision", "status", "location", "summary")


def _key_of(development_id: int | None) -> str | None:
    if development_id is None:
        return None
    return Development.objects.values_list("key", flat=True).get(pk=development_id)


def development_record(development: Development) -> dict:
    """The development as it stands in the database, with its links."""
    return record(
        **{name: getattr(development, name) for name in FIELDS},
        follows=_key_of(development.follows_id),
        follows_as=development.follows_as,
        kind=DevelopmentKind.objects.values_list("code", flat=True).get(pk=development.kind_id),
        actors=DevelopmentActor.objects.filter(development=development).values_list(
            "actor__code", flat=True
        ),
        citations=development.citations.values_list("source__key", "quote", "locator"),
        evidence=development.evidence.values_list(
            "recommendation__code", "stance", "strength", "rationale", "confidence"
        ),
    )


def assessment_record(assessment: Assessment) -> dict:
    """The assessment as it stands in the database."""
    return {
        "recommendation": Recommendation.objects.values_list("code", flat=True).get(
            pk=assessment.recommendation_id
        ),
        "assessed_on": _iso(assessment.assessed_on),
        "status": assessment.status,
        "reason": assessment.reason,
        "rationale": assessment.rationale,
    }


def citation_item(citation: Citation) -> dict:
    return {"source": citation.source.key, "quote": citation.quote, "locator": citation.locator}


def evidence_item(evidence: Evidence) -> dict:
    return {
        "recommendation": evidence.recommendation.code,
        "stance": evidence.stance,
        "strength": int(evidence.strength),
        "rationale": evidence.rationale,
        "confidence": evidence.confidence,
    }


def with_development_fields(live: dict, development: Development, actors=None) -> dict:
    """The `live` record with the fields (and, if given, the actors) of an unsaved
    development, as its form left it."""
    development.normalise_dates()
    edited = record(
        **{name: getattr(development, name) for name in FIELDS},
        follows=_key_of(development.follows_id),
        follows_as=development.follows_as,
        kind=development.kind.code,
        actors=[actor.code for actor in actors] if actors is not None else live["actors"],
        citations=(),
        evidence=(),
    )
    return {**edited, "citations": live["citations"], "evidence": live["evidence"]}


def with_links(record: dict, name: str, items: Iterable[dict]) -> dict:
    """`record` with its links of one kind ('citations', 'evidence') replaced."""
    key = LINKS[name][1]
    return {**record, name: sorted(items, key=lambda item: item[key])}


def with_link(record: dict, name: str, item: dict | None, removing: str | None = None) -> dict:
    """`record` with one link added or replaced (`item`) and/or one removed (by its key)."""
    key = LINKS[name][1]
    kept = [
        link for link in record[name] if link[key] not in {removing, item and item[key]} - {None}
    ]
    return with_links(record, name, [*kept, *([item] if item else [])])


# --- Proposing --------------------------------------------------------------------------


def proposes(
    user, record: Development | Assessment | Evidence | Citation | DevelopmentActor
) -> bool:
    """Whether `user`'s change to `record` (a development or an assessment, or a link of
    a development) waits for review rather than going live: whether the live row is
    published, whatever the version in hand says (a revert holds an old version)."""
    if user.is_superuser:
        return False
    target = record if isinstance(record, Development | Assessment) else record.development
    return type(target).objects.filter(pk=target.pk, published=True).exists()


def _propose(kind, target, before, after, user, via, action=Proposal.Action.CHANGE) -> Proposal:
    if action == Proposal.Action.CHANGE and after == before:
        raise ReviewError("Nothing was changed.")
    return Proposal.objects.create(
        kind=kind,
        action=action,
        **{kind: target},
        subject=clipped(Proposal, "subject", str(target)),
        before=before,
        after=after,
        via=clipped(Proposal, "via", via),
        proposed_by=user,
    )


def propose_development(development: Development, after: dict | None, user, via: str):
    """Keep a change (or, with `after` None, the deletion) of a published development."""
    action = Proposal.Action.CHANGE if after is not None else Proposal.Action.DELETE
    live = Development.objects.get(pk=development.pk)
    return _propose(
        Proposal.Kind.DEVELOPMENT, live, development_record(live), after, user, via, action
    )


def propose_assessment(assessment: Assessment, after: dict | None, user, via: str):
    """Keep a change (or, with `after` None, the deletion) of a published assessment."""
    action = Proposal.Action.CHANGE if after is not None else Proposal.Action.DELETE
    live = Assessment.objects.get(pk=assessment.pk)
    return _propose(
        Proposal.Kind.ASSESSMENT, live, assessment_record(live), after, user, via, action
    )


# --- The difference a reviewer sees ------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    what: str
    before: str
    after: str


def _describe(name: str, link: dict | None) -> str:
    if link is None:
        return "—"
    if name == "evidence":
        return f"{link['stance']}, strength {link['strength']}: {link['rationale']}"
    if name == "citations":
        parts = [link["quote"] and f"“{link['quote']}”", link["locator"]]
        return "; ".join(part for part in parts if part) or "cited"
    return "takes part"


def _field_text(value) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


def differences(proposal: Proposal) -> list[Difference]:
    """What the proposal changes: each field, then each link, before -> after."""
    return record_differences(
        proposal.before,
        proposal.after or {},
        development=proposal.kind == Proposal.Kind.DEVELOPMENT,
    )


def record_differences(before: dict, after: dict, development: bool = True) -> list[Difference]:
    """What changes from one record to another (a development's, else an assessment's):
    each field, then each link, before -> after. An import's preview shows the same."""
    fields = DEVELOPMENT_FIELDS if development else ASSESSMENT_FIELDS
    rows = [
        Difference(label, _field_text(before.get(name)), _field_text(after.get(name)))
        for name, label in fields.items()
        if before.get(name) != after.get(name)
    ]
    if not development:
        return rows
    for name, (label, key, _) in LINKS.items():
        if name == "actors":
            old = {code: {"actor": code} for code in before.get(name, [])}
            new = {code: {"actor": code} for code in after.get(name, [])}
        else:
            old = {link[key]: link for link in before.get(name, [])}
            new = {link[key]: link for link in after.get(name, [])}
        rows += [
            Difference(
                f"{label} {code}", _describe(name, old.get(code)), _describe(name, new.get(code))
            )
            for code in sorted(old.keys() | new.keys())
            if old.get(code) != new.get(code)
        ]
    return rows


# --- Approving and rejecting -------------------------------------------------------------


def _stamp(instance, user, reason):
    instance._history_user = user
    instance._change_reason = reason
    return instance


def _live_record(proposal: Proposal) -> dict | None:
    """The record the proposal changes as it stands now; None once it is deleted."""
    if proposal.kind == Proposal.Kind.DEVELOPMENT:
        if proposal.development_id is None:  # deleted since (the link is set to null)
            return None
        development = Development.objects.filter(pk=proposal.development_id).first()
        return development_record(development) if development else None
    if proposal.assessment_id is None:
        return None
    assessment = Assessment.objects.filter(pk=proposal.assessment_id).first()
    return assessment_record(assessment) if assessment else None


def _decide(proposal: Proposal, user, reason: str) -> Proposal:
    """The proposal locked for this transaction, after checking who decides and why."""
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state != Proposal.State.PENDING:
        raise ReviewError(f"This proposal was already {locked.get_state_display().lower()}.")
    if not locked.may_be_reviewed_by(user):
        if locked.proposed_by_id == user.pk:
            raise ReviewError("You proposed this change: another editor must review it.")
        raise ReviewError("You may not review changes to these records.")
    if not reason.strip():
        raise ReviewError("Give a reason for your decision.")
    return locked


def _close(proposal: Proposal, state, user, reason: str) -> Proposal:
    proposal.state, proposal.reviewed_by = state, user
    proposal.reviewed_at, proposal.review_reason = timezone.now(), reason.strip()
    proposal.save()
    return proposal


@transaction.atomic
def reject(proposal: Proposal, user, reason: str) -> Proposal:
    """Close the proposal unapplied; the live record stays as it is."""
    locked = _decide(proposal, user, reason)
    return _close(locked, Proposal.State.REJECTED, user, reason)


def approve(proposal: Proposal, user, reason: str) -> Proposal:
    """Apply the proposed change to the live record, with history, and close it."""
    try:
        with transaction.atomic():
            locked = _decide(proposal, user, reason)
            if _live_record(locked) != locked.before:
                raise ReviewError(
                    "The record has changed since this was proposed (another change was "
                    "approved, or it was deleted): reject this proposal and propose it again."
                )
            note = clipped(
                Development.history.model,
                "history_change_reason",
                f"Proposal {locked.pk} by {locked.proposed_by}, approved by {user}",
            )
            # The live record was found just above: its id is set.
            target: Development | Assessment
            if locked.kind == Proposal.Kind.DEVELOPMENT:
                assert locked.development_id is not None
                target = Development.objects.select_for_update().get(pk=locked.development_id)
            else:
                assert locked.assessment_id is not None
                target = Assessment.objects.select_for_update().get(pk=locked.assessment_id)
            # Written before a deletion, while the row is there to point at (its
            # corrections keep their subject once the link is set to null).
            corrections.record(
                corrections.changes(locked.before, locked.after),
                reason=reason,
                made_by=locked.proposed_by,
                approved_by=user,
                proposal=locked,
                development_id=target.pk if isinstance(target, Development) else None,
                assessment_id=target.pk if isinstance(target, Assessment) else None,
            )
            if locked.after is None:
                _stamp(target, user, note).delete()
                setattr(locked, locked.kind, None)  # its row is gone
            elif isinstance(target, Development):
                apply_development(target, locked.after, user, note, author=locked.proposed_by)
            else:
                apply_assessment(target, locked.after, user, note, author=locked.proposed_by)
            return _close(locked, Proposal.State.APPROVED, user, reason)
    except IntegrityError as error:
        raise ReviewError(f"The change breaks a rule of the data: {error}") from None


def _by_code(model, codes: Iterable[str], field: str = "code") -> dict:
    codes = set(codes)
    found = {getattr(row, field): row for row in model.objects.filter(**{f"{field}__in": codes})}
    missing = codes - found.keys()
    if missing:
        raise ReviewError(
            f"{model._meta.verbose_name.capitalize()} no longer there: "
            f"{', '.join(sorted(missing))}."
        )
    return found


def _sync(rows: dict, wanted: dict, fields, make: Callable[[str], models.Model], stamp):
    """Make the link rows (by key) match `wanted`: delete, update and add, each with history."""
    for key, row in rows.items():
        if key not in wanted:
            stamp(row).delete()
    for key, values in wanted.items():
        row = rows.get(key) or make(key)
        if row.pk is not None and all(getattr(row, f) == values[f] for f in fields):
            continue
        for name in fields:
            setattr(row, name, values[name])
        stamp(row).save()


def apply_development(development: Development, record: dict, user, reason: str, author=None):
    """Make a development and its links what `record` says, recording history."""

    def stamp(instance):
        return _stamp(instance, user, reason)

    for name in ("key", "title", "precision", "status", "location", "summary"):
        setattr(development, name, record[name])
    development.date = datetime.date.fromisoformat(record["date"])
    end = record["end_date"]
    development.end_date = datetime.date.fromisoformat(end) if end else None
    development.kind = _by_code(DevelopmentKind, [record["kind"]])[record["kind"]]
    follows = record["follows"]
    development.follows = (
        _by_code(Development, [follows], field="key")[follows] if follows else None
    )
    development.follows_as = record["follows_as"]
    stamp(development).save()

    actors = _by_code(Actor, record["actors"])
    _sync(
        {
            link.actor.code: link
            for link in development.developmentactor_set.select_related("actor")
        },
        {code: {} for code in actors},
        (),
        lambda code: DevelopmentActor(development=development, actor=actors[code]),
        stamp,
    )
    sources = _by_code(Source, [c["source"] for c in record["citations"]], field="key")
    _sync(
        {c.source.key: c for c in development.citations.select_related("source")},
        {c["source"]: c for c in record["citations"]},
        LINKS["citations"][2],
        lambda key: Citation(development=development, source=sources[key], created_by=author),
        stamp,
    )
    recommendations = _by_code(Recommendation, [e["recommendation"] for e in record["evidence"]])
    _sync(
        {e.recommendation.code: e for e in development.evidence.select_related("recommendation")},
        {e["recommendation"]: e for e in record["evidence"]},
        LINKS["evidence"][2],
        lambda code: Evidence(
            development=development, recommendation=recommendations[code], created_by=author
        ),
        stamp,
    )


def apply_assessment(assessment: Assessment, record: dict, user, reason: str, author=None):
    """Make an assessment what `record` says, recording history."""
    code = record["recommendation"]
    assessment.recommendation = _by_code(Recommendation, [code])[code]
    assessment.assessed_on = datetime.date.fromisoformat(record["assessed_on"])
    for name in ("status", "reason", "rationale"):
        setattr(assessment, name, record[name])
    _stamp(assessment, user, reason).save()


@dataclass(frozen=True)
class BulkLinkResult:
    linked: int
    proposed: int
    existing: int


@transaction.atomic
def link_or_propose(developments, recommendation, stance, strength, rationale, user):
    """The bulk link action: link drafts (and, for an administrator, every
    development) at once; an editor's link to a published development is proposed."""
    already = set(
        Evidence.objects.filter(
            recommendation=recommendation, development__in=developments
        ).values_list("development_id", flat=True)
    )
    unlinked = developments.exclude(pk__in=already)
    direct = unlinked if user.is_superuser else unlinked.filter(published=False)
    # An administrator's links to published developments go live: the corrections log
    # has them, with the rationale as their reason.
    titles = list(direct.filter(published=True).values_list("pk", "title"))
    result = Evidence.objects.link(
        direct, recommendation, stance, strength, rationale, created_by=user
    )
    if not user.is_superuser:
        Development.objects.filter(pk__in=direct.values("pk")).update(drafted_by=user)
    item = {
        "recommendation": recommendation.code,
        "stance": stance,
        "strength": int(strength),
        "rationale": rationale,
        "confidence": Evidence.Confidence.MEDIUM,  # as Evidence.objects.link writes it
    }
    for pk, title in titles:
        corrections.record(
            corrections.changes(
                {"title": title, "evidence": []}, {"title": title, "evidence": [item]}
            ),
            reason=rationale,
            made_by=user,
            development_id=pk,
        )
    proposed = 0
    for development in unlinked.filter(published=True) if not user.is_superuser else ():
        after = with_link(development_record(development), "evidence", item)
        propose_development(development, after, user, "the bulk link action")
        proposed += 1
    return BulkLinkResult(result.created, proposed, len(already) + result.existing)
