"""Sync batches in the admin: read-only (the webhooks write them); emails and phones masked except for superusers."""

from django.contrib import admin

from apps.core.logging import mask_email, mask_phone
from apps.notifications.admin.base import ReadOnlyAdminMixin, json_display
from apps.synchronization.models import SyncBatch


def _masked_payload(payload) -> list:
    items = payload if isinstance(payload, list) else []
    masked = []
    for item in items:
        item = dict(item) if isinstance(item, dict) else {}
        if item.get("email"):
            item["email"] = mask_email(item["email"])
        if item.get("phone"):
            item["phone"] = mask_phone(item["phone"])
        masked.append(item)
    return masked


@admin.register(SyncBatch)
class SyncBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("status", "created_at", "kind", "item_count", "task_id", "processed_at")
    list_display_links = ("status", "created_at")
    list_filter = ("kind", "status", "created_at")
    search_fields = ("=id", "=task_id", "=request_id")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        payload = "payload_full" if request.user.is_superuser else "payload_masked"
        return (
            (None, {"fields": ("id", "kind", "status", "item_count", "task_id", "request_id")}),
            ("Resultado", {"fields": ("result_display", "created_at", "processed_at")}),
            ("Datos", {"fields": (payload,)}),
        )

    @admin.display(description="resultado")
    def result_display(self, obj):
        return json_display(obj.result)

    @admin.display(description="datos validados")
    def payload_full(self, obj):
        return json_display(obj.payload)

    @admin.display(description="datos validados (email y teléfono enmascarados)")
    def payload_masked(self, obj):
        return json_display(_masked_payload(obj.payload))
