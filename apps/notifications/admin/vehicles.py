"""Admin of the vehicles projected from Core and their maintenance reminders."""

from django import forms
from django.contrib import admin

from apps.notifications.models import MaintenanceReminder, Vehicle


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ("is_active", "vehicle_id", "plate", "brand", "model", "year", "customer")
    list_display_links = ("vehicle_id", "plate")
    list_filter = ("is_active",)
    search_fields = ("vehicle_id", "plate", "vin", "customer__customer_id")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("synced_at", "source_updated_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("vehicle_id", "customer", "plate", "is_active")}),
        ("Datos del vehículo", {"fields": ("brand", "model", "year", "color", "vin", "mileage")}),
        ("Sincronización con Core", {"fields": ("synced_at", "source_updated_at", "created_at", "updated_at")}),
    )


class MaintenanceReminderForm(forms.ModelForm):
    class Meta:
        model = MaintenanceReminder
        fields = (
            "vehicle",
            "customer",
            "reminder_type",
            "description",
            "due_date",
            "due_mileage",
            "notify_days_before",
            "recurrence_days",
            "status",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer" in self.fields:
            self.fields["customer"].required = False
            self.fields["customer"].help_text = "Vacío: el cliente del vehículo."

    def clean(self):
        cleaned = super().clean()
        vehicle, customer = cleaned.get("vehicle"), cleaned.get("customer")
        if vehicle is not None:
            if customer is None:
                cleaned["customer"] = vehicle.customer
            elif customer.pk != vehicle.customer_id:
                self.add_error("customer", "El vehículo pertenece a otro cliente.")
        due_fields_valid = "due_date" in cleaned and "due_mileage" in cleaned
        if due_fields_valid and cleaned["due_date"] is None and cleaned["due_mileage"] is None:
            raise forms.ValidationError("Indique una fecha límite, un kilometraje límite o ambos.")
        return cleaned


@admin.register(MaintenanceReminder)
class MaintenanceReminderAdmin(admin.ModelAdmin):
    form = MaintenanceReminderForm
    list_display = ("status", "reminder_type", "vehicle", "customer", "due_date", "due_mileage", "last_notified_at")
    list_display_links = ("status", "reminder_type")
    list_filter = ("status", "reminder_type", "due_date")
    search_fields = ("vehicle__plate", "vehicle__vehicle_id", "customer__customer_id")
    date_hierarchy = "due_date"
    list_select_related = ("vehicle", "customer")
    autocomplete_fields = ("vehicle", "customer")
    readonly_fields = ("last_notified_at", "notified_count", "completed_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("vehicle", "customer", "reminder_type", "description", "status")}),
        ("Vencimiento", {"fields": ("due_date", "due_mileage", "notify_days_before", "recurrence_days")}),
        ("Avisos", {"fields": ("last_notified_at", "notified_count", "completed_at", "created_at", "updated_at")}),
    )
