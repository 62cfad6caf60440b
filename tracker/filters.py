"""Filter forms for the report tables (django-filter)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import cache

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django_filters.fields import DateRangeField

from tracker import dates
from tracker.caching import cached
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

Counts = dict[str, int]


class ChoiceList(forms.CheckboxSelectMultiple):
    """A multiple choice as a list of checkboxes (no Ctrl-click), each choice with how
    many developments have it when `counts` is given: a callable returning
    {value: count}, called only when the form is drawn (an export or the API never
    draws it). `finder` labels a box that narrows a long list as one types
    (tracker/choice-finder.js); `codes` shows each value (an actor's code) beside
    its label."""

    template_name = "tracker/_choice_list.html"

    def __init__(
        self,
        attrs=None,
        choices=(),
        counts: Callable[[], Counts] | None = None,
        finder: str = "",
        codes: bool = False,
    ):
        super().__init__(attrs, choices)
        self.counts, self.finder, self.codes = counts, finder, codes

    def get_context(self, name, value, attrs):
        # Read once here, before the options are made (create_option, below).
        self._drawn_counts = self.counts() if self.counts else None
        context = super().get_context(name, value, attrs)
        options = [option for _, group, _ in context["widget"]["optgroups"] for option in group]
        # A ticked box far down a long list is out of sight: the list says what is ticked.
        chosen = [
            f"{option['label']} ({option['code']})" if self.codes else str(option["label"])
            for option in options
            if option["selected"]
        ]
        context["widget"].update(finder=self.finder, chosen=", ".join(chosen))
        return context

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        counts = getattr(self, "_drawn_counts", None)
        if counts is not None:
            option["count"] = f"{counts.get(str(value), 0):,}"
        if self.codes:
            option["code"] = str(value)
        return option


def actor_filter(field_name):
    """Actors by name (their codes beside), as checkboxes with a finder: at scale
    there are hundreds (253 in the demo data)."""
    return django_filters.ModelMultipleChoiceFilter(
        label="Actors (any of)",
        field_name=field_name,
        queryset=Actor.objects.on_record().order_by("name", "code"),
        to_field_name="code",
        widget=ChoiceList(finder="Find an actor", codes=True),
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
        widget=ChoiceList,
    )


def confidence_filter(**kwargs):
    return django_filters.MultipleChoiceFilter(
        choices=Evidence.Confidence.choices, widget=ChoiceList, **kwargs
    )


def reliability_filter(development: str):
    """Rows whose development cites at least one source of a chosen grade;
    `development` leads from the rows to the development's id."""

    def cites(queryset, name, value):
        sources = Citation.objects.filter(
            development=OuterRef(development), source__reliability__in=value
        )
        return queryset.filter(Exists(sources))

    return django_filters.MultipleChoiceFilter(
        label="Source grade (any of)",
        choices=Source.Reliability.choices,
        method=cites,
        widget=ChoiceList,
    )


ISO_DAY = "%Y-%m-%d"
WRITTEN_AS_A_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Day(forms.DateField):
    """One end of a date range: a day written YYYY-MM-DD, as a browser's date box
    sends it, whatever the language (no 01/02/2023 read the American way). A bad
    value is quoted, since a date box shows nothing for what it cannot read."""

    def __init__(self, end: str):
        super().__init__(input_formats=[ISO_DAY])
        self.end = end

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            shown = str(value)[:40]
            if WRITTEN_AS_A_DAY.fullmatch(shown):
                message = f"“{self.end}”: {shown} is not a day of the calendar."
            else:
                message = (
                    f"“{self.end}” must be a day written YYYY-MM-DD, "
                    f"such as 2023-01-31, not “{shown}”."
                )
            raise ValidationError(message, code="invalid") from None


class DayRangeField(DateRangeField):
    """A date range whose errors say which end is wrong and how to write it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = (Day("From"), Day("To"))
        for field in self.fields:
            field.required = False  # either end may be left open


class DayRangeWidget(django_filters.widgets.DateRangeWidget):
    """Two date boxes, each labelled (From, To), in the field's fieldset."""

    template_name = "tracker/_day_range.html"

    def __init__(self, attrs=None):
        super().__init__({"type": "date", **(attrs or {})})


class DayRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = DayRangeField


def date_range_filter(field_name):
    return DayRangeFilter(label="Date", field_name=field_name, widget=DayRangeWidget)


class DateRangeForm(forms.Form):
    """Refuses a date range that ends before it starts, instead of showing no rows."""

    def clean(self):
        cleaned = super().clean() or {}
        span = cleaned.get("date")
        if span and span.start and span.stop and span.start > span.stop:
            start, stop = dates.format_day(span.start.date()), dates.format_day(span.stop.date())
            self.add_error("date", f"“From” ({start}) is after “To” ({stop}); swap them.")
        return cleaned


def development_counts() -> dict[str, Counts]:
    """Published developments of each kind and of each status (what the explorer
    lists when only that box is ticked), by field and value: one grouped query,
    kept until the data changes (it reads every development: 110-240 ms at 100,000
    on SQLite, too slow for every page)."""

    def count() -> dict[str, Counts]:
        rows = (
            Development.objects.published()
            .order_by()
            .values("kind__code", "status")
            .annotate(developments=Count("pk"))
        )
        counts: dict[str, Counts] = {"kind": defaultdict(int), "status": defaultdict(int)}
        for row in rows:
            counts["kind"][row["kind__code"]] += row["developments"]
            counts["status"][row["status"]] += row["developments"]
        return {field: dict(values) for field, values in counts.items()}

    return cached("development-counts", count)


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
        label="Status", choices=Development.Status.choices, widget=ChoiceList
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

    @property
    def form(self):
        """The form, its kinds and statuses counted when it is drawn (read once for
        both). Set on this form's own widgets: a filter builds its form field once,
        and the API's schema may have built the class's before any page did."""
        if not hasattr(self, "_form"):
            counts = cache(development_counts)

            def counts_of(name: str) -> Callable[[], Counts]:
                return lambda: counts()[name]

            for name, field in super().form.fields.items():
                if name in ("kind", "status"):
                    field.widget.counts = counts_of(name)
        return self._form

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
        label="Strength", choices=Evidence.Strength.choices, coerce=int, widget=ChoiceList
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
