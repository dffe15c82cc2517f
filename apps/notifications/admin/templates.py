"""Admin of the notification templates."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from apps.notifications.models import NotificationTemplate
from apps.notifications.services.rendering import VARIABLES, template_render, unknown_variables

from .catalog import SubtypeListFilter

LEVEL_LABELS = {"generic": "Genérica", "type": "Tipo", "subtype": "Subtipo"}
ALLOWED_VARIABLES = ", ".join("{{" + v.name + "}}" for v in VARIABLES)


class LevelFilter(admin.SimpleListFilter):
    title = "nivel"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return list(LEVEL_LABELS.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value == "generic":
            return queryset.filter(service_type__isnull=True, subtype__isnull=True)
        if value == "type":
            return queryset.filter(service_type__isnull=False, subtype__isnull=True)
        if value == "subtype":
            return queryset.filter(subtype__isnull=False)
        return queryset


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = (
            "name",
            "service_type",
            "subtype",
            "phase",
            "channel",
            "target",
            "subject",
            "body",
            "html_body",
            "is_active",
        )

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body", "html_body"):
            unknown = unknown_variables(cleaned.get(name) or "")
            if unknown:
                names = ", ".join("{{" + n + "}}" for n in unknown)
                self.add_error(name, f"Variable desconocida {names}. Variables permitidas: {ALLOWED_VARIABLES}.")

        subtype = cleaned.get("subtype")
        service_type = cleaned.get("service_type")
        if subtype is not None:
            if service_type is None:
                cleaned["service_type"] = service_type = subtype.parent
            elif subtype.parent_id != service_type.pk:
                self.add_error("subtype", f"El subtipo no pertenece al tipo de servicio «{service_type}».")
                return cleaned

        if cleaned.get("is_active") and cleaned.get("phase") and cleaned.get("channel") and cleaned.get("target"):
            duplicate = self._active_duplicate(cleaned, service_type, subtype)
            if duplicate is not None:
                raise forms.ValidationError(
                    f"Ya existe una plantilla activa para esta combinación: «{duplicate.name}». "
                    "Desactívela antes de activar esta."
                )
        return cleaned

    def _active_duplicate(self, cleaned, service_type, subtype):
        """The other active template at the same level and key, if any (at most one may be active)."""
        candidates = NotificationTemplate.objects.filter(
            is_active=True, phase=cleaned["phase"], channel=cleaned["channel"], target=cleaned["target"]
        )
        if subtype is not None:
            candidates = candidates.filter(subtype=subtype)
        else:
            candidates = candidates.filter(service_type=service_type, subtype__isnull=True)
        if self.instance.pk:
            candidates = candidates.exclude(pk=self.instance.pk)
        return candidates.first()


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    form = NotificationTemplateForm
    list_display = ("name", "level_display", "service_type", "subtype", "phase", "channel", "target", "is_active")
    list_filter = (
        LevelFilter,
        "service_type",
        ("subtype", SubtypeListFilter),
        "phase",
        "channel",
        "target",
        "is_active",
    )
    search_fields = ("name", "subject", "body")
    list_select_related = ("service_type", "subtype__parent", "phase")
    readonly_fields = ("preview", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (
            "Cuándo se usa",
            {
                "fields": ("service_type", "subtype", "phase", "channel", "target"),
                "description": "Sin tipo de servicio la plantilla es genérica. Al resolver se usa la del subtipo, "
                "si no la del tipo y si no la genérica.",
            },
        ),
        (
            "Contenido",
            {
                "fields": ("subject", "body", "html_body"),
                "description": f"Variables disponibles: {ALLOWED_VARIABLES}.",
            },
        ),
        ("Vista previa", {"fields": ("preview",)}),
        ("Registro", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="nivel")
    def level_display(self, obj):
        return LEVEL_LABELS[obj.level]

    @admin.display(description="vista previa con valores de ejemplo")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "Guarde la plantilla para ver la vista previa."
        example = {v.name: v.example for v in VARIABLES}
        rendered = template_render(subject=obj.subject, body=obj.body, context=example)
        return format_html(
            '<strong>{}</strong><pre style="white-space: pre-wrap; margin: 0.5em 0 0">{}</pre>',
            rendered.subject,
            rendered.body,
        )
