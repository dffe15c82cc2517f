# `unique=True` on a CharField makes Django build, on PostgreSQL, a LIKE twin of the unique index (`…_like`,
# varchar_pattern_ops) that no query here uses (the external ids are looked up by equality; the admin's search is
# an UPPER(…) LIKE '%…%' that no b-tree serves) and every row a sync inserts writes: 11 % of the statement that
# applies 10,000 new vehicles (docs/benchmarks.md §1g). The ids stay unique through a UniqueConstraint, which builds
# no twin.
#
# On PostgreSQL the unique index that exists is kept, only renamed to the constraint's name: no rebuild, no table
# scan. It is renamed as an index (ALTER INDEX … RENAME renames the constraint it backs too), which locks only the
# index against other DDL; ALTER TABLE … RENAME CONSTRAINT would wait for the table's ACCESS EXCLUSIVE lock behind
# any open transaction and stop every read and write queued after it. The twins are dropped CONCURRENTLY
# (apps/core/index_operations.py). So the migration takes no lock that stops syncs or lookups. On SQLite nothing
# changes on disk: its inline UNIQUE is already the same rule, and there is no twin.

from django.db import migrations, models

from apps.core.index_operations import index_create, index_drop

# table: (the unique constraint 0001 created, the constraint's name now, its LIKE twin, the column)
TABLES = {
    "notifications_customercontactinfo": (
        "notifications_customercontactinfo_customer_id_key",
        "customer_customer_id_unique",
        "notifications_customercontactinfo_customer_id_385cb448_like",
        "customer_id",
    ),
    "notifications_vehicle": (
        "notifications_vehicle_vehicle_id_key",
        "vehicle_vehicle_id_unique",
        "notifications_vehicle_vehicle_id_3ae53065_like",
        "vehicle_id",
    ),
}


def _constraint_here(schema_editor, table: str, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass", [name, table])
        return cursor.fetchone() is not None


def _rename_unique(schema_editor, table: str, old: str, new: str) -> None:
    # Run again after a cut: the constraint may already carry its new name. Neither name means a database this
    # migration does not know; recording it as applied would leave the state naming a constraint that is not there.
    if _constraint_here(schema_editor, table, old):
        schema_editor.execute(f'ALTER INDEX "{old}" RENAME TO "{new}"')
    if not _constraint_here(schema_editor, table, new):
        raise RuntimeError(f"{table}: no unique constraint named {old} or {new}; the external id is not unique here")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (old, new, twin, _column) in TABLES.items():
        _rename_unique(schema_editor, table, old, new)
        index_drop(schema_editor, twin)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (old, new, twin, column) in TABLES.items():
        index_create(schema_editor, twin, f"{table} ({column} varchar_pattern_ops)")
        _rename_unique(schema_editor, table, new, old)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0009_plate_lookup_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customercontactinfo",
                    name="customer_id",
                    field=models.CharField(max_length=100, verbose_name="ID de cliente (Core)"),
                ),
                migrations.AlterField(
                    model_name="vehicle",
                    name="vehicle_id",
                    field=models.CharField(max_length=100, verbose_name="ID de vehículo (Core)"),
                ),
                migrations.AddConstraint(
                    model_name="customercontactinfo",
                    constraint=models.UniqueConstraint(fields=("customer_id",), name="customer_customer_id_unique"),
                ),
                migrations.AddConstraint(
                    model_name="vehicle",
                    constraint=models.UniqueConstraint(fields=("vehicle_id",), name="vehicle_vehicle_id_unique"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
