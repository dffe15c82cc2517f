"""`manage.py generate_vapid_keys [--email soporte@taller.ec] >> .env`"""

from django.core.management.base import BaseCommand

from apps.notifications.services.operations import vapid_keys_generate


class Command(BaseCommand):
    help = (
        "Genera un par de claves VAPID para Web Push e imprime las tres líneas VAPID_* para .env (sin Node). "
        "Cambiar las claves invalida las suscripciones existentes: cada navegador debe suscribirse de nuevo."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="", help="contacto para los servicios push (por defecto el remitente)")

    def handle(self, *args, email: str, **options):
        for name, value in vapid_keys_generate(contact=email).items():
            self.stdout.write(f"{name}={value}")
