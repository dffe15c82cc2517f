"""Admin of the service catalog (phases, types and subtypes) and the orchestration matrix."""

from django import forms
from django.contrib import admin
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Coalesce

from apps.notifications.models import OrchestrationConfig, PhaseChannelConfig, ServicePhase, ServiceType

from .base import formset_class_for


@admin.register(ServicePhase)
class ServicePhaseAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order", "icon", "is_active")
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
    list_display = ("name", "slug", "parent", "order", "is_active")
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


class PhaseChannelInline(admin.TabularInline):
    """The matrix of one configuration: one row per (phase, channel)."""

    model = PhaseChannelConfig
    formset = formset_class_for("phase")
    fields = ("phase", "channel", "is_enabled")
    ordering = ("phase__order", "channel")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("phase")


@admin.register(OrchestrationConfig)
class OrchestrationConfigAdmin(admin.ModelAdmin):
    list_display = ("name", "service_type", "target", "is_active", "enabled_cells")
    list_filter = ("service_type", "target", "is_active")
    search_fields = ("name", "service_type__name", "service_type__slug")
    list_select_related = ("service_type",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "service_type", "target", "is_active", "created_at", "updated_at")
    inlines = [PhaseChannelInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                cells_total=Count("phase_channels"),
                cells_enabled=Count("phase_channels", filter=Q(phase_channels__is_enabled=True)),
            )
        )

    @admin.display(description="canales habilitados")
    def enabled_cells(self, obj):
        return f"{obj.cells_enabled} de {obj.cells_total}"


@admin.register(PhaseChannelConfig)
class PhaseChannelConfigAdmin(admin.ModelAdmin):
    list_display = ("config", "phase", "channel", "is_enabled")
    list_display_links = ("config", "phase")
    list_editable = ("is_enabled",)
    list_filter = ("config", "phase", "channel", "is_enabled")
    search_fields = ("config__name", "phase__name", "phase__slug")
    list_select_related = ("config", "phase")
    ordering = ("config__service_type__order", "config__target", "phase__order", "channel")
    readonly_fields = ("created_at", "updated_at")
