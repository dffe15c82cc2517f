import logging

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.models import APIKey

from apps.core.openapi import ApplicationErrorResponseSerializer
from apps.notifications.models import Dispatch
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE
from apps.notifications.serializers.dispatch import (
    DispatchAcceptedSerializer,
    DispatchDetailSerializer,
    DispatchInputSerializer,
    dispatch_accepted_body,
)
from apps.notifications.services import idempotency
from apps.notifications.services.dispatch import dispatch_accept

logger = logging.getLogger(__name__)

ACCEPTED_EXAMPLE = {
    "dispatch_id": "6f1c2f0e-8d1a-4f7e-9a57-0b8f0f3f2a11",
    "status": "queued",
    "event_type": "appointment_scheduled",
    "channel_plan": ["whatsapp", "email"],
    "notifications": [{"id": "0c7d3e38-7f55-4c38-a3a5-1d3b1f6c9e20", "channel": "whatsapp", "status": "queued"}],
    "excluded_channels": [
        {"channel": "push", "code": "channel_disabled", "detail": "Push está deshabilitado en esta fase."}
    ],
    "created_at": "2026-01-20T09:15:00-05:00",
}

# GET dispatches/{id}/: a WhatsApp message read by the customer, and a WhatsApp failure that fell back to email.
_NOTIFICATION_READ = {
    "id": "0c7d3e38-7f55-4c38-a3a5-1d3b1f6c9e20",
    "channel": "whatsapp",
    "status": "read",
    "attempts": 1,
    "error": None,
    "error_kind": "",
    "error_code": "",
    "recipient": "+593******567",
    "provider_message_id": "3EB0C767D26A1D5A8F3B",
    "fallback_from": None,
    "next_attempt_at": None,
    "queued_at": "2026-01-20T09:15:00-05:00",
    "sent_at": "2026-01-20T09:15:02-05:00",
    "delivered_at": "2026-01-20T09:15:04-05:00",
    "read_at": "2026-01-20T09:21:37-05:00",
    "failed_at": None,
}
_NOTIFICATION_FAILED = {
    "id": "4b82f3a7-cb57-4c9b-83b1-9823ef710ca8",
    "channel": "whatsapp",
    "status": "failed",
    "attempts": 1,
    "error": "El número +593******567 no tiene WhatsApp.",
    "error_kind": "permanent",
    "error_code": "not_on_whatsapp",
    "recipient": "+593******567",
    "provider_message_id": "",
    "fallback_from": None,
    "next_attempt_at": None,
    "queued_at": "2026-01-20T09:15:00-05:00",
    "sent_at": None,
    "delivered_at": None,
    "read_at": None,
    "failed_at": "2026-01-20T09:15:02-05:00",
}
_NOTIFICATION_FALLBACK = {
    "id": "b7f916de-eb0b-4670-8c91-dd1c8cbe2880",
    "channel": "email",
    "status": "sent",
    "attempts": 1,
    "error": None,
    "error_kind": "",
    "error_code": "",
    "recipient": "c***@example.com",
    "provider_message_id": "<b7f916de-eb0b-4670-8c91-dd1c8cbe2880@notificaciones.ambacar.ec>",
    "fallback_from": _NOTIFICATION_FAILED["id"],
    "next_attempt_at": None,
    "queued_at": "2026-01-20T09:15:02-05:00",
    "sent_at": "2026-01-20T09:15:03-05:00",
    "delivered_at": None,
    "read_at": None,
    "failed_at": None,
}
_DISPATCH_DETAIL = {
    "dispatch_id": ACCEPTED_EXAMPLE["dispatch_id"],
    "status": "read",
    "event_type": "appointment_scheduled",
    "service_type": "mantenimiento-preventivo",
    "subtype": None,
    "phase": "phase-schedule",
    "target": "clients",
    "customer_id": "customer-001",
    "channel_plan": ["whatsapp", "email"],
    "notifications": [_NOTIFICATION_READ],
    "created_at": "2026-01-20T09:15:00-05:00",
    "completed_at": "2026-01-20T09:15:02-05:00",
}
DISPATCH_DETAIL_EXAMPLES = [
    OpenApiExample("Leído por WhatsApp", value=_DISPATCH_DETAIL, response_only=True),
    OpenApiExample(
        "Email de respaldo tras fallar WhatsApp",
        value={
            **_DISPATCH_DETAIL,
            "dispatch_id": "92d7742a-0ba8-4f13-ad7a-205efea66370",
            "status": "sent",
            "notifications": [_NOTIFICATION_FAILED, _NOTIFICATION_FALLBACK],
            "completed_at": "2026-01-20T09:15:03-05:00",
        },
        response_only=True,
    ),
]


def _client_error(code: str, detail: str, attr: str | None = None, *more: dict, **extra) -> dict:
    """An ApplicationError body as the API returns it (apps.core.exception_handler)."""
    return {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": attr}, *more], **extra}


# POST events/dispatch/: the 409 and 422 answers, for the seed's request example (customer-001).
DISPATCH_ERROR_EXAMPLES = [
    OpenApiExample(
        "Ningún canal alcanzable",
        description="El cliente no tiene teléfono ni email y la matriz no habilita push en esta fase: un error "
        "por canal después del primero, con el canal en `attr`.",
        value=_client_error(
            "no_reachable_channel",
            "Ningún canal puede entregar esta notificación; vea el motivo de cada canal.",
            None,
            {"code": "unreachable", "detail": "El cliente no tiene teléfono.", "attr": "whatsapp"},
            {"code": "unreachable", "detail": "El cliente no tiene email.", "attr": "email"},
            {"code": "channel_disabled", "detail": "Push está deshabilitado en esta fase.", "attr": "push"},
        ),
        response_only=True,
        status_codes=["422"],
    ),
    OpenApiExample(
        "Cliente desconocido",
        value=_client_error(
            "unknown_customer",
            "El cliente 'customer-001' no existe o está inactivo; sincronícelo desde Core primero.",
            "customer_id",
        ),
        response_only=True,
        status_codes=["422"],
    ),
    OpenApiExample(
        "Faltan variables",
        value=_client_error(
            "missing_variables",
            "Faltan variables en el contexto: Fecha, Hora, Vehículo, Placa.",
            "context",
            missing_variables=["Fecha", "Hora", "Vehículo", "Placa"],
        ),
        response_only=True,
        status_codes=["422"],
    ),
    OpenApiExample(
        "Idempotency-Key con otro cuerpo",
        value=_client_error(
            "idempotency_key_reused",
            "Esta Idempotency-Key ya se usó con otro cuerpo de petición; use una clave nueva.",
            "Idempotency-Key",
        ),
        response_only=True,
        status_codes=["422"],
    ),
    OpenApiExample(
        "Petición original en curso",
        value=_client_error(
            "idempotency_request_in_flight",
            "La petición original con esta Idempotency-Key aún se está procesando; reintente en un momento.",
            "Idempotency-Key",
        ),
        response_only=True,
        status_codes=["409"],
    ),
]


def _client_id(request) -> str:
    if isinstance(request.auth, APIKey):
        return f"key:{request.auth.prefix}"
    return f"user:{request.user.pk}"


@extend_validation_errors(["too_many_keys", "invalid", "max_length", "rendered_too_large"], field_name="context")
@extend_validation_errors(["invalid"], field_name="subtype_id")
@extend_validation_errors(["required"], field_name="non_field_errors")
@extend_validation_errors(["invalid_idempotency_key"], field_name="Idempotency-Key")
class DispatchView(APIView):
    @extend_schema(
        tags=["Eventos"],
        summary="Despachar una notificación por un evento del flujo de servicio",
        description=(
            "Elige los canales que la matriz habilita para la fase, los ordena por la preferencia del cliente, "
            "descarta los que no llegan (sin email, sin teléfono, sin suscripción push, canal no configurado, sin "
            "plantilla), renderiza las plantillas y guarda el despacho antes de encolarlo: responde 202 aunque el "
            "broker esté caído (un barrido lo envía después). Reglas: `customer_id` es obligatorio con "
            "`target: clients`; `subtype_id` debe ser un subtipo de `service_type_id`; el contexto admite 50 claves "
            "con valores de texto o número de hasta 1000 caracteres, y cada parte renderizada hasta 200 000 "
            "caracteres. Errores: 400 entrada mal formada (`rendered_too_large` si el mensaje renderizado excede el "
            "límite); 422 "
            "`unknown_customer`, `no_orchestration_config`, `no_channel_enabled`, `no_reachable_channel` (con el "
            "motivo de cada canal), `missing_variables` (las lista), `vehicle_customer_mismatch` (el `vehicle_id` del "
            "contexto es de otro cliente), `idempotency_key_reused`; 409 si la petición "
            "original con la misma `Idempotency-Key` sigue en curso. Con la misma `Idempotency-Key` y el mismo "
            "cuerpo (24 h) devuelve la respuesta original con `Idempotent-Replayed: true`."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Clave única por evento (p. ej. un UUID v4); hasta 255 caracteres.",
            )
        ],
        request=DispatchInputSerializer,
        responses={
            202: DispatchAcceptedSerializer,
            409: ApplicationErrorResponseSerializer,
            422: ApplicationErrorResponseSerializer,
        },
        examples=[
            OpenApiExample("Cita agendada (ejemplo del seed)", value=SEED_EXAMPLE, request_only=True),
            OpenApiExample("Aceptado", value=ACCEPTED_EXAMPLE, response_only=True, status_codes=["202"]),
            *DISPATCH_ERROR_EXAMPLES,
        ],
    )
    def post(self, request):
        def accept():
            serializer = DispatchInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            dispatch = dispatch_accept(data=serializer.to_input())
            return dispatch_accepted_body(dispatch), dispatch.id

        outcome = idempotency.idempotent_accept(
            client=_client_id(request),
            key=request.headers.get("Idempotency-Key"),
            payload=request.data,
            accept=accept,
        )
        if outcome.replayed:
            return Response(outcome.body, status=outcome.status, headers={"Idempotent-Replayed": "true"})
        body = outcome.body
        logger.info("dispatch %s accepted: plan=%s", body["dispatch_id"], ",".join(body["channel_plan"]))
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/notifications/dispatches/{body['dispatch_id']}/"},
        )


class DispatchDetailView(APIView):
    @extend_schema(
        tags=["Eventos"],
        summary="Estado de un despacho y de cada intento",
        description=(
            "El despacho (`queued`, `in_progress`, `sent`, `delivered`, `read`, `failed`) con cada canal intentado, "
            "en orden: estado, intentos, error, destinatario enmascarado, id del proveedor y marcas de tiempo. Una "
            "notificación que cae en las horas de silencio de su canal en el taller espera como `pending` (sin "
            "contar un intento) y sale sola en `next_attempt_at`, al terminar esas horas."
        ),
        responses=DispatchDetailSerializer,
        examples=DISPATCH_DETAIL_EXAMPLES,
    )
    def get(self, request, dispatch_id):
        dispatch = get_object_or_404(
            Dispatch.objects.select_related("service_type", "subtype", "phase", "customer"), id=dispatch_id
        )
        return Response(DispatchDetailSerializer(dispatch).data)


urlpatterns = [
    path("events/dispatch/", DispatchView.as_view(), name="event-dispatch"),
    path("dispatches/<uuid:dispatch_id>/", DispatchDetailView.as_view(), name="dispatch-detail"),
]
