"""Maintenance reminders (by UUID) and their completion."""

import django_filters
from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.constants import ReminderStatus
from apps.core.filters import FilterSet
from apps.notifications.models import MaintenanceReminder
from apps.notifications.serializers.customers import error_responses, validation_error_example
from apps.notifications.serializers.reminders import ReminderCompleteResponseSerializer, ReminderSerializer
from apps.notifications.services.reminders import reminder_complete, reminder_create, reminder_delete, reminder_update

TAG = "Recordatorios"

REMINDER_EXAMPLE = {
    "id": "6f1c2a9e-3b7d-4c1e-9a52-0d8e7f4b2c11",
    "vehicle_id": "vehicle-001",
    "customer_id": "customer-001",
    "reminder_type": "mantenimiento",
    "description": "Mantenimiento de los 20.000 km",
    "due_date": "2026-03-15",
    "due_mileage": 20000,
    "notify_days_before": 7,
    "recurrence_days": 180,
    "status": "pending",
    "last_notified_at": None,
    "notified_count": 0,
    "completed_at": None,
    "created_at": "2026-01-15T09:30:00-05:00",
    "updated_at": "2026-01-15T09:30:00-05:00",
}
REMINDER_REQUEST_EXAMPLE = {
    "vehicle_id": "vehicle-001",
    "reminder_type": "mantenimiento",
    "description": "Mantenimiento de los 20.000 km",
    "due_date": "2026-03-15",
    "due_mileage": 20000,
    "notify_days_before": 7,
    "recurrence_days": 180,
}


def reminder_queryset() -> QuerySet[MaintenanceReminder]:
    # NULL due dates last on every database, then a stable order for pagination.
    return MaintenanceReminder.objects.select_related("vehicle", "customer").order_by(
        F("due_date").asc(nulls_last=True), "created_at", "id"
    )


class ReminderFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReminderStatus.choices, label="Estado (repetible)")
    customer_id = django_filters.CharFilter(field_name="customer__customer_id", label="customer_id del cliente")
    vehicle_id = django_filters.CharFilter(field_name="vehicle__vehicle_id", label="vehicle_id del vehículo")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label="Fecha límite desde")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Fecha límite hasta")
    reminder_type = django_filters.CharFilter(field_name="reminder_type", label="Tipo")

    class Meta:
        model = MaintenanceReminder
        fields = ["status", "customer_id", "vehicle_id", "due_after", "due_before", "reminder_type"]


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Listar recordatorios",
        description=(
            "Recordatorios de mantenimiento por fecha límite (los que solo tienen kilometraje, al final). "
            "Filtros: `status` (repetible), `customer_id`, `vehicle_id`, `reminder_type`, `due_after` y "
            "`due_before` (AAAA-MM-DD, inclusivos). Paginado."
        ),
        responses={200: ReminderSerializer(many=True)},
        examples=[OpenApiExample("Recordatorios", value=REMINDER_EXAMPLE, response_only=True)],
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Crear recordatorio",
        description=(
            "Crea un recordatorio `pending` para un vehículo activo (`vehicle_id` desconocido o inactivo → 400); "
            "el cliente es el propietario del vehículo. Hace falta `due_date`, `due_mileage` o ambos (400 si "
            "no hay ninguno). `notify_days_before` vale 7 por defecto; con `recurrence_days`, al completarlo "
            "se crea el siguiente."
        ),
        request=ReminderSerializer,
        responses={201: ReminderSerializer},
        examples=[
            OpenApiExample("Nuevo recordatorio", value=REMINDER_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Creado", value=REMINDER_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Sin fecha ni kilometraje",
                value=validation_error_example(
                    "due_date_or_mileage_required",
                    "Indique la fecha límite (due_date), el kilometraje límite (due_mileage) o ambos.",
                    "due_date",
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
@extend_validation_errors(
    ["date_out_of_range", "due_date_or_mileage_required"], field_name="due_date", methods=["post"]
)
@extend_validation_errors(["invalid_status"], field_name="status", methods=["post"])
@extend_validation_errors(["inactive_vehicle"], field_name="vehicle_id", methods=["post"])
class ReminderListCreateView(ListAPIView):
    queryset = MaintenanceReminder.objects.none()
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter

    def get_queryset(self):
        return reminder_queryset()

    def post(self, request):
        serializer = ReminderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data.pop("status", None)  # a new reminder is always pending (the serializer allows nothing else)
        reminder = reminder_create(**data)
        return Response(ReminderSerializer(reminder).data, status=status.HTTP_201_CREATED)


_update_description = (
    "Reglas: un recordatorio completado ya no cambia (409 `reminder_completed`); `status` solo admite "
    "`pending` o `cancelled` (`completed` → 400 `use_complete_endpoint`, `notified` → 400 "
    "`invalid_status_transition`). Cambiar `due_date` o `due_mileage` de un recordatorio abierto reinicia su "
    "ciclo de avisos (vuelve a `pending`, `notified_count` 0). Cambiar `vehicle_id` cambia también el cliente."
)


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Ver recordatorio",
        description="Un recordatorio por su UUID.",
        responses={200: ReminderSerializer},
        examples=[OpenApiExample("Recordatorio", value=REMINDER_EXAMPLE, response_only=True)],
    ),
    put=extend_schema(
        tags=[TAG],
        summary="Reemplazar recordatorio",
        description=(
            "Reemplaza el recordatorio: los campos omitidos vuelven a su valor por defecto (`status` solo cambia "
            "si se envía). " + _update_description
        ),
        request=ReminderSerializer,
        responses={200: ReminderSerializer, **error_responses(409)},
        examples=[
            OpenApiExample("Datos completos", value=REMINDER_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Actualizado", value=REMINDER_EXAMPLE, response_only=True),
        ],
    ),
    patch=extend_schema(
        tags=[TAG],
        summary="Actualizar recordatorio (parcial)",
        description="Cambia solo los campos enviados. " + _update_description,
        request=ReminderSerializer,
        responses={200: ReminderSerializer, **error_responses(409)},
        examples=[
            OpenApiExample("Cancelar", value={"status": "cancelled"}, request_only=True),
            OpenApiExample("Nueva fecha", value={"due_date": "2026-04-01"}, request_only=True),
            OpenApiExample("Actualizado", value=REMINDER_EXAMPLE, response_only=True),
        ],
    ),
    delete=extend_schema(
        tags=[TAG],
        summary="Eliminar recordatorio",
        description=(
            "Elimina el recordatorio definitivamente (no tiene historial en otro lugar). Para conservarlo, "
            'cancélelo con `PATCH {"status": "cancelled"}`.'
        ),
        responses={204: None},
    ),
)
@extend_validation_errors(
    ["date_out_of_range", "due_date_or_mileage_required"], field_name="due_date", methods=["put", "patch"]
)
@extend_validation_errors(
    ["use_complete_endpoint", "invalid_status_transition"], field_name="status", methods=["put", "patch"]
)
@extend_validation_errors(["inactive_vehicle"], field_name="vehicle_id", methods=["put", "patch"])
class ReminderDetailView(GenericAPIView):
    serializer_class = ReminderSerializer
    queryset = MaintenanceReminder.objects.all()
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return reminder_queryset()

    def get(self, request, id):
        return Response(ReminderSerializer(self.get_object()).data)

    def put(self, request, id):
        return self._update(request, id, partial=False)

    def patch(self, request, id):
        return self._update(request, id, partial=True)

    def delete(self, request, id):
        reminder_delete(reminder=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, id, *, partial: bool):
        reminder = self.get_object()
        serializer = ReminderSerializer(reminder, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        reminder = reminder_update(reminder=reminder, data=serializer.validated_data)
        return Response(ReminderSerializer(reminder).data)


class ReminderCompleteView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Completar recordatorio",
        description=(
            "Marca el recordatorio como completado (`completed_at` = ahora). Si tiene `recurrence_days`, crea "
            "el siguiente recordatorio `pending` con el mismo tipo, descripción, aviso y recurrencia: su fecha "
            "límite es `due_date + recurrence_days`, o hoy + `recurrence_days` si esa fecha ya pasó o el "
            "recordatorio era solo por kilometraje; su `due_mileage` queda vacío (un kilometraje ya alcanzado "
            "no se repite). Sin cuerpo. Completar uno ya completado → 409 `reminder_already_completed`; uno "
            "cancelado → 409 `reminder_cancelled` (nunca se crea un segundo siguiente). 422 `date_out_of_range` si la "
            "siguiente fecha quedaría fuera del calendario."
        ),
        request=None,
        responses={200: ReminderCompleteResponseSerializer, **error_responses(409, 422)},
        examples=[
            OpenApiExample(
                "Completado con recurrencia",
                value={
                    "reminder": {
                        **REMINDER_EXAMPLE,
                        "status": "completed",
                        "completed_at": "2026-03-14T10:05:00-05:00",
                        "updated_at": "2026-03-14T10:05:00-05:00",
                    },
                    "next_reminder": {
                        **REMINDER_EXAMPLE,
                        "id": "0b9d7f3e-8a41-4d2b-b6f0-5c3a1e9d7b22",
                        "due_date": "2026-09-11",
                        "due_mileage": None,
                        "created_at": "2026-03-14T10:05:00-05:00",
                        "updated_at": "2026-03-14T10:05:00-05:00",
                    },
                },
                response_only=True,
            ),
            OpenApiExample(
                "Ya completado (409)",
                value={
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "reminder_already_completed",
                            "detail": "El recordatorio ya estaba completado.",
                            "attr": None,
                        }
                    ],
                },
                response_only=True,
                status_codes=["409"],
            ),
        ],
    )
    def post(self, request, id):
        reminder = get_object_or_404(MaintenanceReminder, pk=id)
        completed, next_reminder = reminder_complete(reminder=reminder)
        return Response(
            {
                "reminder": ReminderSerializer(completed).data,
                "next_reminder": ReminderSerializer(next_reminder).data if next_reminder else None,
            }
        )


urlpatterns = [
    path("reminders/", ReminderListCreateView.as_view(), name="reminder-list"),
    path("reminders/<uuid:id>/", ReminderDetailView.as_view(), name="reminder-detail"),
    path("reminders/<uuid:id>/complete/", ReminderCompleteView.as_view(), name="reminder-complete"),
]
