"""How each record reads in the API: its fields, links to the records it names (by
their API URL) and to its report page (`report_url`, where it has one).

The querysets in views.py load what these read, in a fixed number of queries a
page; a link that would lead to a draft is left out (None), as the reports leave
drafts out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from tracker import methodology
from tracker.models import (
    Actor,
    Assessment,
    Citation,
    Development,
    DevelopmentKind,
    Evidence,
    Framework,
    Recommendation,
    Snapshot,
    Source,
    person_name,
)


def api_url(serializer: serializers.Field, view_name: str, value: Any) -> str | None:
    """The absolute API URL of one record (None for none)."""
    if value is None:
        return None
    return reverse(f"api:{view_name}", args=[value], request=serializer.context.get("request"))


def list_url(serializer: serializers.Field, view_name: str, **query: str) -> str:
    """The absolute URL of an API list filtered by `query` (e.g. actor=JP)."""
    url = reverse(f"api:{view_name}", request=serializer.context.get("request"))
    return f"{url}?{urlencode(query)}"


@extend_schema_field(OpenApiTypes.URI)
class ReportURL(serializers.Field):
    """The record's report page (its get_absolute_url), as an absolute URL."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        request = self.context.get("request")
        path = value.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


def link(view_name: str, lookup_field: str, **kwargs) -> serializers.HyperlinkedRelatedField:
    return serializers.HyperlinkedRelatedField(
        view_name=f"api:{view_name}", lookup_field=lookup_field, read_only=True, **kwargs
    )


def identity(view_name: str, lookup_field: str) -> serializers.HyperlinkedIdentityField:
    return serializers.HyperlinkedIdentityField(
        view_name=f"api:{view_name}", lookup_field=lookup_field
    )


class SourceSerializer(serializers.ModelSerializer):
    url = identity("source-detail", "key")
    web_url = serializers.URLField(source="url", read_only=True, help_text="Where to read it.")
    developments = serializers.SerializerMethodField(help_text="The developments citing it.")

    class Meta:
        model = Source
        fields = (
            "url",
            "key",
            "title",
            "publisher",
            "author",
            "published_on",
            "web_url",
            "kind",
            "reliability",
            "developments",
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_developments(self, source) -> str:
        return list_url(self, "development-list", source=source.key)


class FrameworkSerializer(serializers.ModelSerializer):
    url = identity("framework-detail", "code")
    source = link("source-detail", "key", allow_null=True)
    recommendations = serializers.SerializerMethodField(help_text="Its recommendations.")
    report_url = ReportURL(help_text="Its progress dashboard.")

    class Meta:
        model = Framework
        fields = (
            "url",
            "code",
            "title",
            "author",
            "year",
            "description",
            "source",
            "recommendations",
            "report_url",
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_recommendations(self, framework) -> str:
        return list_url(self, "recommendation-list", framework=framework.code)


class RecommendationSerializer(serializers.ModelSerializer):
    """A recommendation with its verdict and evidence figures as the dashboard has
    them (progress.annotate_evidence, methodology v2): attributes views.py sets."""

    url = identity("recommendation-detail", "code")
    framework = link("framework-detail", "code")
    framework_code = serializers.CharField(source="framework.code", read_only=True)
    status = serializers.ChoiceField(
        choices=Assessment.Status.choices,
        allow_null=True,
        read_only=True,
        help_text="The latest published assessment's status (null before any).",
    )
    status_date = serializers.DateField(
        allow_null=True, read_only=True, help_text="The latest assessment's date."
    )
    current_assessment = serializers.SerializerMethodField()
    advancing = serializers.IntegerField(read_only=True, help_text="Counted advancing links.")
    hindering = serializers.IntegerField(read_only=True, help_text="Counted hindering links.")
    balance = serializers.SerializerMethodField(help_text="The net score: the links' points.")
    last_evidence = serializers.DateField(allow_null=True, read_only=True)
    links_since_assessment = serializers.IntegerField(
        read_only=True, help_text="Counted links dated after the latest assessment."
    )
    balance_since_assessment = serializers.SerializerMethodField(help_text="Their net score.")
    stale = serializers.SerializerMethodField(
        help_text="Assessed, and evidence has come since: the dashboard's staleness flag."
    )
    evidence = serializers.SerializerMethodField(help_text="Its evidence links.")
    assessments = serializers.SerializerMethodField(help_text="Its assessment history.")
    report_url = ReportURL()

    class Meta:
        model = Recommendation
        fields = (
            "url",
            "code",
            "framework",
            "framework_code",
            "ordinal",
            "title",
            "text",
            "elaboration",
            "status",
            "status_date",
            "current_assessment",
            "advancing",
            "hindering",
            "balance",
            "last_evidence",
            "links_since_assessment",
            "balance_since_assessment",
            "stale",
            "evidence",
            "assessments",
            "report_url",
        )

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_current_assessment(self, recommendation) -> str | None:
        return api_url(self, "assessment-detail", recommendation.current_assessment_id)

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_balance(self, recommendation) -> float:
        return methodology.as_number(recommendation.net_score)

    @extend_schema_field(OpenApiTypes.NUMBER)
    def get_balance_since_assessment(self, recommendation) -> float:
        return methodology.as_number(recommendation.balance_since_assessment)

    def get_stale(self, recommendation) -> bool:
        return bool(recommendation.status and recommendation.links_since_assessment)

    @extend_schema_field(OpenApiTypes.URI)
    def get_evidence(self, recommendation) -> str:
        return list_url(self, "evidence-list", recommendation=recommendation.code)

    @extend_schema_field(OpenApiTypes.URI)
    def get_assessments(self, recommendation) -> str:
        return list_url(self, "assessment-list", recommendation=recommendation.code)


class ActorSerializer(serializers.ModelSerializer):
    url = identity("actor-detail", "code")
    developments = serializers.SerializerMethodField(help_text="The developments it took part in.")
    report_url = ReportURL()

    class Meta:
        model = Actor
        fields = ("url", "code", "name", "kind", "region", "developments", "report_url")

    @extend_schema_field(OpenApiTypes.URI)
    def get_developments(self, actor) -> str:
        return list_url(self, "development-list", actor=actor.code)


class ActorBriefSerializer(serializers.ModelSerializer):
    url = identity("actor-detail", "code")

    class Meta:
        model = Actor
        fields = ("url", "code", "name")


class CitationSerializer(serializers.ModelSerializer):
    source = link("source-detail", "key")
    source_key = serializers.CharField(source="source.key", read_only=True)

    class Meta:
        model = Citation
        fields = ("source", "source_key", "quote", "locator")


class EvidenceBriefSerializer(serializers.ModelSerializer):
    url = identity("evidence-detail", "pk")
    recommendation = link("recommendation-detail", "code")
    recommendation_code = serializers.CharField(source="recommendation.code", read_only=True)

    class Meta:
        model = Evidence
        fields = ("url", "recommendation", "recommendation_code", "stance", "strength", "points")


class DevelopmentSerializer(serializers.ModelSerializer):
    url = identity("development-detail", "pk")
    kind = serializers.CharField(source="kind.code", read_only=True)
    nature = serializers.ChoiceField(
        source="kind.nature", choices=DevelopmentKind.Nature.choices, read_only=True
    )
    date_display = serializers.CharField(read_only=True, help_text="e.g. '9–14 January 2023'.")
    follows = serializers.SerializerMethodField(
        help_text="The earlier (published) stage this one continues."
    )
    actors = ActorBriefSerializer(many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)
    evidence = EvidenceBriefSerializer(many=True, read_only=True)
    report_url = ReportURL()

    class Meta:
        model = Development
        fields = (
            "url",
            "id",
            "key",
            "date",
            "end_date",
            "precision",
            "date_display",
            "status",
            "kind",
            "nature",
            "title",
            "summary",
            "location",
            "follows",
            "follows_as",
            "actors",
            "citations",
            "evidence",
            "report_url",
        )

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_follows(self, development) -> str | None:
        # The earlier stage's id when it is published (views.py annotates it).
        return api_url(self, "development-detail", development.follows_published_id)


class EvidenceSerializer(serializers.ModelSerializer):
    url = identity("evidence-detail", "pk")
    development = link("development-detail", "pk")
    development_key = serializers.CharField(source="development.key", read_only=True)
    recommendation = link("recommendation-detail", "code")
    recommendation_code = serializers.CharField(source="recommendation.code", read_only=True)
    counted = serializers.SerializerMethodField(
        help_text="Whether it counts in today's figures (a later stage of its development's "
        "chain takes its place when it does not)."
    )

    class Meta:
        model = Evidence
        fields = (
            "url",
            "id",
            "development",
            "development_key",
            "recommendation",
            "recommendation_code",
            "stance",
            "strength",
            "confidence",
            "rationale",
            "points",
            "counted",
        )

    def get_counted(self, evidence) -> bool:
        return evidence.points is not None


class AssessmentSerializer(serializers.ModelSerializer):
    url = identity("assessment-detail", "pk")
    recommendation = link("recommendation-detail", "code")
    recommendation_code = serializers.CharField(source="recommendation.code", read_only=True)
    assessor = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = (
            "url",
            "id",
            "recommendation",
            "recommendation_code",
            "assessed_on",
            "status",
            "reason",
            "rationale",
            "assessor",
        )

    def get_assessor(self, assessment) -> str:
        return person_name(assessment.drafted_by or assessment.created_by)


class SnapshotSerializer(serializers.ModelSerializer):
    url = identity("snapshot-detail", "slug")
    taken_by = serializers.SerializerMethodField()
    report_url = ReportURL()

    class Meta:
        model = Snapshot
        fields: tuple[str, ...] = (
            "url",
            "slug",
            "title",
            "taken_at",
            "taken_by",
            "methodology",
            "report_url",
        )

    def get_taken_by(self, snapshot) -> str:
        return person_name(snapshot.taken_by)


class SnapshotDetailSerializer(SnapshotSerializer):
    """A snapshot with what it froze: the figures and every counted link."""

    figures = serializers.ListField(child=serializers.DictField(), read_only=True)
    links = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta(SnapshotSerializer.Meta):
        fields = (*SnapshotSerializer.Meta.fields, "figures", "links")
