from django.urls import path

from tracker import feeds, views

app_name = "tracker"

urlpatterns = [
    path("", views.home, name="dashboard"),
    path("frameworks/<slug:code>/", views.framework_dashboard, name="framework-dashboard"),
    path("methodology/", views.methodology, name="methodology"),
    path("developments/", views.DevelopmentListView.as_view(), name="development-list"),
    path("developments/<int:pk>/", views.development_detail, name="development-detail"),
    path("developments/feed/", views.report(feeds.LatestDevelopmentsFeed()), name="feed"),
    path("actors/", views.ActorListView.as_view(), name="actor-list"),
    path("actors/<str:code>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("reports/matrix/", views.matrix, name="matrix"),
    path("timeline/", views.timeline, name="timeline"),
    path("changes/", views.changes, name="changes"),
    path("changes/feed/", views.report(feeds.CorrectionsFeed()), name="changes-feed"),
    path("snapshots/", views.snapshot_list, name="snapshot-list"),
    path("snapshots/<slug:slug>/", views.snapshot_detail, name="snapshot-detail"),
    path(
        "recommendations/<str:code>/feed/",
        views.report(feeds.RecommendationEvidenceFeed()),
        name="recommendation-feed",
    ),
    path(
        "recommendations/<str:code>/",
        views.RecommendationDetailView.as_view(),
        name="recommendation-detail",
    ),
]
