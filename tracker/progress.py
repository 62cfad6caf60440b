"""Progress of recommendations: the verdicts and evidence figures reports show.

Everything is aggregated in SQL, a fixed number of queries whatever the data
size. `as_of` limits every figure to developments dated and assessments made up
to that day, so a report can be cited as it stood then.

The net score adds each counted evidence link's points: its strength weighed by
its development's nature and status, the coder's confidence and the best source's
reliability (tracker/methodology.py holds the rule and its weights). Advancing
links add, hindering links subtract. A development that a later stage follows
stops counting once that stage is dated: each chain counts once.

Today's figures add up the points each link keeps in its row (Evidence.points,
kept current by tracker/figures.py); figures as of a past day compute them on
read with the same rule (`link_counted`, `link_points`).
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from tracker import dates, methodology
from tracker.models import (
    CHUNK_SIZE,
    Actor,
    Assessment,
    AssessmentStatus,
    Citation,
    Development,
    DevelopmentStatus,
    Evidence,
    Framework,
    Recommendation,
    person_name,
)

MONTHS_SHOWN = 24


def _weight(field: str, weights: dict, default: float = 1.0) -> Case:
    """SQL for a weight looked up by a field's value."""
    return Case(
        *(When(**{field: value}, then=Value(float(weight))) for value, weight in weights.items()),
        default=Value(default),
        output_field=FloatField(),
    )


def evidence_weight(prefix: str = "", development: str | None = None):
    """SQL for one evidence link's points (methodology.points, in the database).

    `prefix` leads from the query's model to the evidence; `development` to the
    evidence's development (by default through the evidence).
    """
    development = f"{prefix}development__" if development is None else development
    stance = f"{prefix}stance"
    sign = _weight(stance, methodology.STANCE_SIGNS)
    status = Case(
        When(
            **{
                f"{development}status": DevelopmentStatus.CANCELLED,
                stance: Evidence.Stance.HINDERS,
            },
            then=Value(float(methodology.CANCELLED_HINDERING_WEIGHT)),
        ),
        default=_weight(f"{development}status", methodology.STATUS_WEIGHTS),
        output_field=FloatField(),
    )
    vouched = {  # the reliabilities that weigh in full
        value for value, weight in methodology.RELIABILITY_WEIGHTS.items() if weight == 1
    }
    reliability = Case(
        When(
            Exists(
                Citation.objects.filter(
                    development=OuterRef(f"{development}pk"), source__reliability__in=vouched
                )
            ),
            then=Value(1.0),
        ),
        default=Value(float(methodology.RELIABILITY_WEIGHTS[methodology.UNSOURCED])),
        output_field=FloatField(),
    )
    return (
        sign
        * F(f"{prefix}strength")
        * _weight(f"{development}kind__nature", methodology.NATURE_WEIGHTS)
        * status
        * _weight(f"{prefix}confidence", methodology.CONFIDENCE_WEIGHTS)
        * reliability
    )


def dated_by(as_of: datetime.date, development: str = "") -> Q:
    """Developments that had happened by as_of as far as their dates are known: one
    dated only to a month or a year counts once that period has ended (not from its
    first day). `development` leads from the query's model to the development."""
    bounds = dates.period_ends_before(as_of)
    return functools.reduce(
        operator.or_,
        (
            Q(**{f"{development}precision": precision, f"{development}date__lt": bound})
            for precision, bound in bounds.items()
        ),
    )


def counted(as_of: datetime.date | None, development: str = "development__") -> Q:
    """Evidence that counts: its development is published, had happened by as_of,
    and no later published stage that had happened by then follows it (a chain
    counts once).

    `development` leads from the query's model to the development.
    """
    scope = Q(**{f"{development}published": True})
    later = Development.objects.filter(follows=OuterRef(f"{development}pk"), published=True)
    if as_of is not None:
        scope &= dated_by(as_of, development)
        later = later.filter(dated_by(as_of))
    return scope & ~Q(Exists(later))


def link_counted(as_of: datetime.date | None, evidence: str = "") -> Q:
    """Evidence links that count by as_of (`evidence` leads from the query's model to
    them): today, those with stored points (tracker/figures.py keeps them current);
    as of a past day, what counted() says of their developments then."""
    if as_of is None:
        return Q(**{f"{evidence}points__isnull": False})
    return counted(as_of, f"{evidence}development__")


def link_points(as_of: datetime.date | None, evidence: str = ""):
    """SQL for a counted link's points: stored for today, computed for a past day."""
    if as_of is None:
        return F(f"{evidence}points")
    return evidence_weight(evidence)


# The statuses that are steps towards implementation, in order; stalled and not
# implemented stand off the ladder, at the step last reached.
LADDER = (
    AssessmentStatus.NOT_STARTED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.SUBSTANTIAL,
    AssessmentStatus.IMPLEMENTED,
)


def reached_step(history: Iterable[Assessment]) -> str | None:
    """The ladder's step a recommendation stands at after its assessments (oldest
    first): its latest status on the ladder. Stalled and not implemented stand off
    the ladder, at the step last reached (None before any)."""
    return next((a.status for a in reversed(list(history)) if a.status in LADDER), None)


def first_sentence(text: str) -> str:
    """The rationale's first sentence, for a card (the whole is on the page)."""
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


@dataclass
class Standing:
    """A recommendation's current assessment: the verdict reports lead with."""

    status: str | None = None
    status_label: str = "Not yet assessed"
    assessed_on: datetime.date | None = None
    reason_label: str = ""
    assessor: str = ""
    rationale_lead: str = ""
    reached: str | None = None  # the ladder's step last reached

    @property
    def ladder(self) -> list[tuple[str, str, bool]]:
        """Each step of the ladder: (status, label, whether it is the one reached)."""
        return [(step, step.label, step == self.reached) for step in LADDER]

    @property
    def reached_label(self) -> str:
        return AssessmentStatus(self.reached).label if self.reached else ""

    @property
    def off_ladder(self) -> bool:
        return self.status is not None and self.status not in LADDER


class MonthLinks(NamedTuple):
    """One month's counted evidence links of each stance: a dashboard chart's bar."""

    advancing: int = 0
    hindering: int = 0


@dataclass
class RecommendationProgress:
    recommendation: Recommendation
    standing: Standing
    advancing: int
    hindering: int
    net_score: float
    last_evidence: datetime.date | None
    links_since_assessment: int = 0
    balance_since_assessment: float = 0
    monthly: list[MonthLinks] = field(default_factory=list)  # one per Dashboard.months
    # Drawn by the dashboard view (charts.py) on the figures it reads from the cache.
    bar: str = ""
    chart: str = ""


@dataclass
class FrameworkProgress:
    framework: Framework
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
    assessments = (
        Assessment.objects.published()
        .filter(recommendation__in=recommendations)
        .select_related("drafted_by", "created_by")
        .order_by("recommendation_id", "assessed_on")
    )
    if as_of is not None:
        assessments = assessments.filter(assessed_on__lte=as_of)
    histories: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in assessments:
        histories[assessment.recommendation_id].append(assessment)
    return {
        recommendation_id: standing_of(history) for recommendation_id, history in histories.items()
    }


def standing_of(history: list[Assessment]) -> Standing:
    """The standing a recommendation's assessments (oldest first) give it."""
    if not history:
        return Standing()
    latest = history[-1]
    author = latest.drafted_by or latest.created_by
    return Standing(
        status=latest.status,
        status_label=latest.get_status_display(),
        assessed_on=latest.assessed_on,
        reason_label=latest.get_reason_display() if latest.reason else "",
        assessor=person_name(author),
        rationale_lead=first_sentence(latest.rationale),
        reached=reached_step(history),
    )


def latest_assessment(as_of: datetime.date | None, column: str = "assessed_on") -> Subquery:
    """SQL for a column (by default the date) of a recommendation's latest published
    assessment by as_of."""
    assessments = Assessment.objects.published().filter(recommendation=OuterRef("pk"))
    if as_of is not None:
        assessments = assessments.filter(assessed_on__lte=as_of)
    return Subquery(assessments.order_by("-assessed_on").values(column)[:1])


def annotate_evidence(recommendations: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """Add advancing/hindering counts, net score and last evidence date per row, and
    the links dated after the latest assessment with their balance (its staleness).

    Today's are read from each recommendation's tally, which tracker/figures.py
    keeps current; a past day's are counted from the links."""
    if as_of is not None:
        return count_evidence(recommendations, as_of)
    count, score = IntegerField(), FloatField()
    return recommendations.annotate(
        advancing=Coalesce("tally__advancing", 0, output_field=count),
        hindering=Coalesce("tally__hindering", 0, output_field=count),
        net_score=Coalesce("tally__net_score", 0.0, output_field=score),
        last_evidence=F("tally__last_evidence"),
        links_since_assessment=Coalesce("tally__links_since_assessment", 0, output_field=count),
        balance_since_assessment=Coalesce(
            "tally__balance_since_assessment", 0.0, output_field=score
        ),
    )


def count_evidence(recommendations: QuerySet, as_of: datetime.date | None) -> QuerySet:
    """annotate_evidence() counted from the links (today: from their stored points)."""
    scope = link_counted(as_of, "evidence__")
    since = scope & Q(evidence__development__date__gt=latest_assessment(as_of))
    return recommendations.annotate(
        links_since_assessment=Count("evidence", filter=since),
        balance_since_assessment=Sum(link_points(as_of, "evidence__"), filter=since, default=0),
        advancing=Count("evidence", filter=scope & Q(evidence__stance=Evidence.Stance.ADVANCES)),
        hindering=Count("evidence", filter=scope & Q(evidence__stance=Evidence.Stance.HINDERS)),
        net_score=Sum(link_points(as_of, "evidence__"), filter=scope, default=0),
        last_evidence=Max("evidence__development__date", filter=scope),
    )


def recommendation_progress(
    recommendation: Recommendation, history: list[Assessment], as_of: datetime.date | None
) -> RecommendationProgress:
    """One recommendation's verdict (from its assessments by as_of, oldest first) and
    evidence figures, as its dashboard card has them."""
    figures = annotate_evidence(Recommendation.objects.filter(pk=recommendation.pk), as_of).get()
    return _progress(recommendation, figures, standing_of(history))


def _progress(
    recommendation: Recommendation,
    figures: Any,
    standing: Standing,
    monthly: Iterable[MonthLinks] = (),
) -> RecommendationProgress:
    """A recommendation's progress from a row annotate_evidence() gave its figures."""
    return RecommendationProgress(
        recommendation=recommendation,
        standing=standing,
        advancing=figures.advancing,
        hindering=figures.hindering,
        net_score=figures.net_score,
        last_evidence=figures.last_evidence,
        links_since_assessment=figures.links_since_assessment,
        balance_since_assessment=figures.balance_since_assessment,
        monthly=list(monthly),
    )


# The dashboard's figures for downloads and snapshots: key and column heading.
FIGURE_COLUMNS = {
    "framework": "Framework",
    "code": "Code",
    "title": "Title",
    "status": "Status",
    "status_date": "Status date",
    "assessor": "Assessor",
    "advancing": "Advancing",
    "hindering": "Hindering",
    "balance": "Balance",
    "links_since_assessment": "Links since assessment",
    "balance_since_assessment": "Balance since assessment",
}


def dashboard_figures(data: Dashboard) -> list[dict[str, Any]]:
    """One plain object per recommendation (FIGURE_COLUMNS): what a download lists
    and a snapshot keeps."""
    figures = []
    for framework in data.frameworks:
        for item in framework.recommendations:
            standing = item.standing
            assessed_on = standing.assessed_on
            figures.append(
                {
                    "framework": framework.framework.code,
                    "code": item.recommendation.code,
                    "title": item.recommendation.title,
                    "status": standing.status or "",
                    "status_date": assessed_on.isoformat() if assessed_on else "",
                    "assessor": standing.assessor,
                    "advancing": item.advancing,
                    "hindering": item.hindering,
                    "balance": methodology.as_number(item.net_score),
                    "links_since_assessment": item.links_since_assessment,
                    "balance_since_assessment": methodology.as_number(
                        item.balance_since_assessment
                    ),
                }
            )
    return figures


def figure_rows(figures: list[dict[str, Any]]) -> Iterator[list]:
    """A header, then one row per recommendation's figures."""
    yield list(FIGURE_COLUMNS.values())
    for figure in figures:
        yield [figure.get(key, "") for key in FIGURE_COLUMNS]


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` months before day's month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


class MonthStart(Func):
    """The first day of a date's month, as a date.

    Django's TruncMonth calls a Python function for every row on SQLite; SQLite's
    own date() does the same in C, several times faster over 250,000 links.
    """

    output_field = DateField()
    template = "CAST(DATE_TRUNC('month', %(expressions)s) AS date)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="DATE(%(expressions)s, 'start of month')"
        )


def monthly_counts(
    as_of: datetime.date | None,
    since: datetime.date | None = None,
    by: tuple[str, ...] = (),
    recommendations: Iterable[Recommendation] | None = None,
) -> list[dict]:
    """Counted evidence links per month (a date, its first day) and per `by` columns,
    of the given recommendations (by default all)."""
    if recommendations is not None:
        # A framework's few recommendations: their links through the recommendation
        # index, then those months' (20 times faster than through the months').
        links = Evidence.objects.filter(
            link_counted(as_of), recommendation__in=[r.pk for r in recommendations]
        )
        if since is not None:
            links = links.filter(development__date__gte=since)
    elif since is None:
        links = Evidence.objects.filter(link_counted(as_of))
    elif as_of is None:
        # Through the developments of those months (the date index), not every link.
        dated = Development.objects.filter(date__gte=since)
        links = Evidence.objects.filter(link_counted(None), development__in=dated)
    else:
        dated = Development.objects.filter(counted(as_of, development=""), date__gte=since)
        links = Evidence.objects.filter(development__in=dated)
    return list(
        links.annotate(month=MonthStart("development__date"))
        .values(*by, "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from first's month to last's, inclusive."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def dashboard(as_of: datetime.date | None = None, framework: Framework | None = None) -> Dashboard:
    """A framework's recommendations (by default every framework's) with their
    standing and evidence figures."""
    scope = Recommendation.objects.in_report_order()
    if framework is not None:
        scope = scope.filter(framework=framework)
    recommendations = list(annotate_evidence(scope, as_of))
    current = standings(recommendations, as_of)

    # The last two years of evidence: enough to see a trend, small enough to read.
    # Only those months are counted, so this reads a tenth of the links, not all.
    last = max((r.last_evidence for r in recommendations if r.last_evidence), default=None)
    counts: dict[int, dict[datetime.date, MonthLinks]] = defaultdict(dict)
    if last is not None:
        since = months_back(last, MONTHS_SHOWN - 1)
        scoped = recommendations if framework is not None else None
        for row in monthly_counts(as_of, since, ("recommendation_id", "stance"), scoped):
            by_month = counts[row["recommendation_id"]]
            month = by_month.get(row["month"], MonthLinks())
            if row["stance"] == Evidence.Stance.HINDERS:
                by_month[row["month"]] = month._replace(hindering=row["count"])
            else:
                by_month[row["month"]] = month._replace(advancing=row["count"])
    all_months = [m for by_month in counts.values() for m in by_month]
    months = months_between(min(all_months), last)[-MONTHS_SHOWN:] if last and all_months else []

    frameworks: dict[int, FrameworkProgress] = {}
    for recommendation in recommendations:
        card = frameworks.setdefault(
            recommendation.framework_id, FrameworkProgress(recommendation.framework, [])
        )
        by_month = counts.get(recommendation.pk, {})
        card.recommendations.append(
            _progress(
                recommendation,
                recommendation,  # annotated with its figures
                current.get(recommendation.pk, Standing()),
                [by_month.get(month, MonthLinks()) for month in months],
            )
        )
    return Dashboard(frameworks=list(frameworks.values()), months=months, as_of=as_of)


# --- The portfolio: every framework at a glance ----------------------------------------

NOT_ASSESSED = "not-assessed"  # the badge's class for a recommendation not yet assessed
# How a framework's status bar stacks its recommendations: furthest along first.
PORTFOLIO_ORDER = (
    AssessmentStatus.IMPLEMENTED,
    AssessmentStatus.SUBSTANTIAL,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.NOT_STARTED,
    AssessmentStatus.STALLED,
    AssessmentStatus.NOT_IMPLEMENTED,
    NOT_ASSESSED,
)
PORTFOLIO_LABELS = {
    status: AssessmentStatus(status).label if status != NOT_ASSESSED else "Not yet assessed"
    for status in PORTFOLIO_ORDER
}


@dataclass
class FrameworkSummary:
    """A framework's line in the portfolio."""

    framework: Framework
    recommendations: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # status: recommendations at it
    stale: int = 0  # assessed recommendations with evidence dated since their assessment
    last_evidence: datetime.date | None = None
    bar: str = ""  # drawn by the view (charts.status_bar)

    @property
    def distribution(self) -> list[tuple[str, str, int]]:
        """(status, label, recommendations) in PORTFOLIO_ORDER, the empty ones left out."""
        return [
            (status, label, self.statuses[status])
            for status, label in PORTFOLIO_LABELS.items()
            if self.statuses.get(status)
        ]


def portfolio(
    frameworks: Iterable[Framework], as_of: datetime.date | None = None
) -> list[FrameworkSummary]:
    """Each framework's recommendations by their current status, how many of them are
    stale, and its last evidence: one query, however many frameworks are given."""
    summaries = {framework.pk: FrameworkSummary(framework) for framework in frameworks}
    recommendations = annotate_evidence(
        Recommendation.objects.filter(framework__in=list(summaries)), as_of
    ).annotate(status=F("tally__status") if as_of is None else latest_assessment(as_of, "status"))
    for row in recommendations.values(
        "framework_id", "status", "links_since_assessment", "last_evidence"
    ):
        summary = summaries[row["framework_id"]]
        summary.recommendations += 1
        status = row["status"] or NOT_ASSESSED
        summary.statuses[status] = summary.statuses.get(status, 0) + 1
        if row["status"] and row["links_since_assessment"]:
            summary.stale += 1
        if row["last_evidence"] and (
            summary.last_evidence is None or row["last_evidence"] > summary.last_evidence
        ):
            summary.last_evidence = row["last_evidence"]
    return list(summaries.values())


MAX_SCORE_POINTS = 120


@dataclass
class ScorePoint:
    day: datetime.date
    change: int
    total: int
    period: str = ""  # 'March 2015' when the point sums a month

    @property
    def label(self) -> str:
        return self.period or dates.format_day(self.day)


def by_month(points: list[ScorePoint]) -> list[ScorePoint]:
    """One point per month, at its last evidence date, with the month's change."""
    months: dict[tuple[int, int], ScorePoint] = {}
    for point in points:
        key = (point.day.year, point.day.month)
        change = months[key].change + point.change if key in months else point.change
        months[key] = ScorePoint(point.day, change, point.total, f"{point.day:%B %Y}")
    return list(months.values())


def cumulative_net_score(
    recommendation: Recommendation, as_of: datetime.date | None = None
) -> list[ScorePoint]:
    """The running net score at each date that brought evidence, oldest first;
    at each month's last such date when there are too many dates to draw."""
    per_day = (
        recommendation.evidence.filter(link_counted(as_of))
        .values("development__date")
        .annotate(change=Sum(link_points(as_of)))
        .order_by("development__date")
    )
    points, total = [], 0
    for row in per_day:
        total += row["change"]
        points.append(ScorePoint(row["development__date"], row["change"], total))
    return by_month(points) if len(points) > MAX_SCORE_POINTS else points


def top_actors(
    recommendation: Recommendation, as_of: datetime.date | None = None, limit=8
) -> list[Actor]:
    """The actors in most of a recommendation's evidence, with their net score.

    Counted from the recommendation's evidence outwards (its index), then the
    few actors fetched: starting from the actors would read every link.
    """
    figures = list(
        recommendation.evidence.filter(link_counted(as_of), development__actors__isnull=False)
        .values("development__actors", "development__actors__code")
        .annotate(links=Count("pk"), net_score=Sum(link_points(as_of)))
        .order_by("-links", "-net_score", "development__actors__code")[:limit]
    )
    # Any: each actor gets its figures as attributes, as an annotate() would give them.
    actors: dict[int, Any] = Actor.objects.in_bulk([row["development__actors"] for row in figures])
    result = []
    for row in figures:
        actor = actors[row["development__actors"]]
        actor.links, actor.net_score = row["links"], row["net_score"]
        result.append(actor)
    return result


@dataclass
class ActorFigures:
    development_count: int = 0
    advancing: int = 0
    hindering: int = 0
    net_score: float = 0


def actors_with_figures(actors: QuerySet) -> QuerySet:
    """The actors, each with today's counted developments, advancing and hindering
    links and net score, read from its tally (tracker/figures.py keeps them current):
    sorted and paged in SQL, however many actors and links there are."""
    count = IntegerField()
    return actors.annotate(
        development_count=Coalesce("tally__development_count", 0, output_field=count),
        advancing=Coalesce("tally__advancing", 0, output_field=count),
        hindering=Coalesce("tally__hindering", 0, output_field=count),
        net_score=Coalesce("tally__net_score", 0.0, output_field=FloatField()),
    )


def count_actor_figures(
    as_of: datetime.date | None, actors: Iterable[int] | None = None
) -> dict[int, ActorFigures]:
    """Each actor's counted developments, advancing and hindering links and net score
    by as_of (None: today, from the stored points), of the given actors (by default
    all), by actor id: two grouped queries from the developments' and links' side.

    Grouping the links by actor once reads each link once; annotating the actors
    instead (a join from every actor to every link, weighed per row) took 254 s
    for 253 actors and 250,000 links on SQLite when all were sorted."""
    figures: dict[int, ActorFigures] = defaultdict(ActorFigures)
    named: dict[str, Any] = (
        {"actors__isnull": False} if actors is None else {"actors__in": list(actors)}
    )
    developments = (
        Development.objects.filter(counted(as_of, development=""), **named)
        .values("actors")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in developments:
        figures[row["actors"]].development_count = row["count"]
    links = (
        Evidence.objects.filter(
            link_counted(as_of), **{f"development__{key}": value for key, value in named.items()}
        )
        .values("development__actors")
        .annotate(
            advancing=Count("pk", filter=Q(stance=Evidence.Stance.ADVANCES)),
            hindering=Count("pk", filter=Q(stance=Evidence.Stance.HINDERS)),
            net_score=Sum(link_points(as_of)),
        )
        .order_by()
    )
    for link_row in links:
        actor = figures[link_row["development__actors"]]
        actor.advancing, actor.hindering = link_row["advancing"], link_row["hindering"]
        actor.net_score = link_row["net_score"]
    return dict(figures)


ACTOR_RECOMMENDATIONS_SHOWN = 25


@dataclass
class ActorRecommendations:
    """The recommendations an actor's developments are evidence for, most links
    first, as many as an actor page shows, and how many there are in all."""

    shown: list[Recommendation]
    total: int


def actor_by_recommendation(
    actor: Actor, as_of: datetime.date | None = None
) -> ActorRecommendations:
    """The recommendations the actor's developments are evidence for, most links
    first (then in report order), with their figures: as many as a page shows."""
    limit = ACTOR_RECOMMENDATIONS_SHOWN
    links = Evidence.objects.filter(link_counted(as_of), development__actors=actor)
    figures = {
        row["recommendation"]: row
        for row in links.values("recommendation")
        .annotate(
            links=Count("pk"),
            advancing=Count("pk", filter=Q(stance=Evidence.Stance.ADVANCES)),
            hindering=Count("pk", filter=Q(stance=Evidence.Stance.HINDERS)),
            net_score=Sum(link_points(as_of)),
        )
        .order_by("-links", "recommendation")[:limit]
    }
    total = links.values("recommendation").distinct().count() if len(figures) == limit else 0
    recommendations = list(Recommendation.objects.filter(pk__in=figures).in_report_order())
    for recommendation in recommendations:
        row = figures[recommendation.pk]
        recommendation.advancing, recommendation.hindering, recommendation.net_score = (
            row["advancing"],
            row["hindering"],
            row["net_score"],
        )
    recommendations.sort(key=lambda r: -figures[r.pk]["links"])  # stable: report order next
    return ActorRecommendations(recommendations, max(total, len(recommendations)))


# --- The actor × recommendation matrix ---------------------------------------------

MATRIX_GROUPS = ("Organisations", "European states", "Other states")


def matrix_group(actor: Actor) -> str:
    """Which block of the matrix an actor's row sits in."""
    if actor.kind != Actor.Kind.STATE:
        return MATRIX_GROUPS[0]
    if actor.region == Actor.Region.EUROPE:
        return MATRIX_GROUPS[1]
    return MATRIX_GROUPS[2]


@dataclass
class Cell:
    count: int = 0
    net_score: int = 0
    shade: str = ""  # a CSS class: adv-1..4, hin-1..4 or empty


@dataclass
class MatrixRow:
    actor: Actor
    group: str
    cells: list[Cell]
    total: int


@dataclass
class Matrix:
    recommendations: list[Recommendation]
    rows: list[MatrixRow]
    grouped: bool

    def window(self, rows: Iterable[MatrixRow], first: int, last: int) -> Matrix:
        """These rows, with the recommendations from index first up to last: a page."""
        return Matrix(
            self.recommendations[first:last],
            [MatrixRow(row.actor, row.group, row.cells[first:last], row.total) for row in rows],
            self.grouped,
        )

    def groups(self):
        """(group name, rows) in the order MATRIX_GROUPS gives, skipping empty ones."""
        for name in MATRIX_GROUPS:
            rows = [row for row in self.rows if row.group == name]
            if rows:
                yield name, rows


def _shade(net_score: int, strongest: int) -> str:
    if not net_score or not strongest:
        return ""
    level = max(1, min(4, round(abs(net_score) / strongest * 4)))
    return f"{'adv' if net_score > 0 else 'hin'}-{level}"


def matrix(
    as_of: datetime.date | None = None,
    grouped: bool = True,
    framework: Framework | None = None,
) -> Matrix:
    """Evidence count and net score per actor and recommendation (of one framework,
    or of all), shaded by score."""
    recommendations = _matrix_scope(framework)
    by_actor: dict[int, dict[int, Cell]] = defaultdict(dict)
    for row in _cells(as_of, recommendations):
        if row["actor"] is not None:
            by_actor[row["actor"]][row["recommendation"]] = Cell(row["count"], row["net_score"])
    strongest = max(
        (abs(cell.net_score) for cells in by_actor.values() for cell in cells.values()), default=0
    )
    rows = []
    for actor in Actor.objects.filter(pk__in=by_actor).order_by("name"):
        cells = [by_actor[actor.pk].get(r.pk, Cell()) for r in recommendations]
        for cell in cells:
            cell.shade = _shade(cell.net_score, strongest)
        rows.append(MatrixRow(actor, matrix_group(actor), cells, sum(c.count for c in cells)))
    if grouped:
        rows.sort(key=lambda row: (MATRIX_GROUPS.index(row.group), row.actor.name))
    else:
        rows.sort(key=lambda row: (-row.total, row.actor.name))
    return Matrix(recommendations, rows, grouped)


def _matrix_scope(framework: Framework | None) -> list[Recommendation]:
    scope = Recommendation.objects.in_report_order()
    if framework is not None:
        scope = scope.filter(framework=framework)
    return list(scope)


def _cells(as_of: datetime.date | None, recommendations: list[Recommendation]) -> QuerySet:
    """Counted links and net score per actor and recommendation (rows of dicts)."""
    return (
        Evidence.objects.filter(
            link_counted(as_of), recommendation__in=[r.pk for r in recommendations]
        )
        .values("recommendation", actor=F("development__actors"))
        .annotate(count=Count("pk"), net_score=Sum(link_points(as_of)))
        .order_by()
    )


def matrix_group_rank(actor: str = "") -> Case:
    """matrix_group() in SQL: the rank of an actor's group in MATRIX_GROUPS (`actor`
    leads from the query's model to the actor)."""
    return Case(
        When(~Q(**{f"{actor}kind": Actor.Kind.STATE}), then=Value(0)),
        When(**{f"{actor}region": Actor.Region.EUROPE}, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def matrix_export(
    as_of: datetime.date | None = None,
    grouped: bool = True,
    framework: Framework | None = None,
) -> Iterator[list]:
    """The matrix as a download: a header, then one row per actor (group, code, name,
    then each recommendation's links and net score), in the page's order.

    Grouped (the page's default), it streams: one query gives the cells sorted by
    actor in the page's order, and each actor's row is written as its cells are
    read, so 100,000 actors take the memory of one (the page's matrix() holds every
    row and cell). Sorted by total links, every actor's total is needed before the
    first row: that export is the page's matrix."""
    recommendations = _matrix_scope(framework)
    yield ["Group", "Code", "Actor"] + [
        f"{r.code} {what}" for r in recommendations for what in ("links", "net score")
    ]
    if not grouped:
        for matrix_row in matrix(as_of, False, framework).rows:
            pks = (r.pk for r in recommendations)
            by_recommendation = dict(zip(pks, matrix_row.cells, strict=True))
            code, name = matrix_row.actor.code, matrix_row.actor.name
            yield _export_row(matrix_row.group, code, name, by_recommendation, recommendations)
        return
    cells = _cells_in_page_order(as_of, recommendations)
    # Each cell's place in the row: links, then net score, after group, code and name.
    place = {r.pk: 3 + 2 * index for index, r in enumerate(recommendations)}
    blank = [0, 0] * len(recommendations)
    for (rank, name, code, _), row_cells in groupby(cells, key=lambda cell: cell[:4]):
        row = [MATRIX_GROUPS[rank], code, name, *blank]
        for *_, recommendation, count, net_score in row_cells:
            at = place[recommendation]
            row[at], row[at + 1] = count, methodology.as_number(net_score)
        yield row


def _cells_in_page_order(
    as_of: datetime.date | None, recommendations: list[Recommendation]
) -> Iterator[tuple]:
    """Each actor's cells (group rank, name, code, actor id, recommendation id, links,
    net score), the actors in the grouped matrix's order, read in chunks.

    The cells are counted per actor and recommendation (_cells) before their actors
    are joined to them, in SQL the ORM cannot write (it groups by every column it
    selects): grouping the cells by the actors' names and groups as well took the
    matrix export of 100,000 actors 1.7 s of CPU on SQLite, against 0.9 s so. Both
    sides are the ORM's SQL; the rows come from the driver without the ORM's
    converters, chunked as QuerySet.iterator() reads (a server-side cursor on
    PostgreSQL)."""
    quote = connection.ops.quote_name
    cells, cell_params = _cells(as_of, recommendations).query.sql_with_params()
    actors, actor_params = (
        Actor.objects.values(
            actor_id=F("pk"), rank=matrix_group_rank(), actor_name=F("name"), actor_code=F("code")
        )
        .order_by()
        .query.sql_with_params()
    )
    order = ", ".join(f"actor.{quote(column)}" for column in ("rank", "actor_name", "actor_id"))
    select = ", ".join(
        [f"actor.{quote(c)}" for c in ("rank", "actor_name", "actor_code", "actor_id")]
        + [f"cell.{quote(c)}" for c in ("recommendation", "count", "net_score")]
    )
    sql = (
        f"SELECT {select} FROM ({cells}) cell INNER JOIN ({actors}) actor "
        f"ON actor.{quote('actor_id')} = cell.{quote('actor')} ORDER BY {order}"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, (*cell_params, *actor_params))
        while rows := cursor.fetchmany(CHUNK_SIZE):
            yield from rows


def _export_row(
    group: str,
    code: str,
    name: str,
    cells: dict[int, Cell],
    recommendations: list[Recommendation],
) -> list:
    row: list = [group, code, name]
    for recommendation in recommendations:
        cell = cells.get(recommendation.pk, Cell())
        row += [cell.count, methodology.as_number(cell.net_score)]
    return row


# --- The timeline ---------------------------------------------------------------------

# Up to this many links, each is a mark of its own; beyond, links are counted per
# period (month, quarter or year), as no reader can tell thousands of marks apart.
MAX_TIMELINE_MARKS = 400


@dataclass
class TimelineMark:
    development_id: int
    day: datetime.date
    title: str
    date_display: str
    stance: str
    strength: int
    last: datetime.date | None = None  # the period's last day, for a month, a year, a span


@dataclass
class TimelineBin:
    start: datetime.date
    end: datetime.date  # the period's last day
    label: str
    advancing: int = 0
    hindering: int = 0


@dataclass
class Lane:
    recommendation: Recommendation
    total: int = 0
    marks: list[TimelineMark] = field(default_factory=list)
    bins: list[TimelineBin] = field(default_factory=list)


def _period(month: datetime.date, months: int) -> tuple[datetime.date, datetime.date, str]:
    """The period of `months` months (1, 3 or 12) that holds month: start, end, label."""
    start = month.replace(month=(month.month - 1) // months * months + 1)
    end = months_back(start, -months) - datetime.timedelta(days=1)
    if months == 12:
        return start, end, f"{start:%Y}"
    if months == 3:
        return start, end, f"Q{(start.month - 1) // 3 + 1} {start:%Y}"
    return start, end, f"{start:%B %Y}"


def timeline(
    as_of: datetime.date | None = None, recommendations: Iterable[Recommendation] | None = None
) -> list[Lane]:
    """One lane per recommendation (by default every one): a mark for each evidence
    link in time, or, when there are too many, counts of advancing and hindering
    links per period."""
    if recommendations is None:
        recommendations = Recommendation.objects.in_report_order()
    lanes = {r.pk: Lane(r) for r in recommendations}
    monthly = monthly_counts(
        as_of,
        by=("recommendation_id", "stance"),
        recommendations=[r.recommendation for r in lanes.values()],
    )
    for row in monthly:
        lanes[row["recommendation_id"]].total += row["count"]
    if sum(lane.total for lane in lanes.values()) > MAX_TIMELINE_MARKS:
        months = [row["month"] for row in monthly]
        span = (max(months).year - min(months).year) * 12 + max(months).month - min(months).month
        size = 1 if span < 36 else 3 if span < 120 else 12
        for lane in lanes.values():
            periods: dict[datetime.date, TimelineBin] = {}
            for row in monthly:
                if row["recommendation_id"] != lane.recommendation.pk:
                    continue
                start, end, label = _period(row["month"], size)
                period = periods.setdefault(start, TimelineBin(start, end, label))
                if row["stance"] == Evidence.Stance.HINDERS:
                    period.hindering += row["count"]
                else:
                    period.advancing += row["count"]
            lane.bins = sorted(periods.values(), key=lambda period: period.start)
        return list(lanes.values())
    links = (
        Evidence.objects.filter(link_counted(as_of), recommendation__in=list(lanes))
        .values_list(
            "recommendation_id",
            "development_id",
            "development__date",
            "development__end_date",
            "development__precision",
            "development__title",
            "stance",
            "strength",
        )
        .order_by("development__date")
    )
    for rec_id, dev_id, day, end_date, precision, title, stance, strength in links:
        lanes[rec_id].marks.append(
            TimelineMark(
                dev_id,
                day,
                title,
                dates.format_span(day, end_date, precision),
                stance,
                strength,
                dates.last_day(day, precision, end_date),
            )
        )
    return list(lanes.values())
