"""The admin app with the office's site as `admin.site` (Django's documented way to replace the default site)."""

from django.contrib.admin.apps import AdminConfig


class OfficeAdminConfig(AdminConfig):
    default_site = "apps.notifications.office.site.OfficeAdminSite"
