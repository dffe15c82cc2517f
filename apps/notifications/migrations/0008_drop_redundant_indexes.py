# Indexes that another index of the same table already leads with, written by every dispatch or every attempt
# (docs/benchmarks.md §1d): Dispatch.status and its LIKE twin (dispatch_status_created_idx; nothing searches a
# status with LIKE), NotificationLog.customer (log_customer_created_idx, which also serves the SET NULL when a
# customer is deleted), NotificationAttempt.notification (attempt_unique_number, which also serves the cascade when
# the purge deletes old rows).
#
# Only the indexes go. Django's own AlterField would drop and re-add the foreign keys, re-validating every row
# under lock; on PostgreSQL they are dropped CONCURRENTLY (no lock that stops dispatches or workers), outside a
# transaction (apps/core/index_operations.py). The names are the ones 0001 created.

from django.db import migrations, models

from apps.core.index_operations import index_create, index_drop, indexes_here

INDEXES = {
    "notifications_dispatch_status_a1df1e1b": "notifications_dispatch (status)",
    "notifications_dispatch_status_a1df1e1b_like": "notifications_dispatch (status varchar_pattern_ops)",
    "notifications_notificationlog_customer_id_843e4538": "notifications_notificationlog (customer_id)",
    "notifications_notificationattempt_notification_id_450a4455": "notifications_notificationattempt (notification_id)",
}


def drop_indexes(apps, schema_editor):
    for name in indexes_here(schema_editor, INDEXES):
        index_drop(schema_editor, name)


def create_indexes(apps, schema_editor):
    for name, target in indexes_here(schema_editor, INDEXES).items():
        index_create(schema_editor, name, target)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0007_email_sender"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dispatch",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("queued", "En cola"),
                            ("in_progress", "En curso"),
                            ("sent", "Enviado"),
                            ("delivered", "Entregado"),
                            ("read", "Leído"),
                            ("failed", "Fallido"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="estado",
                    ),
                ),
                migrations.AlterField(
                    model_name="notificationlog",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.SET_NULL,
                        related_name="notifications",
                        to="notifications.customercontactinfo",
                        verbose_name="cliente",
                    ),
                ),
                migrations.AlterField(
                    model_name="notificationattempt",
                    name="notification",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.CASCADE,
                        related_name="attempt_rows",
                        to="notifications.notificationlog",
                        verbose_name="notificación",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
