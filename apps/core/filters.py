"""List filters that refuse what they cannot read, instead of silently ignoring it."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError

_TRUE = {"true", "1", "yes", "si", "sí"}
_FALSE = {"false", "0", "no"}


class _StrictBooleanField(forms.NullBooleanField):
    # django-filter's select widget turns an unknown value into "no filter": `?is_active=quizas` listed everything.
    widget = forms.TextInput

    def to_python(self, value):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(f"'{value}' no es un booleano: use true o false.", code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField
