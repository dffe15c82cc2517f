"""GET /api/v1/analytics/summary/, recent/ and health/: read-only reports over the notification log."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics import selectors
from apps.analytics.serializers import (
    HealthSerializer,
    RecentNotificationSerializer,
    RecentQuerySerializer,
    RecentSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
)
from apps.core.authentication import ApiKeyAuthentication
from apps.core.filters import query_values
from apps.notifications.serializers.customers import error_responses, validation_error_example

TAG = "Analítica"

_COUNTERS_EXAMPLE = {
    "notifications": 0,
    "sent": 0,
    "delivered": 0,
    "read": 0,
    "failed": 0,
    "pending": 0,
    "fallbacks": 0,
    "success_rate": None,
}
SUMMARY_EXAMPLE = {
    "days": 7,
    "since": "2026-01-13T09:00:00-05:00",
    "until": "2026-01-20T09:00:00-05:00",
    "timezone": "America/Guayaquil",
    "totals": {
        "dispatches": 118,
        "notifications": 131,
        "sent": 120,
        "delivered": 97,
        "read": 61,
        "failed": 8,
        "pending": 3,
        "fallbacks": 13,
        "success_rate": 93.8,
    },
    "by_channel": {
        "email": {
            "notifications": 21,
            "sent": 19,
            "delivered": 0,
            "read": 0,
            "failed": 1,
            "pending": 1,
            "fallbacks": 12,
            "success_rate": 95.0,
        },
        "whatsapp": {
            "notifications": 110,
            "sent": 101,
            "delivered": 97,
            "read": 61,
            "failed": 7,
            "pending": 2,
            "fallbacks": 1,
            "success_rate": 93.5,
        },
        "push": _COUNTERS_EXAMPLE,
    },
    "daily": [
        {"date": "2026-01-13", "notifications": 9, "sent": 8, "failed": 1},
        {"date": "2026-01-14", "notifications": 22, "sent": 21, "failed": 1},
        {"date": "2026-01-15", "notifications": 25, "sent": 23, "failed": 2},
        {"date": "2026-01-16", "notifications": 19, "sent": 18, "failed": 1},
        {"date": "2026-01-17", "notifications": 0, "sent": 0, "failed": 0},
        {"date": "2026-01-18", "notifications": 0, "sent": 0, "failed": 0},
        {"date": "2026-01-19", "notifications": 41, "sent": 39, "failed": 2},
        {"date": "2026-01-20", "notifications": 15, "sent": 11, "failed": 1},
    ],
}
RECENT_EXAMPLE = {
    "limit": 2,
    "results": [
        {
            "id": "0c7d3e38-7f55-4c38-a3a5-1d3b1f6c9e20",
            "dispatch_id": "6f1c2f0e-8d1a-4f7e-9a57-0b8f0f3f2a11",
            "channel": "email",
            "event_type": "vehicle_received",
            "status": "sent",
            "attempts": 1,
            "customer_id": "customer-001",
            "recipient": "c***@example.com",
            "error": None,
            "created_at": "2026-01-20T09:15:03-05:00",
            "sent_at": "2026-01-20T09:15:04-05:00",
            "failed_at": None,
        },
        {
            "id": "4b1f0a52-2d7e-4f0b-8c1e-93f2a7d6e511",
            "dispatch_id": "6f1c2f0e-8d1a-4f7e-9a57-0b8f0f3f2a11",
            "channel": "whatsapp",
            "event_type": "vehicle_received",
            "status": "failed",
            "attempts": 1,
            "customer_id": "customer-001",
            "recipient": "+593******567",
            "error": "El número no está registrado en WhatsApp.",
            "created_at": "2026-01-20T09:15:00-05:00",
            "sent_at": None,
            "failed_at": "2026-01-20T09:15:02-05:00",
        },
    ],
}
HEALTH_EXAMPLE = {
    "status": "degraded",
    "window_hours": 24,
    "checked_at": "2026-01-20T09:00:00-05:00",
    "channels": {
        "email": {"configured": True, "sent": 42, "failed": 1, "success_rate": 97.7, "status": "healthy"},
        "whatsapp": {
            "configured": True,
            "sent": 150,
            "failed": 30,
            "success_rate": 83.3,
            "status": "degraded",
            "instances": [
                {
                    "name": "ambacar",
                    "state": "open",
                    "paused": False,
                    "paused_since": None,
                    "pause_reason": "",
                    "sent_today": 112,
                    "daily_cap": 400,
                },
                {
                    "name": "ambacar-cuenca",
                    "state": "close",
                    "paused": True,
                    "paused_since": "2026-01-20T08:41:10-05:00",
                    "pause_reason": "Evolution informó connection.update «close».",
                    "sent_today": 38,
                    "daily_cap": 400,
                },
            ],
        },
        "push": {"configured": False, "sent": 0, "failed": 0, "success_rate": None, "status": "idle"},
    },
}


class SummaryView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Resumen de métricas de los últimos N días",
        description=(
            "Totales de la ventana `[ahora − days días, ahora]` (despachos por su fecha de creación, "
            "notificaciones por la de su fila en el log), los mismos contadores por canal (siempre los tres, "
            "con ceros) y una serie diaria con un punto por cada día local (America/Guayaquil) que toca la "
            "ventana, ceros incluidos: `days + 1` puntos, el primero y el último parciales; la serie suma los "
            "totales. Definiciones: `sent` = estado sent, delivered o read (salió con éxito); `delivered` = "
            "delivered o read; `read` = read; `failed` = failed; `pending` = pending, queued o sending; "
            "`fallbacks` = filas creadas como respaldo de otro canal; `success_rate` = sent ÷ (sent + failed) "
            "en %, con un decimal, `null` si no hay filas terminadas. Calculado con agregados en la base de "
            "datos (tres consultas, sin importar cuántas filas haya). `days` fuera de 1–365 o no entero: 400."
        ),
        parameters=[SummaryQuerySerializer],
        responses={200: SummarySerializer, **error_responses(401)},
        examples=[
            OpenApiExample("Últimos 7 días", value=SUMMARY_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "days fuera de rango",
                value=validation_error_example("max_value", "days debe ser un número entero entre 1 y 365.", "days"),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def get(self, request):
        params = SummaryQuerySerializer(data=query_values(request))
        params.is_valid(raise_exception=True)
        summary = selectors.analytics_summary(days=params.validated_data["days"])
        return Response(SummarySerializer(summary).data)


class RecentView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Notificaciones recientes (log)",
        description=(
            "Las últimas filas del log de notificaciones, de la más nueva a la más antigua (`limit` 1–200, "
            "por defecto 50). Filtros opcionales: `channel`, `status` y `customer_id` (ID externo; uno "
            "desconocido devuelve una lista vacía). El destinatario va enmascarado; en push se muestra el "
            "número de dispositivos. Un valor inválido responde 400 con el campo en `attr`."
        ),
        parameters=[RecentQuerySerializer],
        responses={200: RecentSerializer, **error_responses(401)},
        examples=[
            OpenApiExample("Dos filas de un despacho", value=RECENT_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Canal desconocido",
                value=validation_error_example(
                    "invalid_choice", "Canal desconocido: 'sms'. Use email, whatsapp o push.", "channel"
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def get(self, request):
        params = RecentQuerySerializer(data=query_values(request))
        params.is_valid(raise_exception=True)
        data = params.validated_data
        rows = selectors.analytics_recent(
            limit=data["limit"],
            channel=data.get("channel"),
            status=data.get("status"),
            customer_id=data.get("customer_id"),
        )
        return Response({"limit": data["limit"], "results": RecentNotificationSerializer(rows, many=True).data})


def _is_operator(request) -> bool:
    """A valid API key or a staff session. A wrong or stale key is an anonymous caller here, not a 401: a monitor
    that sends one still gets the overall status."""
    try:
        found = ApiKeyAuthentication().authenticate(request)
    except AuthenticationFailed:
        found = None
    user = getattr(request._request, "user", None)  # the admin session, from Django's middleware
    return found is not None or bool(user is not None and user.is_authenticated and user.is_staff)


class ChannelHealthView(APIView):
    # Public: anonymous callers get the overall status only (SPEC §13); operators, the whole report.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        summary="Salud de los canales (últimas 24 h)",
        description=(
            "Público: sin autenticación responde solo el estado general (`status`). Con clave de API (o sesión de "
            "staff), el informe completo. Por canal, con las filas creadas en las últimas 24 horas: si el "
            "servidor lo tiene configurado, enviadas con éxito (sent, delivered o "
            "read), fallidas, tasa de éxito = enviadas ÷ (enviadas + fallidas) en % con un decimal (`null` "
            "sin tráfico terminado) y un estado según esa tasa tal como se muestra: `healthy` ≥ 90 %, "
            "`degraded` ≥ 50 %, `unhealthy` por debajo, `idle` sin tráfico terminado. El estado general es el "
            "peor de los canales configurados sin contar los `idle` (`healthy` si todos están `idle`); un "
            "canal no configurado no cuenta (es una decisión del despliegue y el despacho ya lo omite), salvo "
            "que no haya ninguno configurado: entonces `unhealthy`. Siempre responde 200, también cuando el "
            "estado es `unhealthy`: es un informe, no una sonda de vida (para eso, /api/v1/health/database/). "
            "Un mensaje que pasó al siguiente canal por el tope diario de WhatsApp no cuenta como fallo. WhatsApp "
            "añade sus `instances`: estado de la conexión en Evolution, si está en pausa y desde cuándo, y los "
            "mensajes de hoy frente al tope diario."
        ),
        auth=[{"ApiKeyAuth": []}, {}],
        responses={200: HealthSerializer},
        examples=[
            OpenApiExample("WhatsApp degradado (con clave de API)", value=HEALTH_EXAMPLE, response_only=True),
            OpenApiExample("Anónimo", value={"status": "degraded"}, response_only=True),
        ],
    )
    def get(self, request):
        operator = _is_operator(request)
        report = selectors.analytics_channel_health(with_instances=operator)
        return Response(HealthSerializer(report if operator else {"status": report["status"]}).data)
