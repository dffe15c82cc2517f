"""Shared pieces of the notifications admin: read-only admins, JSON display, choice caching."""

import json

from django.contrib.admin.utils import flatten_fieldsets
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.html import format_html


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


class CachedChoicesFormSet(BaseInlineFormSet):
    """Inline formset whose forms share the choices of their foreign-key selects.

    Without this every row of a tabular inline runs its own query for each select
    (e.g. the 15 rows of an orchestration matrix each listing the phases).
    Set `cached_choice_fields` on the subclass (or through `formset_class_for`).
    """

    cached_choice_fields: tuple[str, ...] = ()

    @cached_property
    def _shared_choices(self) -> dict[str, list]:
        fields = self.form.base_fields
        return {name: list(fields[name].choices) for name in self.cached_choice_fields if name in fields}

    def _share_choices(self, form):
        for name, choices in self._shared_choices.items():
            form.fields[name].choices = choices
        return form

    def _construct_form(self, i, **kwargs):
        return self._share_choices(super()._construct_form(i, **kwargs))

    @property
    def empty_form(self):
        return self._share_choices(super().empty_form)


def formset_class_for(*field_names: str) -> type[CachedChoicesFormSet]:
    return type("CachedChoicesFormSet", (CachedChoicesFormSet,), {"cached_choice_fields": field_names})
