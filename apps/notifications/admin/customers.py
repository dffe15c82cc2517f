"""Admin of the customers projected from Core and their channel preferences.

The office sets a customer's preferences; the contact data comes from Core, so only superusers edit it, and everyone
else sees the email and phone masked.
"""

from django import forms
from django.contrib import admin

from apps.core.logging import mask_email, mask_phone
from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.notifications.models import CustomerChannelPreference, CustomerContactInfo

from .base import OFFICE_CSS, PhoneSearchMixin, status_badge

CONTACT_FIELDS = ("customer_id", "name", "email", "phone", "is_active", "is_placeholder")


class CustomerContactInfoForm(forms.ModelForm):
    class Meta:
        model = CustomerContactInfo
        fields = ("customer_id", "name", "email", "phone", "is_active", "is_placeholder")

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            return value
        try:
            return phone_to_e164(value)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc


class ChannelPreferenceInline(admin.TabularInline):
    model = CustomerChannelPreference
    fields = ("channel", "priority", "is_enabled")
    ordering = ("priority",)
    extra = 0
    max_num = 3  # one row per channel


@admin.register(CustomerContactInfo)
class CustomerContactInfoAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = CustomerContactInfoForm
    list_display = ("status_display", "customer_id", "name", "email", "phone", "is_placeholder", "synced_at")
    list_display_links = ("customer_id", "name")
    list_filter = ("is_active", "is_placeholder")
    search_fields = ("customer_id", "name", "email", "phone", "vehicles__plate")
    phone_search_fields = ("phone",)
    search_help_text = "Busque por nombre, ID, email, teléfono (0991234567) o placa."
    readonly_fields = ("synced_at", "source_updated_at", "created_at", "updated_at")
    inlines = [ChannelPreferenceInline]

    class Media:
        css = OFFICE_CSS

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return ("status_display", "customer_id", "name", "masked_email", "masked_phone", "is_placeholder", "synced_at")

    def get_fieldsets(self, request, obj=None):
        contact = CONTACT_FIELDS
        if not request.user.is_superuser:
            contact = ("customer_id", "name", "masked_email", "masked_phone", "is_active", "is_placeholder")
        return (
            (None, {"fields": contact}),
            (
                "Sincronización con Core",
                {"fields": ("synced_at", "source_updated_at", "created_at", "updated_at"), "classes": ("collapse",)},
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        # Core owns the contact data; the office edits the preferences below it.
        return readonly + ("customer_id", "name", "masked_email", "masked_phone", "is_active", "is_placeholder")

    @admin.display(description="estado", ordering="is_active")
    def status_display(self, obj):
        return status_badge("active", "Activo") if obj.is_active else status_badge("inactive", "Inactivo")

    @admin.display(description="email")
    def masked_email(self, obj):
        return mask_email(obj.email) or "-"

    @admin.display(description="teléfono")
    def masked_phone(self, obj):
        return mask_phone(obj.phone) or "-"


@admin.register(CustomerChannelPreference)
class CustomerChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ("is_enabled", "customer", "channel", "priority")
    list_filter = ("channel", "is_enabled")
    search_fields = ("customer__customer_id", "customer__name")
    list_select_related = ("customer",)
    list_display_links = ("customer", "channel")
    autocomplete_fields = ("customer",)
    ordering = ("customer__customer_id", "priority")
    readonly_fields = ("created_at", "updated_at")
