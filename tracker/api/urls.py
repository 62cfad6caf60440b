"""The API's URLs: /api/v1/ (one list and one detail URL per record type), the open
data package at /api/v1/datapackage.zip, the OpenAPI schema at /api/schema/ and its
docs page at /api/docs/."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tracker.api import views
from tracker.api.datapackage import DataPackageDownload

app_name = "api"


class Router(DefaultRouter):
    APIRootView = views.Root
    include_format_suffixes = False  # JSON only: no `.json` twin of every URL


router = Router()
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("developments", views.DevelopmentViewSet, basename="development")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("sources", views.SourceViewSet, basename="source")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")

urlpatterns = [
    path("v1/datapackage.zip", DataPackageDownload.as_view(), name="datapackage"),
    path("v1/", include(router.urls)),
    path("schema/", views.Schema.as_view(), name="schema"),
    path("docs/", views.Docs.as_view(url_name="api:schema"), name="docs"),
]
