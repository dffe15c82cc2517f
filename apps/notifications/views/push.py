"""Web Push: browser subscriptions, their status per customer, and the VAPID public key."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exception_handler import error_body
from apps.core.exceptions import ApplicationError
from apps.core.openapi import AutoSchema
from apps.core.webpush import PUSH_ENDPOINT_CODES
from apps.notifications.models import CustomerContactInfo
from apps.notifications.serializers.customers import error_responses
from apps.notifications.serializers.push import (
    PushStatusSerializer,
    PushSubscribeSerializer,
    PushSubscriptionSerializer,
    PushUnsubscribeSerializer,
    VapidPublicKeySerializer,
)
from apps.notifications.services.push import (
    push_public_key_get,
    push_status_get,
    push_subscription_deactivate,
    push_subscription_upsert,
)

TAG = "Push"

ENDPOINT_EXAMPLE = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHkq3x"
SUBSCRIBE_REQUEST_EXAMPLE = {
    "customer_id": "customer-001",
    "subscription": {
        "endpoint": ENDPOINT_EXAMPLE,
        "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    },
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
}
VAPID_KEY_EXAMPLE = "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U"
SUBSCRIPTION_EXAMPLE = {
    "id": "2d4f6a8c-1b3e-4c5d-8e7f-9a0b1c2d3e4f",
    "customer_id": "customer-001",
    "endpoint": ENDPOINT_EXAMPLE,
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
    "is_active": True,
    "created_at": "2026-01-15T09:30:00-05:00",
    "updated_at": "2026-01-15T09:30:00-05:00",
}


class _BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies only for PUT/PATCH/POST; DELETE subscribe/ takes one."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


@extend_validation_errors(["inactive_customer"], field_name="customer_id", methods=["post"])
@extend_validation_errors(list(PUSH_ENDPOINT_CODES), field_name="subscription.endpoint", methods=["post"])
@extend_validation_errors(["invalid_p256dh"], field_name="subscription.keys.p256dh", methods=["post"])
@extend_validation_errors(["invalid_auth"], field_name="subscription.keys.auth", methods=["post"])
class PushSubscribeView(APIView):
    schema = _BodyOnDeleteSchema()

    @extend_schema(
        tags=[TAG],
        summary="Suscribir navegador a push",
        description=(
            "Guarda la suscripción Web Push de un navegador (`PushSubscription.toJSON()`) para el cliente. "
            "Responde 201 si el endpoint es nuevo y 200 si ya existía: se actualizan las claves, se reactiva "
            "y, si pertenecía a otro cliente, pasa a este (el navegador cambió de usuario).\n\n"
            "Validación (400 que nombra el campo): `customer_id` de un cliente existente y activo; el "
            "endpoint debe usar https en el puerto 443, con un host de `PUSH_ALLOWED_HOSTS` (`.dominio` "
            "admite el dominio y sus subdominios; `host` solo ese host), sin direcciones IP ni usuario/"
            "contraseña; `p256dh` debe ser un punto P-256 sin comprimir (65 bytes) válido y `auth` un secreto "
            "de 16 bytes, ambos en base64url. Con `PUSH_ALLOW_INSECURE_ENDPOINTS` (solo pruebas locales) se "
            "admiten http y cualquier puerto."
        ),
        request=PushSubscribeSerializer,
        responses={201: PushSubscriptionSerializer, 200: PushSubscriptionSerializer},
        examples=[
            OpenApiExample("Suscripción de Chrome", value=SUBSCRIBE_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample("Guardada", value=SUBSCRIPTION_EXAMPLE, response_only=True, status_codes=["201", "200"]),
            OpenApiExample(
                "Host no permitido",
                value={
                    "type": "validation_error",
                    "errors": [
                        {
                            "code": "push_endpoint_host_not_allowed",
                            "detail": "El host 'push.attacker.io' no es un servicio push permitido "
                            "(PUSH_ALLOWED_HOSTS).",
                            "attr": "subscription.endpoint",
                        }
                    ],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        serializer = PushSubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription, created = push_subscription_upsert(
            customer=data["customer"],
            endpoint=data["subscription"]["endpoint"],
            p256dh=data["subscription"]["keys"]["p256dh"],
            auth=data["subscription"]["keys"]["auth"],
            user_agent=data["user_agent"],
        )
        return Response(
            PushSubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        tags=[TAG],
        summary="Cancelar suscripción push",
        description=(
            'Recibe `{"endpoint"}` en el cuerpo y desactiva esa suscripción (se conserva inactiva; una nueva '
            "suscripción con el mismo endpoint la reactiva). 204 también si ya estaba inactiva; 404 si el "
            "endpoint no existe."
        ),
        request=PushUnsubscribeSerializer,
        # The automatic schema sees neither this body nor the 404 (no path parameter): name them here.
        responses={204: None, **error_responses(404)},
        examples=[OpenApiExample("Cancelar", value={"endpoint": ENDPOINT_EXAMPLE}, request_only=True)],
    )
    def delete(self, request):
        serializer = PushUnsubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        push_subscription_deactivate(endpoint=serializer.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushStatusView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Estado de suscripción push del cliente",
        description="Si el cliente tiene suscripciones push activas y cuántas. 404 si el cliente no existe.",
        parameters=[
            OpenApiParameter(
                "customer_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="ID externo del cliente."
            )
        ],
        responses={200: PushStatusSerializer},
        examples=[
            OpenApiExample(
                "Suscrito",
                value={"customer_id": "customer-001", "subscribed": True, "active_subscriptions": 2},
                response_only=True,
            )
        ],
    )
    def get(self, request, customer_id: str):
        customer = get_object_or_404(CustomerContactInfo, customer_id=customer_id)
        return Response(push_status_get(customer=customer))


class VapidPublicKeyView(APIView):
    @extend_schema(
        tags=[TAG],
        summary="Clave pública VAPID",
        description=(
            "La clave pública VAPID (`VAPID_PUBLIC_KEY`, base64url) que el front end pasa como "
            "`applicationServerKey` a `pushManager.subscribe()`. 503 con código `push_not_configured` si el "
            "servidor no la tiene configurada o no es una clave P-256 válida."
        ),
        responses={200: VapidPublicKeySerializer, **error_responses(503)},
        examples=[
            OpenApiExample(
                "Clave",
                value={"public_key": VAPID_KEY_EXAMPLE},
                response_only=True,
            ),
            OpenApiExample(
                "No configurado (503)",
                value={
                    "type": "server_error",
                    "errors": [
                        {
                            "code": "push_not_configured",
                            "detail": "Las notificaciones push no están configuradas en el servidor "
                            "(falta VAPID_PUBLIC_KEY).",
                            "attr": None,
                        }
                    ],
                },
                response_only=True,
                status_codes=["503"],
            ),
        ],
    )
    def get(self, request):
        try:
            public_key = push_public_key_get()
        except ApplicationError as exc:
            # A missing server setting is a server-side condition: "server_error", not "client_error".
            body = error_body("server_error", [{"code": exc.code, "detail": exc.detail, "attr": None}])
            return Response(body, status=exc.status_code)
        return Response({"public_key": public_key})


urlpatterns = [
    path("push/subscribe/", PushSubscribeView.as_view(), name="push-subscribe"),
    path("push/status/<str:customer_id>/", PushStatusView.as_view(), name="push-status"),
    path("push/vapid-public-key/", VapidPublicKeyView.as_view(), name="push-vapid-public-key"),
]
