"""Routes of /api/internal/v1/ (service-to-service, `X-Internal-Secret`)."""

from django.urls import path

from apps.synchronization import views

urlpatterns = [
    path("customers/sync/", views.CustomerSyncView.as_view(), name="internal-customers-sync"),
    path("vehicles/sync/", views.VehicleSyncView.as_view(), name="internal-vehicles-sync"),
    path("tasks/<uuid:task_id>/status/", views.TaskStatusView.as_view(), name="internal-task-status"),
]
