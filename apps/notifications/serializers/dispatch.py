from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.constants import Channel, DispatchStatus, EventType, NotificationStatus, Target
from apps.core.logging import mask_recipient
from apps.core.serializers import JSONTypesMixin, ShallowFieldsMixin
from apps.notifications.models import NotificationLog
from apps.notifications.services.config_cache import config_snapshot
from apps.notifications.services.dispatch import DispatchInput
from apps.notifications.services.rendering import CONTEXT_MAX_KEYS, CONTEXT_VALUE_MAX_CHARS


class DispatchInputSerializer(ShallowFieldsMixin, JSONTypesMixin, serializers.Serializer):
    event_type = serializers.ChoiceField(choices=EventType.choices, help_text="Tipo de evento del flujo de servicio.")
    service_type_id = serializers.CharField(
        help_text="Slug del tipo de servicio principal o de un subtipo (vea /catalog/)."
    )
    subtype_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="Slug del subtipo.")
    phase_id = serializers.CharField(help_text="Slug de la fase, p. ej. phase-reception.")
    customer_id = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=100, help_text="ID del cliente en Core."
    )
    target = serializers.ChoiceField(choices=Target.choices, default=Target.CLIENTS)
    context = serializers.DictField(
        required=False,
        default=dict,
        help_text="Valores de las variables: `Nombre` o `nombre`, `Placa`, `Vehículo`/`vehiculo`, `Fecha`, `Hora`, "
        "`Orden`, `Técnico`/`tecnico`, `Taller`; `vehicle_id` completa placa y vehículo.",
    )
    taller_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="Slug del taller.")

    def validate_service_type_id(self, value):
        # Checked with the other fields (not in validate()), so one 400 names every bad field at once.
        if not config_snapshot().types_by_slug.get(value):
            raise serializers.ValidationError(f"El tipo de servicio '{value}' no existe; consulte el catálogo.")
        return value

    def validate_phase_id(self, value):
        phase = config_snapshot().phases_by_slug.get(value)
        if phase is None:
            raise serializers.ValidationError(f"La fase '{value}' no existe; consulte /api/v1/notifications/catalog/.")
        return phase

    def validate_taller_id(self, value):
        if not value:
            return None
        taller = config_snapshot().tallers_by_slug.get(value)
        if taller is None:
            raise serializers.ValidationError(f"El taller '{value}' no existe.")
        return taller

    def validate_context(self, value):
        if len(value) > CONTEXT_MAX_KEYS:
            raise serializers.ValidationError(
                f"El contexto admite como máximo {CONTEXT_MAX_KEYS} claves.", code="too_many_keys"
            )
        for key, item in value.items():
            if isinstance(item, dict | list):
                raise serializers.ValidationError(f"El valor de '{key}' debe ser texto o número.", code="invalid")
            if item is not None and len(str(item)) > CONTEXT_VALUE_MAX_CHARS:
                raise serializers.ValidationError(
                    f"El valor de '{key}' supera {CONTEXT_VALUE_MAX_CHARS} caracteres.", code="max_length"
                )
        return value

    def validate(self, attrs):
        slug = attrs["service_type_id"]
        sub_slug = attrs.get("subtype_id") or None
        snapshot = config_snapshot()
        # A slug naming a main type means the main type (colision-pintura is also a subtype's slug).
        service_type = snapshot.service_type(slug, main=True)
        subtype = None
        if service_type is None:
            # validate_service_type_id saw the slug exist: here it names a subtype (the first main type's).
            subtype = snapshot.service_type(slug, main=False)
            service_type = subtype.parent
        if sub_slug:
            explicit = snapshot.subtype_of(sub_slug, service_type)
            if explicit is None:
                raise serializers.ValidationError(
                    {"subtype_id": f"'{sub_slug}' no es un subtipo de '{service_type.slug}'."}
                )
            if subtype is not None and explicit != subtype:
                raise serializers.ValidationError({"subtype_id": "No coincide con el subtipo de service_type_id."})
            subtype = explicit
        attrs["service_type"], attrs["subtype"] = service_type, subtype
        return attrs

    def to_input(self) -> DispatchInput:
        d = self.validated_data
        return DispatchInput(
            event_type=d["event_type"],
            service_type=d["service_type"],
            subtype=d["subtype"],
            phase=d["phase_id"],
            target=d["target"],
            customer_id=(d.get("customer_id") or None),
            context=d.get("context") or {},
            taller=d.get("taller_id"),
        )


class NotificationBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=NotificationStatus.choices)


class ExcludedChannelSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    code = serializers.CharField()
    detail = serializers.CharField()


class DispatchAcceptedSerializer(serializers.Serializer):
    dispatch_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DispatchStatus.choices)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    channel_plan = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))
    notifications = NotificationBriefSerializer(many=True)
    excluded_channels = ExcludedChannelSerializer(many=True)
    created_at = serializers.DateTimeField()


_CREATED_AT = serializers.DateTimeField()


def dispatch_accepted_body(dispatch) -> dict:
    """DispatchAcceptedSerializer's output (its schema), built directly: every value is already plain, and building
    the serializer's fields cost more per dispatch than the rest of the answer."""
    # The rows just inserted, not read back.
    first = dispatch.first_rows[0] if getattr(dispatch, "first_rows", None) else None
    notifications = [{"id": str(first.id), "channel": str(first.channel), "status": str(first.status)}] if first else []
    return {
        "dispatch_id": str(dispatch.id),
        "status": str(DispatchStatus.QUEUED),  # the answer to an acceptance, whatever the worker did since
        "event_type": str(dispatch.event_type),
        "channel_plan": [str(channel) for channel in dispatch.channel_plan],
        "notifications": notifications,
        "excluded_channels": [
            {"channel": str(e.channel), "code": e.code, "detail": e.detail} for e in getattr(dispatch, "excluded", [])
        ],
        # Rendered in TIME_ZONE, as every timestamp of the API.
        "created_at": _CREATED_AT.to_representation(dispatch.created_at),
    }


class NotificationDetailSerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField()
    fallback_from = serializers.UUIDField(source="fallback_from_id", allow_null=True)

    class Meta:
        model = NotificationLog
        fields = [
            "id",
            "channel",
            "status",
            "attempts",
            "error",
            "error_kind",
            "error_code",
            "recipient",
            "provider_message_id",
            "fallback_from",
            "next_attempt_at",
            "queued_at",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
        ]
        # Output only. Read-only fields also keep the schema free of the database's integer ranges, which
        # differ between SQLite and PostgreSQL.
        read_only_fields = fields
        extra_kwargs = {
            "error_code": {
                "help_text": "Por qué el servicio actuó: not_on_whatsapp, channel_paused (la instancia de WhatsApp "
                "estaba en pausa), whatsapp_daily_cap (tope diario), whatsapp_error (WhatsApp lo rechazó después de "
                "aceptarlo), whatsapp_not_delivered (sin acuse de entrega a tiempo), subscription_gone, unauthorized, "
                "connection_closed; vacío si no aplica."
            },
            "next_attempt_at": {
                "help_text": "Cuándo se intentará de nuevo: tras un error transitorio, o al terminar las horas de "
                "silencio del canal en el taller (la notificación espera como pending)."
            },
        }

    def get_error(self, obj) -> str | None:
        return obj.error_message or None

    def get_recipient(self, obj) -> str:
        if obj.channel == Channel.PUSH:
            count = len([r for r in obj.recipient.split(",") if r.strip()])
            return f"{count} dispositivo(s) push"
        return mask_recipient(obj.recipient)


class DispatchDetailSerializer(serializers.Serializer):
    dispatch_id = serializers.UUIDField(source="id")
    status = serializers.ChoiceField(choices=DispatchStatus.choices)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    service_type = serializers.CharField(source="service_type.slug")
    subtype = serializers.CharField(source="subtype.slug", allow_null=True, default=None)
    phase = serializers.CharField(source="phase.slug")
    target = serializers.ChoiceField(choices=Target.choices)
    customer_id = serializers.CharField(source="customer.customer_id", allow_null=True, default=None)
    channel_plan = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))
    notifications = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(NotificationDetailSerializer(many=True))
    def get_notifications(self, obj) -> list[dict]:
        rows = obj.notifications.order_by("created_at")
        return NotificationDetailSerializer(rows, many=True).data
