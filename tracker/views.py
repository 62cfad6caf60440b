"""Report pages for analysts. Thin: parse the request, call progress.py, render."""

from __future__ import annotations

import datetime
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from tracker import charts, progress
from tracker.exports import StreamingExportMixin
from tracker.filters import DevelopmentFilter
from tracker.models import Assessment, Development, Evidence, Recommendation
from tracker.tables import DevelopmentTable

PAGE_SIZES = (25, 50, 100)


def report(view):
    """Reports need a signed-in user unless TRACKER_PUBLIC_REPORTS is on."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.TRACKER_PUBLIC_REPORTS and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

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
        return None, [f"{as_of:%-d %B %Y} is in the future; showing the latest state."]
    return as_of, []


def recent_developments(as_of, limit=8):
    developments = Development.objects.select_related("kind").prefetch_related("actors")
    if as_of is not None:
        developments = developments.filter(date__lte=as_of)
    return developments.order_by("-date", "title")[:limit]


@report
def dashboard(request):
    as_of, notes = read_as_of(request)
    data = progress.dashboard(as_of)
    for framework in data.frameworks:
        for item in framework.recommendations:
            item.bar = charts.progress_bar(
                item.standing.percentage, f"{item.recommendation.code} progress"
            )
            item.chart = charts.monthly_bars(
                item.monthly, data.months, f"{item.recommendation.code} evidence per month"
            )
    if as_of and not any(
        item.advancing + item.hindering for f in data.frameworks for item in f.recommendations
    ):
        notes.append(f"No evidence is dated on or before {as_of:%-d %B %Y}.")
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
            "material_weight": progress.MATERIAL_WEIGHT,
            "verbal_weight": progress.VERBAL_WEIGHT,
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
    return render(
        request,
        "tracker/development_detail.html",
        {"nav": "developments", "development": development},
    )


@report
def recommendation_detail(request, code):
    recommendation = get_object_or_404(
        Recommendation.objects.select_related("framework"), code=code
    )
    as_of, notes = read_as_of(request)
    history = list(recommendation.assessments.chronological())
    if as_of is not None:
        history = [a for a in history if a.assessed_on <= as_of]
    for assessment, percentage in zip(history, progress.display_percentages(history), strict=True):
        assessment.percentage = percentage
    evidence = (
        recommendation.evidence.filter(progress.evidence_up_to(as_of))
        .select_related("development__kind")
        .order_by("-development__date", "development__title")
    )
    return render(
        request,
        "tracker/recommendation_detail.html",
        {
            "nav": "dashboard",
            "recommendation": recommendation,
            "history": list(reversed(history)),
            "evidence": evidence,
            "as_of": as_of,
            "notes": notes,
        },
    )


class DevelopmentListView(StreamingExportMixin, SingleTableMixin, FilterView):
    """The explorer: every development, filtered, sorted, paged and exported."""

    model = Development
    table_class = DevelopmentTable
    filterset_class = DevelopmentFilter
    template_name = "tracker/development_list.html"
    paginator_class = LazyPaginator

    @classmethod
    def as_view(cls, **initkwargs):
        return report(super().as_view(**initkwargs))

    def get_queryset(self):
        return Development.objects.select_related("kind").prefetch_related(
            "actors",
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("recommendation").order_by(
                    "recommendation__code"
                ),
            ),
        )

    def get_paginate_by(self, table_data):
        size = self.request.GET.get("per_page", "")
        return int(size) if size.isdigit() and int(size) in PAGE_SIZES else PAGE_SIZES[0]

    def get_export_filename(self, export_format):
        return f"developments-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("_export", None)
        query.pop("page", None)
        context.update(
            nav="developments",
            page_sizes=PAGE_SIZES,
            current_query=query.urlencode(),
        )
        return context
