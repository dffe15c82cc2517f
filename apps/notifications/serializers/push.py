"""Serializers of Web Push subscriptions. The checks themselves live in services/push.py (shared with
the push adapter, which repeats the endpoint check at send time)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.exceptions import ApplicationError
from apps.core.serializers import JSONTypesMixin
from apps.core.webpush import ENDPOINT_MAX_LENGTH, push_endpoint_validate, push_keys_validate
from apps.notifications.models import PushSubscription
from apps.notifications.serializers.vehicles import CustomerRefField


class SubscriptionKeysSerializer(JSONTypesMixin, serializers.Serializer):
    p256dh = serializers.CharField(
        max_length=200, help_text="Clave pública ECDH del navegador: punto P-256 sin comprimir, base64url."
    )
    auth = serializers.CharField(max_length=100, help_text="Secreto de autenticación de 16 bytes, base64url.")

    def validate(self, attrs: dict) -> dict:
        try:
            p256dh, auth = push_keys_validate(p256dh=attrs["p256dh"], auth=attrs["auth"])
        except ApplicationError as exc:
            raise serializers.ValidationError({exc.attr: exc.detail}, code=exc.code) from None
        return {"p256dh": p256dh, "auth": auth}


class SubscriptionSerializer(JSONTypesMixin, serializers.Serializer):
    endpoint = serializers.CharField(
        max_length=ENDPOINT_MAX_LENGTH,
        trim_whitespace=False,
        help_text="URL del servicio push del navegador: https, puerto 443, host en PUSH_ALLOWED_HOSTS.",
    )
    keys = SubscriptionKeysSerializer()

    def validate_endpoint(self, value: str) -> str:
        try:
            push_endpoint_validate(value)
        except ApplicationError as exc:
            raise serializers.ValidationError(exc.detail, code=exc.code) from None
        return value


class PushSubscribeSerializer(JSONTypesMixin, serializers.Serializer):
    customer_id = CustomerRefField(
        source="customer", help_text="customer_id del cliente (debe existir y estar activo)."
    )
    subscription = SubscriptionSerializer(help_text="El objeto que devuelve `PushSubscription.toJSON()` del navegador.")
    user_agent = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="Se guardan 500 caracteres como máximo.",
    )

    def validate_customer_id(self, customer):
        if not customer.is_active:
            raise serializers.ValidationError(
                f"El cliente '{customer.customer_id}' está inactivo.", code="inactive_customer"
            )
        return customer

    def validate_user_agent(self, value: str | None) -> str:
        return (value or "").strip()


class PushUnsubscribeSerializer(JSONTypesMixin, serializers.Serializer):
    endpoint = serializers.CharField(max_length=ENDPOINT_MAX_LENGTH, trim_whitespace=False)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    customer_id = serializers.CharField(source="customer.customer_id", read_only=True)

    class Meta:
        model = PushSubscription
        fields = ["id", "customer_id", "endpoint", "user_agent", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class PushStatusSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    subscribed = serializers.BooleanField(help_text="true si tiene al menos una suscripción activa.")
    active_subscriptions = serializers.IntegerField()


class VapidPublicKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(help_text="`applicationServerKey` para `pushManager.subscribe()` (base64url).")
