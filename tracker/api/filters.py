"""The API lists' filters: the explorer's and the evidence table's own FilterSets
(tracker/filters.py), with what the API's links need besides (?source=, ?recommendation=).

An invalid value is a 400 that names the filter, never a silently empty list.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker import filters as report_filters
from tracker.models import Actor, Assessment, Recommendation, Source


def by_code(code_filter):
    """A filter by code(s), declared as such in the schema (which cannot tell the
    type of a code from the filter's queryset)."""
    return extend_schema_field(OpenApiTypes.STR)(code_filter)


class DevelopmentFilter(report_filters.DevelopmentFilter):
    """The explorer's filters (words, dates, kind, status, actors, recommendation,
    stance, confidence, source grade), and the developments citing one source."""

    # The explorer's own, declared by code for the schema.
    kind = by_code(report_filters.kind_filter("kind__code"))
    actor = by_code(report_filters.actor_filter("actors__code"))
    recommendation = by_code(
        report_filters.recommendation_filter(label="Evidence for", method="by_evidence")
    )
    source = django_filters.CharFilter(
        label="Cites the source (its key)", field_name="citations__source__key"
    )


class EvidenceFilter(report_filters.EvidenceFilter):
    """The recommendation page's evidence filters, for one recommendation or all."""

    actor = by_code(report_filters.actor_filter("development__actors__code"))
    kind = by_code(report_filters.kind_filter("development__kind__code"))
    recommendation = by_code(report_filters.recommendation_filter(label="For the recommendation"))
    development = django_filters.NumberFilter(label="Of the development (its id)")


class RecommendationFilter(django_filters.FilterSet):
    framework = django_filters.CharFilter(
        label="Of the framework (its code)", field_name="framework__code"
    )

    class Meta:
        model = Recommendation
        fields = ()


class AssessmentFilter(django_filters.FilterSet):
    recommendation = by_code(report_filters.recommendation_filter(label="Of the recommendation"))
    status = django_filters.MultipleChoiceFilter(choices=Assessment.Status.choices)

    class Meta:
        model = Assessment
        fields = ()


class ActorFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Actor.Kind.choices)
    region = django_filters.MultipleChoiceFilter(choices=Actor.Region.choices)

    class Meta:
        model = Actor
        fields = ()


class SourceFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Source.Kind.choices)
    reliability = django_filters.MultipleChoiceFilter(choices=Source.Reliability.choices)

    class Meta:
        model = Source
        fields = ()
