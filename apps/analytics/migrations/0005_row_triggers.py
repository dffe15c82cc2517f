from django.conf import settings
from django.db import migrations

from apps.analytics import sql


def install_row_triggers(apps, schema_editor):
    """On PostgreSQL: INSERT and UPDATE counted by row triggers instead of statement-level ones (apps.analytics.sql).
    The pending deltas mean the same, so the rollup stays exact across the switch and nothing is rebuilt; the DDL
    holds its tables' locks until the migration commits, so no write falls between the two kinds of trigger."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in sql.row_trigger_statements(settings.TIME_ZONE):
        schema_editor.execute(statement)


def restore_statement_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in sql.drop_row_trigger_statements() + sql.trigger_statements(settings.TIME_ZONE):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_covering_keys"),
    ]

    operations = [
        migrations.RunPython(install_row_triggers, restore_statement_triggers),
    ]
