"""PostgreSQL path of the sync upserts: a stored batch is applied where it lies, in one statement whatever its size.

The ORM path (apps.synchronization.services.customers_sync / vehicles_sync) builds a model instance per item and
compares it in Python: ~100 ms per 1,000 items, a second for a 10,000-item batch. Here the batch never leaves the
database: `jsonb_array_elements` reads `SyncBatch.payload` in place, a `FOR UPDATE` CTE locks the rows the batch
names and reads their latest values (as the ORM path's `select_for_update`), and data-modifying CTEs classify
every item against its row (new, stale, unchanged, changed), write the new and the changed rows and return the
counts. The rules are the ORM path's, item for item (tests/integration/test_sync_sql.py compares the rows both
leave): a field the item leaves out keeps its value, an item older than the row is skipped, a placeholder is
filled, an unknown owner becomes a placeholder. As there, new rows are a plain INSERT: a row inserted meanwhile by
a concurrent sync is a unique violation and the task runs the batch again.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import connection

from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization.models import SyncBatch

_CUSTOMERS = CustomerContactInfo._meta.db_table
_VEHICLES = Vehicle._meta.db_table
_BATCHES = SyncBatch._meta.db_table

# The f-strings below only insert these table names (from the models, never from input): S608 does not apply.
_ITEMS = f"FROM {_BATCHES} b CROSS JOIN LATERAL jsonb_array_elements(b.payload) AS e WHERE b.id = %(batch)s"

_UPSERT_CUSTOMERS = f"""
WITH items AS (
    SELECT e->>'customer_id' AS customer_id, e->>'name' AS name, e->>'email' AS email, e->>'phone' AS phone,
           (e->>'is_active')::boolean AS is_active, (e->>'updated_at')::timestamptz AS incoming
    {_ITEMS}
),
locked AS (
    SELECT c.id, c.customer_id, c.name, c.email, c.phone, c.is_active, c.is_placeholder, c.source_updated_at
    FROM {_CUSTOMERS} c WHERE c.customer_id IN (SELECT customer_id FROM items)
    FOR UPDATE
),
classified AS (
    SELECT i.*, c.id AS row_id, c.is_placeholder AS was_placeholder,
        CASE
            WHEN c.id IS NULL THEN 'create'
            WHEN c.source_updated_at IS NOT NULL AND i.incoming IS NOT NULL AND i.incoming < c.source_updated_at
                THEN 'stale'
            WHEN c.is_placeholder
                OR (i.name IS NOT NULL AND i.name IS DISTINCT FROM c.name)
                OR (i.email IS NOT NULL AND i.email IS DISTINCT FROM c.email)
                OR (i.phone IS NOT NULL AND i.phone IS DISTINCT FROM c.phone)
                OR (i.is_active IS NOT NULL AND i.is_active IS DISTINCT FROM c.is_active)
                OR (i.incoming IS NOT NULL AND i.incoming IS DISTINCT FROM c.source_updated_at)
                THEN 'update'
            ELSE 'unchanged'
        END AS action
    FROM items i LEFT JOIN locked c ON c.customer_id = i.customer_id
),
created AS (
    INSERT INTO {_CUSTOMERS} (id, created_at, updated_at, customer_id, name, email, phone, is_active,
                              is_placeholder, synced_at, source_updated_at)
    SELECT gen_random_uuid(), %(now)s, %(now)s, customer_id, COALESCE(name, ''), COALESCE(email, ''),
           COALESCE(phone, ''), COALESCE(is_active, true), false, %(now)s, incoming
    FROM classified WHERE action = 'create'
    RETURNING 1
),
updated AS (
    UPDATE {_CUSTOMERS} c
    SET name = COALESCE(k.name, c.name), email = COALESCE(k.email, c.email), phone = COALESCE(k.phone, c.phone),
        is_active = COALESCE(k.is_active, c.is_active), is_placeholder = false,
        source_updated_at = COALESCE(k.incoming, c.source_updated_at), synced_at = %(now)s, updated_at = %(now)s
    FROM classified k
    WHERE k.action = 'update' AND c.id = k.row_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM updated),
       count(*) FILTER (WHERE action = 'unchanged'), count(*) FILTER (WHERE action = 'stale'),
       count(*) FILTER (WHERE action = 'update' AND was_placeholder)
FROM classified
"""  # noqa: S608

# `year` and `mileage` may be sent as null (cleared), so "absent" is `e ? 'year'`, not a null value.
_UPSERT_VEHICLES = f"""
WITH items AS (
    SELECT e->>'vehicle_id' AS vehicle_id, e->>'customer_id' AS owner_ref,
           e->>'plate' AS plate, e->>'brand' AS brand, e->>'model' AS model, e->>'vin' AS vin,
           e->>'color' AS color, e ? 'year' AS has_year, (e->>'year')::integer AS year,
           e ? 'mileage' AS has_mileage, (e->>'mileage')::integer AS mileage,
           (e->>'is_active')::boolean AS is_active, (e->>'updated_at')::timestamptz AS incoming
    {_ITEMS}
),
locked AS (
    SELECT v.id, v.vehicle_id, v.customer_id, v.plate, v.brand, v.model, v.vin, v.color, v.year, v.mileage,
           v.is_active, v.source_updated_at
    FROM {_VEHICLES} v WHERE v.vehicle_id IN (SELECT vehicle_id FROM items)
    FOR UPDATE
),
fresh AS (
    SELECT i.*, v.id AS row_id, v.customer_id AS row_owner, v.plate AS row_plate, v.brand AS row_brand,
           v.model AS row_model, v.vin AS row_vin, v.color AS row_color, v.year AS row_year,
           v.mileage AS row_mileage, v.is_active AS row_is_active, v.source_updated_at AS row_updated
    FROM items i LEFT JOIN locked v ON v.vehicle_id = i.vehicle_id
    WHERE v.source_updated_at IS NULL OR i.incoming IS NULL OR i.incoming >= v.source_updated_at
),
known AS (
    SELECT r.owner_ref, c.id
    FROM (SELECT DISTINCT owner_ref FROM fresh) r LEFT JOIN {_CUSTOMERS} c ON c.customer_id = r.owner_ref
),
placeholders AS (
    INSERT INTO {_CUSTOMERS} (id, created_at, updated_at, customer_id, name, email, phone, is_active,
                              is_placeholder, synced_at, source_updated_at)
    SELECT gen_random_uuid(), %(now)s, %(now)s, owner_ref, '', '', '', true, true, %(now)s, NULL
    FROM known WHERE id IS NULL
    RETURNING id, customer_id
),
owners AS (
    SELECT owner_ref, id FROM known WHERE id IS NOT NULL
    UNION ALL
    SELECT customer_id, id FROM placeholders
),
classified AS (
    SELECT f.*, o.id AS owner_pk,
        CASE
            WHEN f.row_id IS NULL THEN 'create'
            WHEN f.row_owner IS DISTINCT FROM o.id
                OR (f.plate IS NOT NULL AND f.plate IS DISTINCT FROM f.row_plate)
                OR (f.brand IS NOT NULL AND f.brand IS DISTINCT FROM f.row_brand)
                OR (f.model IS NOT NULL AND f.model IS DISTINCT FROM f.row_model)
                OR (f.vin IS NOT NULL AND f.vin IS DISTINCT FROM f.row_vin)
                OR (f.color IS NOT NULL AND f.color IS DISTINCT FROM f.row_color)
                OR (f.has_year AND f.year IS DISTINCT FROM f.row_year)
                OR (f.has_mileage AND f.mileage IS DISTINCT FROM f.row_mileage)
                OR (f.is_active IS NOT NULL AND f.is_active IS DISTINCT FROM f.row_is_active)
                OR (f.incoming IS NOT NULL AND f.incoming IS DISTINCT FROM f.row_updated)
                THEN 'update'
            ELSE 'unchanged'
        END AS action
    FROM fresh f JOIN owners o ON o.owner_ref = f.owner_ref
),
created AS (
    INSERT INTO {_VEHICLES} (id, created_at, updated_at, vehicle_id, customer_id, plate, brand, model, year, vin,
                             color, mileage, is_active, synced_at, source_updated_at)
    SELECT gen_random_uuid(), %(now)s, %(now)s, vehicle_id, owner_pk, COALESCE(plate, ''), COALESCE(brand, ''),
           COALESCE(model, ''), year, COALESCE(vin, ''), COALESCE(color, ''), mileage, COALESCE(is_active, true),
           %(now)s, incoming
    FROM classified WHERE action = 'create'
    RETURNING 1
),
updated AS (
    UPDATE {_VEHICLES} v
    SET customer_id = k.owner_pk, plate = COALESCE(k.plate, v.plate), brand = COALESCE(k.brand, v.brand),
        model = COALESCE(k.model, v.model), vin = COALESCE(k.vin, v.vin), color = COALESCE(k.color, v.color),
        year = CASE WHEN k.has_year THEN k.year ELSE v.year END,
        mileage = CASE WHEN k.has_mileage THEN k.mileage ELSE v.mileage END,
        is_active = COALESCE(k.is_active, v.is_active),
        source_updated_at = COALESCE(k.incoming, v.source_updated_at), synced_at = %(now)s, updated_at = %(now)s
    FROM classified k
    WHERE k.action = 'update' AND v.id = k.row_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM updated),
       (SELECT count(*) FROM classified WHERE action = 'unchanged'),
       (SELECT count(*) FROM items) - (SELECT count(*) FROM fresh),
       (SELECT count(*) FROM placeholders)
"""  # noqa: S608


def _run(upsert: str, *, batch_id: UUID, now: datetime) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(upsert, {"batch": batch_id, "now": now})
        return cursor.fetchone()


def customers_sync_stored(*, batch_id: UUID, now: datetime) -> dict[str, int]:
    """Apply a stored customers batch (inside the caller's transaction); the counts of customers_sync."""
    created, updated, unchanged, stale, filled = _run(_UPSERT_CUSTOMERS, batch_id=batch_id, now=now)
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "skipped_stale": stale,
        "placeholders_created": 0,
        "placeholders_filled": filled,
    }


def vehicles_sync_stored(*, batch_id: UUID, now: datetime) -> dict[str, int]:
    """Apply a stored vehicles batch (inside the caller's transaction); the counts of vehicles_sync."""
    created, updated, unchanged, stale, placeholders = _run(_UPSERT_VEHICLES, batch_id=batch_id, now=now)
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "skipped_stale": stale,
        "placeholders_created": placeholders,
        "placeholders_filled": 0,
    }


SQL_SYNCS = {SyncBatch.Kind.CUSTOMERS: customers_sync_stored, SyncBatch.Kind.VEHICLES: vehicles_sync_stored}
