"""Filter forms for the report tables (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from tracker.models import (
    Actor,
    Citation,
    Correction,
    Development,
    DevelopmentKind,
    Evidence,
    Recommendation,
    Source,
)


def actor_filter(field_name):
    return django_filters.ModelMultipleChoiceFilter(
        label="Actors (any of)",
        field_name=field_name,
        queryset=Actor.objects.on_record().order_by("code"),
        to_field_name="code",
    )


def recommendation_filter(**kwargs):
    """A recommendation by its code, typed: a portfolio has thousands of them, too
    many for a list (10,000 options made the explorer a 900 KB page)."""
    return django_filters.ModelChoiceFilter(
        queryset=Recommendation.objects.all(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"placeholder": "its code", "size": 12}),
        error_messages={"invalid_choice": "No recommendation has that code."},
        **kwargs,
    )


def kind_filter(field_name):
    return django_filters.ModelMultipleChoiceFilter(
        label="Kind",
        field_name=field_name,
        queryset=DevelopmentKind.objects.all(),
        to_field_name="code",
    )


def confidence_filter(**kwargs):
    return django_filters.MultipleChoiceFilter(choices=Evidence.Confidence.choices, **kwargs)


def reliability_filter(development: str):
    """Rows whose development cites at least one source of a chosen grade;
    `development` leads from the rows to the development's id."""

    def cites(queryset, name, value):
        sources = Citation.objects.filter(
            development=OuterRef(development), source__reliability__in=value
        )
        return queryset.filter(Exists(sources))

    return django_filters.MultipleChoiceFilter(
        label="Source grade (any of)", choices=Source.Reliability.choices, method=cites
    )


def date_range_filter(field_name):
    return django_filters.DateFromToRangeFilter(
        label="Date from – to",
        field_name=field_name,
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )


class DateRangeForm(forms.Form):
    """Refuses a date range that ends before it starts, instead of showing no rows."""

    def clean(self):
        cleaned = super().clean() or {}
        span = cleaned.get("date")
        if span and span.start and span.stop and span.start > span.stop:
            self.add_error("date", "The first date is after the second; swap them.")
        return cleaned


class DevelopmentFilter(django_filters.FilterSet):
    """The explorer's filters. Recommendation, stance and confidence combine on one
    evidence link."""

    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Words in title or summary"}
        ),
    )
    date = date_range_filter("date")
    kind = kind_filter("kind__code")
    status = django_filters.MultipleChoiceFilter(
        label="Status", choices=Development.Status.choices
    )
    actor = actor_filter("actors__code")
    recommendation = recommendation_filter(label="Evidence for", method="by_evidence")
    stance = django_filters.ChoiceFilter(
        label="Stance",
        choices=Evidence.Stance.choices,
        method="by_evidence",
        empty_label="Either stance",
    )
    confidence = confidence_filter(label="Evidence confidence (any of)", method="by_evidence")
    reliability = reliability_filter("pk")

    class Meta:
        model = Development
        fields = ()
        form = DateRangeForm

    def search(self, queryset, name, value):
        return queryset.search(value)

    @property
    def ranked(self) -> bool:
        """Whether the rows come best match first (a full-text search)."""
        return bool(self.form.cleaned_data.get("q")) and self.queryset.ranks_search()

    def by_evidence(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        recommendation = self.form.cleaned_data.get("recommendation")
        stance = self.form.cleaned_data.get("stance")
        confidence = self.form.cleaned_data.get("confidence")
        if recommendation or stance or confidence:
            links = Evidence.objects.filter(development=OuterRef("pk"))
            if recommendation:
                links = links.filter(recommendation=recommendation)
            if stance:
                links = links.filter(stance=stance)
            if confidence:
                links = links.filter(confidence__in=confidence)
            queryset = queryset.filter(Exists(links))
        return queryset


class EvidenceFilter(django_filters.FilterSet):
    """Filters for a recommendation's evidence table."""

    stance = django_filters.ChoiceFilter(
        label="Stance", choices=Evidence.Stance.choices, empty_label="Either stance"
    )
    strength = django_filters.TypedMultipleChoiceFilter(
        label="Strength", choices=Evidence.Strength.choices, coerce=int
    )
    confidence = confidence_filter(label="Confidence (any of)")
    reliability = reliability_filter("development")
    actor = actor_filter("development__actors__code")
    kind = kind_filter("development__kind__code")
    date = date_range_filter("development__date")

    class Meta:
        model = Evidence
        fields = ()
        form = DateRangeForm


class CorrectionFilter(django_filters.FilterSet):
    recommendation = recommendation_filter()

    class Meta:
        model = Correction
        fields = ("recommendation",)


def corrections_log(params) -> CorrectionFilter:
    """The corrections log (by ?recommendation=CODE), newest first, for its page and feed."""
    log = Correction.objects.select_related("recommendation", "made_by", "approved_by")
    return CorrectionFilter(params, queryset=log)
