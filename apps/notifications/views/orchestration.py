"""/api/v1/notifications/orchestration/: configs per (service type, target) and their channel matrix."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.core.constants import Target
from apps.core.filters import BooleanFilter, FilterSet
from apps.notifications.models import OrchestrationConfig, PhaseChannelConfig, ServicePhase
from apps.notifications.serializers.orchestration import (
    InitializePhasesOutputSerializer,
    MatrixUpdateInputSerializer,
    OrchestrationConfigCreateInputSerializer,
    OrchestrationConfigInputSerializer,
    OrchestrationConfigOutputSerializer,
)
from apps.notifications.services.orchestration import (
    orchestration_config_create,
    orchestration_config_delete,
    orchestration_config_update,
    orchestration_matrix_update,
    orchestration_phases_initialize,
)

TAG = "Orquestación"
# Actions that save a config, and those whose body carries a matrix (`matrix.<phase>.<channel>` errors).
_SAVE = ["create", "update", "partial_update"]
_MATRIX = ["create", "update_matrix"]

MATRIX_EXAMPLE = {
    "phase-schedule": {"email": True, "whatsapp": True, "push": False},
    "phase-reception": {"email": True, "whatsapp": True, "push": False},
    "phase-repair": {"email": False, "whatsapp": True, "push": True},
    "phase-quality": {"email": True, "whatsapp": True, "push": False},
    "phase-delivery": {"email": True, "whatsapp": True, "push": True},
}
CONFIG_EXAMPLE = {
    "id": "3b9e6f1a-2c4d-4e5f-8a9b-0c1d2e3f4a5b",
    "name": "Avería/Revisión · Clientes",
    "service_type": "averia-revision",
    "target": "clients",
    "is_active": True,
    "matrix": MATRIX_EXAMPLE,
    "created_at": "2026-01-20T09:15:00-05:00",
    "updated_at": "2026-01-20T09:30:00-05:00",
}
MATRIX_ERRORS = (
    "400 si una fase no existe o está inactiva (`attr`: `matrix.phase-x`), si un canal no es email, whatsapp ni "
    "push (`matrix.phase-repair.fax`) o si un valor no es true/false (`matrix.phase-repair.email`); se listan "
    "todos los errores."
)


class OrchestrationConfigFilter(FilterSet):
    service_type = django_filters.CharFilter(field_name="service_type__slug", label="Slug del tipo de servicio")
    target = django_filters.ChoiceFilter(choices=Target.choices, label="Destinatario")
    is_active = BooleanFilter(label="Activa")

    class Meta:
        model = OrchestrationConfig
        fields = ["service_type", "target", "is_active"]


@extend_schema_view(
    list=extend_schema(
        tags=[TAG],
        summary="Listar configuraciones de orquestación",
        description=(
            "Una configuración por (tipo de servicio principal, destinatario), con su matriz de canales por fase "
            "activa. Paginada. Filtros: `service_type` (slug), `target`, `is_active`."
        ),
        examples=[
            OpenApiExample(
                "Configuraciones",
                value={"count": 1, "next": None, "previous": None, "results": [CONFIG_EXAMPLE]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        tags=[TAG],
        summary="Ver una configuración de orquestación",
        description="La configuración y su matriz `{slug_de_fase: {canal: true|false}}`.",
        examples=[OpenApiExample("Configuración", value=CONFIG_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        tags=[TAG],
        summary="Crear una configuración de orquestación",
        description=(
            "Crea la configuración de un tipo de servicio principal y destinatario, con una fila por fase activa "
            "y canal (email y WhatsApp activos, push inactivo) y, encima, la `matrix` inicial si se envía "
            "(parcial). `name` es opcional. 400 `duplicate_config` si ya existe una para ese tipo y destinatario; "
            f"400 si el slug no es de un tipo principal. {MATRIX_ERRORS}"
        ),
        request=OrchestrationConfigCreateInputSerializer,
        responses={201: OrchestrationConfigOutputSerializer},
        examples=[
            OpenApiExample(
                "Con matriz inicial",
                summary="Con matriz inicial (elimine antes la existente)",
                description=(
                    "Los datos iniciales (`seed_initial_data`) ya crean una configuración para cada tipo principal "
                    "y destinatario, así que en una base recién cargada este ejemplo responde 400 "
                    "`duplicate_config` (con `existing_config_id`) hasta que elimine esa configuración: "
                    "`DELETE /api/v1/notifications/orchestration/{existing_config_id}/`. Desactivarla no basta."
                ),
                value={
                    "name": "Avalúo MG · Personal del taller",
                    "service_type": "avaluo-mg",
                    "target": "staff",
                    "matrix": {"phase-reception": {"whatsapp": False}, "phase-delivery": {"push": True}},
                },
                request_only=True,
            ),
            OpenApiExample("Creada", value=CONFIG_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    update=extend_schema(
        tags=[TAG],
        summary="Reemplazar una configuración de orquestación",
        description=(
            "Cambia nombre, tipo, destinatario y estado (`name` e `is_active` omitidos se conservan). La matriz "
            "no se cambia aquí (si llega, se ignora): use "
            "`update_matrix`. 400 `duplicate_config` si el nuevo (tipo, destinatario) ya tiene configuración."
        ),
        request=OrchestrationConfigInputSerializer,
        responses=OrchestrationConfigOutputSerializer,
        examples=[
            OpenApiExample(
                "Configuración",
                value={
                    "name": "Avería/Revisión · Clientes",
                    "service_type": "averia-revision",
                    "target": "clients",
                    "is_active": True,
                },
                request_only=True,
            ),
            OpenApiExample("Actualizada", value=CONFIG_EXAMPLE, response_only=True),
        ],
    ),
    partial_update=extend_schema(
        tags=[TAG],
        summary="Modificar una configuración de orquestación",
        description=(
            "Cambia solo los campos enviados (nombre, tipo, destinatario, estado). La matriz se cambia con "
            "`update_matrix`. 400 `duplicate_config` si el nuevo (tipo, destinatario) ya tiene configuración."
        ),
        request=OrchestrationConfigInputSerializer(partial=True),
        responses=OrchestrationConfigOutputSerializer,
        examples=[
            OpenApiExample("Desactivar", value={"is_active": False}, request_only=True),
            OpenApiExample("Modificada", value={**CONFIG_EXAMPLE, "is_active": False}, response_only=True),
        ],
    ),
    destroy=extend_schema(
        tags=[TAG],
        summary="Eliminar una configuración de orquestación",
        description=(
            "Elimina la configuración y su matriz. Sin configuración, los despachos de ese tipo y destinatario "
            "responden 422 `no_orchestration_config`; para pausarla sin perder la matriz, desactívela."
        ),
        responses={204: None},
    ),
)
@extend_validation_errors(["duplicate_config"], field_name="non_field_errors", actions=_SAVE)
@extend_validation_errors(["not_a_main_type"], field_name="service_type", actions=_SAVE)
@extend_validation_errors(["invalid"], field_name="matrix", actions=_MATRIX)
@extend_validation_errors(["does_not_exist", "invalid"], field_name="matrix.KEY", actions=_MATRIX)
@extend_validation_errors(["invalid_choice", "invalid"], field_name="matrix.KEY.KEY", actions=_MATRIX)
class OrchestrationConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = (
        OrchestrationConfig.objects.select_related("service_type")
        .prefetch_related(Prefetch("phase_channels", queryset=PhaseChannelConfig.objects.all()))
        .order_by("service_type__order", "service_type__slug", "target", "id")
    )
    serializer_class = OrchestrationConfigOutputSerializer
    filterset_class = OrchestrationConfigFilter

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["active_phases"] = list(ServicePhase.objects.filter(is_active=True).order_by("order", "slug"))
        return context

    def _fresh(self, config: OrchestrationConfig) -> OrchestrationConfig:
        # Re-read with its cells: the matrix may have changed since get_object() prefetched it.
        return self.get_queryset().get(pk=config.pk)

    def _output(self, config: OrchestrationConfig) -> dict:
        return OrchestrationConfigOutputSerializer(self._fresh(config), context=self.get_serializer_context()).data

    def create(self, request):
        data = OrchestrationConfigCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config = orchestration_config_create(**data.validated_data)
        return Response(self._output(config), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        config = self.get_object()
        data = OrchestrationConfigInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        config = orchestration_config_update(config=config, data=data.validated_data)
        return Response(self._output(config))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        orchestration_config_delete(config=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=[TAG],
        summary="Actualizar la matriz de canales",
        description=(
            "Cambia las celdas nombradas de la matriz `{slug_de_fase: {canal: true|false}}`; las que no se "
            "nombran quedan como están. Crea la fila de una celda que falte. Devuelve la configuración completa "
            f"con su matriz. {MATRIX_ERRORS}"
        ),
        request=MatrixUpdateInputSerializer,
        responses=OrchestrationConfigOutputSerializer,
        examples=[
            OpenApiExample(
                "Push en reparación y entrega",
                value={"matrix": {"phase-repair": {"push": True}, "phase-delivery": {"push": True}}},
                request_only=True,
            ),
            OpenApiExample("Configuración", value=CONFIG_EXAMPLE, response_only=True),
        ],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def update_matrix(self, request, pk=None):
        config = self.get_object()
        data = MatrixUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config = orchestration_matrix_update(config=config, matrix=data.validated_data["matrix"])
        return Response(self._output(config))

    @extend_schema(
        tags=[TAG],
        summary="Inicializar las fases",
        description=(
            "Crea las filas fase × canal que falten para cada fase activa, con los valores por defecto (email y "
            "WhatsApp activos, push inactivo); nunca cambia las existentes. Es idempotente: una segunda llamada "
            "devuelve `created: 0`. Útil tras agregar una fase. Sin cuerpo."
        ),
        request=None,
        responses=InitializePhasesOutputSerializer,
        examples=[OpenApiExample("Inicializada", value={"created": 3, "config": CONFIG_EXAMPLE}, response_only=True)],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def initialize_phases(self, request, pk=None):
        config = self.get_object()
        created = orchestration_phases_initialize(config=config)
        return Response(
            InitializePhasesOutputSerializer(
                {"created": created, "config": self._fresh(config)}, context=self.get_serializer_context()
            ).data
        )


router = SimpleRouter()
router.register("orchestration", OrchestrationConfigViewSet, basename="orchestration")
urlpatterns = router.urls
