"""The API's read-only viewsets: the published records and their figures.

Every viewset is a `ReadOnlyAPI`:

- any method but GET, HEAD and OPTIONS is a 405 before anything else runs, for
  every reader, signed in or not (the API takes no writes, and says so first);
- then REST framework signs the reader in (token or session), checks that they may
  read the reports (permissions.py) and counts the request (throttling.py);
- then the answer's ETag and Last-Modified come from the data version
  (tracker/caching.py), read with one small query: a client that sends back what
  it was given (If-None-Match, If-Modified-Since) gets a 304 without the lists
  being read at all, until the data change.

Drafts never appear: developments and assessments are published ones, evidence
and citations those of published developments, actors and sources those a
published development names (or a framework, for a source).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models import Case, Exists, F, OuterRef, Prefetch, When
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated
from rest_framework.permissions import SAFE_METHODS
from rest_framework.routers import APIRootView
from rest_framework.views import APIView

from tracker import progress
from tracker.api import filters, pagination, serializers
from tracker.caching import CACHE_ERRORS, CODE, cached
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    DataVersion,
    Development,
    Evidence,
    Framework,
    Recommendation,
    Snapshot,
    Source,
)

# The API's own code: a release that changes how records read changes every ETag.
API_CODE = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted(Path(__file__).parent.glob("*.py")))
).hexdigest()[:10]


class NotModified(Exception):
    """The client holds the current answer: send it the 304 (or 412) instead."""

    def __init__(self, response):
        self.response = response


def version_seen_at(version: int) -> int:
    """When this data version was first served (a Unix time), as Last-Modified.

    The version is a counter, not a time: the first answer that reads it records
    the time in the cache, where every instance finds it (with Redis; each process
    keeps its own otherwise, and an entry the cache drops is recorded again: either
    only ever makes Last-Modified later). A later version is first seen later, so
    If-Modified-Since, to the second, hides no change made a second or more after
    the version the client holds was first served; If-None-Match, which clients
    send with it and which takes precedence, hides none."""
    now = int(time.time())
    key = f"tracker:api:seen:v{version}"
    try:
        cache.add(key, now, settings.TRACKER_CACHE_SECONDS)
        return cache.get(key, now)
    except CACHE_ERRORS:
        return now  # every answer new: never a wrong 304


class RefusesWrites(APIView):
    """Any method but GET, HEAD and OPTIONS is a 405 before the reader is even
    signed in: the same answer for everyone, and no write reaches a view."""

    def initial(self, request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            # Answered unsigned: rendering the refusal (the docs page's is a template,
            # whose context reads the user) must not sign in, and check CSRF, after all.
            request.user, request.auth = AnonymousUser(), None
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)  # sign-in, access, throttling


class ReadOnlyAPI(RefusesWrites, viewsets.ReadOnlyModelViewSet):
    """A read-only list and detail, refused writes first and answered 304 when unchanged."""

    etag: str | None = None
    last_modified: int | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        version = DataVersion.objects.current()
        self.etag = quote_etag(
            hashlib.sha256(
                f"{CODE}:{API_CODE}:{version}:{request.build_absolute_uri()}".encode()
            ).hexdigest()[:32]
        )
        self.last_modified = version_seen_at(version)
        unchanged = get_conditional_response(
            request, etag=self.etag, last_modified=self.last_modified
        )
        if unchanged is not None:
            raise NotModified(unchanged)

    def handle_exception(self, exc):
        if isinstance(exc, NotModified):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.etag and response.status_code in (200, 304):
            response.headers.setdefault("ETag", self.etag)
            response.headers.setdefault("Last-Modified", http_date(self.last_modified))
        # Clients keep a copy and ask again with its ETag; no shared cache keeps what
        # only the signed-in may read.
        if settings.TRACKER_PUBLIC_REPORTS:
            patch_cache_control(response, no_cache=True)
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response


@extend_schema_view(
    list=extend_schema(summary="Frameworks"), retrieve=extend_schema(summary="A framework")
)
class FrameworkViewSet(ReadOnlyAPI):
    """The published sets of recommendations."""

    queryset = Framework.objects.select_related("source").order_by("year", "code")
    serializer_class = serializers.FrameworkSerializer
    lookup_field = "code"


def with_figures(recommendations: list[Recommendation]) -> list[Recommendation]:
    """The recommendations, each with its verdict and evidence figures as the
    dashboard computes them today (one query for them all, cached by data version)."""

    def compute() -> dict[int, dict]:
        rows = (
            progress.annotate_evidence(
                Recommendation.objects.filter(pk__in=[r.pk for r in recommendations]), None
            )
            .annotate(
                status=progress.latest_assessment(None, "status"),
                status_date=progress.latest_assessment(None),
                current_assessment_id=progress.latest_assessment(None, "pk"),
            )
            .values(
                "pk",
                "status",
                "status_date",
                "current_assessment_id",
                "advancing",
                "hindering",
                "net_score",
                "last_evidence",
                "links_since_assessment",
                "balance_since_assessment",
            )
        )
        return {row.pop("pk"): row for row in rows}

    figures = cached("api-recommendations", compute, ",".join(str(r.pk) for r in recommendations))
    for recommendation in recommendations:
        vars(recommendation).update(figures[recommendation.pk])
    return recommendations


@extend_schema_view(
    list=extend_schema(summary="Recommendations, with their status and figures"),
    retrieve=extend_schema(summary="A recommendation, with its status and figures"),
)
class RecommendationViewSet(ReadOnlyAPI):
    """Recommendations in report order, each with its current status (the latest
    published assessment), its evidence balance (net score) and staleness (links and
    balance since that assessment), as the dashboard computes them."""

    queryset = Recommendation.objects.in_report_order()
    serializer_class = serializers.RecommendationSerializer
    filterset_class = filters.RecommendationFilter
    lookup_field = "code"

    def paginate_queryset(self, queryset):
        # The figures of one page only: annotating the whole list to count and slice
        # it would aggregate every recommendation's links.
        page = super().paginate_queryset(queryset)
        return None if page is None else with_figures(list(page))

    def get_object(self):
        return with_figures([super().get_object()])[0]


@extend_schema_view(
    list=extend_schema(summary="Actors"), retrieve=extend_schema(summary="An actor")
)
class ActorViewSet(ReadOnlyAPI):
    """The states and organisations that published developments name."""

    queryset = Actor.objects.on_record().order_by("code")
    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilter
    lookup_field = "code"


@extend_schema_view(
    list=extend_schema(summary="Sources"), retrieve=extend_schema(summary="A source")
)
class SourceViewSet(ReadOnlyAPI):
    """The sources published developments cite, and the frameworks' own."""

    queryset = Source.objects.filter(
        Exists(Citation.objects.filter(source=OuterRef("pk"), development__published=True))
        | Exists(Framework.objects.filter(source=OuterRef("pk")))
    ).order_by("key")
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilter
    lookup_field = "key"


@extend_schema_view(
    list=extend_schema(summary="Developments (the explorer's filters)"),
    retrieve=extend_schema(summary="A development"),
)
class DevelopmentViewSet(ReadOnlyAPI):
    """Published developments, newest first, with their actors, citations and
    evidence; filtered as the explorer is (`q` searches title and summary)."""

    queryset = (
        Development.objects.published()
        .with_links()
        .prefetch_related(
            Prefetch("citations", queryset=Citation.objects.select_related("source")),
        )
        .annotate(
            # The earlier stage, unless it is a draft.
            follows_published_id=Case(When(follows__published=True, then=F("follows_id")))
        )
    )
    serializer_class = serializers.DevelopmentSerializer
    filterset_class = filters.DevelopmentFilter
    pagination_class = pagination.DevelopmentCursor


@extend_schema_view(
    list=extend_schema(summary="Evidence links"),
    retrieve=extend_schema(summary="An evidence link"),
)
class EvidenceViewSet(ReadOnlyAPI):
    """The evidence links of published developments; `points` and `counted` say
    whether and how much each counts in today's figures."""

    queryset = Evidence.objects.published().select_related("development", "recommendation")
    serializer_class = serializers.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    pagination_class = pagination.EvidenceCursor


@extend_schema_view(
    list=extend_schema(summary="Assessments"), retrieve=extend_schema(summary="An assessment")
)
class AssessmentViewSet(ReadOnlyAPI):
    """Published assessments, each recommendation's newest first."""

    queryset = (
        Assessment.objects.published()
        .select_related("recommendation", "drafted_by", "created_by")
        .order_by("recommendation__code", "-assessed_on", "pk")
    )
    serializer_class = serializers.AssessmentSerializer
    filterset_class = filters.AssessmentFilter


@extend_schema_view(
    list=extend_schema(summary="Snapshots"),
    retrieve=extend_schema(summary="A snapshot, with its frozen figures and links"),
)
class SnapshotViewSet(ReadOnlyAPI):
    """Frozen snapshots, newest first; each one's figures and links on its own URL."""

    queryset = Snapshot.objects.select_related("taken_by").order_by("-taken_at", "pk")
    lookup_field = "slug"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.defer("figures", "links") if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.SnapshotSerializer
        return serializers.SnapshotDetailSerializer


class Root(RefusesWrites, APIRootView):
    """/api/v1/: the URL of each list."""


class Schema(RefusesWrites, SpectacularAPIView):
    """/api/schema/: the OpenAPI 3 schema (YAML, or JSON with ?format=json)."""


class Docs(RefusesWrites, SpectacularSwaggerSplitView):
    """/api/docs/: Swagger UI, its script a file of its own (?script), its assets this
    app's static files, so the page needs nothing the Content-Security-Policy refuses;
    the template is drf-spectacular's less its inline style."""

    template_name = "tracker_api/swagger_ui.html"

    def handle_exception(self, exc):
        # A person who has not signed in is sent to sign in, as on the report pages.
        if isinstance(exc, NotAuthenticated) and self.request.method in SAFE_METHODS:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
