"""Admin of what the system records: dispatches, notification logs, attempts, receipts, idempotency keys.

All of it is read-only. Recipients are masked in lists; the detail page of a log shows the full
recipient to superusers only.
"""

import copy

from django.contrib import admin
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.core.constants import Channel
from apps.core.logging import mask_recipient
from apps.notifications.models import (
    DeliveryReceipt,
    Dispatch,
    IdempotencyRecord,
    NotificationAttempt,
    NotificationLog,
)
from apps.notifications.services.outbox import notification_resend

from .base import ReadOnlyAdminMixin, ReadOnlyInlineMixin, json_display


def _short_id(value) -> str:
    return str(value)[:8] if value else "-"


def _change_link(obj_id, model, text: str):
    if not obj_id:
        return "-"
    url = reverse(f"admin:notifications_{model._meta.model_name}_change", args=[obj_id])
    return format_html('<a href="{}">{}</a>', url, text)


def _mask_rendered(rendered: dict) -> dict:
    """`Dispatch.rendered` with every channel's recipients masked."""
    masked = copy.deepcopy(rendered) if isinstance(rendered, dict) else {}
    for message in masked.values():
        if isinstance(message, dict) and isinstance(message.get("recipients"), list):
            message["recipients"] = [mask_recipient(str(r)) for r in message["recipients"]]
    return masked


class NotificationLogInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = NotificationLog
    fk_name = "dispatch"
    fields = (
        "created_at",
        "channel",
        "status",
        "attempts",
        "masked_recipient",
        "error_kind",
        "error_message",
        "provider_message_id",
        "sent_at",
        "failed_at",
    )
    readonly_fields = fields
    ordering = ("created_at",)
    show_change_link = True
    verbose_name_plural = "notificaciones (un registro por canal intentado, en orden)"

    @admin.display(description="enviado a")
    def masked_recipient(self, obj):
        return mask_recipient(obj.recipient) or "-"


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "created_at",
        "event_type",
        "service_type",
        "phase",
        "target",
        "customer",
        "status",
        "channels",
        "masked_recipients",
    )
    list_filter = ("status", "event_type", "target", "created_at")
    search_fields = ("=id", "customer__customer_id")
    date_hierarchy = "created_at"
    list_select_related = ("service_type", "phase", "customer")
    inlines = [NotificationLogInline]
    actions = []  # nothing to act on: a dispatch is a record of what happened

    def get_queryset(self, request):
        logs = NotificationLog.objects.only("id", "dispatch_id", "channel", "recipient", "created_at")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("notifications", queryset=logs.order_by("created_at"), to_attr="logs_in_order"))
        )

    def get_fieldsets(self, request, obj=None):
        rendered = "rendered_full" if request.user.is_superuser else "rendered_masked"
        return (
            (
                "Evento",
                {
                    "fields": (
                        "id",
                        "event_type",
                        "service_type",
                        "subtype",
                        "phase",
                        "target",
                        "customer",
                        "taller",
                        "status",
                    )
                },
            ),
            ("Mensajes", {"fields": ("channels", "context_display", rendered)}),
            ("Registro", {"fields": ("request_id", "retry_rounds", "created_at", "updated_at", "completed_at")}),
        )

    @admin.display(description="ID", ordering="id")
    def short_id(self, obj):
        return _short_id(obj.pk)

    @admin.display(description="plan de canales")
    def channels(self, obj):
        labels = dict(Channel.choices)
        return ", ".join(labels.get(channel, channel) for channel in obj.channel_plan or []) or "-"

    @admin.display(description="enviado a")
    def masked_recipients(self, obj):
        logs = getattr(obj, "logs_in_order", None)
        if logs is None:  # detail page: not prefetched
            logs = obj.notifications.order_by("created_at")
        masked = [mask_recipient(log.recipient) for log in logs if log.recipient]
        return ", ".join(dict.fromkeys(masked)) or "-"

    @admin.display(description="contexto")
    def context_display(self, obj):
        return json_display(obj.context)

    @admin.display(description="mensajes renderizados")
    def rendered_full(self, obj):
        return json_display(obj.rendered)

    @admin.display(description="mensajes renderizados (destinatarios enmascarados)")
    def rendered_masked(self, obj):
        return json_display(_mask_rendered(obj.rendered))


class NotificationAttemptInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = NotificationAttempt
    fields = (
        "number",
        "started_at",
        "finished_at",
        "duration_ms",
        "succeeded",
        "error_kind",
        "error_message",
        "task_id",
    )
    readonly_fields = fields
    ordering = ("number",)


class DeliveryReceiptInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = DeliveryReceipt
    fields = ("status", "occurred_at", "received_at")
    readonly_fields = fields
    ordering = ("occurred_at",)


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "status",
        "event_type",
        "customer",
        "masked_recipient",
        "attempts",
        "error_kind",
        "dispatch_link",
    )
    list_filter = ("channel", "status", "event_type", "error_kind", "created_at")
    search_fields = ("customer__customer_id", "provider_message_id")
    date_hierarchy = "created_at"
    list_select_related = ("customer",)
    inlines = [NotificationAttemptInline, DeliveryReceiptInline]
    actions = ["resend"]

    @admin.action(description="Reenviar por el mismo canal (nuevo registro; si falla, sigue el plan del despacho)")
    def resend(self, request, queryset):
        finished = queryset.filter(status__in=["sent", "delivered", "read", "failed"])
        for row in finished:
            notification_resend(notification_id=row.id)
        skipped = queryset.count() - finished.count()
        message = f"{finished.count()} notificación(es) reenviada(s)."
        if skipped:
            message += f" {skipped} omitida(s): aún están en curso."
        self.message_user(request, message)

    def get_fieldsets(self, request, obj=None):
        recipient = "full_recipient" if request.user.is_superuser else "masked_recipient"
        return (
            (
                "Notificación",
                {
                    "fields": (
                        "id",
                        "dispatch_link",
                        "channel",
                        "event_type",
                        "target",
                        "customer",
                        recipient,
                        "template",
                        "status",
                        "attempts",
                    )
                },
            ),
            ("Mensaje", {"fields": ("subject", "body", "html_body")}),
            (
                "Error y reemplazo",
                {"fields": ("error_kind", "error_message", "provider_message_id", "fallback_from", "fallback_to_link")},
            ),
            (
                "Fechas",
                {
                    "fields": (
                        "created_at",
                        "queued_at",
                        "claimed_at",
                        "sent_at",
                        "delivered_at",
                        "read_at",
                        "failed_at",
                        "next_attempt_at",
                        "updated_at",
                    )
                },
            ),
        )

    @admin.display(description="enviado a")
    def masked_recipient(self, obj):
        return mask_recipient(obj.recipient) or "-"

    @admin.display(description="enviado a (completo)")
    def full_recipient(self, obj):
        return obj.recipient or "-"

    @admin.display(description="despacho")
    def dispatch_link(self, obj):
        return _change_link(obj.dispatch_id, Dispatch, _short_id(obj.dispatch_id))

    @admin.display(description="reemplazado por")
    def fallback_to_link(self, obj):
        links = [_change_link(row.pk, NotificationLog, str(row)) for row in obj.fallbacks.order_by("created_at")]
        return format_html_join(format_html("<br>"), "{}", ((link,) for link in links)) if links else "-"


@admin.register(NotificationAttempt)
class NotificationAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("notification", "number", "started_at", "duration_ms", "succeeded", "error_kind", "task_id")
    list_filter = ("succeeded", "error_kind", "started_at")
    search_fields = ("=task_id", "=notification__id")
    date_hierarchy = "started_at"
    list_select_related = ("notification",)
    actions = []

    def get_fieldsets(self, request, obj=None):
        return (
            (
                None,
                {
                    "fields": (
                        "notification",
                        "number",
                        "started_at",
                        "finished_at",
                        "duration_ms",
                        "succeeded",
                        "error_kind",
                        "error_message",
                        "task_id",
                    )
                },
            ),
        )


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Unmatched receipts (no notification) are messages we did not send; they are purged after a week."""

    list_display = ("received_at", "channel", "status", "provider_message_id", "occurred_at", "notification")
    list_filter = ("channel", "status", ("notification", admin.EmptyFieldListFilter), "received_at")
    search_fields = ("=provider_message_id", "=notification__id")
    date_hierarchy = "received_at"
    list_select_related = ("notification",)
    actions = []

    def get_fieldsets(self, request, obj=None):
        fields = ("channel", "provider_message_id", "status", "occurred_at", "received_at", "notification")
        return ((None, {"fields": fields}),)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "client", "response_status", "dispatch_link", "created_at")
    list_filter = ("response_status", "created_at")
    search_fields = ("key",)
    actions = []

    def get_fieldsets(self, request, obj=None):
        return (
            (None, {"fields": ("client", "key", "fingerprint", "dispatch_link", "created_at")}),
            ("Respuesta guardada", {"fields": ("response_status", "response_display")}),
        )

    @admin.display(description="despacho")
    def dispatch_link(self, obj):
        return _change_link(obj.dispatch_id, Dispatch, _short_id(obj.dispatch_id))

    @admin.display(description="respuesta")
    def response_display(self, obj):
        return json_display(obj.response_body)
