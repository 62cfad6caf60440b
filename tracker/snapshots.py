"""Frozen snapshots: take one, and compare it with today.

A snapshot keeps the dashboard's figures (one object per recommendation) and
every evidence link that counted, with its coding and points, under the
methodology version of the day. It never changes afterwards (Snapshot.save
refuses), so a figure cited from it stays true; `compare()` says what has moved
since, recommendation by recommendation.

`?as_of=D` is another thing: a retrospective view of events dated up to D, as
they are coded today, which changes whenever someone recodes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.text import slugify

from tracker import dates, methodology, progress
from tracker.models import (
    Citation,
    Evidence,
    Snapshot,
    SourceReliability,
    clipped,
    max_length,
)

# The coding a snapshot keeps for each link; a change in any of them is a recoding.
CODING = ("stance", "strength", "confidence", "status", "grade", "points")
GRADES = {  # a development's best source, by rank (lower is better)
    SourceReliability.PRIMARY: (0, "A"),
    SourceReliability.SECONDARY: (1, "B"),
    SourceReliability.UNCONFIRMED: (2, "C"),
}


def _best_grade():
    """SQL for the rank of an evidence link's development's best source (None: no source)."""
    rank = Case(
        *(When(source__reliability=value, then=Value(r)) for value, (r, _) in GRADES.items()),
        output_field=IntegerField(),
    )
    return Subquery(
        Citation.objects.filter(development=OuterRef("development"))
        .annotate(rank=rank)
        .order_by("rank")
        .values("rank")[:1]
    )


def links_now() -> list[dict[str, Any]]:
    """Every evidence link that counts today, with its coding and points."""
    letters = {rank: letter for rank, letter in GRADES.values()}
    rows = (
        Evidence.objects.filter(progress.link_counted(None))  # with its stored points
        .annotate(grade_rank=_best_grade())
        .order_by("recommendation__code", "development__date", "development__key")
        .values(
            "recommendation__code",
            "development__key",
            "development__title",
            "development__date",
            "development__status",
            "stance",
            "strength",
            "confidence",
            "grade_rank",
            "points",
        )
    )
    return [
        {
            "recommendation": row["recommendation__code"],
            "development": row["development__key"],
            "title": row["development__title"],
            "date": row["development__date"].isoformat(),
            "status": row["development__status"],
            "stance": row["stance"],
            "strength": row["strength"],
            "confidence": row["confidence"],
            "grade": letters.get(row["grade_rank"], ""),
            "points": methodology.as_number(row["points"]),
        }
        for row in rows
    ]


def _free_slug(title: str, day: datetime.date) -> str:
    room = max_length(Snapshot, "slug") - 12  # for the date and a "-N" suffix
    base = f"{day:%Y-%m-%d}-{slugify(title)[:room]}".rstrip("-")
    slug, n = base, 1
    while Snapshot.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def take(title: str, user=None) -> Snapshot:
    """Freeze today's figures and counted links under `title`."""
    title = " ".join(title.split())
    if not title:
        raise ValueError("A snapshot needs a title, e.g. '2026 Q4 review'.")
    now = timezone.now()
    with transaction.atomic():  # figures and links read in one go
        figures = progress.dashboard_figures(progress.dashboard(None))
        links = links_now()
        for _ in range(3):  # two editors taking one at once: the second gets "-2"
            try:
                with transaction.atomic():
                    return Snapshot.objects.create(
                        slug=_free_slug(title, timezone.localdate(now)),
                        title=clipped(Snapshot, "title", title),
                        taken_at=now,
                        taken_by=user,
                        methodology=methodology.VERSION,
                        figures=figures,
                        links=links,
                    )
            except IntegrityError:
                continue
    raise RuntimeError("Could not find a free address for the snapshot; try again.")


@dataclass
class LinkChange:
    development: str
    title: str
    what: str  # "added", "removed" or "recoded"
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def changed(self) -> list[tuple[str, Any, Any]]:
        """The coding that differs: (name, then, now)."""
        if not (self.before and self.after):
            return []
        return [
            (name, self.before.get(name), self.after.get(name))
            for name in CODING
            if self.before.get(name) != self.after.get(name)
        ]


@dataclass
class RecommendationChange:
    code: str
    title: str
    then: dict[str, Any] | None
    now: dict[str, Any] | None
    links: list[LinkChange] = field(default_factory=list)

    @property
    def status_changed(self) -> bool:
        return (self.then or {}).get("status") != (self.now or {}).get("status")

    @property
    def balance_change(self) -> float | int:
        return methodology.as_number(
            float((self.now or {}).get("balance", 0)) - float((self.then or {}).get("balance", 0))
        )

    @property
    def unchanged(self) -> bool:
        return not self.links and not self.status_changed and not self.balance_change


def compare(snapshot: Snapshot) -> list[RecommendationChange]:
    """What has changed in each recommendation since the snapshot was taken."""
    now_figures = progress.dashboard_figures(progress.dashboard(None))
    then = {f["code"]: f for f in snapshot.figures}
    now = {f["code"]: f for f in now_figures}
    then_links = {(link["recommendation"], link["development"]): link for link in snapshot.links}
    now_links = {(link["recommendation"], link["development"]): link for link in links_now()}
    changes = {
        code: RecommendationChange(
            code, (now.get(code) or then[code])["title"], then.get(code), now.get(code)
        )
        for code in [*then, *(code for code in now if code not in then)]
    }
    for key in sorted(then_links.keys() | now_links.keys()):
        before, after = then_links.get(key), now_links.get(key)
        link = after or before
        assert link is not None
        if before is None:
            what = "added"
        elif after is None:
            what = "removed"
        elif any(before.get(name) != after.get(name) for name in CODING):
            what = "recoded"
        else:
            continue
        change = changes.setdefault(key[0], RecommendationChange(key[0], key[0], None, None))
        change.links.append(LinkChange(link["development"], link["title"], what, before, after))
    return list(changes.values())


def citation(snapshot: Snapshot, url: str) -> str:
    """How to cite the snapshot: title, date, methodology and its permanent address."""
    day = dates.format_day(timezone.localtime(snapshot.taken_at).date())
    return (
        f"Policy Recommendation Tracker, snapshot “{snapshot.title}”, taken {day} "
        f"(methodology v{snapshot.methodology}). {url}"
    )
