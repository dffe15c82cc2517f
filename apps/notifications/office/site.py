"""The admin site the workshop's office works in (SPEC §13), installed as `admin.site` by config.apps.

- Spanish whatever the browser asks for: the project has no LocaleMiddleware, so LANGUAGE_CODE always speaks.
- The taller's clock: every admin page renders in the default taller's zone (a record of another taller's dispatch
  switches to that taller's zone on its own page: admin/logs.py).
- Machinery (API keys, Celery results and schedules, users and groups, idempotency keys, raw attempts) is for
  superusers only, whatever permissions a user was given. The rest follows permissions (the `Oficina` group's).
- The index carries the dashboard, with a resend button for each failure it lists.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.base import ModelBase
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.constants import SUCCESS_STATUSES, NotificationStatus
from apps.notifications.models import NotificationLog
from apps.notifications.services.outbox import notification_resend

from .dashboard import dashboard_build
from .zones import office_zone, rendered_in

MACHINERY_APPS = frozenset({"auth", "core", "django_celery_beat", "django_celery_results", "rest_framework_api_key"})
MACHINERY_MODELS = frozenset({"notifications.idempotencyrecord", "notifications.notificationattempt"})
RESEND_PERMISSION = "notifications.resend_notificationlog"
DASHBOARD_PERMISSION = "notifications.view_notificationlog"
# A row still on its way (pending, queued, sending) is not resent: it may yet arrive.
RESENDABLE_STATUSES = (*SUCCESS_STATUSES, NotificationStatus.FAILED)


def is_machinery(model) -> bool:
    return model._meta.app_label in MACHINERY_APPS or model._meta.label_lower in MACHINERY_MODELS


class SuperuserOnlyMixin:
    """Hides a model admin from everyone but active superusers, whatever permissions they hold."""

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request) and super().has_delete_permission(request, obj)


class OfficeAdminSite(admin.AdminSite):
    site_header = "Ambacar · Notificaciones"
    site_title = "Ambacar notificaciones"
    index_title = "Panel de la oficina"
    # "Ver el sitio": this service has no site of its own; its API documentation is what there is to see.
    site_url = "/api/docs/"
    index_template = "notifications/admin/index.html"
    # The side menu would take 300 of a 1366 px screen from every list; the breadcrumbs and the index lead the way.
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if is_machinery(model) and not issubclass(model_admin, SuperuserOnlyMixin):
                model_admin = type(model_admin.__name__, (SuperuserOnlyMixin, model_admin), {})
            super().register(model, model_admin, **options)

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        def in_office_zone(request, *args, **kwargs):
            return rendered_in(office_zone(), lambda: guarded(request, *args, **kwargs))

        return update_wrapper(in_office_zone, guarded)

    def get_urls(self):
        return [
            path("panel/reenviar/<uuid:notification_id>/", self.admin_view(self.resend_view), name="office_resend"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard_build() if request.user.has_perm(DASHBOARD_PERMISSION) else None}
        context["can_resend"] = request.user.has_perm(RESEND_PERMISSION)
        return super().index(request, extra_context={**context, **(extra_context or {})})

    def resend_view(self, request, notification_id):
        """Send a finished row's message again (the dashboard's and the notification page's button)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(RESEND_PERMISSION):
            raise PermissionDenied
        row = get_object_or_404(NotificationLog.objects.select_related("customer"), pk=notification_id)
        if row.status in RESENDABLE_STATUSES:
            notification_resend(notification_id=row.pk)
            who = row.customer.name if row.customer and row.customer.name else "el destinatario"
            messages.success(
                request,
                f"Se reenvió por {row.get_channel_display()} el mensaje «{row.get_event_type_display()}» a {who}. "
                "El resultado aparece en su despacho.",
            )
        else:
            messages.warning(request, "Esta notificación todavía está en curso: no se reenvió.")
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(target)
