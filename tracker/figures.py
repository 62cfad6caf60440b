"""Each evidence link's points, kept in its own row (`Evidence.points`), so that
report figures are sums of one column and a write recomputes only what it touches.

Computed on every read, a link's points join it to its development, the
development's kind, its citations (a lookup per link for the best source) and
the stages that follow it: 1.5 s for the actors' figures over 250,000 links on
SQLite, paid again by the first reader after any edit. Stored, the same figures
are plain sums over an index, and an edit refreshes a handful of rows.

A link's points (`progress.evidence_weight`, methodology.points in SQL), or NULL
while it does not count (`progress.counted`: a draft development, or a stage a
published later stage follows), depend on:

- the link itself (stance, strength, confidence): its save;
- its development (published, status, kind) and the stages that follow it: a
  development's save or delete refreshes its links and those of the stage it
  follows, before and after the change;
- its development's sources: a citation's save or delete, and a source's save
  (its reliability), refresh the links of the developments citing them;
- its development's kind: a kind's save (its nature) refreshes its developments.

Signals keep these current in the transaction of each save. Writers in bulk call
`refresh()` themselves (the import's writer, demo data, the restore); loaddata
calls `refresh_all()` once its rows are in. `manage.py refresh_figures` recomputes
every link, and `stale_links()` lists those whose stored points differ from a
fresh computation (none, unless a write path forgot to refresh).

Retrospective views (`?as_of=`) compute points on read: what counted then is
not what counts now.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, FloatField, OuterRef, Subquery, Value, When
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from tracker import progress
from tracker.models import CHUNK_SIZE, Citation, Development, DevelopmentKind, Evidence, Source


def live_points() -> Case:
    """SQL for a link's points as they count today, NULL when it does not count."""
    return Case(
        When(progress.counted(None), then=progress.evidence_weight()),
        default=Value(None),
        output_field=FloatField(),
    )


def _points_of_each_link() -> Subquery:
    """For an UPDATE of links: each one's live points, looked up by its own id."""
    return Subquery(
        Evidence.objects.filter(pk=OuterRef("pk")).annotate(live=live_points()).values("live")[:1]
    )


def refresh(developments: Iterable[int | None]) -> None:
    """Recompute the points of these developments' links and of the links of the
    stages they follow (which count only while no published later stage does)."""
    ids = {pk for pk in developments if pk is not None}
    if not ids:
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK_SIZE):
        chunk = ordered[start : start + CHUNK_SIZE]
        ids.update(
            Development.objects.filter(pk__in=chunk, follows__isnull=False).values_list(
                "follows_id", flat=True
            )
        )
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK_SIZE):
        Evidence.objects.filter(development_id__in=ordered[start : start + CHUNK_SIZE]).update(
            points=_points_of_each_link()
        )


def refresh_all() -> None:
    """Recompute every link's points (after loaddata, or by manage.py refresh_figures)."""
    Evidence.objects.update(points=_points_of_each_link())


def stale_links() -> list[tuple[int, float | None, float | None]]:
    """(link id, stored points, live points) of every link whose two differ."""
    rows = Evidence.objects.annotate(live=live_points()).values_list("pk", "points", "live")
    return [
        (pk, stored, live)
        for pk, stored, live in rows.iterator(chunk_size=CHUNK_SIZE)
        if not _same(stored, live)
    ]


def _same(stored: float | None, live: float | None) -> bool:
    if stored is None or live is None:
        return stored is live
    return abs(stored - live) < 1e-9


# --- Signals: each save refreshes the links it changes the points of ------------------


def _on_link(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata refreshes every link once its rows are in
        refresh([instance.development_id])


def _before_development(sender, instance, raw=False, **kwargs):
    """Remember the stage a development followed before this save."""
    if not raw and instance.pk is not None:
        instance._followed_before = (
            Development.objects.filter(pk=instance.pk).values_list("follows_id", flat=True).first()
        )


def _on_development(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh([instance.pk, instance.follows_id, getattr(instance, "_followed_before", None)])


def _on_development_deleted(sender, instance, **kwargs):
    refresh([instance.follows_id])  # the stage it replaced counts again


def _on_citation(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh([instance.development_id])


def _on_sources(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        refresh([instance.pk])
    else:  # source.developments.add(...): those developments
        refresh(pk_set or ())


def _on_source(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh(Citation.objects.filter(source=instance).values_list("development_id", flat=True))


def _on_kind(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh(Development.objects.filter(kind=instance).values_list("pk", flat=True))


def connect_signals() -> None:
    uid = "tracker.figures"
    post_save.connect(_on_link, sender=Evidence, dispatch_uid=f"{uid}.link")
    pre_save.connect(_before_development, sender=Development, dispatch_uid=f"{uid}.before")
    post_save.connect(_on_development, sender=Development, dispatch_uid=f"{uid}.development")
    post_delete.connect(_on_development_deleted, sender=Development, dispatch_uid=f"{uid}.gone")
    post_save.connect(_on_citation, sender=Citation, dispatch_uid=f"{uid}.citation")
    post_delete.connect(_on_citation, sender=Citation, dispatch_uid=f"{uid}.uncited")
    m2m_changed.connect(_on_sources, sender=Development.sources.through, dispatch_uid=f"{uid}.m2m")
    post_save.connect(_on_source, sender=Source, dispatch_uid=f"{uid}.source")
    post_save.connect(_on_kind, sender=DevelopmentKind, dispatch_uid=f"{uid}.kind")
