"""Evolution API's webhook: WhatsApp delivery and read receipts (`EVOLUTION_WEBHOOK_TOKEN`)."""

from django.urls import path, re_path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.authentication import EvolutionWebhookAuthentication
from apps.core.permissions import IsEvolutionWebhook
from apps.notifications.serializers.customers import error_responses
from apps.notifications.serializers.receipts import EvolutionWebhookResultSerializer, EvolutionWebhookSerializer
from apps.notifications.services.receipts import whatsapp_receipts_accept

V2_EXAMPLE = {
    "event": "messages.update",
    "instance": "ambacar",
    "data": {
        "messageId": "cmfyoow42000hov4xwkdug3lv",
        "keyId": "3EB0C431C26A1916E07A",
        "remoteJid": "593991234567@s.whatsapp.net",
        "fromMe": True,
        "status": "DELIVERY_ACK",
        "instanceId": "dc4b0ecc-405c-4e76-9c1c-35a2f71d9954",
    },
    "destination": "https://notificaciones.ambacar.ec/api/webhooks/evolution/",
    "date_time": "2026-01-20T10:31:02.432Z",
    "sender": "593987654321@s.whatsapp.net",
    "server_url": "https://evo.ambacar.ec",
    "apikey": None,
}
V1_EXAMPLE = {
    "event": "messages.update",
    "instance": "ambacar",
    "data": {
        "remoteJid": "593991234567@s.whatsapp.net",
        "fromMe": True,
        "id": "BAE594145F4C59B4",
        "status": "READ",
        "datetime": 1768923062000,
        "owner": "ambacar",
    },
}


class EvolutionWebhookView(APIView):
    authentication_classes = [EvolutionWebhookAuthentication]
    permission_classes = [IsEvolutionWebhook]
    throttle_classes: list = []

    @extend_schema(
        tags=["Webhooks"],
        operation_id="evolution_webhook",
        summary="Acuses de WhatsApp (webhook de Evolution API)",
        description=(
            "Evolution API llama aquí con el evento `MESSAGES_UPDATE` (configure el webhook de la instancia con "
            "`byEvents: false` y el token en la cabecera `X-Webhook-Token`, o en la URL como `?token=`). "
            "`DELIVERY_ACK` marca la notificación como entregada; `READ` y `PLAYED`, como leída. Un acuse repetido "
            "o fuera de orden nunca hace retroceder un estado. Otros eventos, otras instancias y los acuses de "
            "mensajes entrantes se aceptan con 200 y se ignoran, para que Evolution no los reintente. Con "
            "`EVOLUTION_WEBHOOK_TOKEN` vacío los acuses están desactivados (404)."
        ),
        request=EvolutionWebhookSerializer,
        responses={200: EvolutionWebhookResultSerializer, **error_responses(401, 404)},
        examples=[
            OpenApiExample("Entregado (Evolution v2)", value=V2_EXAMPLE, request_only=True),
            OpenApiExample("Leído (Evolution v1)", value=V1_EXAMPLE, request_only=True),
            OpenApiExample(
                "Respuesta",
                value={"status": "ok", "recorded": 1, "duplicates": 0, "applied": 1, "ignored": 0},
                response_only=True,
            ),
        ],
    )
    def post(self, request, event: str = ""):
        if not isinstance(request.data, dict):
            raise ParseError("El cuerpo debe ser un objeto JSON.")
        serializer = EvolutionWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(whatsapp_receipts_accept(payload=request.data, path_event=event))


UNDOCUMENTED_ALIAS = "evolution-webhook-alias"


class _EvolutionWebhookByEventView(EvolutionWebhookView):
    """With `byEvents: true` Evolution appends `/messages-update` to the URL it was given."""

    @extend_schema(exclude=True)
    def post(self, request, event: str = ""):
        return super().post(request, event)


urlpatterns = [
    path("evolution/", EvolutionWebhookView.as_view(), name="evolution-webhook"),
    # The same endpoint without the trailing slash, or with Evolution's `byEvents` suffix (`/messages-update`):
    # a POST cannot follow APPEND_SLASH's redirect.
    re_path(r"^evolution/*(?P<event>[a-z-]*)/?$", _EvolutionWebhookByEventView.as_view(), name=UNDOCUMENTED_ALIAS),
]
