"""Realistic synthetic data for measuring the tracker at scale.

Reproducible: the same seed gives the same rows. Reference data (kinds,
organisations) must be loaded first (`manage.py seed` or `loaddata reference`);
this adds demo frameworks, every country as a state actor, a pool of sources,
and developments with actors, a citation, 1–3 evidence links and assessments.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

import pycountry
from django.db import transaction
from django.utils import timezone

from tracker import dates, figures
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    Assessment,
    Citation,
    DataVersion,
    Development,
    DevelopmentActor,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Source,
    country_name,
)

FIRST_DAY = datetime.date(2010, 1, 1)
# How often each status comes up, in percent.
STATUS_SHARES = {
    Development.Status.OCCURRED: 82,
    Development.Status.ANNOUNCED: 12,
    Development.Status.REPORTED: 3,
    Development.Status.CANCELLED: 3,
}
STATUSES, STATUS_WEIGHTS = list(STATUS_SHARES), list(STATUS_SHARES.values())
DAYS = 16 * 365  # developments spread over 2010-2025
TOPICS = (
    "maritime security",
    "cyber defence",
    "supply chains",
    "space cooperation",
    "export controls",
    "energy security",
    "disaster relief",
    "arms control",
    "critical minerals",
    "research exchange",
)
VERBS = (
    "agree on",
    "hold talks on",
    "sign a memorandum on",
    "exercise together for",
    "announce cooperation on",
    "disagree over",
)


@dataclass
class DemoSummary:
    frameworks: int
    developments: int
    evidence: int
    actors: int
    sources: int
    assessments: int


def _frameworks(
    rng: random.Random, seed: int, frameworks: int, per_framework: int | None
) -> list[Recommendation]:
    """Every recommendation evidence may be drawn to: the ones already there, and
    `frameworks` demo frameworks with `per_framework` recommendations each (by
    default 3 to 5). Written in bulk: a portfolio of 200 frameworks of 50 is 10,000."""
    now = timezone.now()
    Framework.objects.bulk_create(
        [
            Framework(
                code=f"demo-{seed}-{n}",
                title=f"Demo framework {n} (seed {seed})",
                author=f"Synthetic author {n % 17 + 1}",
                year=2010 + n % 15,
                created_at=now,
                updated_at=now,
            )
            for n in range(1, frameworks + 1)
        ],
        ignore_conflicts=True,
    )
    codes = {f.code: f for f in Framework.objects.filter(code__startswith=f"demo-{seed}-")}
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                code=f"D{seed}-{n}-{ordinal}",
                framework=codes[f"demo-{seed}-{n}"],
                ordinal=ordinal,
                title=f"Demo recommendation {n}.{ordinal}: {topic}",
                text=f"Strengthen {topic} between the partners.",
                created_at=now,
                updated_at=now,
            )
            for n in range(1, frameworks + 1)
            for ordinal in range(1, (per_framework or rng.randint(3, 5)) + 1)
            for topic in [rng.choice(TOPICS)]
        ],
        ignore_conflicts=True,
    )
    return list(Recommendation.objects.order_by("pk"))


def _countries() -> list[Actor]:
    existing = set(Actor.objects.values_list("code", flat=True))
    Actor.objects.bulk_create(
        Actor(code=c.alpha_2, name=country_name(c.alpha_2) or "", kind=Actor.Kind.STATE)
        for c in pycountry.countries
        if c.alpha_2 not in existing
    )
    return list(Actor.objects.order_by("code"))


def _sources(rng: random.Random, seed: int, count: int = 300) -> list[Source]:
    publishers = ("The Diplomat", "Nikkei Asia", "Reuters", "Ministry statement", "Think tank")
    Source.objects.bulk_create(
        [
            Source(
                key=f"demo-{seed}-source-{n:04d}",
                title=f"Report {n} on {rng.choice(TOPICS)}",
                publisher=rng.choice(publishers),
                published_on=FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS)),
                url=f"https://example.org/demo/{seed}/{n}",
                kind=rng.choice(Source.Kind.values),
            )
            for n in range(count)
        ],
        ignore_conflicts=True,
    )
    return list(Source.objects.filter(key__startswith=f"demo-{seed}-source-"))


@transaction.atomic
def generate(
    developments: int, seed: int, frameworks: int = 3, recommendations: int | None = None
) -> DemoSummary:
    """Add `developments` synthetic developments (and what they need), from `seed`:
    `frameworks` demo frameworks of `recommendations` each (by default 3 to 5)."""
    rng = random.Random(seed)
    DataVersion.objects.bump()  # bulk writes send no signals
    kinds = list(DevelopmentKind.objects.order_by("code"))
    if not kinds:
        raise ValueError("Load the reference data first: manage.py loaddata reference")
    pool = _frameworks(rng, seed, frameworks, recommendations)
    actors = _countries()
    sources = _sources(rng, seed)
    states = [a for a in actors if a.kind == Actor.Kind.STATE]
    organisations = [a for a in actors if a.kind != Actor.Kind.STATE] or states
    now = timezone.now()
    evidence_total = 0

    for start in range(0, developments, CHUNK_SIZE):
        batch = []
        for i in range(start, min(start + CHUNK_SIZE, developments)):
            precision = rng.choices(dates.PRECISIONS, weights=(85, 12, 3))[0]
            day = dates.truncate(
                FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS)), precision
            )
            end = None
            if precision == dates.DAY and rng.random() < 0.1:
                end = day + datetime.timedelta(days=rng.randint(1, 10))
            topic, verb = rng.choice(TOPICS), rng.choice(VERBS)
            batch.append(
                Development(
                    key=f"demo-{seed}-{i:07d}",
                    date=day,
                    precision=precision,
                    end_date=end,
                    status=rng.choices(list(STATUS_SHARES), weights=list(STATUS_SHARES.values()))[
                        0
                    ],
                    kind=rng.choice(kinds),
                    title=f"Partners {verb} {topic} (#{i})",
                    summary=f"Synthetic development {i} about {topic}.",
                    location=rng.choice(("", "Tokyo", "Brussels", "Paris", "London", "Rome")),
                    created_at=now,
                    updated_at=now,
                )
            )
        created = Development.objects.bulk_create(batch)
        links: list[DevelopmentActor] = []
        citations: list[Citation] = []
        evidence: list[Evidence] = []
        for development in created:
            chosen = rng.sample(states, rng.randint(1, 3))
            if rng.random() < 0.3:
                chosen.append(rng.choice(organisations))
            links.extend(
                DevelopmentActor(development_id=development.pk, actor_id=a.pk)
                for a in {a.pk: a for a in chosen}.values()
            )
            citations.append(
                Citation(
                    development_id=development.pk,
                    source_id=rng.choice(sources).pk,
                    quote="",
                    locator=f"paragraph {rng.randint(1, 20)}",
                    created_at=now,
                    updated_at=now,
                )
            )
            for recommendation in rng.sample(pool, rng.choices((1, 2, 3), weights=(1, 2, 5))[0]):
                stance = "hinders" if rng.random() < 0.2 else "advances"
                evidence.append(
                    Evidence(
                        development_id=development.pk,
                        recommendation_id=recommendation.pk,
                        stance=stance,
                        strength=rng.randint(1, 3),
                        rationale=f"Synthetic: {stance} {recommendation.code}.",
                        created_at=now,
                        updated_at=now,
                    )
                )
        DevelopmentActor.objects.bulk_create(links)
        Citation.objects.bulk_create(citations)
        Evidence.objects.bulk_create(evidence)
        evidence_total += len(evidence)

    assessments = []
    for recommendation in pool:
        day = FIRST_DAY
        for _ in range(rng.randint(1, 4)):
            day += datetime.timedelta(days=rng.randint(180, 1200))
            status = rng.choice(Assessment.Status.values)
            assessments.append(
                Assessment(
                    recommendation=recommendation,
                    assessed_on=day,
                    status=status,
                    reason=rng.choice(Assessment.Reason.values)
                    if status in Assessment.NEEDS_REASON
                    else "",
                    rationale=f"Synthetic judgement of {recommendation.code}.",
                    created_at=now,
                    updated_at=now,
                )
            )
    Assessment.objects.bulk_create(assessments, ignore_conflicts=True)
    figures.refresh_all()  # bulk writes send no signals: every link's points
    return DemoSummary(
        frameworks=Framework.objects.count(),
        developments=developments,
        evidence=evidence_total,
        actors=len(actors),
        sources=len(sources),
        assessments=len(assessments),
    )
