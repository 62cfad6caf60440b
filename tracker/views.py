"""Report pages for analysts. Thin: parse the request, call progress.py, render."""

from __future__ import annotations

import datetime
import re
from functools import wraps
from itertools import chain

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from tracker import charts, dates, progress, snapshots
from tracker import methodology as codebook
from tracker.caching import cached
from tracker.downloads import FORMATS, StreamingExportMixin, TableViewMixin, export_response
from tracker.filters import DevelopmentFilter, EvidenceFilter
from tracker.models import (
    Actor,
    Assessment,
    Development,
    DevelopmentKind,
    Evidence,
    Recommendation,
    Snapshot,
)
from tracker.roles import can_read_reports
from tracker.tables import ActorTable, DevelopmentTable, EvidenceTable

PAGE_SIZES = (25, 50, 100)


def report(view):
    """Reports are for analysts, editors and administrators, unless
    TRACKER_PUBLIC_REPORTS is on: then anyone may read them.

    What only the signed-in may read, no shared cache may keep, nor the browser
    once they sign out: pages, exports and feeds alike are sent as the admin's are
    (`Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if settings.TRACKER_PUBLIC_REPORTS:
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_read_reports(request.user):
            raise PermissionDenied("Reports are for analysts, editors and administrators.")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return guarded


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


def read_as_of(request) -> tuple[datetime.date | None, list[str]]:
    """The ?as_of=YYYY-MM-DD snapshot date, and notes for the reader about it."""
    form = AsOfForm(request.GET)
    if not form.is_valid():
        raw = request.GET.get("as_of", "")[:40]
        return None, [f"'{raw}' is not a date in the form YYYY-MM-DD; showing the latest state."]
    as_of = form.cleaned_data["as_of"]
    if as_of and as_of > timezone.localdate():
        return None, [f"{dates.format_day(as_of)} is in the future; showing the latest state."]
    return as_of, []


def developments_with_links():
    """Published developments with what their table rows show."""
    return Development.objects.published().with_links()


def recent_developments(as_of, limit=8):
    developments = (
        Development.objects.published().select_related("kind").prefetch_related("actors")
    )
    if as_of is not None:
        developments = developments.filter(date__lte=as_of)
    return developments.order_by("-date", "title")[:limit]


@report
def dashboard(request):
    as_of, notes = read_as_of(request)
    data = cached("dashboard", lambda: progress.dashboard(as_of), as_of)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        filename = f"dashboard-{(as_of or timezone.localdate()):%Y-%m-%d}.{export_format}"
        rows = progress.figure_rows(progress.dashboard_figures(data))
        return export_response(rows, export_format, filename)
    for framework in data.frameworks:
        for item in framework.recommendations:
            item.chart = charts.monthly_bars(
                item.monthly, data.months, f"{item.recommendation.code} evidence per month"
            )
    if as_of and not any(
        item.advancing + item.hindering for f in data.frameworks for item in f.recommendations
    ):
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    return render(
        request,
        "tracker/dashboard.html",
        {
            "nav": "dashboard",
            "data": data,
            "as_of": as_of,
            "notes": notes,
            "recent": recent_developments(as_of),
        },
    )


@report
def methodology(request):
    return render(
        request,
        "tracker/methodology.html",
        {
            "nav": "methodology",
            "statuses": [
                (status.label, Assessment.PERCENTAGES[status]) for status in Assessment.Status
            ],
            "material_weight": codebook.NATURE_WEIGHTS[DevelopmentKind.Nature.MATERIAL],
            "verbal_weight": codebook.NATURE_WEIGHTS[DevelopmentKind.Nature.VERBAL],
        },
    )


@report
def development_detail(request, pk):
    development = get_object_or_404(
        Development.objects.select_related("kind").prefetch_related(
            "actors",
            "citations__source",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("recommendation").order_by(
                    "recommendation__code"
                ),
            ),
        ),
        pk=pk,
    )
    # A draft is for the editors who review it; everyone else sees published records.
    if not development.published and not request.user.has_perm("tracker.change_development"):
        raise Http404("No such development.")
    return render(
        request,
        "tracker/development_detail.html",
        {"nav": "developments", "development": development},
    )


MAX_PAGE = 1_000_000
PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,6}\Z")  # ASCII digits only: '²' and '３' are not pages


class ReportMixin(TableViewMixin):
    """A class-based report page, guarded like the function ones (see `report`)."""

    @classmethod
    def as_view(cls, **initkwargs):
        return report(super().as_view(**initkwargs))


class PagedTableMixin(SingleTableMixin):
    """django-tables2 paging, with the page and page size checked before use.

    A page size outside `page_sizes` falls back to the first; a page that is not
    a number, or lies past the end, is a 404 rather than a silent other page.
    """

    page_sizes = PAGE_SIZES
    paginator_class = LazyPaginator

    def get(self, request, *args, **kwargs):
        query = request.GET.copy()
        if query.get("per_page") not in {str(size) for size in self.page_sizes}:
            query.pop("per_page", None)
        page = query.get("page")
        if page is not None and not (PAGE_NUMBER.match(page) and int(page) <= MAX_PAGE):
            raise Http404("There is no such page.")
        request.GET = query
        return super().get(request, *args, **kwargs)

    def get_paginate_by(self, queryset):
        return None  # the table pages itself; the list view must not page again

    def get_table_pagination(self, table):
        if self.request.GET.get(self.export_trigger_param):
            return False  # an export holds every row
        size = int(self.request.GET.get("per_page", self.page_sizes[0]))
        return {"per_page": size, "paginator_class": self.paginator_class}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        page = self.request.GET.get("page")
        if page and getattr(table, "page", None) and table.page.number != int(page):
            raise Http404("That page is past the end of the table.")
        return table

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_sizes=self.page_sizes, **kwargs)


class RecommendationDetailView(ReportMixin, StreamingExportMixin, PagedTableMixin, FilterView):
    """One recommendation: text, assessment history, score over time, evidence."""

    table_class = EvidenceTable
    filterset_class = EvidenceFilter
    template_name = "tracker/recommendation_detail.html"

    def get(self, request, *args, **kwargs):
        self.recommendation = get_object_or_404(
            Recommendation.objects.select_related("framework"), code=kwargs["code"].upper()
        )
        self.as_of, self.notes = read_as_of(request)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            self.recommendation.evidence.filter(progress.counted(self.as_of))
            .select_related("development__kind")
            .prefetch_related("development__actors")
        )

    def get_export_filename(self, export_format):
        day = self.as_of or timezone.localdate()
        as_of = "-as-of" if self.as_of else ""
        return f"{self.recommendation.code}-evidence{as_of}-{day:%Y-%m-%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recommendation, as_of = self.recommendation, self.as_of
        history = list(
            recommendation.assessments.published()
            .chronological()
            .select_related("drafted_by", "created_by")
        )
        if as_of is not None:
            history = [a for a in history if a.assessed_on <= as_of]
        points, top_actors, item = cached(
            "recommendation",
            lambda: (
                progress.cumulative_net_score(recommendation, as_of),
                progress.top_actors(recommendation, as_of),
                progress.recommendation_progress(recommendation, history, as_of),
            ),
            recommendation.pk,
            as_of,
        )
        context.update(
            nav="dashboard",
            recommendation=recommendation,
            history=list(reversed(history)),
            item=item,
            chart=charts.cumulative_net_chart(points, f"{recommendation.code} net score"),
            top_actors=top_actors,
            as_of=as_of,
            notes=self.notes,
        )
        return context


class ActorListView(ReportMixin, StreamingExportMixin, PagedTableMixin, TemplateView):
    """Every actor with its developments and evidence figures."""

    table_class = ActorTable
    template_name = "tracker/actor_list.html"
    extra_context = {"nav": "actors"}

    def get_table_data(self):
        return progress.annotate_actor_evidence(Actor.objects.on_record())

    def get_export_filename(self, export_format):
        return f"actors-{timezone.localdate():%Y-%m-%d}.{export_format}"


class ActorDetailView(ReportMixin, StreamingExportMixin, PagedTableMixin, TemplateView):
    """One actor: its evidence per recommendation and its developments."""

    table_class = DevelopmentTable
    template_name = "tracker/actor_detail.html"

    def get(self, request, *args, **kwargs):
        self.actor = get_object_or_404(Actor.objects.on_record(), code=kwargs["code"].upper())
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return developments_with_links().filter(actors=self.actor)

    def get_export_filename(self, export_format):
        return f"{self.actor.code}-developments-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            nav="actors",
            actor=self.actor,
            by_recommendation=cached(
                "actor", lambda: progress.actor_by_recommendation(self.actor), self.actor.pk
            ),
        )
        return context


@report
def matrix(request):
    as_of, notes = read_as_of(request)
    grouped = request.GET.get("group", "1") != "0"
    data = cached("matrix", lambda: progress.matrix(as_of, grouped=grouped), as_of, grouped)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        header = ["Group", "Code", "Actor"] + [
            f"{r.code} {what}" for r in data.recommendations for what in ("links", "net score")
        ]
        rows = (
            [row.group, row.actor.code, row.actor.name]
            + [
                value
                for cell in row.cells
                for value in (cell.count, codebook.as_number(cell.net_score))
            ]
            for row in data.rows
        )
        filename = f"matrix-{(as_of or timezone.localdate()):%Y-%m-%d}.{export_format}"
        return export_response(chain([header], rows), export_format, filename)
    if as_of and not data.rows:
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    return render(
        request,
        "tracker/matrix.html",
        {
            "nav": "matrix",
            "matrix": data,
            "matrix_keep": [] if grouped else [("group", "0")],
            "as_of": as_of,
            "notes": notes,
        },
    )


@report
def timeline(request):
    as_of, notes = read_as_of(request)
    lanes = cached("timeline", lambda: progress.timeline(as_of), as_of)
    if as_of and not any(lane.total for lane in lanes):
        notes.append(f"No evidence is dated on or before {dates.format_day(as_of)}.")
    return render(
        request,
        "tracker/timeline.html",
        {
            "nav": "timeline",
            "chart": charts.timeline_chart(lanes, "Evidence over time"),
            "lanes": lanes,
            "many": any(lane.bins for lane in lanes),
            "as_of": as_of,
            "notes": notes,
        },
    )


class DevelopmentListView(ReportMixin, StreamingExportMixin, PagedTableMixin, FilterView):
    """The explorer: every development, filtered, sorted, paged and exported."""

    model = Development
    table_class = DevelopmentTable
    filterset_class = DevelopmentFilter
    template_name = "tracker/development_list.html"

    def get_queryset(self):
        return developments_with_links()

    def get_table_kwargs(self):
        # A full-text search lists the best matches first, unless a column is sorted.
        filterset = self.filterset
        if filterset.is_valid() and filterset.ranked and not self.request.GET.get("sort"):
            return {"order_by": ()}
        return {}

    def get_export_filename(self, export_format):
        return f"developments-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(nav="developments")
        return context


@report
def snapshot_list(request):
    snapshots = Snapshot.objects.select_related("taken_by").defer("figures", "links")
    return render(
        request, "tracker/snapshot_list.html", {"nav": "snapshots", "snapshots": snapshots}
    )


@report
def snapshot_detail(request, slug):
    snapshot = get_object_or_404(Snapshot.objects.select_related("taken_by"), slug=slug)
    export_format = request.GET.get("_export")
    if export_format in FORMATS:
        filename = f"snapshot-{snapshot.slug}.{export_format}"
        return export_response(progress.figure_rows(snapshot.figures), export_format, filename)
    url = request.build_absolute_uri(snapshot.get_absolute_url())
    return render(
        request,
        "tracker/snapshot_detail.html",
        {
            "nav": "snapshots",
            "snapshot": snapshot,
            "permalink": url,
            "cite": snapshots.citation(snapshot, url),
            "changes": snapshots.compare(snapshot),
        },
    )
