"""ShallowFieldsMixin (apps/core/serializers.py): shallow copies of the fields that hold nothing a validation
changes, DRF's deep copy for the rest, and the same answers as DRF's own serializer."""

import pytest
from rest_framework import serializers

from apps.core.serializers import JSONTypesMixin, ShallowFieldsMixin


class Address(serializers.Serializer):
    city = serializers.CharField(max_length=20)


FIELDS = {
    "kind": lambda: serializers.ChoiceField(choices=[("a", "A"), ("b", "B")]),
    "name": lambda: serializers.CharField(max_length=5),
    "note": lambda: serializers.CharField(required=False, allow_blank=True, allow_null=True),
    "context": lambda: serializers.DictField(required=False, default=dict),
    "email": lambda: serializers.EmailField(required=False),  # a CharField subclass: deep-copied
    "address": lambda: Address(required=False),  # a nested serializer: deep-copied
}


# The same declarations, built twice: one serializer with the mixin, one with DRF's deep copy.
def declared() -> dict:
    return {name: build() for name, build in FIELDS.items()}


Shallow = type("Shallow", (ShallowFieldsMixin, JSONTypesMixin, serializers.Serializer), declared())
Deep = type("Deep", (JSONTypesMixin, serializers.Serializer), declared())


BODIES = [
    {"kind": "a", "name": "ana", "context": {"Placa": "ABC-123"}, "email": "a@b.ec", "address": {"city": "Quito"}},
    {"kind": "c", "name": "ana"},
    {"kind": "a", "name": "demasiado"},
    {"kind": "a", "name": 5},
    {"kind": "a", "name": "ana", "context": "no"},
    {"kind": "a", "name": "ana", "email": "no-es-email", "address": {"city": "x" * 21}},
    {"name": None, "note": None},
    {},
]


@pytest.mark.parametrize("body", BODIES)
def test_it_answers_what_drf_answers(body):
    shallow, deep = Shallow(data=body), Deep(data=body)
    assert shallow.is_valid() == deep.is_valid()
    assert shallow.errors == deep.errors
    if not deep.errors:
        assert shallow.validated_data == deep.validated_data


def test_each_instance_binds_its_own_fields():
    first, second = Shallow(data={}), Shallow(data={})
    for name in FIELDS:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second


def test_only_the_listed_classes_share_their_state():
    declared = Shallow._declared_fields
    fields = Shallow(data={}).fields
    assert fields["name"].validators is declared["name"].validators  # shallow: read only while validating
    assert fields["email"].validators is not declared["email"].validators  # a subclass: DRF's deep copy
    assert fields["address"].fields["city"] is not declared["address"].fields["city"]


def test_interleaved_validations_do_not_see_each_other():
    good, bad = Shallow(data=BODIES[0]), Shallow(data=BODIES[2])
    assert good.fields and bad.fields  # both bound before either validates
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"name"}
