# Analytics over long windows read the log from one index (docs/benchmarks.md).
#
# The log is the biggest, busiest table: on PostgreSQL the index is built and the old one dropped
# CONCURRENTLY (no lock that stops dispatches or workers), outside a transaction.

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

STATISTICS = "notificationlog_local_day_stats"


class _OnPostgres:
    """The concurrent operation on PostgreSQL, the plain one elsewhere (the embedded SQLite)."""

    plain: type

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyOnPostgres(_OnPostgres, AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexConcurrentlyOnPostgres(_OnPostgres, RemoveIndexConcurrently):
    plain = migrations.RemoveIndex


def create_day_statistics(apps, schema_editor):
    """Without statistics on the local day, PostgreSQL guesses one group per instant and sorts the per-day series
    on disk instead of hashing ~400 groups. Expression statistics exist from PostgreSQL 14; elsewhere: nothing.
    ANALYZE fills them now rather than at autovacuum's next pass (it does not block writes)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    tz = settings.TIME_ZONE.replace("'", "''")
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} "
        f"ON ((created_at AT TIME ZONE '{tz}')::date) FROM notifications_notificationlog"
    )
    schema_editor.execute("ANALYZE notifications_notificationlog")


def drop_day_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0002_delivery_receipts"),
    ]

    operations = [
        # The new index first: the table is never without an index on created_at.
        AddIndexConcurrentlyOnPostgres(
            model_name="notificationlog",
            index=models.Index(
                fields=["created_at"], include=("channel", "status", "fallback_from"), name="log_created_cover_idx"
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="notificationlog",
            name="log_created_idx",
        ),
        migrations.RunPython(create_day_statistics, drop_day_statistics),
    ]
