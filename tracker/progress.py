"""Progress of recommendations: the figures reports and progress bars show.

Everything is aggregated in SQL, a fixed number of queries whatever the data
size. `as_of` limits every figure to developments dated and assessments made up
to that day, so a report can be cited as it stood then.

The net score weighs each evidence link by its strength (1–3) and by the nature
of its development's kind: material developments (exercises held, agreements
signed) count twice as much as verbal ones (statements, meetings). Advancing
links add, hindering links subtract.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth

from tracker.models import Assessment, DevelopmentKind, Evidence, Recommendation

MATERIAL_WEIGHT = 2
VERBAL_WEIGHT = 1


def display_percentages(history: Iterable[Assessment]) -> list[int]:
    """The progress-bar percentage of each assessment in a recommendation's history.

    `history` runs oldest first. Each status maps to a fixed percentage, except
    `stalled`, which keeps the percentage the recommendation had reached (0 when
    it stalled before any progress). The status stays the authority; this is
    only how far the bar is drawn.
    """
    percentages = []
    previous = 0
    for assessment in history:
        percentage = Assessment.PERCENTAGES[assessment.status]
        previous = previous if percentage is None else percentage
        percentages.append(previous)
    return percentages


def evidence_weight(prefix: str = ""):
    """SQL for one evidence link's signed, weighted contribution to the net score."""
    nature = f"{prefix}development__kind__nature"
    weight = Case(
        When(**{nature: DevelopmentKind.Nature.MATERIAL}, then=Value(MATERIAL_WEIGHT)),
        default=Value(VERBAL_WEIGHT),
        output_field=IntegerField(),
    )
    sign = Case(
        When(**{f"{prefix}stance": Evidence.Stance.HINDERS}, then=Value(-1)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return sign * F(f"{prefix}strength") * weight


def evidence_up_to(as_of: datetime.date | None) -> Q:
    """Evidence whose development is dated on or before as_of (all when None)."""
    return Q() if as_of is None else Q(development__date__lte=as_of)


@dataclass
class Standing:
    """A recommendation's current assessment, as the progress bar shows it."""

    status: str | None = None
    status_label: str = "Not yet assessed"
    assessed_on: datetime.date | None = None
    percentage: int = 0
    reason_label: str = ""


@dataclass
class RecommendationProgress:
    recommendation: Recommendation
    standing: Standing
    advancing: int
    hindering: int
    net_score: int
    last_evidence: datetime.date | None
    monthly: list[int] = field(default_factory=list)  # evidence links per month


@dataclass
class FrameworkProgress:
    framework: object
    recommendations: list[RecommendationProgress]


@dataclass
class Dashboard:
    frameworks: list[FrameworkProgress]
    months: list[datetime.date]  # the x axis shared by every monthly chart
    as_of: datetime.date | None


def standings(
    recommendations: Iterable[Recommendation], as_of: datetime.date | None
) -> dict[int, Standing]:
    """Each recommendation's latest assessment up to as_of, with its percentage."""
    assessments = Assessment.objects.filter(recommendation__in=recommendations).order_by(
        "recommendation_id", "assessed_on"
    )
    if as_of is not None:
        assessments = assessments.filter(assessed_on__lte=as_of)
    histories: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in assessments:
        histories[assessment.recommendation_id].append(assessment)
    result = {}
    for recommendation_id, history in histories.items():
        latest = history[-1]
        result[recommendation_id] = Standing(
            status=latest.status,
            status_label=latest.get_status_display(),
            assessed_on=latest.assessed_on,
            percentage=display_percentages(history)[-1],
            reason_label=latest.get_reason_display() if latest.reason else "",
        )
    return result


def annotate_evidence(recommendations: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """Add advancing/hindering counts, net score and last evidence date per row."""
    scope = Q() if as_of is None else Q(evidence__development__date__lte=as_of)
    return recommendations.annotate(
        advancing=Count("evidence", filter=scope & Q(evidence__stance=Evidence.Stance.ADVANCES)),
        hindering=Count("evidence", filter=scope & Q(evidence__stance=Evidence.Stance.HINDERS)),
        net_score=Sum(evidence_weight("evidence__"), filter=scope, default=0),
        last_evidence=Max("evidence__development__date", filter=scope),
    )


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from first's month to last's, inclusive."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def dashboard(as_of: datetime.date | None = None) -> Dashboard:
    """Every framework's recommendations with their standing and evidence figures."""
    recommendations = list(
        annotate_evidence(
            Recommendation.objects.select_related("framework").order_by(
                "framework__year", "framework__code", "ordinal"
            ),
            as_of,
        )
    )
    current = standings(recommendations, as_of)

    per_month = (
        Evidence.objects.filter(evidence_up_to(as_of))
        .annotate(month=TruncMonth("development__date"))
        .values("recommendation_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    for row in per_month:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        counts[row["recommendation_id"]][month] = row["count"]
    all_months = [m for by_month in counts.values() for m in by_month]
    months = months_between(min(all_months), max(all_months)) if all_months else []

    frameworks: dict[int, FrameworkProgress] = {}
    for recommendation in recommendations:
        framework = frameworks.setdefault(
            recommendation.framework_id, FrameworkProgress(recommendation.framework, [])
        )
        by_month = counts.get(recommendation.pk, {})
        framework.recommendations.append(
            RecommendationProgress(
                recommendation=recommendation,
                standing=current.get(recommendation.pk, Standing()),
                advancing=recommendation.advancing,
                hindering=recommendation.hindering,
                net_score=recommendation.net_score,
                last_evidence=recommendation.last_evidence,
                monthly=[by_month.get(month, 0) for month in months],
            )
        )
    return Dashboard(frameworks=list(frameworks.values()), months=months, as_of=as_of)
