from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rest_framework_api_key.models import APIKey

KEY_NAME = "desarrollo"


class Command(BaseCommand):
    help = (
        "Solo desarrollo (DEBUG activo): asegura que exista una clave de API local, la guarda en .dev-api-key "
        "y la imprime, para que los ejemplos curl del README funcionen de inmediato."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("dev_api_key solo funciona con DEBUG activo; en producción use create_api_key.")
        path = Path(settings.BASE_DIR) / ".dev-api-key"
        # Keys are hashed at rest, so the plain key can only be shown again from the local file.
        key = path.read_text().strip() if path.exists() else ""
        if not key or not APIKey.objects.is_valid(key):
            _, key = APIKey.objects.create_key(name=KEY_NAME)
            path.write_text(key + "\n")
            path.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS("Clave de API de desarrollo (también en .dev-api-key):") + f"\n  Api-Key {key}\n"
            f'  export API_KEY="{key}"'
        )
