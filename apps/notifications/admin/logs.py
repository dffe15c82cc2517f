"""Admin of what the system records: dispatches, notification logs, attempts, receipts, idempotency keys.

All of it is read-only. Recipients are masked for everyone but superusers. The office reads dispatches and their
notifications (status first, in its taller's clock, messages as the person received them) and resends; attempts and
idempotency keys are machinery, for superusers only (office/site.py).
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from apps.core.constants import Channel, Target
from apps.core.logging import mask_recipient
from apps.notifications.models import (
    DeliveryReceipt,
    Dispatch,
    IdempotencyRecord,
    NotificationAttempt,
    NotificationLog,
)
from apps.notifications.office.previews import message_preview
from apps.notifications.office.site import RESEND_PERMISSION, RESENDABLE_STATUSES
from apps.notifications.office.zones import rendered_in, taller_zone
from apps.notifications.services.outbox import notification_resend

from .base import (
    OFFICE_CSS,
    PhoneSearchMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    json_display,
    short_datetime,
    status_badge,
)

# Searched by the office: a customer's id or name, a plate of theirs, a phone (as written), a provider's id.
CUSTOMER_SEARCH = ("customer__customer_id", "customer__name", "customer__vehicles__plate")


def _short_id(value) -> str:
    return str(value)[:8] if value else "-"


def _change_link(obj_id, model, text: str):
    if not obj_id:
        return "-"
    url = reverse(f"admin:notifications_{model._meta.model_name}_change", args=[obj_id])
    return format_html('<a href="{}">{}</a>', url, text)


def _rendered_messages(rendered, plan: list[str], *, full_recipients: bool):
    """`Dispatch.rendered` as previews, in plan order, each headed by its channel and (masked) recipients."""
    messages = rendered if isinstance(rendered, dict) else {}
    labels = dict(Channel.choices)
    items = []
    for channel in [*plan, *(c for c in messages if c not in plan)]:
        message = messages.get(channel)
        if not isinstance(message, dict):
            continue
        recipients = [str(r) for r in message.get("recipients") or []]
        if channel == Channel.PUSH:
            recipients = [f"{len(recipients)} dispositivo(s)"] if recipients else []
        elif not full_recipients:
            recipients = [mask_recipient(r) for r in recipients]
        heading = labels.get(channel, channel) + (f" · para {', '.join(recipients)}" if recipients else "")
        preview = message_preview(
            channel=channel,
            subject=message.get("subject") or "",
            body=message.get("body") or "",
            html_body=message.get("html_body") or "",
        )
        items.append((heading, preview))
    if not items:
        return "-"
    cards = format_html_join("", '<div class="office-preview-item"><h4>{}</h4>{}</div>', items)
    return format_html('<div class="office-previews">{}</div>', cards)


class ChannelTriedFilter(admin.SimpleListFilter):
    """Dispatches with a notification on a channel (their plan may list channels never tried)."""

    title = "canal"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return Channel.choices

    def queryset(self, request, queryset):
        if self.value() in Channel.values:
            tried = NotificationLog.objects.filter(dispatch=OuterRef("pk"), channel=self.value())
            return queryset.filter(Exists(tried))
        return queryset


class OfficeColumnsMixin:
    """Columns short enough for a list read at 1366 px."""

    @admin.display(description="creado", ordering="created_at")
    def created_display(self, obj):
        return short_datetime(obj.created_at)

    @admin.display(description="cliente", ordering="customer__name")
    def customer_name(self, obj):
        if obj.customer is None:
            return dict(Target.choices).get(obj.target, "-")
        return obj.customer.name or obj.customer.customer_id


class InTallerZoneMixin:
    """A dispatch's or notification's page shows its times in its own taller's zone."""

    def taller_of(self, obj):
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        zone = taller_zone(self.taller_of(obj) if obj is not None else None)
        change_view = super().change_view
        return rendered_in(zone, lambda: change_view(request, object_id, form_url, extra_context))


class NotificationLogInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = NotificationLog
    fk_name = "dispatch"
    fields = ("status_display", "channel", "created_at", "masked_recipient", "attempts", "error_message", "sent_at")
    readonly_fields = fields
    ordering = ("created_at",)
    show_change_link = True
    verbose_name_plural = "notificaciones (un registro por canal y dirección, en orden)"

    @admin.display(description="estado")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="enviado a")
    def masked_recipient(self, obj):
        return mask_recipient(obj.recipient) or "-"


@admin.register(Dispatch)
class DispatchAdmin(OfficeColumnsMixin, InTallerZoneMixin, PhoneSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "status_display",
        "created_display",
        "event_type",
        "customer_name",
        "taller",
        "channels",
        "masked_recipients",
    )
    list_display_links = ("status_display", "created_display")
    list_filter = ("status", ChannelTriedFilter, "taller", "created_at")
    search_fields = ("=id", *CUSTOMER_SEARCH)
    phone_search_fields = ("customer__phone",)
    search_help_text = "Busque por nombre o ID del cliente, placa, teléfono (0991234567) o ID del despacho."
    date_hierarchy = "created_at"
    list_select_related = ("customer", "taller")
    inlines = [NotificationLogInline]
    actions = []  # nothing to act on: a dispatch is a record of what happened

    class Media:
        css = OFFICE_CSS

    def taller_of(self, obj):
        return obj.taller

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
                        "status_display",
                        "event_type",
                        "service_type",
                        "subtype",
                        "phase",
                        "target",
                        "customer",
                        "taller",
                        "created_at",
                        "completed_at",
                    )
                },
            ),
            ("Mensajes", {"fields": ("channels", rendered)}),
            ("Datos del evento", {"fields": ("context_display",)}),
            (
                "Registro",
                {"fields": ("id", "request_id", "retry_rounds", "updated_at"), "classes": ("collapse",)},
            ),
        )

    @admin.display(description="estado", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

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

    @admin.display(description="datos recibidos")
    def context_display(self, obj):
        context = obj.context if isinstance(obj.context, dict) else {}
        if not context:
            return "-"
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, v) for k, v in context.items()))
        return format_html('<table class="office-context">{}</table>', rows)

    @admin.display(description="mensajes enviados")
    def rendered_full(self, obj):
        return _rendered_messages(obj.rendered, obj.channel_plan or [], full_recipients=True)

    @admin.display(description="mensajes enviados (destinatarios enmascarados)")
    def rendered_masked(self, obj):
        return _rendered_messages(obj.rendered, obj.channel_plan or [], full_recipients=False)


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
class NotificationLogAdmin(
    OfficeColumnsMixin, InTallerZoneMixin, PhoneSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = (
        "status_display",
        "created_display",
        "channel",
        "event_type",
        "customer_name",
        "masked_recipient",
        "error_short",
    )
    list_display_links = ("status_display", "created_display")
    list_filter = ("status", "channel", "dispatch__taller", "created_at")
    search_fields = (*CUSTOMER_SEARCH, "provider_message_id")
    phone_search_fields = ("recipient", "customer__phone")
    search_help_text = "Busque por nombre o ID del cliente, placa, teléfono (0991234567) o ID del proveedor."
    date_hierarchy = "created_at"
    list_select_related = ("customer",)
    inlines = [NotificationAttemptInline, DeliveryReceiptInline]
    actions = ["resend"]
    change_form_template = "notifications/admin/notificationlog_change_form.html"

    class Media:
        css = OFFICE_CSS

    def taller_of(self, obj):
        return obj.dispatch.taller if obj.dispatch_id else None

    def has_resend_permission(self, request):
        return request.user.has_perm(RESEND_PERMISSION)

    @admin.action(
        description="Reenviar por el mismo canal (nuevo registro; si falla, sigue el plan del despacho)",
        permissions=["resend"],
    )
    def resend(self, request, queryset):
        finished = queryset.filter(status__in=RESENDABLE_STATUSES)
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
                        "status_display",
                        "channel",
                        recipient,
                        "event_type",
                        "target",
                        "customer",
                        "dispatch_link",
                        "template",
                        "attempts",
                    )
                },
            ),
            ("Mensaje", {"fields": ("message_preview",)}),
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
                        "sent_at",
                        "delivered_at",
                        "read_at",
                        "failed_at",
                        "next_attempt_at",
                    )
                },
            ),
            ("Registro", {"fields": ("id", "claimed_at", "updated_at"), "classes": ("collapse",)}),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The resend button sits with the page's tools, outside its form: it posts its own form and CSRF token.
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None and obj.status in RESENDABLE_STATUSES and self.has_resend_permission(request):
            query = urlencode({"next": request.path})
            extra_context["resend_url"] = f"{reverse('admin:office_resend', args=[obj.pk])}?{query}"
            extra_context["resend_label"] = f"Reenviar por {obj.get_channel_display()}"
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="estado", ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="error")
    def error_short(self, obj):
        text = obj.error_message or ""
        return (text[:80] + "…") if len(text) > 80 else (text or "-")

    @admin.display(description="vista previa")
    def message_preview(self, obj):
        return message_preview(channel=obj.channel, subject=obj.subject, body=obj.body, html_body=obj.html_body)

    @admin.display(description="enviado a")
    def masked_recipient(self, obj):
        return mask_recipient(obj.recipient) or "-"

    @admin.display(description="enviado a (completo)")
    def full_recipient(self, obj):
        return obj.recipient or "-"

    @admin.display(description="despacho")
    def dispatch_link(self, obj):
        return _change_link(obj.dispatch_id, Dispatch, str(obj.dispatch) if obj.dispatch_id else "-")

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
