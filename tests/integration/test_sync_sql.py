"""PostgreSQL's two-statement sync (apps.synchronization.sql) leaves the rows the ORM path leaves, item for item."""

import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization.models import SyncBatch
from apps.synchronization.services import customers_sync, vehicles_sync
from apps.synchronization.sql import customers_sync_stored, vehicles_sync_stored

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]

T0, T1, T2 = "2026-01-20T08:00:00-05:00", "2026-01-20T09:00:00-05:00", "2026-01-20T10:00:00-05:00"


def _customers_state() -> list[tuple]:
    return sorted(
        CustomerContactInfo.objects.values_list(
            "customer_id", "name", "email", "phone", "is_active", "is_placeholder", "source_updated_at"
        )
    )


def _vehicles_state() -> list[tuple]:
    return sorted(
        Vehicle.objects.values_list(
            "vehicle_id",
            "customer__customer_id",
            "plate",
            "brand",
            "model",
            "year",
            "vin",
            "color",
            "mileage",
            "is_active",
            "source_updated_at",
        )
    )


def _touched(model, since) -> list[str]:
    key = "customer_id" if model is CustomerContactInfo else "vehicle_id"
    return sorted(model.objects.filter(updated_at__gt=since).values_list(key, flat=True))


def _both_paths(kind, items, orm, stored, state, model):
    """Run the ORM path, note what it left, undo it, run the SQL path on the same items; both outcomes."""
    since = timezone.now()
    outcomes = []
    for run in (lambda: orm(items=items), lambda: stored(batch_id=_batch(kind, items), now=timezone.now())):
        savepoint = transaction.savepoint()
        counts = run()
        outcomes.append((counts, state(), _touched(model, since), _touched(CustomerContactInfo, since)))
        transaction.savepoint_rollback(savepoint)
    return outcomes


def _batch(kind, items):
    return SyncBatch.objects.create(kind=kind, task_id=uuid.uuid4(), item_count=len(items), payload=items).id


def _customer(customer_id, **fields):
    defaults = {"name": customer_id, "email": f"{customer_id}@example.com", "phone": "+593991234567"}
    return CustomerContactInfo.objects.create(customer_id=customer_id, **{**defaults, **fields})


def test_customers_new_changed_unchanged_stale_and_placeholders_alike():
    _customer("same", source_updated_at=T1)
    _customer("changed", source_updated_at=T1)
    _customer("stale", source_updated_at=T2)
    _customer("placeholder", name="", email="", phone="", is_placeholder=True)
    _customer("no-time")
    _customer("newer-time-only", source_updated_at=T1)
    _customer("absent-fields", name="Keep", is_active=False, source_updated_at=T1)
    items = [
        {"customer_id": "new-1", "name": "Nuevo", "email": "n@example.com", "phone": "+593987654321", "updated_at": T1},
        {"customer_id": "new-2"},
        {"customer_id": "new-3", "is_active": False, "updated_at": None},
        {"customer_id": "same", "name": "same", "email": "same@example.com", "updated_at": T1},
        {"customer_id": "changed", "name": "Otro nombre", "phone": "", "updated_at": T2},
        {"customer_id": "stale", "name": "Viejo", "updated_at": T0},
        {"customer_id": "placeholder", "name": "Completo", "updated_at": T1},
        {"customer_id": "no-time", "email": "nuevo@example.com"},
        {"customer_id": "newer-time-only", "updated_at": T2},
        {"customer_id": "absent-fields", "email": "", "updated_at": T1},
    ]

    orm, sql = _both_paths(
        SyncBatch.Kind.CUSTOMERS, items, customers_sync, customers_sync_stored, _customers_state, CustomerContactInfo
    )

    assert sql == orm
    counts = orm[0]
    assert counts == {
        "created": 3,
        "updated": 5,
        "unchanged": 1,
        "skipped_stale": 1,
        "placeholders_created": 0,
        "placeholders_filled": 1,
    }


def test_vehicles_owners_placeholders_nulls_and_staleness_alike():
    known = _customer("known")
    other = _customer("other")
    Vehicle.objects.create(vehicle_id="same", customer=known, plate="AAA111", year=2020, source_updated_at=T1)
    Vehicle.objects.create(vehicle_id="moves", customer=known, plate="BBB222", source_updated_at=T1)
    Vehicle.objects.create(vehicle_id="stale", customer=known, plate="CCC333", source_updated_at=T2)
    Vehicle.objects.create(vehicle_id="clears", customer=other, year=2019, mileage=1000, color="Rojo")
    Vehicle.objects.create(vehicle_id="keeps", customer=other, year=2018, mileage=500, brand="Kia")
    items = [
        {"vehicle_id": "new-known", "customer_id": "known", "plate": "NEW001", "year": 2024, "mileage": 10},
        {"vehicle_id": "new-unknown-1", "customer_id": "ghost", "updated_at": T1},
        {"vehicle_id": "new-unknown-2", "customer_id": "ghost", "vin": "LGWEF4A59RH123456"},
        {"vehicle_id": "same", "customer_id": "known", "plate": "AAA111", "year": 2020, "updated_at": T1},
        {"vehicle_id": "moves", "customer_id": "other", "updated_at": T1},
        {"vehicle_id": "stale", "customer_id": "stale-owner", "plate": "OLD", "updated_at": T0},
        {"vehicle_id": "clears", "customer_id": "other", "year": None, "mileage": None, "color": ""},
        {"vehicle_id": "keeps", "customer_id": "other", "is_active": False},
    ]

    orm, sql = _both_paths(
        SyncBatch.Kind.VEHICLES, items, vehicles_sync, vehicles_sync_stored, _vehicles_state, Vehicle
    )

    assert sql == orm
    assert orm[0] == {
        "created": 3,
        "updated": 3,
        "unchanged": 1,
        "skipped_stale": 1,
        "placeholders_created": 1,
        "placeholders_filled": 0,
    }
    # Only the fresh items' unknown owners become placeholders, not the stale item's.
    assert orm[3] == ["ghost"]


def test_a_big_batch_alike():
    for i in range(0, 300, 3):
        _customer(f"c-{i}", source_updated_at=T0)
    items = [
        {"customer_id": f"c-{i}", "name": f"Cliente {i}", "phone": f"+5939{91000000 + i}", "updated_at": T1}
        for i in range(300)
    ]

    orm, sql = _both_paths(
        SyncBatch.Kind.CUSTOMERS, items, customers_sync, customers_sync_stored, _customers_state, CustomerContactInfo
    )

    assert sql == orm
    assert (orm[0]["created"], orm[0]["updated"]) == (200, 100)
