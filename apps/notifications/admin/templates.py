"""Admin of the notification templates, with a preview of the message as the customer receives it.

The preview fills the variables with the seed's example (office/previews.py) through the same service as the API's
`preview`; "Actualizar vista previa" renders what the form holds, before saving.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.core.exceptions import ApplicationError
from apps.notifications.models import NotificationTemplate, ServicePhase
from apps.notifications.office.previews import example_context, message_preview
from apps.notifications.services.rendering import VARIABLES, unknown_variables
from apps.notifications.services.templates import TEMPLATE_FIELDS, template_preview, template_validate

from .base import OFFICE_CSS, status_badge
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
        fields = TEMPLATE_FIELDS

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

        if not self.errors and cleaned.get("channel"):
            self._check_channel_limits(cleaned, service_type, subtype)

        if cleaned.get("is_active") and cleaned.get("phase") and cleaned.get("channel") and cleaned.get("target"):
            duplicate = self._active_duplicate(cleaned, service_type, subtype)
            if duplicate is not None:
                raise forms.ValidationError(
                    f"Ya existe una plantilla activa para esta combinación: «{duplicate.name}». "
                    "Desactívela antes de activar esta."
                )
        return cleaned

    def _check_channel_limits(self, cleaned, service_type, subtype):
        """The API's checks: a subject on one line, the channel's length limits, HTML only in emails."""
        try:
            template_validate(
                service_type=service_type,
                subtype=subtype,
                channel=cleaned["channel"],
                subject=cleaned.get("subject") or "",
                body=cleaned.get("body") or "",
                html_body=cleaned.get("html_body") or "",
            )
        except ApplicationError as error:
            self.add_error(error.attr if error.attr in self.fields else None, error.detail)

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


def _preview_html(*, channel: str, subject: str, body: str, html_body: str, phase: ServicePhase | None, template=None):
    """The message rendered with the example values, or why it cannot be (an unknown variable, a channel limit)."""
    try:
        rendered = template_preview(
            template=template,
            channel=channel,
            subject=subject,
            body=body,
            html_body=html_body,
            context=example_context(phase_name=phase.name if phase else ""),
        )
    except ApplicationError as error:
        return format_html('<p class="office-preview-error">No se puede mostrar: {}</p>', error.detail)
    preview = message_preview(
        channel=channel, subject=rendered.subject, body=rendered.body, html_body=rendered.html_body
    )
    note = ""
    if rendered.missing_variables:
        names = format_html_join(", ", "{{{{{}}}}}", ((name,) for name in rendered.missing_variables))
        note = format_html('<p class="office-preview-note help">Sin valor de ejemplo: {}.</p>', names)
    return format_html("{}{}", preview, note)


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    form = NotificationTemplateForm
    list_display = ("status_display", "name", "applies_to", "phase", "channel", "target")
    list_display_links = ("name",)
    list_filter = (
        "is_active",
        LevelFilter,
        "service_type",
        ("subtype", SubtypeListFilter),
        "phase",
        "channel",
        "target",
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
                "description": f"Variables disponibles: {ALLOWED_VARIABLES}. En WhatsApp, *texto* sale en negrita, "
                "_texto_ en cursiva y ~texto~ tachado. El cuerpo HTML solo se usa en email.",
            },
        ),
        ("Vista previa", {"fields": ("preview",)}),
        ("Registro", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    class Media:
        css = OFFICE_CSS
        js = ("notifications/admin/template_preview.js",)

    def get_urls(self):
        preview = path(
            "vista-previa/",
            self.admin_site.admin_view(self.preview_view),
            name="notifications_notificationtemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request):
        """The preview of what the form holds (POST: channel, subject, body, html_body, phase), as an HTML fragment."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        channel = request.POST.get("channel", "")
        phase = ServicePhase.objects.filter(pk=request.POST.get("phase") or None).first()
        if channel not in dict(NotificationTemplate._meta.get_field("channel").choices):
            return HttpResponse('<p class="office-preview-error">Elija un canal para ver la vista previa.</p>')
        return HttpResponse(
            _preview_html(
                channel=channel,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
                html_body=request.POST.get("html_body", ""),
                phase=phase,
            )
        )

    @admin.display(description="estado", ordering="is_active")
    def status_display(self, obj):
        return status_badge("active", "Activa") if obj.is_active else status_badge("inactive", "Inactiva")

    @admin.display(description="se usa para", ordering="service_type__order")
    def applies_to(self, obj):
        if obj.subtype_id:
            return f"Subtipo: {obj.subtype}"
        if obj.service_type_id:
            return f"Tipo: {obj.service_type}"
        return LEVEL_LABELS["generic"]

    @admin.display(description="cómo lo recibe el cliente (con valores de ejemplo)")
    def preview(self, obj):
        if obj is not None and obj.pk:
            current = _preview_html(
                channel=obj.channel, subject="", body="", html_body="", phase=obj.phase, template=obj
            )
        else:
            current = format_html('<p class="help">Escriba el contenido y pulse «Actualizar vista previa».</p>')
        url = reverse("admin:notifications_notificationtemplate_preview", current_app=self.admin_site.name)
        # The button shows only where the form can be edited (template_preview.js finds the fields).
        return format_html(
            '<div id="office-template-preview" data-url="{}">{}</div>'
            '<button type="button" class="button" id="office-template-preview-refresh" hidden>'
            "Actualizar vista previa</button>",
            url,
            current,
        )
