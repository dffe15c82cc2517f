"""Vehicles, addressed by their external `vehicle_id`."""

import django_filters
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from apps.core.filters import BooleanFilter, FilterSet
from apps.notifications.models import Vehicle
from apps.notifications.serializers.customers import validation_error_example
from apps.notifications.serializers.vehicles import VehicleSerializer, VehicleUpdateSerializer
from apps.notifications.services.customers import (
    vehicle_create,
    vehicle_deactivate,
    vehicle_update,
    vehicles_with_plate,
)

TAG = "Vehículos"

VEHICLE_ID_PARAM = OpenApiParameter(
    "vehicle_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="ID externo del vehículo (servicio Core), p. ej. `vehicle-001`.",
)

VEHICLE_EXAMPLE = {
    "vehicle_id": "vehicle-001",
    "customer_id": "customer-001",
    "plate": "ABC1234",
    "brand": "Haval",
    "model": "H6",
    "year": 2024,
    "vin": "LGWEF6A59RH123456",
    "color": "Blanco",
    "mileage": 15200,
    "is_active": True,
    "description": "Haval H6 2024",
    "synced_at": None,
    "source_updated_at": None,
    "created_at": "2026-01-15T09:30:00-05:00",
    "updated_at": "2026-01-15T09:30:00-05:00",
}
VEHICLE_REQUEST_EXAMPLE = {
    "vehicle_id": "vehicle-001",
    "customer_id": "customer-001",
    "plate": "abc-1234",
    "brand": "Haval",
    "model": "H6",
    "year": 2024,
    "vin": "LGWEF6A59RH123456",
    "color": "Blanco",
    "mileage": 15200,
}


class VehicleFilter(FilterSet):
    customer_id = django_filters.CharFilter(field_name="customer__customer_id", label="customer_id del propietario")
    plate = django_filters.CharFilter(
        method="filter_plate", label="Placa (sin importar guiones, espacios o mayúsculas)"
    )
    is_active = BooleanFilter(label="Activo")

    class Meta:
        model = Vehicle
        fields = ["customer_id", "plate", "is_active"]

    def filter_plate(self, queryset, name, value):
        return vehicles_with_plate(queryset, value) if value.strip() else queryset


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Listar vehículos",
        description=(
            "Vehículos ordenados por `vehicle_id`. Filtros: `customer_id`, `plate` (se compara normalizada: "
            "`abc-1234` encuentra `ABC1234`) e `is_active`. Paginado."
        ),
        responses={200: VehicleSerializer(many=True)},
        examples=[OpenApiExample("Vehículos", value=VEHICLE_EXAMPLE, response_only=True)],
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Crear vehículo",
        description=(
            "Crea un vehículo de un cliente existente (`customer_id` desconocido → 400). La placa se guarda en "
            "mayúsculas sin espacios ni guiones; el VIN, si se envía, tiene 17 caracteres; el año va de 1900 "
            "al año actual + 1. `description` («Marca Modelo Año») es de solo lectura."
        ),
        request=VehicleSerializer,
        responses={201: VehicleSerializer},
        examples=[
            OpenApiExample("Nuevo vehículo", value=VEHICLE_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Creado", value=VEHICLE_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Cliente desconocido",
                value=validation_error_example(
                    "does_not_exist", "No existe un cliente con customer_id 'customer-999'.", "customer_id"
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
@extend_validation_errors(["invalid_plate"], field_name="plate", methods=["post"])
@extend_validation_errors(["max_value"], field_name="year", methods=["post"])
@extend_validation_errors(["invalid_vin"], field_name="vin", methods=["post"])
class VehicleListCreateView(ListAPIView):
    queryset = Vehicle.objects.select_related("customer").order_by("vehicle_id")
    serializer_class = VehicleSerializer
    filterset_class = VehicleFilter

    def post(self, request):
        serializer = VehicleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vehicle = vehicle_create(**serializer.validated_data)
        return Response(VehicleSerializer(vehicle).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Ver vehículo",
        description="Un vehículo por su `vehicle_id` externo (también los inactivos).",
        parameters=[VEHICLE_ID_PARAM],
        responses={200: VehicleSerializer},
        examples=[OpenApiExample("Vehículo", value=VEHICLE_EXAMPLE, response_only=True)],
    ),
    put=extend_schema(
        tags=[TAG],
        summary="Reemplazar vehículo",
        description=(
            "Reemplaza los datos del vehículo: los campos omitidos quedan vacíos (`is_active` solo cambia si se "
            "envía). El `vehicle_id` no cambia. Si cambia `customer_id` (venta del vehículo), sus recordatorios "
            "abiertos (pending, notified) pasan al nuevo propietario; los completados y cancelados quedan con el "
            "anterior."
        ),
        parameters=[VEHICLE_ID_PARAM],
        request=VehicleUpdateSerializer,
        responses={200: VehicleSerializer},
        examples=[
            OpenApiExample("Datos completos", value=VEHICLE_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Actualizado", value=VEHICLE_EXAMPLE, response_only=True),
        ],
    ),
    patch=extend_schema(
        tags=[TAG],
        summary="Actualizar vehículo (parcial)",
        description="Cambia solo los campos enviados (p. ej. el kilometraje). Mismas reglas que el reemplazo.",
        parameters=[VEHICLE_ID_PARAM],
        request=VehicleUpdateSerializer,
        responses={200: VehicleSerializer},
        examples=[
            OpenApiExample("Kilometraje", value={"mileage": 20150}, request_only=True),
            OpenApiExample("Actualizado", value=VEHICLE_EXAMPLE, response_only=True),
        ],
    ),
    delete=extend_schema(
        tags=[TAG],
        summary="Dar de baja vehículo",
        description=(
            "Baja lógica (`is_active=false`): el vehículo y su historial se conservan; sus recordatorios no se "
            'modifican y se reactiva con `PATCH {"is_active": true}`. Idempotente (204).'
        ),
        parameters=[VEHICLE_ID_PARAM],
        responses={204: None},
    ),
)
@extend_validation_errors(["immutable"], field_name="vehicle_id", methods=["put", "patch"])
@extend_validation_errors(["invalid_plate"], field_name="plate", methods=["put", "patch"])
@extend_validation_errors(["max_value"], field_name="year", methods=["put", "patch"])
@extend_validation_errors(["invalid_vin"], field_name="vin", methods=["put", "patch"])
class VehicleDetailView(GenericAPIView):
    serializer_class = VehicleSerializer
    queryset = Vehicle.objects.select_related("customer")
    lookup_field = "vehicle_id"

    def get(self, request, vehicle_id: str):
        return Response(VehicleSerializer(self.get_object()).data)

    def put(self, request, vehicle_id: str):
        return self._update(request, vehicle_id, partial=False)

    def patch(self, request, vehicle_id: str):
        return self._update(request, vehicle_id, partial=True)

    def delete(self, request, vehicle_id: str):
        vehicle_deactivate(vehicle=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, vehicle_id: str, *, partial: bool):
        vehicle = self.get_object()
        serializer = VehicleUpdateSerializer(vehicle, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        vehicle = vehicle_update(vehicle=vehicle, data=serializer.validated_data)
        return Response(VehicleSerializer(vehicle).data)


urlpatterns = [
    path("vehicles/", VehicleListCreateView.as_view(), name="vehicle-list"),
    path("vehicles/<str:vehicle_id>/", VehicleDetailView.as_view(), name="vehicle-detail"),
]
