"""The `Oficina` group: what the workshop's office does in the admin (SPEC §13), and nothing more.

Machinery is not here: API keys, Celery results and schedules, users and groups, idempotency keys and raw attempts are
for superusers only, whatever a group holds (office/site.py); receipts, sync batches, the catalog, vehicles and
reminders are simply not the office's.
"""

OFFICE_GROUP = "Oficina"

OFFICE_PERMISSIONS: tuple[str, ...] = (
    # Look up what a customer was sent, and send it again.
    "notifications.view_dispatch",
    "notifications.view_notificationlog",
    "notifications.resend_notificationlog",
    # Write the messages (a template is deactivated, not deleted: the logs point to it).
    "notifications.view_notificationtemplate",
    "notifications.add_notificationtemplate",
    "notifications.change_notificationtemplate",
    # The phase × channel matrix of each service type.
    "notifications.view_orchestrationconfig",
    "notifications.change_orchestrationconfig",
    # A customer's channel preferences (the contact data itself comes from Core and stays read-only).
    "notifications.view_customercontactinfo",
    "notifications.change_customercontactinfo",
    "notifications.view_customerchannelpreference",
    "notifications.add_customerchannelpreference",
    "notifications.change_customerchannelpreference",
    "notifications.delete_customerchannelpreference",
    # The taller's channels: on or off, quiet hours, staff recipients, senders.
    "notifications.view_taller",
    "notifications.view_tallerchannelconfig",
    "notifications.change_tallerchannelconfig",
)
