"""`manage.py configure_evolution_webhook --url <public url> [--instance NAME ...]`"""

from django.core.management.base import BaseCommand

from apps.notifications.services.operations import WEBHOOK_EVENTS, WEBHOOK_PATH, evolution_webhook_configure


class Command(BaseCommand):
    help = (
        f"Registra en Evolution API el webhook {WEBHOOK_PATH} de este servicio, con EVOLUTION_WEBHOOK_TOKEN y los "
        f"eventos {', '.join(WEBHOOK_EVENTS)}, en cada instancia que envía (o las indicadas), con el cuerpo de la "
        "versión de EVOLUTION_API_VERSION. Sale con 1 si alguna falla."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", required=True, help="URL pública del servicio, p. ej. https://notificaciones.ambacar.ec"
        )
        parser.add_argument("--instance", action="append", default=[], help="instancia (repetible); por defecto todas")

    def handle(self, *args, url: str, instance: list[str], **options):
        results = evolution_webhook_configure(url=url, instances=instance or None)
        for name, outcome in results:
            line = f"{name}: {outcome.detail}"
            self.stdout.write(self.style.SUCCESS(f"OK {line}") if outcome.ok else self.style.ERROR(f"ERROR {line}"))
        if not results or not all(outcome.ok for _, outcome in results):
            raise SystemExit(1)
