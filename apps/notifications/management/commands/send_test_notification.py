"""`manage.py send_test_notification --channel whatsapp|email|push --to <phone|email|customer_id> [--instance NAME]`"""

from django.core.management.base import BaseCommand

from apps.core.constants import Channel
from apps.notifications.services.operations import notification_test_send


class Command(BaseCommand):
    help = (
        "Envía un mensaje de prueba por el adaptador real (WhatsApp con su ritmo y su tope). Sale con 0 si el "
        "proveedor lo aceptó, con 1 si no."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--to", required=True, help="teléfono (WhatsApp), email, o customer_id (push)")
        parser.add_argument("--instance", default="", help="instancia de Evolution (por defecto EVOLUTION_INSTANCE)")

    def handle(self, *args, channel: str, to: str, instance: str, **options):
        outcome = notification_test_send(channel=channel, to=to, instance=instance)
        if outcome.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {outcome.detail}"))
            return
        self.stderr.write(self.style.ERROR(f"ERROR: {outcome.detail}"))
        raise SystemExit(1)
