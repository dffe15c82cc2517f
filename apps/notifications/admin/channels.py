"""Admin of the workshops, their channel settings and the Web Push subscriptions."""

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.notifications.models import PushSubscription, Taller, TallerChannelConfig


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


class TallerChannelConfigForm(forms.ModelForm):
    """Quiet hours are wall-clock times in the taller's timezone, from the start (inclusive) to the end (exclusive);
    a start after the end crosses midnight (21:00–07:00). A message due in them waits until they end
    (apps/notifications/services/quiet_hours.py)."""

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

    def clean_staff_recipients(self):
        value = self.cleaned_data.get("staff_recipients") or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise forms.ValidationError('Debe ser una lista de textos, p. ej. ["jefe@taller.ec", "+593991234567"].')
        recipients = []
        for item in (item.strip() for item in value):
            if not item:
                continue
            if "@" in item:
                try:
                    validate_email(item)
                except ValidationError as exc:
                    raise forms.ValidationError(f"«{item}» no es un email válido.") from exc
                recipients.append(item)
            else:
                try:
                    recipients.append(phone_to_e164(item))
                except InvalidPhoneNumber as exc:
                    raise forms.ValidationError(str(exc)) from exc
        return recipients

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


class TallerChannelInline(admin.StackedInline):
    model = TallerChannelConfig
    form = TallerChannelConfigForm
    extra = 0
    fields = (
        ("channel", "is_enabled"),
        ("sender_name", "sender_address"),
        "evolution_instance",
        "staff_recipients",
        ("quiet_hours_start", "quiet_hours_end"),
    )


@admin.register(Taller)
class TallerAdmin(admin.ModelAdmin):
    form = TallerForm
    list_display = ("name", "slug", "timezone", "phone", "email", "is_default", "is_active")
    list_filter = ("is_active", "is_default")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = [TallerChannelInline]


@admin.register(TallerChannelConfig)
class TallerChannelConfigAdmin(admin.ModelAdmin):
    form = TallerChannelConfigForm
    list_display = ("taller", "channel", "is_enabled", "sender_name", "quiet_hours_start", "quiet_hours_end")
    list_filter = ("taller", "channel", "is_enabled")
    search_fields = ("taller__name", "taller__slug", "sender_name", "sender_address")
    list_select_related = ("taller",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("customer", "push_service", "user_agent_short", "is_active", "failure_count", "last_success_at")
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
