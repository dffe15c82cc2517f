# A plate lookup compares the normalized plate (apps.notifications.models.vehicles.plate_normalized), which no
# index served: at 100,000 vehicles it read the whole table (28 ms, docs/benchmarks.md §4). The index of that
# expression replaces the plain one on the column and its LIKE twin, which no query used and every vehicle a sync
# inserts wrote.
#
# On PostgreSQL the new index is built first and the old ones dropped after, both CONCURRENTLY (no lock that stops
# syncs or lookups), outside a transaction, and safe to run again (apps/core/index_operations.py); on SQLite
# plainly. Both old names are the ones 0001 created.

from django.db import migrations, models
from django.db.models.functions import Replace, Upper

from apps.core.index_operations import index_add, index_create, index_drop, indexes_here

PLATE_INDEX = models.Index(
    Replace(Replace(Upper("plate"), models.Value("-"), models.Value("")), models.Value(" "), models.Value("")),
    name="vehicle_plate_normalized_idx",
)
OLD_INDEXES = {
    "notifications_vehicle_plate_d70055d7": "notifications_vehicle (plate)",
    "notifications_vehicle_plate_d70055d7_like": "notifications_vehicle (plate varchar_pattern_ops)",
}


def forwards(apps, schema_editor):
    index_add(schema_editor, apps.get_model("notifications", "Vehicle"), PLATE_INDEX)
    for name in indexes_here(schema_editor, OLD_INDEXES):
        index_drop(schema_editor, name)


def backwards(apps, schema_editor):
    for name, target in indexes_here(schema_editor, OLD_INDEXES).items():
        index_create(schema_editor, name, target)
    index_drop(schema_editor, PLATE_INDEX.name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0008_drop_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="vehicle",
                    name="plate",
                    field=models.CharField(blank=True, max_length=20, verbose_name="placa"),
                ),
                migrations.AddIndex(model_name="vehicle", index=PLATE_INDEX),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
