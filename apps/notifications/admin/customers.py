"""Admin of the customers projected from Core and their channel preferences."""

from django import forms
from django.contrib import admin

from apps.core.phones import InvalidPhoneNumber, phone_to_e164
from apps.notifications.models import CustomerChannelPreference, CustomerContactInfo


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
class CustomerContactInfoAdmin(admin.ModelAdmin):
    form = CustomerContactInfoForm
    list_display = ("customer_id", "name", "email", "phone", "is_active", "is_placeholder", "synced_at")
    list_filter = ("is_active", "is_placeholder")
    search_fields = ("customer_id", "name", "email", "phone")
    readonly_fields = ("synced_at", "source_updated_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("customer_id", "name", "email", "phone", "is_active", "is_placeholder")}),
        ("Sincronización con Core", {"fields": ("synced_at", "source_updated_at", "created_at", "updated_at")}),
    )
    inlines = [ChannelPreferenceInline]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # "0991234567" also finds the stored E.164 "+593991234567" (within the same list filters).
        try:
            e164 = phone_to_e164(search_term)
        except InvalidPhoneNumber:
            return results, may_have_duplicates
        return results | queryset.filter(phone=e164), may_have_duplicates


@admin.register(CustomerChannelPreference)
class CustomerChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "channel", "priority", "is_enabled")
    list_filter = ("channel", "is_enabled")
    search_fields = ("customer__customer_id", "customer__name")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    ordering = ("customer__customer_id", "priority")
    readonly_fields = ("created_at", "updated_at")
