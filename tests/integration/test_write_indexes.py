"""The tables every dispatch and every send write carry no index that another index of theirs already leads with.

Each index is written on every insert, in the same statement, with its own WAL record: one another index covers
costs each write and serves no read (migration notifications 0008, docs/benchmarks.md §1d). Django adds one for
every foreign key and every `db_index`, so a composite index or a unique constraint that starts with the same column
makes it redundant without anyone writing it twice on purpose.
"""

import pytest
from django.db import connection

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
    # were not covered by another one, only unused (notifications 0008 and 0009).
    postgres_or_fail()
    dropped = [
        "notifications_dispatch_status_a1df1e1b",
        "notifications_dispatch_status_a1df1e1b_like",
        "notifications_notificationlog_customer_id_843e4538",
        "notifications_notificationattempt_notification_id_450a4455",
        "notifications_vehicle_plate_d70055d7",
        "notifications_vehicle_plate_d70055d7_like",
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
