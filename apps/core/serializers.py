"""Request bodies carry the JSON types and the lengths the schema states."""

import copy
from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.fields import _UnvalidatedField  # DictField's child when none is given
from rest_framework.relations import RelatedField

# DRF reads request data as if it came from an HTML form, where every value is text: it turns `"is_active": 0`
# into false, `"name": 5` into "5" and `"template_id": 5` into a UUID. A JSON client sending those has a bug the
# schema already tells it about; a 400 says so instead of storing a guess. (A ChoiceField needs no check: a
# number or a boolean is never one of its choices.)
_EXPECTED = (
    (serializers.BooleanField, (bool,), "Debe ser true o false."),
    (serializers.IntegerField, (int,), "Debe ser un número entero."),
    (serializers.CharField, (str,), "Debe ser texto."),
    (serializers.UUIDField, (str,), "Debe ser texto (un UUID)."),
    (serializers.DateField, (str,), "Debe ser texto (una fecha AAAA-MM-DD)."),
    (serializers.DateTimeField, (str,), "Debe ser texto (fecha y hora ISO-8601)."),
    (RelatedField, (str,), "Debe ser texto."),
)


def _type_error(field: serializers.Field, value) -> str | None:
    for field_class, types, message in _EXPECTED:
        if isinstance(field, field_class):
            wrong = isinstance(value, bool) and bool not in types
            return message if wrong or not isinstance(value, types) else None
    return None


def _length_error(field: serializers.Field, value) -> str | None:
    # DRF trims before it measures: "\x1c" + 200 characters passed a max_length of 200. The schema's maxLength
    # is about the text as sent.
    max_length = getattr(field, "max_length", None)
    if isinstance(field, serializers.CharField) and max_length is not None and len(value) > max_length:
        return field.error_messages["max_length"].format(max_length=max_length)
    return None


# For input serializers: a value of the wrong JSON type is a 400 `invalid` naming the field, a text longer than
# its maxLength as sent a 400 `max_length`. (No docstring: drf-spectacular would show it as the description of
# every request body that inherits it.)
class JSONTypesMixin:
    def to_internal_value(self, data):
        errors = self._json_errors(data) if isinstance(data, Mapping) else {}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors:
                raise
            # One 400 still names every bad field; for a field both saw, the type or length as sent is the reason.
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def _json_errors(self, data: Mapping) -> dict:
        errors = {}
        for field in self._writable_fields:
            value = data.get(field.field_name)
            if value is None:
                continue
            if message := _type_error(field, value):
                errors[field.field_name] = [serializers.ErrorDetail(message, code="invalid")]
            elif message := _length_error(field, value):
                errors[field.field_name] = [serializers.ErrorDetail(message, code="max_length")]
        return errors


# Field classes that nothing changes after __init__ but bind(): their choices, validators and messages are only
# read while validating. (DictField only with a child of these; a nested serializer reads its context.)
_SHARED_STATE_SAFE = (serializers.CharField, serializers.ChoiceField, _UnvalidatedField)


def _copy_for_instance(field: serializers.Field) -> serializers.Field:
    safe = type(field) in _SHARED_STATE_SAFE or (
        type(field) is serializers.DictField and type(field.child) in _SHARED_STATE_SAFE
    )
    return copy.copy(field) if safe else copy.deepcopy(field)


# For a plain Serializer on a hot path: DRF deep-copies every declared field for every instance, which runs each
# field's __init__ again (half of the dispatch's input validation, docs/benchmarks.md §1e). A field of the classes
# above holds nothing a validation changes, so a shallow copy, bound to this instance, validates the same; any other
# field keeps DRF's deep copy. Not for a ModelSerializer, whose fields are not all declared. (No docstring:
# drf-spectacular would show it as the description of the request body.)
class ShallowFieldsMixin:
    def get_fields(self):
        return {name: _copy_for_instance(field) for name, field in self._declared_fields.items()}
