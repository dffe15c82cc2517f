"""The tables every dispatch and every send write carry no index that another index of theirs already leads with.

Each index is written on every insert, in the same statement, with its own WAL record: one another index covers
costs each write and serves no read (migration notifications 0008, docs/benchmarks.md §1d). Django adds one for
every foreign key and every `db_index`, so a composite index or a unique constraint that starts with the same column
makes it redundant without anyone writing it twice on purpose.
"""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction

from apps.notifications.models import CustomerContactInfo, Vehicle
from tests.services import postgres_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

WRITTEN_PER_DISPATCH_OR_SEND = (
    "notifications_dispatch",
    "notifications_notificationlog",
    "notifications_notificationattempt",
    "notifications_deliveryreceipt",
    "analytics_logdaypending",
    "analytics_loghourpending",
    "analytics_logslotpending",
    "analytics_dispatchdaypending",
    "analytics_dispatchhourpending",
    "analytics_dispatchslotpending",
)

# Pairs of plain b-tree indexes of one table where the first one's key columns, with their operator classes, are
# the first key columns of the second: every lookup the first serves, the second serves. Partial and expression
# indexes, and unique ones (a constraint, not only a lookup), are left out.
REDUNDANT = """
SELECT a.indrelid::regclass::text, a.indexrelid::regclass::text, b.indexrelid::regclass::text
FROM pg_index a
JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
JOIN pg_class ca ON ca.oid = a.indexrelid
JOIN pg_class cb ON cb.oid = b.indexrelid
JOIN pg_am ma ON ma.oid = ca.relam AND ma.amname = 'btree'
JOIN pg_am mb ON mb.oid = cb.relam AND mb.amname = 'btree'
WHERE a.indrelid::regclass::text = ANY(%s)
  AND NOT a.indisunique AND a.indpred IS NULL AND b.indpred IS NULL AND a.indexprs IS NULL AND b.indexprs IS NULL
  AND a.indnkeyatts <= b.indnkeyatts
  AND (a.indkey::int2[])[0:a.indnkeyatts - 1] = (b.indkey::int2[])[0:a.indnkeyatts - 1]
  AND (a.indclass::oid[])[0:a.indnkeyatts - 1] = (b.indclass::oid[])[0:a.indnkeyatts - 1]
ORDER BY 1, 2
"""


def redundant_indexes(tables) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(REDUNDANT, [list(tables)])
        return cursor.fetchall()


def test_no_index_on_a_hot_table_is_covered_by_another():
    postgres_or_fail()
    assert redundant_indexes(WRITTEN_PER_DISPATCH_OR_SEND) == []


def test_the_indexes_the_migrations_dropped_are_gone():
    # The check above compares operator classes, so it would not see a LIKE twin left behind; and the plate indexes
    # and the external ids' twins were not covered by another one, only unused (notifications 0008, 0009, 0010).
    postgres_or_fail()
    dropped = [
        "notifications_dispatch_status_a1df1e1b",
        "notifications_dispatch_status_a1df1e1b_like",
        "notifications_notificationlog_customer_id_843e4538",
        "notifications_notificationattempt_notification_id_450a4455",
        "notifications_vehicle_plate_d70055d7",
        "notifications_vehicle_plate_d70055d7_like",
        "notifications_customercontactinfo_customer_id_385cb448_like",
        "notifications_vehicle_vehicle_id_3ae53065_like",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [dropped])
        assert cursor.fetchall() == []
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'vehicle_plate_normalized_idx'")
        assert cursor.fetchone() == (1,)


def test_the_check_finds_a_covered_index():
    # Without this, a query that matched nothing would pass the test above: Django's own auth tables keep the
    # foreign-key index that their unique pair starts with.
    postgres_or_fail()
    found = redundant_indexes(["auth_user_groups"])
    assert [(table, covered_by) for table, _, covered_by in found] == [
        ("auth_user_groups", "auth_user_groups_user_id_group_id_94350c0c_uniq")
    ]


@pytest.mark.parametrize(
    ("model", "field", "constraint"),
    [
        (CustomerContactInfo, "customer_id", "customer_customer_id_unique"),
        (Vehicle, "vehicle_id", "vehicle_vehicle_id_unique"),
    ],
)
def test_the_external_ids_stay_unique_without_their_like_twin(model, field, constraint, customer):
    # 0010 kept the unique index 0001 built, renamed to the constraint the models declare.
    postgres_or_fail()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [constraint, model._meta.db_table],
        )
        assert cursor.fetchall() == [(f"UNIQUE ({field})",)]
    values = {field: "DUP-1"} if model is CustomerContactInfo else {field: "DUP-1", "customer": customer}
    model.objects.create(**values)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        model.objects.create(**values)


def _unique_and_twin_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('notifications_customercontactinfo', "
            "'notifications_vehicle') AND (indexname LIKE '%%_like' OR indexname LIKE '%%_key' "
            "OR indexname LIKE '%%_unique') AND indexname NOT LIKE '%%_pkey' ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_migration_0010_goes_back_to_the_indexes_of_0001_and_forwards_again():
    # CONCURRENTLY runs outside a transaction: hence transaction=True, and forwards in `finally`.
    postgres_or_fail()
    migration = importlib.import_module("apps.notifications.migrations.0010_external_ids_without_like_index")
    now = ["customer_customer_id_unique", "vehicle_vehicle_id_unique"]
    assert _unique_and_twin_indexes() == now
    try:
        with connection.schema_editor(atomic=False) as editor:
            migration.backwards(None, editor)
        assert _unique_and_twin_indexes() == [
            "notifications_customercontactinfo_customer_id_385cb448_like",
            "notifications_customercontactinfo_customer_id_key",
            "notifications_vehicle_vehicle_id_3ae53065_like",
            "notifications_vehicle_vehicle_id_key",
        ]
    finally:
        with connection.schema_editor(atomic=False) as editor:
            migration.forwards(None, editor)
            migration.forwards(None, editor)  # run again after a cut: nothing left to do
    assert _unique_and_twin_indexes() == now


def test_migration_0010_refuses_a_table_without_the_unique_constraint_it_expects():
    # Recorded as applied, it would leave the state naming a constraint the database does not have.
    postgres_or_fail()
    migration = importlib.import_module("apps.notifications.migrations.0010_external_ids_without_like_index")
    with (
        connection.schema_editor() as editor,
        pytest.raises(RuntimeError, match="no unique constraint named nowhere_key or nowhere_unique"),
    ):
        migration._rename_unique(editor, "notifications_vehicle", "nowhere_key", "nowhere_unique")
