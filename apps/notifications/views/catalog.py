import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.filters import BooleanFilter, FilterSet
from apps.notifications.models import ServicePhase, ServiceType
from apps.notifications.selectors import catalog_get
from apps.notifications.serializers.catalog import CatalogSerializer, PhaseSerializer, ServiceTypeSerializer

CATALOG_EXAMPLE = {
    "service_types": [
        {"slug": "mantenimiento-preventivo", "name": "Mantenimiento Preventivo", "icon": "Settings"},
        {
            "slug": "averia-revision",
            "name": "Avería/Revisión",
            "icon": "AlertTriangle",
            "subtypes": [
                {"slug": "averia-frenos", "name": "Frenos", "icon": "Circle"},
                {"slug": "averia-diagnostico", "name": "Diagnóstico", "icon": "Search"},
            ],
        },
    ],
    "phases": [
        {"slug": "phase-schedule", "name": "Agendar Cita", "icon": "Calendar", "order": 1},
        {"slug": "phase-reception", "name": "Recepción", "icon": "ClipboardCheck", "order": 2},
    ],
}


class CatalogView(APIView):
    @extend_schema(
        tags=["Catálogo"],
        summary="Catálogo de slugs",
        description=(
            "Tipos de servicio (con sus subtipos) y fases activos, con los slugs que se usan en "
            "`service_type_id`, `subtype_id` y `phase_id` al despachar un evento."
        ),
        responses=CatalogSerializer,
        examples=[OpenApiExample("Catálogo", value=CATALOG_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        return Response(catalog_get())


class PhaseFilter(FilterSet):
    is_active = BooleanFilter(label="Activa")

    class Meta:
        model = ServicePhase
        fields = ["is_active"]


@extend_schema_view(
    get=extend_schema(
        tags=["Catálogo"],
        summary="Fases de servicio",
        description="Las fases del flujo de servicio, en orden. Filtro: `is_active`.",
        examples=[
            OpenApiExample(
                "Fases",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "slug": "phase-schedule",
                            "name": "Agendar Cita",
                            "icon": "Calendar",
                            "order": 1,
                            "is_active": True,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
)
class PhaseListView(ListAPIView):
    queryset = ServicePhase.objects.order_by("order", "slug")
    serializer_class = PhaseSerializer
    filterset_class = PhaseFilter


class ServiceTypeFilter(FilterSet):
    main_only = BooleanFilter(field_name="parent", lookup_expr="isnull", label="Solo tipos principales")
    parent = django_filters.CharFilter(field_name="parent__slug", label="Slug del tipo principal")

    class Meta:
        model = ServiceType
        fields = ["is_active", "main_only", "parent"]


@extend_schema_view(
    get=extend_schema(
        tags=["Catálogo"],
        summary="Tipos de servicio y subtipos",
        description=(
            "Todos los tipos de servicio; cada tipo principal trae sus subtipos. Filtros: `is_active`, "
            "`main_only=true` (solo principales), `parent=<slug>` (subtipos de un tipo)."
        ),
        examples=[
            OpenApiExample(
                "Tipos",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "slug": "averia-revision",
                            "name": "Avería/Revisión",
                            "icon": "AlertTriangle",
                            "order": 2,
                            "is_active": True,
                            "parent": None,
                            "subtypes": [
                                {
                                    "slug": "averia-frenos",
                                    "name": "Frenos",
                                    "icon": "Circle",
                                    "order": 1,
                                    "is_active": True,
                                }
                            ],
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
)
class ServiceTypeListView(ListAPIView):
    queryset = (
        ServiceType.objects.select_related("parent")
        .prefetch_related("subtypes")
        .order_by("parent__order", "order", "slug")
    )
    serializer_class = ServiceTypeSerializer
    filterset_class = ServiceTypeFilter
