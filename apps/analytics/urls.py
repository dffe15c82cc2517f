"""Routes of /api/v1/analytics/."""

from django.urls import path

from apps.analytics import views

urlpatterns = [
    path("summary/", views.SummaryView.as_view(), name="analytics-summary"),
    path("recent/", views.RecentView.as_view(), name="analytics-recent"),
    path("health/", views.ChannelHealthView.as_view(), name="analytics-health"),
]
