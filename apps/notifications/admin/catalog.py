"""Admin of the service catalog (phases, types and subtypes) and the orchestration matrix.

The matrix of a configuration is edited as one grid (phases × channels) on its page, and saved through the same
service as the API's `update_matrix` (services/orchestration.py).
"""

from django import forms
from django.contrib import admin
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join

from apps.core.constants import Channel
from apps.notifications.models import OrchestrationConfig, PhaseChannelConfig, ServicePhase, ServiceType
from apps.notifications.services.orchestration import (
    CHANNELS,
    DEFAULT_CHANNEL_STATE,
    orchestration_matrix_get,
    orchestration_matrix_update,
    orchestration_phases_initialize,
)

from .base import OFFICE_CSS, status_badge


@admin.register(ServicePhase)
class ServicePhaseAdmin(admin.ModelAdmin):
    list_display = ("is_active", "name", "slug", "order", "icon")
    list_display_links = ("name",)
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")


class MainTypeFilter(admin.SimpleListFilter):
    """Filter by main type; "ninguno" lists the main types themselves."""

    title = "tipo principal"
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        main_types = ServiceType.objects.filter(parent__isnull=True).order_by("order", "slug")
        return [("none", "Ninguno (solo tipos principales)")] + [(str(t.pk), t.name) for t in main_types]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(parent__isnull=True)
        if value:
            return queryset.filter(parent_id=value)
        return queryset


class SubtypeListFilter(admin.RelatedFieldListFilter):
    """Filter on a subtype foreign key: the choices read "Main › Sub" without a query per subtype."""

    def field_choices(self, field, request, model_admin):
        subtypes = ServiceType.objects.filter(parent__isnull=False).select_related("parent")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            subtypes = subtypes.order_by(*ordering)
        return [(subtype.pk, str(subtype)) for subtype in subtypes]


class SubtypeInline(admin.TabularInline):
    model = ServiceType
    fk_name = "parent"
    fields = ("name", "slug", "icon", "order", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    extra = 0
    show_change_link = True
    verbose_name = "subtipo"
    verbose_name_plural = "subtipos"


class ServiceTypeForm(forms.ModelForm):
    class Meta:
        model = ServiceType
        fields = ("name", "slug", "icon", "order", "parent", "is_active")

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is None:
            return parent
        if self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError("Un tipo no puede ser su propio tipo principal.")
        if parent.parent_id:
            raise forms.ValidationError("El tipo principal no puede ser a su vez un subtipo.")
        if self.instance.pk and self.instance.subtypes.exists():
            raise forms.ValidationError("Este tipo tiene subtipos: no puede convertirse en subtipo de otro.")
        return parent


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    form = ServiceTypeForm
    list_display = ("is_active", "name", "slug", "parent", "order")
    list_display_links = ("name",)
    list_filter = (MainTypeFilter, "is_active")
    search_fields = ("name", "slug", "parent__name")
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")

    def get_ordering(self, request):
        # Each main type followed by its subtypes, in catalog order. Expressions, not annotations:
        # the related-field filters of other admins reuse this ordering on a plain queryset.
        return (
            Coalesce("parent__order", "order").asc(),
            Coalesce("parent__slug", "slug").asc(),
            Case(When(parent__isnull=True, then=Value(0)), default=Value(1)).asc(),
            "order",
            "slug",
        )

    def get_inlines(self, request, obj):
        # Only main types have subtypes (one level).
        if obj is not None and obj.parent_id:
            return []
        return [SubtypeInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = ServiceType.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MatrixWidget(forms.Widget):
    """The phase × channel grid: one checkbox per cell, plus what the cell showed when the page was drawn.

    Only the cells the user changed are sent to the service, so a cell someone else changed meanwhile (through the
    API or another browser) keeps its new value unless this user changed it too. A POST without the shown values
    (a script) names every cell.
    """

    template_name = "notifications/admin/matrix_grid.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.phases: list[ServicePhase] = []

    def _cell_name(self, name: str, phase: ServicePhase, channel: str) -> str:
        return f"{name}-{phase.slug}-{channel}"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = value or {}
        labels = dict(Channel.choices)
        context["channels"] = [labels[channel] for channel in CHANNELS]
        context["rows"] = [
            {
                "phase": phase.name,
                "cells": [
                    {
                        "name": self._cell_name(name, phase, channel),
                        "label": f"{phase.name} · {labels[channel]}",
                        "checked": bool(value.get(phase.slug, {}).get(channel)),
                    }
                    for channel in CHANNELS
                ],
            }
            for phase in self.phases
        ]
        return context

    def value_from_datadict(self, data, files, name):
        matrix: dict[str, dict[str, bool]] = {}
        for phase in self.phases:
            for channel in CHANNELS:
                cell = self._cell_name(name, phase, channel)
                checked = cell in data
                shown = data.get(f"{cell}-shown")
                if shown is not None and (shown == "1") == checked:
                    continue
                matrix.setdefault(phase.slug, {})[channel] = checked
        return matrix

    def value_omitted_from_data(self, data, files, name):
        return False


class MatrixField(forms.Field):
    widget = MatrixWidget

    def has_changed(self, initial, data):
        return any(
            bool((initial or {}).get(phase, {}).get(channel)) != enabled
            for phase, cells in (data or {}).items()
            for channel, enabled in cells.items()
        )


class OrchestrationConfigForm(forms.ModelForm):
    matrix = MatrixField(
        label="Canales por fase",
        required=False,
        help_text="Marque los canales por los que sale el mensaje en cada fase. El cliente puede desactivar canales "
        "en sus preferencias; los que queden se prueban en su orden de prioridad.",
    )

    class Meta:
        model = OrchestrationConfig
        fields = ("name", "service_type", "target", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        phases = list(ServicePhase.objects.filter(is_active=True).order_by("order", "slug"))
        self.fields["matrix"].widget.phases = phases
        if self.instance.pk:
            initial = orchestration_matrix_get(config=self.instance, phases=phases)
        else:
            initial = {phase.slug: dict(DEFAULT_CHANNEL_STATE) for phase in phases}
        self.initial["matrix"] = self.fields["matrix"].initial = initial


@admin.register(OrchestrationConfig)
class OrchestrationConfigAdmin(admin.ModelAdmin):
    form = OrchestrationConfigForm
    list_display = ("status_display", "name", "service_type", "target", "enabled_cells")
    list_display_links = ("name",)
    list_filter = ("is_active", "service_type", "target")
    search_fields = ("name", "service_type__name", "service_type__slug")
    list_select_related = ("service_type",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "service_type", "target", "is_active")}),
        ("Matriz de canales", {"fields": ("matrix",)}),
        ("Registro", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    class Media:
        css = OFFICE_CSS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                cells_total=Count("phase_channels"),
                cells_enabled=Count("phase_channels", filter=Q(phase_channels__is_enabled=True)),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            # The office edits the matrix; which type and audience a configuration is for is the catalog's.
            readonly += ("name", "service_type", "target")
        return readonly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        config = form.instance
        if not change:
            orchestration_phases_initialize(config=config)
        if form.cleaned_data.get("matrix"):
            orchestration_matrix_update(config=config, matrix=form.cleaned_data["matrix"])

    @admin.display(description="estado", ordering="is_active")
    def status_display(self, obj):
        return status_badge("active", "Activa") if obj.is_active else status_badge("inactive", "Inactiva")

    @admin.display(description="canales habilitados")
    def enabled_cells(self, obj):
        return f"{obj.cells_enabled} de {obj.cells_total}"

    @admin.display(description="canales por fase")
    def matrix(self, obj):
        """The grid, read-only (a user who may only view the configuration)."""
        if obj is None or not obj.pk:
            return "-"
        phases = list(ServicePhase.objects.filter(is_active=True).order_by("order", "slug"))
        matrix = orchestration_matrix_get(config=obj, phases=phases)
        labels = dict(Channel.choices)
        head = format_html_join("", '<th scope="col">{}</th>', ((labels[c],) for c in CHANNELS))
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th>{}</tr>',
            (
                (
                    phase.name,
                    format_html_join(
                        "",
                        "{}",
                        (
                            (
                                format_html('<td class="office-on">Sí</td>')
                                if matrix[phase.slug][c]
                                else format_html('<td class="office-off">No</td>'),
                            )
                            for c in CHANNELS
                        ),
                    ),
                )
                for phase in phases
            ),
        )
        return format_html('<table class="office-matrix"><thead><tr><th></th>{}</tr></thead>{}</table>', head, rows)


@admin.register(PhaseChannelConfig)
class PhaseChannelConfigAdmin(admin.ModelAdmin):
    list_display = ("is_enabled", "config", "phase", "channel")
    list_display_links = ("config", "phase")
    list_editable = ("is_enabled",)
    list_filter = ("config", "phase", "channel", "is_enabled")
    search_fields = ("config__name", "phase__name", "phase__slug")
    list_select_related = ("config", "phase")
    ordering = ("config__service_type__order", "config__target", "phase__order", "channel")
    readonly_fields = ("created_at", "updated_at")
