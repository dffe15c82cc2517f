"""Shared pieces of the notifications admin: read-only admins, JSON display, status badges, phone search."""

import json

from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.html import format_html

from apps.core.phones import InvalidPhoneNumber, phone_to_e164

# The office's stylesheet (badges, previews, the matrix grid): `class Media: css = OFFICE_CSS`.
OFFICE_CSS = {"all": ("notifications/admin/office.css",)}


class ReadOnlyAdminMixin:
    """Records written by the system: anyone with view permission may look, nobody edits.

    Deleting stays possible for superusers only (e.g. to remove test rows); every field of the
    detail page is read-only and a POST to the change page is refused by Django (403).
    Subclasses define `fieldsets` or `get_fieldsets()`: the read-only fields are derived from them.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.get_fieldsets(request, obj))


class ReadOnlyInlineMixin:
    """An inline that only lists rows: no add, no change, no delete."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def json_display(value) -> str:
    """JSON pretty-printed in a <pre> block, escaped (it may hold customer text)."""
    if value in (None, "", [], {}):
        return "-"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def status_badge(value: str, label: str):
    """A coloured label for a status (`value` is one of our status codes, or active/inactive)."""
    return format_html('<span class="office-status office-status-{}">{}</span>', value, label)


def short_datetime(value) -> str:
    """ "30/11/2026 12:25" in the active zone (the taller's): the long format does not fit a list column."""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "-"


class PhoneSearchMixin:
    """The changelist search also finds a phone written as the office writes it: "0991234567" finds the stored
    E.164 "+593991234567" in `phone_search_fields` (exact matches, within the list's filters)."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            e164 = phone_to_e164(search_term)
        except InvalidPhoneNumber:
            return results, may_have_duplicates
        same_phone = Q()
        for name in self.phone_search_fields:
            same_phone |= Q(**{name: e164})
        return results | queryset.filter(same_phone), may_have_duplicates
