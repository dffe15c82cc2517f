"""Admin of the workshops, their channel settings and the Web Push subscriptions.

A taller's channel page shows only the fields that apply to that channel; staff recipients are a list of phones and
emails, checked and normalised as they are typed in.
"""

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from apps.core.constants import Channel
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.notifications.models import PushSubscription, Taller, TallerChannelConfig

from .base import OFFICE_CSS, status_badge


class TallerForm(forms.ModelForm):
    class Meta:
        model = Taller
        fields = ("slug", "name", "timezone", "address", "phone", "email", "is_default", "is_active")

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise forms.ValidationError(f"«{value}» no es una zona horaria válida (p. ej. America/Guayaquil).") from exc
        return value


class StaffRecipientsField(forms.Field):
    """The staff's phones and emails, one per line (commas and semicolons also separate them).

    Stored as a list, normalised like the API's addresses: a phone in E.164 (`0991234567` → `+593991234567`), an
    email trimmed; blanks and repeats are dropped. Every wrong line is named at once.
    """

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40, "placeholder": "0991234567\njefe@taller.ec"})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value or ""

    def to_python(self, value):
        if isinstance(value, list | tuple):
            entries = [str(item) for item in value]
        else:
            entries = re.split(r"[\n,;]+", value or "")
        recipients, errors = [], []
        for entry in (item.strip() for item in entries):
            if not entry:
                continue
            if "@" in entry:
                try:
                    validate_email(entry)
                except ValidationError:
                    errors.append(f"«{entry}» no es un email válido.")
                    continue
                recipient = entry
            else:
                try:
                    recipient = phone_to_e164(entry)
                except InvalidPhoneNumber as exc:
                    errors.append(str(exc))
                    continue
            if recipient not in recipients:
                recipients.append(recipient)
        if errors:
            raise ValidationError(errors)
        return recipients

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != list(initial or [])
        except ValidationError:
            return True


class TallerChannelConfigForm(forms.ModelForm):
    """Quiet hours are wall-clock times in the taller's timezone, from the start (inclusive) to the end (exclusive);
    a start after the end crosses midnight (21:00–07:00). A message due in them waits until they end
    (apps/notifications/services/quiet_hours.py)."""

    staff_recipients = StaffRecipientsField(
        label="personal que recibe los avisos",
        required=False,
        help_text="Un teléfono o un email por línea. Los teléfonos se guardan en formato internacional "
        "(0991234567 → +593991234567). WhatsApp escribe a los teléfonos y email a los emails.",
    )

    class Meta:
        model = TallerChannelConfig
        fields = (
            "taller",
            "channel",
            "is_enabled",
            "sender_name",
            "sender_address",
            "evolution_instance",
            "staff_recipients",
            "quiet_hours_start",
            "quiet_hours_end",
        )

    def clean_sender_address(self):
        value = (self.cleaned_data.get("sender_address") or "").strip()
        if value:
            try:
                validate_email(value)
            except ValidationError as exc:
                raise forms.ValidationError(f"«{value}» no es un email válido.") from exc
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_hours_start"), cleaned.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Indique el inicio y el fin de las horas de silencio, o ninguno.")
        if start is not None and start == end:
            raise forms.ValidationError(
                "El inicio y el fin de las horas de silencio no pueden ser iguales; déjelos vacíos para no tenerlas."
            )
        return cleaned


QUIET_HOURS_HELP = (
    "Horas del reloj en la zona horaria del taller ({zone}), desde el inicio (incluido) hasta el fin (excluido). "
    "Un mensaje que cae en ellas espera a que terminen. Un inicio mayor que el fin cruza la medianoche: "
    "21:00–07:00 silencia la noche. Deje ambos vacíos para no tenerlas."
)


def channel_fieldsets(channel: str | None, zone: str) -> tuple:
    """The fields that apply to a channel: the email sender for email, the Evolution instance for WhatsApp, staff
    recipients for the channels that reach staff (not push); every field when the channel is not chosen yet."""
    sets: list[tuple] = [(None, {"fields": ("taller", "channel", "is_enabled")})]
    if channel in (None, Channel.EMAIL):
        sets.append(("Remitente del email", {"fields": ("sender_name", "sender_address")}))
    if channel in (None, Channel.WHATSAPP):
        sets.append(("Número de WhatsApp", {"fields": ("evolution_instance",)}))
    if channel != Channel.PUSH:
        sets.append(("Avisos al personal", {"fields": ("staff_recipients",)}))
    sets.append(
        (
            "Horas de silencio",
            {"fields": (("quiet_hours_start", "quiet_hours_end"),), "description": QUIET_HOURS_HELP.format(zone=zone)},
        )
    )
    return tuple(sets)


class ChannelSummaryMixin:
    """A taller channel's settings in a few words, for lists."""

    @admin.display(description="remitente")
    def sender_summary(self, obj):
        if obj.channel == Channel.EMAIL:
            return obj.sender_address or "el general del servicio"
        if obj.channel == Channel.WHATSAPP:
            return obj.evolution_instance or "el número principal"
        return "-"

    @admin.display(description="personal")
    def staff_count(self, obj):
        return len(obj.staff_recipients or []) if obj.channel != Channel.PUSH else "-"

    @admin.display(description="horas de silencio")
    def quiet_hours(self, obj):
        if obj.quiet_hours_start is None or obj.quiet_hours_end is None:
            return "ninguna"
        return f"{obj.quiet_hours_start:%H:%M}–{obj.quiet_hours_end:%H:%M}"


class TallerChannelInline(ChannelSummaryMixin, admin.TabularInline):
    """The taller's channels at a glance; each one is edited on its own page, with the fields that apply to it."""

    model = TallerChannelConfig
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    fields = ("channel", "is_enabled", "sender_summary", "staff_count", "quiet_hours")
    readonly_fields = fields
    verbose_name_plural = "canales del taller (abra uno para editarlo)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Taller)
class TallerAdmin(admin.ModelAdmin):
    form = TallerForm
    list_display = ("status_display", "name", "slug", "timezone", "phone", "email", "is_default")
    list_display_links = ("name",)
    list_filter = ("is_active", "is_default")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = [TallerChannelInline]

    class Media:
        css = OFFICE_CSS

    @admin.display(description="estado", ordering="is_active")
    def status_display(self, obj):
        return status_badge("active", "Activo") if obj.is_active else status_badge("inactive", "Inactivo")


@admin.register(TallerChannelConfig)
class TallerChannelConfigAdmin(ChannelSummaryMixin, admin.ModelAdmin):
    form = TallerChannelConfigForm
    list_display = ("status_display", "taller", "channel", "sender_summary", "staff_count", "quiet_hours")
    list_display_links = ("taller", "channel")
    list_filter = ("is_enabled", "taller", "channel")
    search_fields = ("taller__name", "taller__slug", "sender_name", "sender_address", "evolution_instance")
    list_select_related = ("taller",)
    readonly_fields = ("created_at", "updated_at")

    class Media:
        css = OFFICE_CSS

    def get_fieldsets(self, request, obj=None):
        zone = obj.taller.timezone if obj is not None else "la del taller"
        return channel_fieldsets(obj.channel if obj is not None else None, zone)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # A row is one taller's one channel: which ones is fixed once it exists (its fields depend on the channel).
        return readonly + ("taller", "channel") if obj is not None else readonly

    @admin.display(description="estado", ordering="is_enabled")
    def status_display(self, obj):
        return status_badge("active", "Habilitado") if obj.is_enabled else status_badge("inactive", "Deshabilitado")


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("is_active", "customer", "push_service", "user_agent_short", "failure_count", "last_success_at")
    list_display_links = ("customer", "push_service")
    list_filter = ("is_active", "created_at")
    search_fields = ("customer__customer_id", "endpoint")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ("last_success_at", "failure_count", "created_at", "updated_at")
    fields = (
        "customer",
        "endpoint",
        "p256dh",
        "auth",
        "user_agent",
        "is_active",
        "last_success_at",
        "failure_count",
        "created_at",
        "updated_at",
    )

    @admin.display(description="servicio push", ordering="endpoint")
    def push_service(self, obj):
        return urlsplit(obj.endpoint).hostname or obj.endpoint[:60]

    @admin.display(description="navegador")
    def user_agent_short(self, obj):
        return obj.user_agent[:60] + ("…" if len(obj.user_agent) > 60 else "")
