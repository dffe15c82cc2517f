from rest_framework import serializers

from apps.core.serializers import JSONTypesMixin


class EvolutionWebhookSerializer(JSONTypesMixin, serializers.Serializer):
    """El sobre que envía Evolution API; `data` trae los acuses (un objeto o una lista)."""

    event = serializers.CharField(
        required=False, allow_blank=True, help_text="`messages.update`; los demás eventos se ignoran."
    )
    instance = serializers.CharField(
        required=False, allow_blank=True, help_text="Instancia de Evolution; si no es EVOLUTION_INSTANCE se ignora."
    )
    data = serializers.JSONField(
        required=False,
        help_text="v1: `{id, status, datetime, fromMe, remoteJid}`; v2: `{keyId, status, fromMe, remoteJid, …}`.",
    )


class EvolutionWebhookResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ok", "ignored"],
        help_text="`ignored`: el llamado no traía acuses nuestros (otro evento, otra instancia).",
    )
    recorded = serializers.IntegerField(help_text="Acuses nuevos guardados.")
    duplicates = serializers.IntegerField(help_text="Acuses repetidos (Evolution reintenta): no cambian nada.")
    applied = serializers.IntegerField(help_text="Notificaciones que avanzaron a entregado o leído.")
    ignored = serializers.IntegerField(help_text="Elementos sin acuse útil (PENDING, SERVER_ACK, mensajes entrantes).")
