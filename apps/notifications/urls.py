from django.urls import path

from apps.notifications.views import catalog

urlpatterns = [
    path("catalog/", catalog.CatalogView.as_view(), name="catalog"),
    path("phases/", catalog.PhaseListView.as_view(), name="phase-list"),
    path("service-types/", catalog.ServiceTypeListView.as_view(), name="service-type-list"),
]
