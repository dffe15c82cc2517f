"""Validation of the sync webhooks' input, without a database: what the stored batch will hold."""

import pytest
from rest_framework.exceptions import ValidationError

from apps.synchronization.serializers import MAX_BATCH_ITEMS, sync_items_validate


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
