"""Validation of the sync webhooks' input, without a database: what the stored batch will hold."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework.exceptions import ValidationError

from apps.synchronization import serializers as sync_serializers
from apps.synchronization import validation
from apps.synchronization.serializers import MAX_BATCH_ITEMS
from apps.synchronization.validation import sync_items_validate


def test_single_object_becomes_a_batch_of_one_with_normalised_values():
    items = sync_items_validate(
        {"customer_id": "customer-001", "name": "  Carlos  ", "email": None, "phone": "099 123 4567"},
        batch_key="customers",
    )

    assert items == [{"customer_id": "customer-001", "name": "Carlos", "email": "", "phone": "+593991234567"}]


def test_absent_fields_stay_absent_so_the_stored_values_are_kept():
    (item,) = sync_items_validate({"customer_id": "c-1", "is_active": False}, batch_key="customers")

    assert item == {"customer_id": "c-1", "is_active": False}


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("2026-01-20T14:15:00Z", "2026-01-20T09:15:00-05:00"),
        ("2026-01-20T09:15:00-05:00", "2026-01-20T09:15:00-05:00"),
        # Without a zone the time is Ecuador's (TIME_ZONE).
        ("2026-01-20T09:15:00", "2026-01-20T09:15:00-05:00"),
    ],
)
def test_updated_at_is_stored_as_aware_iso_8601_in_local_time(raw, stored):
    (item,) = sync_items_validate({"customer_id": "c-1", "updated_at": raw}, batch_key="customers")

    assert item["updated_at"] == stored


def test_vehicle_plate_and_vin_are_normalised():
    (item,) = sync_items_validate(
        {"vehicle_id": "v-1", "customer_id": "c-1", "plate": "pbx-0456", "vin": "lgwef4a59rh123456", "year": None},
        batch_key="vehicles",
    )

    assert item == {
        "vehicle_id": "v-1",
        "customer_id": "c-1",
        "plate": "PBX0456",
        "vin": "LGWEF4A59RH123456",
        "year": None,
    }


def test_an_oversized_batch_is_refused_before_its_items_are_validated():
    with pytest.raises(ValidationError) as caught:
        sync_items_validate({"customers": [{}] * (MAX_BATCH_ITEMS + 1)}, batch_key="customers")

    assert list(caught.value.detail) == ["customers"]
    assert caught.value.detail["customers"][0].code == "max_length"


def test_every_bad_item_is_reported_with_its_index():
    with pytest.raises(ValidationError) as caught:
        sync_items_validate(
            {"customers": [{"customer_id": "c-0"}, {"customer_id": "c-1", "phone": "12"}, {"email": "x"}]},
            batch_key="customers",
        )

    errors = caught.value.detail["customers"]
    assert set(errors) == {1, 2}
    assert errors[1]["phone"][0].code == "invalid_phone"
    assert set(errors[2]) == {"customer_id", "email"}


# --- the fast path (apps.synchronization.validation) against the serializers ---------------------------------

VALID_CUSTOMERS = [
    {"customer_id": "c-1"},
    {"customer_id": "C.2_x", "name": "  María  ", "email": " maria@example.com ", "phone": "0987654321"},
    {"customer_id": "c-3", "name": None, "email": None, "phone": None, "is_active": False, "updated_at": None},
    {"customer_id": "c-4", "name": "", "email": "", "phone": "   ", "is_active": True},
    {"customer_id": "c-5", "phone": "+593991234567", "updated_at": "2026-01-20T14:15:00Z"},
    {"customer_id": "c-6", "phone": "(02) 234-5678", "updated_at": "2026-01-20T09:15:00.123456"},
    {"customer_id": "c-7", "phone": "+1 415 555 2671", "updated_at": "2026-01-20T09:15:00+02:00"},
    {"customer_id": "c-8", "name": "x" * 200, "email": "a@b.co", "phone": "099 123 4567"},
    {"customer_id": "c-9", "name": "\tTab\n", "updated_at": "2000-01-01T05:00:00Z"},
    {"customer_id": "c-10", "updated_at": "2026-06-30T23:59:59.5+05:30"},
    {"customer_id": "c-11", "updated_at": "2099-12-31T18:59:59.999999-05:00"},
    {"customer_id": "c-11b", "updated_at": "1999-12-31T19:00:00-05:00"},  # the first instant accepted
    {"customer_id": "c-12", "updated_at": "2026-01-20 09:15"},
]
VALID_VEHICLES = [
    {"vehicle_id": "v-1", "customer_id": "c-1"},
    {"vehicle_id": "v-2", "customer_id": "c-2", "plate": " pbx-0456 ", "vin": "lgwef4a59rh123456", "year": 1900},
    {
        "vehicle_id": "v-3",
        "customer_id": "c-3",
        "plate": None,
        "brand": None,
        "model": None,
        "vin": None,
        "color": None,
        "year": None,
        "mileage": None,
        "is_active": False,
        "updated_at": None,
    },
    {
        "vehicle_id": "v-4",
        "customer_id": "c-1",
        "plate": "abc 1234",
        "brand": " Haval ",
        "model": "H6",
        "color": "Blanco",
        "mileage": 0,
        "year": 2024,
        "updated_at": "2026-01-20T09:15:00-05:00",
    },
    {"vehicle_id": "v-5", "customer_id": "c-1", "plate": "", "vin": "", "mileage": 9_999_999},
]


def _slow(data, batch_key):
    return sync_serializers.sync_items_validate(data, batch_key=batch_key)


@pytest.mark.parametrize("item", VALID_CUSTOMERS)
def test_fast_path_returns_what_the_serializer_returns_for_a_customer(item, monkeypatch):
    expected = _slow(item, "customers")
    monkeypatch.setattr(sync_serializers, "sync_items_validate", None)  # a fallback would fail loudly

    assert sync_items_validate(item, batch_key="customers") == expected


@pytest.mark.parametrize("item", VALID_VEHICLES)
def test_fast_path_returns_what_the_serializer_returns_for_a_vehicle(item, monkeypatch):
    expected = _slow(item, "vehicles")
    monkeypatch.setattr(sync_serializers, "sync_items_validate", None)

    assert sync_items_validate(item, batch_key="vehicles") == expected


def test_fast_path_takes_a_full_batch(monkeypatch):
    body = {"customers": [{**VALID_CUSTOMERS[1], "customer_id": f"c-{i}"} for i in range(MAX_BATCH_ITEMS)]}
    expected = _slow(body, "customers")
    monkeypatch.setattr(sync_serializers, "sync_items_validate", None)

    assert sync_items_validate(body, batch_key="customers") == expected


@pytest.mark.parametrize(
    "batch_key, data",
    [
        ("customers", {"customer_id": "c-1", "phone": "0912"}),
        ("customers", {"customer_id": "c-1", "email": "nope"}),
        ("customers", {"customer_id": "c 1"}),
        ("customers", {"customer_id": "c-1", "is_active": 1}),
        ("customers", {"customer_id": "c-1", "name": 5}),
        ("customers", {"customer_id": "c-1", "name": "x" * 201}),
        ("customers", {"customer_id": "c-1", "updated_at": "1999-12-31T23:00:00Z"}),
        ("customers", {"customer_id": "c-1", "updated_at": "ayer"}),
        ("customers", {"customer_id": "c-1", "updated_at": "2026-02-30T09:00:00Z"}),
        ("customers", {"customer_id": "c-1", "updated_at": "2100-01-01T04:00:00-05:00"}),
        ("customers", {"customer_id": "c-1", "updated_at": "2099-12-31T19:00:00-05:00"}),  # the first one refused
        ("customers", {"customers": [{"customer_id": "c-1"}, {"customer_id": "c-1"}]}),
        ("customers", {"customers": [{"customer_id": "c-1"}], "customer_id": "c-2"}),
        ("customers", {"customers": []}),
        ("customers", {"customers": "c-1"}),
        ("customers", ["c-1"]),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "year": 1899}),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "year": 9999}),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "year": "2024"}),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "plate": "ÁBC-1"}),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "vin": "IIIII"}),
        ("vehicles", {"vehicle_id": "v-1", "customer_id": "c-1", "mileage": -1}),
        ("vehicles", {"vehicle_id": "v-1"}),
    ],
)
def test_a_body_the_fast_path_is_unsure_of_gets_the_serializers_error(batch_key, data):
    with pytest.raises(ValidationError) as slow:
        _slow(data, batch_key)
    with pytest.raises(ValidationError) as fast:
        sync_items_validate(data, batch_key=batch_key)

    assert fast.value.get_full_details() == slow.value.get_full_details()


@pytest.mark.parametrize(
    "data",
    [{"customer_id": " c-1 "}, {"customer_id": "c-1", "unknown": 1}, {"customer_id": "c-1", "phone": "593991234567"}],
)
def test_a_valid_body_the_fast_path_is_unsure_of_is_still_accepted_as_the_serializer_accepts_it(data):
    assert sync_items_validate(data, batch_key="customers") == _slow(data, "customers")


@pytest.mark.parametrize(
    "address",
    [
        "cliente@example.com",
        "Cliente.Perez+taller@correo.example.ec",
        "a@b.co",
        '"con espacio"@example.com',
        "usuario@[192.168.0.1]",
        "usuario@[IPv6:::1]",
        "usuario@localhost",
        "usuario@dominio",
        "usuario@ñandú.ec",
        "usuario@xn--and-6ma2c.ec",
        "usuario@example.com.",
        "usuario@-example.com",
        "usuario@example-.com",
        "usuario@example..com",
        "usuario.@example.com",
        ".usuario@example.com",
        "usu..ario@example.com",
        "usuario@@example.com",
        "@example.com",
        "usuario@",
        "usuario",
        "usuario@example.c",
        "usuario@" + "a" * 64 + ".com",
        "usuario@" + "a" * 63 + ".com",
        "usuario@example." + "a" * 64,
    ],
)
def test_the_email_check_accepts_exactly_what_validate_email_accepts(address):
    try:
        validate_email(address)
        expected = True
    except DjangoValidationError:
        expected = False
    try:
        validation._email(address)
        accepted = True
    except validation._Unsure:
        accepted = False

    assert accepted is expected
