from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core import views as core_views
from apps.notifications.views.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"), name="redoc"),
    path("api/v1/health/database/", core_views.DatabaseHealthView.as_view(), name="health-database"),
    path("api/v1/notifications/", include("apps.notifications.urls")),
    path("api/internal/v1/", include("apps.synchronization.urls")),
    path("api/v1/analytics/", include("apps.analytics.urls")),
    path("api/webhooks/", include("apps.notifications.views.receipts")),
    path("metrics", metrics_view, name="metrics"),
    # Last: whatever else is under /api/ is a JSON 404, with DEBUG on too.
    re_path(r"^api/(?P<path>.*)$", core_views.api_route_not_found),
]

# API clients get JSON in the documented error shape, never an HTML page.
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
