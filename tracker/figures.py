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
`refresh()` themselves (the import's writer, the bulk link action); demo data and
loaddata call `refresh_all()` once their rows are in, a restore `tally_all()`.
`manage.py refresh_figures` recomputes everything, and `stale_links()` and
`stale_tallies()` list what differs from a fresh count (nothing, unless a write
path forgot to refresh).

Above the points, each recommendation and each actor keeps a tally of today's
figures (RecommendationTally, ActorTally): the sums the portfolio, the dashboards
and the actors' list would otherwise add up over every link. A refresh recounts
the tallies of the recommendations and actors its developments bear on, and a
write that takes something away marks what it bore on before: a link deleted or
moved to another recommendation, an actor taken off a development, an
assessment saved or deleted (it sets the status and what is "since").

One save refreshes at once. A writer of many rows marks what it touches inside
`batch()`, and everything is refreshed once when the batch ends.

Retrospective views (`?as_of=`) compute points and figures on read: what counted
then is not what counts now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db.models import Case, FloatField, Model, OuterRef, Subquery, Value, When
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from tracker import progress
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    ActorTally,
    Assessment,
    Citation,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Recommendation,
    RecommendationTally,
    Source,
)


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


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK_SIZE):
        yield ordered[start : start + CHUNK_SIZE]


@dataclass
class Touched:
    """What writes changed: developments (whose links' points to recompute), and the
    recommendations and actors whose tallies to recount beyond those developments'
    own (a link deleted or moved, an actor taken off, an assessment)."""

    developments: set[int] = field(default_factory=set)
    recommendations: set[int] = field(default_factory=set)
    actors: set[int] = field(default_factory=set)

    def add(self, developments=(), recommendations=(), actors=()) -> None:
        self.developments.update(pk for pk in developments if pk is not None)
        self.recommendations.update(pk for pk in recommendations if pk is not None)
        self.actors.update(pk for pk in actors if pk is not None)

    def refresh(self) -> None:
        """Recompute the points of these developments' links and of the links of the
        stages they follow (which count only while no published later stage does),
        then the tallies of every recommendation and actor they bear on."""
        ids = set(self.developments)
        for chunk in _chunks(self.developments):
            ids.update(
                Development.objects.filter(pk__in=chunk, follows__isnull=False).values_list(
                    "follows_id", flat=True
                )
            )
        recommendations, actors = set(self.recommendations), set(self.actors)
        for chunk in _chunks(ids):
            links = Evidence.objects.filter(development_id__in=chunk)
            links.update(points=_points_of_each_link())
            recommendations.update(links.values_list("recommendation_id", flat=True))
            actors.update(
                DevelopmentActor.objects.filter(development_id__in=chunk).values_list(
                    "actor_id", flat=True
                )
            )
        for chunk in _chunks(recommendations):
            tally_recommendations(chunk)
        for chunk in _chunks(actors):
            tally_actors(chunk)


_batch: ContextVar[Touched | None] = ContextVar("tracker.figures.batch", default=None)


@contextmanager
def batch(skip: bool = False) -> Iterator[Touched]:
    """Writes inside mark what they touch, and leaving refreshes it all once (unless
    `skip`, for writes that will be rolled back), instead of once per row: the
    import's writer deletes and rewrites thousands of links in one go. Within an
    outer batch, the outer one refreshes."""
    outer = _batch.get()
    if outer is not None:
        yield outer
        return
    touched = Touched()
    token = _batch.set(touched)
    try:
        yield touched
    finally:
        _batch.reset(token)
    if not skip:
        touched.refresh()


def touch(developments=(), recommendations=(), actors=()) -> None:
    """Refresh what a write changed: now, or when the batch it is part of ends."""
    touched = _batch.get()
    if touched is not None:
        touched.add(developments, recommendations, actors)
    else:
        now = Touched()
        now.add(developments, recommendations, actors)
        now.refresh()


def refresh(developments: Iterable[int | None]) -> None:
    """Recompute what depends on these developments: their links' points, those of
    the stages they follow, and the tallies of their recommendations and actors."""
    touch(developments=developments)


def refresh_all() -> None:
    """Recompute every link's points and every tally (after loaddata, or by
    manage.py refresh_figures)."""
    refresh_all_points()
    tally_all()


def refresh_all_points() -> None:
    Evidence.objects.update(points=_points_of_each_link())


def tally_all() -> None:
    """Count every recommendation's and actor's tally again from the stored points
    (after a restore, which brings the points but not the tallies)."""
    tally_recommendations(None)
    tally_actors(None)


# --- Tallies: today's figures per recommendation and per actor ------------------------

# Derived from the rest: not backed up (a restore counts them again).
TALLIES = (RecommendationTally, ActorTally)

RECOMMENDATION_COLUMNS = (
    "advancing",
    "hindering",
    "net_score",
    "last_evidence",
    "status",
    "assessed_on",
    "links_since_assessment",
    "balance_since_assessment",
)
ACTOR_COLUMNS = ("development_count", "advancing", "hindering", "net_score")


def counted_recommendations(ids: list[int] | None) -> list[RecommendationTally]:
    """Tallies of these recommendations (by default all) counted from their links."""
    scope = (
        Recommendation.objects.all() if ids is None else Recommendation.objects.filter(pk__in=ids)
    )
    rows = (
        progress.count_evidence(scope, None)
        .annotate(
            status=progress.latest_assessment(None, "status"),
            assessed_on=progress.latest_assessment(None),
        )
        .values("pk", *RECOMMENDATION_COLUMNS)
        .order_by()
    )
    return [
        RecommendationTally(
            recommendation_id=row.pop("pk"),
            **{**row, "status": row["status"] or "", "net_score": row["net_score"] or 0.0},
        )
        for row in rows
    ]


def counted_actors(ids: list[int] | None) -> list[ActorTally]:
    """Tallies of these actors (by default all) counted from their links."""
    figures = progress.count_actor_figures(None, ids)
    actors = Actor.objects.values_list("pk", flat=True)
    if ids is not None:
        actors = actors.filter(pk__in=ids)
    return [
        ActorTally(
            actor_id=pk,
            **{
                column: getattr(figures.get(pk, progress.ActorFigures()), column) or 0
                for column in ACTOR_COLUMNS
            },
        )
        for pk in actors
    ]


def _store(model, tallies: list, key: str, columns: tuple[str, ...]) -> None:
    model.objects.bulk_create(
        tallies,
        batch_size=CHUNK_SIZE,
        update_conflicts=True,
        unique_fields=[key],
        update_fields=list(columns),
    )


def tally_recommendations(ids: list[int] | None) -> None:
    _store(
        RecommendationTally, counted_recommendations(ids), "recommendation", RECOMMENDATION_COLUMNS
    )


def tally_actors(ids: list[int] | None) -> None:
    _store(ActorTally, counted_actors(ids), "actor", ACTOR_COLUMNS)


# --- Checks: what is stored against a fresh count -------------------------------------


def stale_links() -> list[tuple[int, float | None, float | None]]:
    """(link id, stored points, live points) of every link whose two differ."""
    rows = Evidence.objects.annotate(live=live_points()).values_list("pk", "points", "live")
    return [
        (pk, stored, live)
        for pk, stored, live in rows.iterator(chunk_size=CHUNK_SIZE)
        if not _same(stored, live)
    ]


def stale_tallies() -> list[str]:
    """What differs between the stored tallies and a fresh count: one line each."""
    found = []
    for model, counted, key, columns in (
        (
            RecommendationTally,
            counted_recommendations,
            "recommendation_id",
            RECOMMENDATION_COLUMNS,
        ),
        (ActorTally, counted_actors, "actor_id", ACTOR_COLUMNS),
    ):
        stored = {row.pop(key): row for row in model.objects.values(key, *columns)}
        for tally in counted(None):
            pk = getattr(tally, key)
            fresh = {column: getattr(tally, column) for column in columns}
            kept = stored.pop(pk, None)
            if kept is None or any(not _same(kept[c], fresh[c]) for c in columns):
                found.append(f"{model.__name__} {pk}: stored {kept}, counted {fresh}")
        found.extend(f"{model.__name__} {pk}: stored for a row that is gone" for pk in stored)
    return found


def _same(stored, live) -> bool:
    if isinstance(stored, float) or isinstance(live, float):
        if stored is None or live is None:
            return stored is live
        return abs(stored - live) < 1e-9
    return stored == live


# --- Signals: each save refreshes what it changes -------------------------------------


def _remember(*columns: str):
    """A pre_save receiver keeping these columns' stored values on the instance (as
    `_before`), for the post_save receiver to refresh what they pointed at too."""

    def receiver(sender, instance, raw=False, **kwargs):
        if not raw and instance.pk is not None:
            instance._before = sender.objects.filter(pk=instance.pk).values(*columns).first() or {}

    return receiver


def _before(instance, column: str) -> list[int | None]:
    return [getattr(instance, "_before", {}).get(column)]


def _on_link(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata refreshes everything once its rows are in
        touch(
            developments=[instance.development_id, *_before(instance, "development_id")],
            recommendations=_before(instance, "recommendation_id"),
        )


def _on_link_deleted(sender, instance, **kwargs):
    # Its development's actors count one link fewer (unless it goes too).
    touch(developments=[instance.development_id], recommendations=[instance.recommendation_id])


def _on_development(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(developments=[instance.pk, instance.follows_id, *_before(instance, "follows_id")])


def _on_development_deleted(sender, instance, **kwargs):
    touch(developments=[instance.follows_id])  # the stage it replaced counts again


def _on_actor_link(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(actors=[instance.actor_id, *_before(instance, "actor_id")])


def _on_actor_link_deleted(sender, instance, **kwargs):
    touch(actors=[instance.actor_id])


def _on_actors(sender, instance, action, reverse, pk_set, **kwargs):
    """development.actors.add() (or actor.developments.add()) writes its rows in
    bulk, without their post_save; remove() and clear() delete them one by one."""
    if action == "post_add":
        developments, actors = ([instance.pk], pk_set) if not reverse else (pk_set, [instance.pk])
        touch(developments=developments, actors=actors)


def _on_assessment(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(
            recommendations=[instance.recommendation_id, *_before(instance, "recommendation_id")]
        )


def _on_assessment_deleted(sender, instance, **kwargs):
    touch(recommendations=[instance.recommendation_id])


def _on_created(sender, instance, created=False, raw=False, **kwargs):
    """A new recommendation or actor gets its (empty) tally."""
    if created and not raw:
        if sender is Recommendation:
            touch(recommendations=[instance.pk])
        else:
            touch(actors=[instance.pk])


def _on_citation(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(developments=[instance.development_id])


def _on_sources(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        touch(developments=[instance.pk])
    else:  # source.developments.add(...): those developments
        touch(developments=pk_set or ())


def _on_source(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(
            developments=Citation.objects.filter(source=instance).values_list(
                "development_id", flat=True
            )
        )


def _on_kind(sender, instance, raw=False, **kwargs):
    if not raw:
        touch(developments=Development.objects.filter(kind=instance).values_list("pk", flat=True))


def connect_signals() -> None:
    uid = "tracker.figures"
    remembered: tuple[tuple[type[Model], tuple[str, ...]], ...] = (
        (Evidence, ("development_id", "recommendation_id")),
        (Development, ("follows_id",)),
        (DevelopmentActor, ("actor_id",)),
        (Assessment, ("recommendation_id",)),
    )
    for model, columns in remembered:
        pre_save.connect(
            _remember(*columns), sender=model, dispatch_uid=f"{uid}.{model}", weak=False
        )
    post_save.connect(_on_link, sender=Evidence, dispatch_uid=f"{uid}.link")
    post_delete.connect(_on_link_deleted, sender=Evidence, dispatch_uid=f"{uid}.unlinked")
    post_save.connect(_on_development, sender=Development, dispatch_uid=f"{uid}.development")
    post_delete.connect(_on_development_deleted, sender=Development, dispatch_uid=f"{uid}.gone")
    post_save.connect(_on_actor_link, sender=DevelopmentActor, dispatch_uid=f"{uid}.actor")
    post_delete.connect(
        _on_actor_link_deleted, sender=DevelopmentActor, dispatch_uid=f"{uid}.unacted"
    )
    m2m_changed.connect(_on_actors, sender=Development.actors.through, dispatch_uid=f"{uid}.acts")
    post_save.connect(_on_assessment, sender=Assessment, dispatch_uid=f"{uid}.assessment")
    post_delete.connect(_on_assessment_deleted, sender=Assessment, dispatch_uid=f"{uid}.unjudged")
    for model in (Recommendation, Actor):
        post_save.connect(_on_created, sender=model, dispatch_uid=f"{uid}.new.{model}")
    post_save.connect(_on_citation, sender=Citation, dispatch_uid=f"{uid}.citation")
    post_delete.connect(_on_citation, sender=Citation, dispatch_uid=f"{uid}.uncited")
    m2m_changed.connect(_on_sources, sender=Development.sources.through, dispatch_uid=f"{uid}.m2m")
    post_save.connect(_on_source, sender=Source, dispatch_uid=f"{uid}.source")
    post_save.connect(_on_kind, sender=DevelopmentKind, dispatch_uid=f"{uid}.kind")
