"""Query parameters and response shapes of /api/v1/analytics/."""

from __future__ import annotations

import re

from rest_framework import serializers

from apps.analytics.selectors import DEGRADED, HEALTHY, IDLE, RECENT_MAX_LIMIT, SUMMARY_MAX_DAYS, UNHEALTHY
from apps.core.constants import Channel, EventType, NotificationStatus
from apps.core.logging import mask_recipient
from apps.notifications.serializers.customers import EXTERNAL_ID_HELP, EXTERNAL_ID_REGEX

_DIGITS = re.compile(r"^[0-9]{1,6}$")


class StrictIntegerField(serializers.IntegerField):
    """A query-string integer written with digits only: "7" yes; "7.0", " 7", "+7", "" no."""

    def to_internal_value(self, data):
        if not isinstance(data, int) and not (isinstance(data, str) and _DIGITS.match(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- query parameters -------------------------------------------------------------------------------


class SummaryQuerySerializer(serializers.Serializer):
    days = StrictIntegerField(
        min_value=1,
        max_value=SUMMARY_MAX_DAYS,
        default=7,
        help_text=f"Días hacia atrás desde ahora (1–{SUMMARY_MAX_DAYS}). Por defecto 7.",
        error_messages={
            "invalid": f"days debe ser un número entero entre 1 y {SUMMARY_MAX_DAYS}.",
            "min_value": f"days debe ser un número entero entre 1 y {SUMMARY_MAX_DAYS}.",
            "max_value": f"days debe ser un número entero entre 1 y {SUMMARY_MAX_DAYS}.",
        },
    )


class RecentQuerySerializer(serializers.Serializer):
    limit = StrictIntegerField(
        min_value=1,
        max_value=RECENT_MAX_LIMIT,
        default=50,
        help_text=f"Cuántas filas devolver (1–{RECENT_MAX_LIMIT}). Por defecto 50.",
        error_messages={
            "invalid": f"limit debe ser un número entero entre 1 y {RECENT_MAX_LIMIT}.",
            "min_value": f"limit debe ser un número entero entre 1 y {RECENT_MAX_LIMIT}.",
            "max_value": f"limit debe ser un número entero entre 1 y {RECENT_MAX_LIMIT}.",
        },
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Solo este canal.",
        error_messages={"invalid_choice": "Canal desconocido: '{input}'. Use email, whatsapp o push."},
    )
    status = serializers.ChoiceField(
        choices=NotificationStatus.choices,
        required=False,
        help_text="Solo este estado.",
        error_messages={
            "invalid_choice": "Estado desconocido: '{input}'. Use pending, queued, sending, sent, delivered, read "
            "o failed."
        },
    )
    customer_id = serializers.RegexField(
        EXTERNAL_ID_REGEX,
        max_length=100,
        required=False,
        help_text=f"Solo las notificaciones de este cliente (ID del servicio Core). {EXTERNAL_ID_HELP}",
        error_messages={"invalid": f"customer_id inválido. {EXTERNAL_ID_HELP}"},
    )


# --- responses --------------------------------------------------------------------------------------


class CountersSerializer(serializers.Serializer):
    notifications = serializers.IntegerField(help_text="Filas de NotificationLog (un intento por canal).")
    sent = serializers.IntegerField(help_text="Enviadas con éxito: estado sent, delivered o read.")
    delivered = serializers.IntegerField(help_text="Entregadas: estado delivered o read.")
    read = serializers.IntegerField(help_text="Leídas: estado read.")
    failed = serializers.IntegerField(help_text="Fallidas: estado failed.")
    pending = serializers.IntegerField(help_text="En curso: estado pending, queued o sending.")
    fallbacks = serializers.IntegerField(help_text="Filas creadas como respaldo de un canal que falló.")
    success_rate = serializers.FloatField(
        allow_null=True,
        help_text="sent ÷ (sent + failed) en %, con un decimal; null si no hay filas terminadas.",
    )


class TotalsSerializer(CountersSerializer):
    dispatches = serializers.IntegerField(help_text="Despachos (eventos aceptados) creados en la ventana.")


class ByChannelSerializer(serializers.Serializer):
    email = CountersSerializer()
    whatsapp = CountersSerializer()
    push = CountersSerializer()


class DailyPointSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Día local (TIME_ZONE, America/Guayaquil por defecto).")
    notifications = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateTimeField(help_text="Inicio de la ventana: ahora − days días.")
    until = serializers.DateTimeField(help_text="Fin de la ventana: ahora.")
    timezone = serializers.CharField(help_text="Zona horaria de los días de `daily`.")
    totals = TotalsSerializer()
    by_channel = ByChannelSerializer()
    daily = DailyPointSerializer(many=True, help_text="Un punto por día local de la ventana (days + 1), con ceros.")


class RecentNotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    dispatch_id = serializers.UUIDField(allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    status = serializers.ChoiceField(choices=NotificationStatus.choices)
    attempts = serializers.IntegerField()
    customer_id = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField(
        help_text="Enmascarado (p. ej. +593******567, c***@example.com); en push, el número de dispositivos."
    )
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)

    def get_customer_id(self, obj) -> str | None:
        return obj.customer.customer_id if obj.customer_id else None

    def get_recipient(self, obj) -> str:
        if obj.channel == Channel.PUSH:
            count = len([r for r in obj.recipient.split(",") if r.strip()])
            return f"{count} dispositivo(s) push"
        return mask_recipient(obj.recipient)

    def get_error(self, obj) -> str | None:
        return obj.error_message or None


class RecentSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    results = RecentNotificationSerializer(many=True)


_HEALTH_STATUSES = [HEALTHY, DEGRADED, UNHEALTHY, IDLE]


class ChannelHealthSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="El servidor tiene la configuración del canal.")
    sent = serializers.IntegerField(help_text="Enviadas con éxito en la ventana (sent, delivered o read).")
    failed = serializers.IntegerField(help_text="Fallidas en la ventana.")
    success_rate = serializers.FloatField(allow_null=True, help_text="En %, un decimal; null sin tráfico terminado.")
    status = serializers.ChoiceField(
        choices=_HEALTH_STATUSES,
        help_text="healthy ≥ 90 %, degraded ≥ 50 %, unhealthy por debajo, idle sin tráfico terminado.",
    )


class WhatsAppInstanceHealthSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Instancia de Evolution API (un número de WhatsApp).")
    state = serializers.ChoiceField(
        choices=["open", "connecting", "close", "unknown"],
        help_text="Estado de la conexión según Evolution (consultado con un timeout corto, como mucho una vez por "
        "minuto); unknown si Evolution no respondió.",
    )
    paused = serializers.BooleanField(
        help_text="En pausa: no envía; sus mensajes salen por el siguiente canal hasta que vuelva a estar open."
    )
    paused_since = serializers.DateTimeField(allow_null=True)
    pause_reason = serializers.CharField(allow_blank=True)
    sent_today = serializers.IntegerField(help_text="Mensajes enviados hoy (día local) por esta instancia.")
    daily_cap = serializers.IntegerField(help_text="WHATSAPP_DAILY_CAP: pasado el tope, el siguiente canal.")


class WhatsAppHealthSerializer(ChannelHealthSerializer):
    instances = WhatsAppInstanceHealthSerializer(
        many=True, required=False, help_text="Cada instancia que envía (la principal y las de los talleres)."
    )


class ChannelsHealthSerializer(serializers.Serializer):
    email = ChannelHealthSerializer()
    whatsapp = WhatsAppHealthSerializer()
    push = ChannelHealthSerializer()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[HEALTHY, DEGRADED, UNHEALTHY],
        help_text="El peor estado de los canales configurados (sin contar los idle); healthy si todos están "
        "idle; unhealthy si no hay ningún canal configurado.",
    )
    window_hours = serializers.IntegerField(required=False, help_text="Solo con clave de API.")
    checked_at = serializers.DateTimeField(required=False, help_text="Solo con clave de API.")
    channels = ChannelsHealthSerializer(required=False, help_text="Solo con clave de API.")
