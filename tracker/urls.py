from django.urls import path

from tracker import views

app_name = "tracker"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("methodology/", views.methodology, name="methodology"),
    path("developments/", views.DevelopmentListView.as_view(), name="development-list"),
    path("developments/<int:pk>/", views.development_detail, name="development-detail"),
    path(
        "recommendations/<str:code>/",
        views.recommendation_detail,
        name="recommendation-detail",
    ),
]
