"""List filters for the change lists: developments by recommendation and by stance,
and actors by name (as the explorer lists them)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef

from tracker.models import Evidence, Recommendation


class ActorListFilter(admin.RelatedOnlyFieldListFilter):
    """The actors the listed rows name, sorted by name as the explorer's filter sorts
    them (the actors' own change list sorts by code, which the default would follow)."""

    def field_admin_ordering(self, field, request, model_admin):
        return ("name", "code")


class RecommendationListFilter(admin.SimpleListFilter):
    """Developments that are evidence for a recommendation."""

    title = "recommendation"
    parameter_name = "recommendation"

    def lookups(self, request, model_admin):
        return [(r.code, str(r)) for r in Recommendation.objects.select_related("framework")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Exists(
                    Evidence.objects.filter(
                        development=OuterRef("pk"), recommendation__code=self.value()
                    )
                )
            )
        return queryset


class StanceListFilter(admin.SimpleListFilter):
    """Developments with evidence of a stance, for the chosen recommendation if any."""

    title = "stance"
    parameter_name = "stance"

    def __init__(self, request, params, model, model_admin):
        # Read before the base class pops this filter's own parameter.
        recommendation = params.get(RecommendationListFilter.parameter_name)
        self.recommendation = recommendation[-1] if isinstance(recommendation, list) else None
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return Evidence.Stance.choices

    def queryset(self, request, queryset):
        if self.value() not in Evidence.Stance.values:
            return queryset
        evidence = Evidence.objects.filter(development=OuterRef("pk"), stance=self.value())
        if self.recommendation:
            evidence = evidence.filter(recommendation__code=self.recommendation)
        return queryset.filter(Exists(evidence))
