"""`manage.py analytics_rollup_rebuild [--check]`"""

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.rollup import rollup_available, rollup_check, rollup_rebuild


class Command(BaseCommand):
    help = (
        "Recalcula el resumen de analítica (por día, por hora y por 5 minutos) desde el registro de notificaciones y "
        "los despachos (bloquea las escrituras en esas tablas mientras dura) y reinstala sus triggers con el "
        "TIME_ZONE actual. Con --check solo compara el resumen con las tablas, sin bloquear, y termina con error si "
        "difieren. Solo PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="solo comprobar, sin cambiar nada")

    def handle(self, *args, check: bool, **options):
        if not rollup_available():
            raise CommandError(
                "El resumen de analítica solo existe en PostgreSQL; con SQLite la analítica lee el registro."
            )
        if not check:
            rollup_rebuild()
            self.stdout.write("Resumen (por día, hora y 5 minutos) recalculado desde el registro.")
            return
        differences = rollup_check()
        if any(differences.values()):
            for table, rows in differences.items():
                for row in rows:
                    *key, rolled, raw = row
                    self.stderr.write(f"{table} {key}: resumen {rolled}, tablas {raw}")
            raise CommandError(
                "El resumen (por día, hora o 5 minutos) no coincide con las tablas: corra "
                "`manage.py analytics_rollup_rebuild`."
            )
        self.stdout.write("El resumen (por día, hora y 5 minutos) coincide con el registro y los despachos.")
