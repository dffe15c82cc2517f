"""Internal sync webhooks of the Core service (`X-Internal-Secret`) and the status of their tasks."""

import logging

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from drf_standardized_errors.openapi_serializers import ErrorResponse401Serializer
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.authentication import InternalSecretAuthentication
from apps.core.permissions import IsInternalService
from apps.core.request_body import request_body_read
from apps.synchronization.models import SyncBatch
from apps.synchronization.serializers import (
    MAX_BATCH_ITEMS,
    CustomerSyncBatchSerializer,
    CustomerSyncItemSerializer,
    SyncAcceptedSerializer,
    TaskStatusSerializer,
    VehicleSyncBatchSerializer,
    VehicleSyncItemSerializer,
)
from apps.synchronization.services import sync_batch_accept, sync_task_status
from apps.synchronization.validation import sync_items_validate

logger = logging.getLogger(__name__)

TAG = "Sincronización interna"

SEED_CUSTOMER_EXAMPLE = {
    "customer_id": "customer-001",
    "name": "Carlos Mendoza",
    "email": "carlos@example.com",
    "phone": "+593991234567",
}
CUSTOMER_BATCH_EXAMPLE = {
    "customers": [
        {**SEED_CUSTOMER_EXAMPLE, "is_active": True, "updated_at": "2026-01-20T09:15:00-05:00"},
        {
            "customer_id": "customer-002",
            "name": "María Torres",
            "email": "maria@example.com",
            "phone": "0987654321",
            "updated_at": "2026-01-20T09:16:00-05:00",
        },
    ]
}
VEHICLE_EXAMPLE = {
    "vehicle_id": "vehicle-001",
    "customer_id": "customer-001",
    "plate": "ABC1234",
    "brand": "Haval",
    "model": "H6",
    "year": 2024,
    "vin": "LGWEF4A59RH123456",
    "color": "Blanco",
    "mileage": 15000,
    "is_active": True,
    "updated_at": "2026-01-20T09:15:00-05:00",
}
VEHICLE_BATCH_EXAMPLE = {
    "vehicles": [
        VEHICLE_EXAMPLE,
        {"vehicle_id": "vehicle-002", "customer_id": "customer-002", "plate": "PBX-0456", "brand": "Chevrolet"},
    ]
}
ACCEPTED_EXAMPLE = {"task_id": "0b6f0a57-3c5e-4a0e-9d55-2f1d8c7e4b21", "status": "accepted", "count": 1}

_ERRORS = {
    401: OpenApiResponse(
        ErrorResponse401Serializer,
        description="Falta `X-Internal-Secret`, no es válido o el servidor no tiene INTERNAL_API_SECRET_KEY.",
    ),
}


def _bad_item_example(attr: str, code: str, detail: str) -> OpenApiExample:
    return OpenApiExample(
        f"Error en {attr}",
        value={"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]},
        response_only=True,
        status_codes=["400"],
    )


def _sync_schema(*, noun: str, batch_key: str, single, batch, examples: list[OpenApiExample], extra: str):
    return extend_schema(
        tags=[TAG],
        summary=f"Sincronizar {noun} desde el servicio Core",
        description=(
            f'Proyecta {noun} del servicio Core. El cuerpo es un elemento o `{{"{batch_key}": [...]}}` con 1 a '
            f"{MAX_BATCH_ITEMS} elementos. Todo se valida antes de encolar: un error es un 400 cuyo `attr` nombra "
            f"el elemento y el campo (p. ej. `{batch_key}.3.{'phone' if batch_key == 'customers' else 'year'}`) y "
            "entonces no se guarda ni se encola nada; un mismo ID repetido en el lote también es un 400. "
            "Aceptado el lote, responde 202 con el `task_id` y la cola `sync` hace el upsert en bloque. "
            "Los campos que un elemento no envía conservan su valor guardado. Si el elemento trae `updated_at` y es "
            "anterior al que ya está guardado, se ignora (se cuenta en `skipped_stale`). "
            f"{extra} Si el broker no responde, el lote queda guardado como pendiente, la respuesta sigue siendo "
            "202 y el barrido `relay_pending_notifications` (cada minuto) lo encola cuando el broker vuelve. "
            "Autenticación: cabecera `X-Internal-Secret`."
        ),
        request=PolymorphicProxySerializer(
            component_name=f"{batch_key.capitalize().rstrip('s')}Sync",
            serializers=[single, batch],
            resource_type_field_name=None,
        ),
        responses={202: SyncAcceptedSerializer, **_ERRORS},
        examples=[
            *examples,
            OpenApiExample("Aceptado", value=ACCEPTED_EXAMPLE, response_only=True, status_codes=["202"]),
        ],
    )


class _SyncView(APIView):
    authentication_classes = [InternalSecretAuthentication]
    permission_classes = [IsInternalService]
    kind: str

    def post(self, request):
        request_body_read(request._request, limit=settings.SYNC_MAX_BODY_BYTES, setting="SYNC_MAX_BODY_BYTES")
        items = sync_items_validate(request.data, batch_key=self.kind)
        batch = sync_batch_accept(kind=self.kind, items=items)
        logger.info("sync batch %s accepted: %s, %d items, task %s", batch.id, self.kind, len(items), batch.task_id)
        return Response(
            {"task_id": str(batch.task_id), "status": "accepted", "count": len(items)},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/internal/v1/tasks/{batch.task_id}/status/"},
        )


@extend_validation_errors(["invalid"], field_name="non_field_errors")
@extend_validation_errors(["invalid_phone"], field_name="phone")
@extend_validation_errors(["invalid_phone"], field_name="customers.INDEX.phone")
@extend_validation_errors(["duplicate"], field_name="customers.INDEX.customer_id")
@extend_validation_errors(["date_out_of_range"], field_name="updated_at")
@extend_validation_errors(["date_out_of_range"], field_name="customers.INDEX.updated_at")
class CustomerSyncView(_SyncView):
    kind = SyncBatch.Kind.CUSTOMERS

    @_sync_schema(
        noun="clientes",
        batch_key="customers",
        single=CustomerSyncItemSerializer,
        batch=CustomerSyncBatchSerializer,
        extra=(
            "El teléfono se guarda en E.164 (`0991234567` → `+593991234567`); un número o un email inválido es un "
            "400. Un cliente provisional (creado por un vehículo) se completa y deja de ser provisional."
        ),
        examples=[
            OpenApiExample("Un cliente (ejemplo del seed)", value=SEED_CUSTOMER_EXAMPLE, request_only=True),
            OpenApiExample("Lote de clientes", value=CUSTOMER_BATCH_EXAMPLE, request_only=True),
            _bad_item_example("customers.1.phone", "invalid_phone", "'0912' no es un número de teléfono válido."),
        ],
    )
    def post(self, request):
        return super().post(request)


@extend_validation_errors(["invalid"], field_name="non_field_errors")
@extend_validation_errors(["invalid_plate"], field_name="plate")
@extend_validation_errors(["invalid_plate"], field_name="vehicles.INDEX.plate")
@extend_validation_errors(["invalid_vin"], field_name="vin")
@extend_validation_errors(["invalid_vin"], field_name="vehicles.INDEX.vin")
@extend_validation_errors(["max_value"], field_name="year")
@extend_validation_errors(["max_value"], field_name="vehicles.INDEX.year")
@extend_validation_errors(["duplicate"], field_name="vehicles.INDEX.vehicle_id")
@extend_validation_errors(["date_out_of_range"], field_name="updated_at")
@extend_validation_errors(["date_out_of_range"], field_name="vehicles.INDEX.updated_at")
class VehicleSyncView(_SyncView):
    kind = SyncBatch.Kind.VEHICLES

    @_sync_schema(
        noun="vehículos",
        batch_key="vehicles",
        single=VehicleSyncItemSerializer,
        batch=VehicleSyncBatchSerializer,
        extra=(
            "La placa se guarda en mayúsculas sin separadores (`pbx-0456` → `PBX0456`). Si el `customer_id` del "
            "propietario no existe todavía, se crea un cliente provisional (`is_placeholder`, sin nombre) que "
            "completa una sincronización de clientes posterior."
        ),
        examples=[
            OpenApiExample("Un vehículo", value=VEHICLE_EXAMPLE, request_only=True),
            OpenApiExample("Lote de vehículos", value=VEHICLE_BATCH_EXAMPLE, request_only=True),
            _bad_item_example("vehicles.0.year", "min_value", "Asegúrese de que este valor es mayor o igual a 1900."),
        ],
    )
    def post(self, request):
        return super().post(request)


class TaskStatusView(APIView):
    authentication_classes = [InternalSecretAuthentication]
    permission_classes = [IsInternalService]

    @extend_schema(
        tags=[TAG],
        summary="Estado de una tarea de sincronización",
        description=(
            "Estado de la tarea según el backend de resultados de Celery: `PENDING` (en cola o aún sin empezar), "
            "`STARTED`, `SUCCESS` (con los conteos en `result`), `FAILURE` o `RETRY` (con el motivo en `error`). "
            "Como en Celery, un `task_id` desconocido también es `PENDING`: este endpoint no distingue una tarea "
            "que no existe de una que todavía espera. Si el resultado ya caducó en el backend, el estado del lote "
            "guardado responde por él."
        ),
        responses={200: TaskStatusSerializer, 401: _ERRORS[401]},
        examples=[
            OpenApiExample(
                "Terminada",
                value={
                    "task_id": ACCEPTED_EXAMPLE["task_id"],
                    "status": "SUCCESS",
                    "result": {
                        "created": 1,
                        "updated": 0,
                        "unchanged": 0,
                        "skipped_stale": 0,
                        "placeholders_created": 0,
                        "placeholders_filled": 0,
                    },
                    "error": None,
                },
                response_only=True,
            ),
            OpenApiExample(
                "Pendiente o desconocida",
                value={"task_id": ACCEPTED_EXAMPLE["task_id"], "status": "PENDING", "result": None, "error": None},
                response_only=True,
            ),
        ],
    )
    def get(self, request, task_id):
        return Response(sync_task_status(task_id=str(task_id)))
