"""List filters that refuse what they cannot read, instead of silently ignoring it."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

_TRUE = {"true", "1", "yes", "si", "sí"}
_FALSE = {"false", "0", "no"}


class _StrictBooleanField(forms.NullBooleanField):
    # django-filter's select widget turns an unknown value into "no filter": `?is_active=quizas` listed everything.
    widget = forms.TextInput
    default_error_messages = {"invalid": "Use true o false."}

    def to_python(self, value):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        # The value goes in params: django-filter formats the message with `%`, which a raw `%` in it would break.
        raise ValidationError(
            "'%(value)s' no es un booleano: use true o false.", code="invalid", params={"value": value}
        )

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class FilterSet(django_filters.FilterSet):
    """A filter that is sent is applied: an empty value of a typed filter (choice, boolean, date) is a 400 naming
    it, as an unreadable one is, never "no filter". Free text (`search`, slugs) may be empty."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or "" not in self.data.getlist(name):
                continue
            field = self.form.fields[name]
            code = "invalid_choice" if isinstance(field, forms.ChoiceField) else "invalid"
            if name not in self.form.errors:
                detail = "«%(name)s» está vacío: envíe un valor o quítelo."
                self.form.add_error(name, ValidationError(detail, code=code, params={"name": name}))
            valid = False
        return valid


def query_values(request) -> dict[str, str]:
    """The query string as plain values (the last of a repeated one), for a query serializer. DRF reads a QueryDict
    as an HTML form, where an empty value means "not sent"; here `?days=` is a value, and a 400 if unreadable."""
    return request.query_params.dict()
