# Analytics over long windows read the log from one index (docs/benchmarks.md).

from django.conf import settings
from django.db import migrations, models

STATISTICS = "notificationlog_local_day_stats"


def create_day_statistics(apps, schema_editor):
    """Without statistics on the local day, PostgreSQL guesses one group per instant and sorts the per-day series
    on disk instead of hashing ~400 groups. Expression statistics exist from PostgreSQL 14; elsewhere: nothing."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    tz = settings.TIME_ZONE.replace("'", "''")
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} "
        f"ON ((created_at AT TIME ZONE '{tz}')::date) FROM notifications_notificationlog"
    )


def drop_day_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_delivery_receipts"),
    ]

    operations = [
        # The new index first: the table is never without an index on created_at.
        migrations.AddIndex(
            model_name="notificationlog",
            index=models.Index(
                fields=["created_at"], include=("channel", "status", "fallback_from"), name="log_created_cover_idx"
            ),
        ),
        migrations.RemoveIndex(
            model_name="notificationlog",
            name="log_created_idx",
        ),
        migrations.RunPython(create_day_statistics, drop_day_statistics),
    ]
