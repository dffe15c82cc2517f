"""Admin of the WhatsApp senders: each Evolution instance (state, pause) and the numbers WhatsApp said do not exist."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from apps.notifications.models import AbsentNumber, WhatsAppInstance
from apps.notifications.services.whatsapp_senders import whatsapp_instance_pause, whatsapp_instance_resume


@admin.register(WhatsAppInstance)
class WhatsAppInstanceAdmin(admin.ModelAdmin):
    list_display = ("state", "name", "paused_at", "pause_reason", "resumed_at", "state_checked_at")
    list_display_links = ("state", "name")
    list_filter = ("state",)
    search_fields = ("name",)
    readonly_fields = ("state", "state_checked_at", "paused_at", "pause_reason", "resumed_at")
    actions = ["pause", "resume"]

    @admin.action(description="Pausar: sus mensajes salen por el siguiente canal")
    def pause(self, request, queryset):
        for instance in queryset:
            whatsapp_instance_pause(name=instance.name, reason=f"Pausada en el admin por {request.user}.")
        self.message_user(request, f"{queryset.count()} instancia(s) en pausa.")

    @admin.action(description="Reanudar: vuelve a enviar (la sonda la pausa de nuevo si sigue desconectada)")
    def resume(self, request, queryset):
        for instance in queryset:
            whatsapp_instance_resume(name=instance.name, why=f"reanudada en el admin por {request.user}")
        self.message_user(request, f"{queryset.count()} instancia(s) reanudada(s).")


@admin.register(AbsentNumber)
class AbsentNumberAdmin(admin.ModelAdmin):
    """Deleting a number lets the next dispatch try it on WhatsApp again (e.g. the person just joined)."""

    list_display = ("phone", "reported_at", "skipped_until")
    search_fields = ("phone",)
    readonly_fields = ("phone", "reported_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="se omite hasta")
    def skipped_until(self, obj):
        return timezone.localtime(obj.reported_at + timedelta(days=settings.WHATSAPP_ABSENT_DAYS))
