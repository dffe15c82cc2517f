from django.core.management.base import BaseCommand, CommandError
from rest_framework_api_key.models import APIKey


class Command(BaseCommand):
    help = "Crea una clave de API para /api/v1/ e imprime la clave sola en la última línea (no se vuelve a mostrar)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Nombre de la clave, p. ej. 'frontend-taller'.")

    def handle(self, *args, name: str, **options):
        name = name.strip()
        if not name:
            raise CommandError("El nombre de la clave no puede estar vacío.")
        if len(name) > 50:
            raise CommandError("El nombre de la clave admite como máximo 50 caracteres.")
        _, key = APIKey.objects.create_key(name=name)
        self.stdout.write(f"Clave de API '{name}' creada. Guárdela ahora: no se puede recuperar.")
        self.stdout.write(key)
