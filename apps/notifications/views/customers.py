"""Customers (by external `customer_id`), their channel preferences, vehicles and reminders.

Routes of vehicles/ and reminders/ live in their own modules and are included here.
"""

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.constants import ReminderStatus
from apps.core.filters import BooleanFilter, FilterSet
from apps.notifications.models import CustomerContactInfo, MaintenanceReminder, Vehicle
from apps.notifications.serializers.customers import (
    CustomerPreferencesSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    PreferencesUpdateSerializer,
    validation_error_example,
)
from apps.notifications.serializers.reminders import ReminderSerializer
from apps.notifications.serializers.vehicles import VehicleSerializer
from apps.notifications.services.customers import (
    customer_create,
    customer_deactivate,
    customer_preferences_payload,
    customer_preferences_update,
    customer_update,
)
from apps.notifications.views.reminders import REMINDER_EXAMPLE, reminder_queryset
from apps.notifications.views.vehicles import VEHICLE_EXAMPLE

TAG = "Clientes"

CUSTOMER_ID_PARAM = OpenApiParameter(
    "customer_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="ID externo del cliente (servicio Core), p. ej. `customer-001`.",
)

CUSTOMER_EXAMPLE = {
    "customer_id": "customer-001",
    "name": "Carlos Mendoza",
    "email": "carlos.mendoza@example.com",
    "phone": "+593991234567",
    "is_active": True,
    "is_placeholder": False,
    "synced_at": None,
    "source_updated_at": None,
    "created_at": "2026-01-15T09:30:00-05:00",
    "updated_at": "2026-01-15T09:30:00-05:00",
}
CUSTOMER_REQUEST_EXAMPLE = {
    "customer_id": "customer-001",
    "name": "Carlos Mendoza",
    "email": "carlos.mendoza@example.com",
    "phone": "0991234567",
}
PREFERENCES_EXAMPLE = {
    "customer_id": "customer-001",
    "is_default": False,
    "preferences": [
        {"channel": "whatsapp", "priority": 1, "enabled": True},
        {"channel": "email", "priority": 2, "enabled": True},
        {"channel": "push", "priority": 3, "enabled": False},
    ],
}


def get_customer(customer_id: str) -> CustomerContactInfo:
    return get_object_or_404(CustomerContactInfo, customer_id=customer_id)


class CustomerFilter(FilterSet):
    is_active = BooleanFilter(label="Activo (false: dados de baja)")
    is_placeholder = BooleanFilter(label="Provisional (creado por la sincronización de un vehículo)")
    search = django_filters.CharFilter(method="filter_search", label="Busca en customer_id, nombre, email y teléfono")
    has_phone = BooleanFilter(method="filter_has_phone", label="Con teléfono")
    has_email = BooleanFilter(method="filter_has_email", label="Con email")

    class Meta:
        model = CustomerContactInfo
        fields = ["is_active", "is_placeholder", "search", "has_phone", "has_email"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer_id__icontains=value)
            | Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(phone__icontains=value)
        )

    def filter_has_phone(self, queryset, name, value):
        return queryset.exclude(phone="") if value else queryset.filter(phone="")

    def filter_has_email(self, queryset, name, value):
        return queryset.exclude(email="") if value else queryset.filter(email="")


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Listar clientes",
        description=(
            "Clientes proyectados desde el servicio Core, ordenados por `customer_id`. Filtros: `is_active`, "
            "`is_placeholder`, `has_phone`, `has_email` y `search` (busca en customer_id, nombre, email y "
            "teléfono). Paginado con `page` y `page_size` (máximo 200)."
        ),
        responses={200: CustomerSerializer(many=True)},
        examples=[OpenApiExample("Clientes", value=CUSTOMER_EXAMPLE, response_only=True)],
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Crear cliente",
        description=(
            "Crea un cliente. El teléfono se valida y se guarda en E.164 (`0991234567` → `+593991234567`); "
            "un número inválido o un email inválido es un 400 que nombra el campo. Un `customer_id` repetido "
            "es un 400."
        ),
        request=CustomerSerializer,
        responses={201: CustomerSerializer},
        examples=[
            OpenApiExample("Nuevo cliente", value=CUSTOMER_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Creado", value=CUSTOMER_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Teléfono inválido",
                value=validation_error_example("invalid_phone", "'12345' no es un número de teléfono válido.", "phone"),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
@extend_validation_errors(["invalid_phone"], field_name="phone", methods=["post"])
class CustomerListCreateView(ListAPIView):
    queryset = CustomerContactInfo.objects.order_by("customer_id")
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def post(self, request):
        serializer = CustomerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_create(**serializer.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


_detail_params = [CUSTOMER_ID_PARAM]


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Ver cliente",
        description="Un cliente por su `customer_id` externo (también los inactivos).",
        parameters=_detail_params,
        responses={200: CustomerSerializer},
        examples=[OpenApiExample("Cliente", value=CUSTOMER_EXAMPLE, response_only=True)],
    ),
    put=extend_schema(
        tags=[TAG],
        summary="Reemplazar cliente",
        description=(
            "Reemplaza los datos del cliente: name, email y phone omitidos quedan vacíos; `is_active` solo "
            "cambia si se envía. El `customer_id` no cambia (si se envía, debe coincidir con el de la URL). "
            "Enviar nombre, email o teléfono completa un cliente provisional (`is_placeholder` pasa a false). "
            "Sin cuerpo es un 400 (`parse_error`) y no cambia nada."
        ),
        parameters=_detail_params,
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer},
        examples=[
            OpenApiExample(
                "Datos completos",
                value={"name": "Carlos Mendoza", "email": "carlos@example.com", "phone": "0991234567"},
                request_only=True,
            ),
            OpenApiExample("Actualizado", value=CUSTOMER_EXAMPLE, response_only=True),
        ],
    ),
    patch=extend_schema(
        tags=[TAG],
        summary="Actualizar cliente (parcial)",
        description=(
            "Cambia solo los campos enviados. `is_active: true` reactiva un cliente dado de baja. "
            "El teléfono se normaliza a E.164."
        ),
        parameters=_detail_params,
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer},
        examples=[
            OpenApiExample("Nuevo teléfono", value={"phone": "099 876 5432"}, request_only=True),
            OpenApiExample("Actualizado", value=CUSTOMER_EXAMPLE, response_only=True),
        ],
    ),
    delete=extend_schema(
        tags=[TAG],
        summary="Dar de baja cliente",
        description=(
            "Baja lógica: el cliente queda con `is_active=false`, deja de recibir notificaciones y conserva su "
            "historial (registros, despachos, analítica), sus vehículos, recordatorios y preferencias. "
            'Se reactiva con `PATCH {"is_active": true}` o con la sincronización de Core. Es idempotente: '
            "responde 204 también si ya estaba inactivo."
        ),
        parameters=_detail_params,
        responses={204: None},
    ),
)
@extend_validation_errors(["immutable"], field_name="customer_id", methods=["put", "patch"])
@extend_validation_errors(["invalid_phone"], field_name="phone", methods=["put", "patch"])
class CustomerDetailView(GenericAPIView):
    serializer_class = CustomerSerializer
    queryset = CustomerContactInfo.objects.all()
    lookup_field = "customer_id"

    def get(self, request, customer_id: str):
        return Response(CustomerSerializer(self.get_object()).data)

    def put(self, request, customer_id: str):
        return self._update(request, customer_id, partial=False)

    def patch(self, request, customer_id: str):
        return self._update(request, customer_id, partial=True)

    def delete(self, request, customer_id: str):
        customer_deactivate(customer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, customer_id: str, *, partial: bool):
        customer = self.get_object()
        if not partial and not request.body:
            # Every field of a PUT is optional, so an empty request would clear the customer's data.
            raise ParseError("Falta el cuerpo: envíe el cliente como objeto JSON.")
        serializer = CustomerUpdateSerializer(customer, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, data=serializer.validated_data)
        return Response(CustomerSerializer(customer).data)


class CustomerPreferencesView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Preferencias de canal del cliente",
        description=(
            "Los canales del cliente ordenados por prioridad (1 primero) y si están habilitados. Si el cliente "
            "no definió preferencias, devuelve las de `DEFAULT_CHANNEL_PRIORITY` (todas habilitadas) con "
            "`is_default: true`."
        ),
        parameters=[CUSTOMER_ID_PARAM],
        responses={200: CustomerPreferencesSerializer},
        examples=[
            OpenApiExample("Preferencias propias", value=PREFERENCES_EXAMPLE, response_only=True),
            OpenApiExample(
                "Por defecto",
                value={
                    "customer_id": "customer-002",
                    "is_default": True,
                    "preferences": [
                        {"channel": "whatsapp", "priority": 1, "enabled": True},
                        {"channel": "email", "priority": 2, "enabled": True},
                        {"channel": "push", "priority": 3, "enabled": True},
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request, customer_id: str):
        return Response(customer_preferences_payload(customer=get_customer(customer_id)))


@extend_validation_errors(["duplicate"], field_name="preferences.INDEX.channel")
@extend_validation_errors(["duplicate"], field_name="preferences.INDEX.priority")
@extend_validation_errors(["duplicate_channel"], field_name="non_field_errors")
class CustomerPreferencesUpdateView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Actualizar preferencias de canal",
        description=(
            "Reemplaza todas las preferencias del cliente, de forma atómica. Cada elemento: `channel` "
            "(email, whatsapp, push), `priority` (entero positivo, 1 es la más alta) y `enabled` (por defecto "
            "true). Canales y prioridades no se repiten. La lista manda: las prioridades se renumeran 1..n "
            "conservando su orden, y **todo canal que no aparece queda deshabilitado** (se guarda al final, "
            "con `enabled: false`). Para no recibir nada, envíe los canales con `enabled: false`; la lista "
            "vacía es un 400. Responde como `GET preferences/`."
        ),
        parameters=[CUSTOMER_ID_PARAM],
        request=PreferencesUpdateSerializer,
        responses={200: CustomerPreferencesSerializer},
        examples=[
            OpenApiExample(
                "WhatsApp y luego email",
                value={
                    "preferences": [
                        {"channel": "whatsapp", "priority": 1, "enabled": True},
                        {"channel": "email", "priority": 2, "enabled": True},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample("Resultado (push queda deshabilitado)", value=PREFERENCES_EXAMPLE, response_only=True),
            OpenApiExample(
                "Canal repetido",
                value=validation_error_example("duplicate", "El canal 'email' está repetido.", "preferences.1.channel"),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, customer_id: str):
        customer = get_customer(customer_id)
        serializer = PreferencesUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_preferences_update(customer=customer, preferences=serializer.validated_data["preferences"])
        return Response(customer_preferences_payload(customer=customer))


class CustomerVehicleFilter(FilterSet):
    is_active = BooleanFilter(label="Activo")

    class Meta:
        model = Vehicle
        fields = ["is_active"]


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Vehículos del cliente",
        description="Los vehículos del cliente, por `vehicle_id`. Filtro: `is_active`. Paginado.",
        parameters=[CUSTOMER_ID_PARAM],
        responses={200: VehicleSerializer(many=True)},
        examples=[OpenApiExample("Vehículos", value=VEHICLE_EXAMPLE, response_only=True)],
    )
)
class CustomerVehicleListView(ListAPIView):
    serializer_class = VehicleSerializer
    filterset_class = CustomerVehicleFilter
    queryset = Vehicle.objects.none()  # for the schema; the real one depends on the URL

    def get_queryset(self):
        customer = get_customer(self.kwargs["customer_id"])
        return Vehicle.objects.filter(customer=customer).select_related("customer").order_by("vehicle_id")


class CustomerReminderFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReminderStatus.choices, label="Estado (repetible)")

    class Meta:
        model = MaintenanceReminder
        fields = ["status"]


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Recordatorios del cliente",
        description=(
            "Los recordatorios de mantenimiento del cliente, por fecha límite. Filtro: `status` (se puede "
            "repetir: `?status=pending&status=notified`). Paginado."
        ),
        parameters=[CUSTOMER_ID_PARAM],
        responses={200: ReminderSerializer(many=True)},
        examples=[OpenApiExample("Recordatorios", value=REMINDER_EXAMPLE, response_only=True)],
    )
)
class CustomerReminderListView(ListAPIView):
    serializer_class = ReminderSerializer
    filterset_class = CustomerReminderFilter
    queryset = MaintenanceReminder.objects.none()

    def get_queryset(self):
        customer = get_customer(self.kwargs["customer_id"])
        return reminder_queryset().filter(customer=customer)


urlpatterns = [
    path("customers/", CustomerListCreateView.as_view(), name="customer-list"),
    path("customers/<str:customer_id>/", CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<str:customer_id>/preferences/", CustomerPreferencesView.as_view(), name="customer-preferences"),
    path(
        "customers/<str:customer_id>/update_preferences/",
        CustomerPreferencesUpdateView.as_view(),
        name="customer-update-preferences",
    ),
    path("customers/<str:customer_id>/vehicles/", CustomerVehicleListView.as_view(), name="customer-vehicles"),
    path("customers/<str:customer_id>/reminders/", CustomerReminderListView.as_view(), name="customer-reminders"),
    path("", include("apps.notifications.views.vehicles")),
    path("", include("apps.notifications.views.reminders")),
]
