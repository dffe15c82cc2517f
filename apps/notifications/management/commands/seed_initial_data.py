from django.core.management.base import BaseCommand

from apps.notifications.services.seeding import seed_initial_data

SECTION_LABELS = {
    "phases": "Fases de servicio",
    "service_types": "Tipos y subtipos de servicio",
    "templates": "Plantillas de notificación",
    "orchestration_configs": "Configuraciones de orquestación",
    "phase_channels": "Matriz de canales por fase",
    "tallers": "Talleres",
    "taller_channels": "Canales del taller",
    "periodic_tasks": "Tareas programadas",
    "office_group": "Grupo Oficina",
}


class Command(BaseCommand):
    help = (
        "Carga los datos iniciales: 5 fases, 5 tipos de servicio y 6 subtipos, las plantillas de notificación, "
        "10 configuraciones de orquestación con su matriz de 150 celdas, el taller predeterminado "
        "'ambacar-service' con sus canales, las 5 tareas programadas de Celery Beat y el grupo «Oficina» con los "
        "permisos del personal de oficina en el admin. Es idempotente: solo crea "
        "las filas que faltan y nunca sobrescribe lo que un administrador cambió. Con --force restablece los "
        "valores predeterminados de esas filas: fases, tipos, configuraciones, celdas, taller, tareas y los "
        "permisos del grupo se "
        "actualizan en su lugar (conservan su id, porque los despachos y registros las referencian), y en cada "
        "clave de plantilla sembrada queda solo la plantilla del seed (las demás de esa clave se eliminan). "
        "Las filas que no pertenecen al seed no se tocan."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restablece a los valores predeterminados las filas del seed que un administrador modificó.",
        )

    def handle(self, *args, force: bool, **options):
        report = seed_initial_data(force=force)
        for section, counts in report.sections.items():
            line = (
                f"{SECTION_LABELS[section]}: {counts.created} filas creadas, {counts.updated} actualizadas, "
                f"{counts.unchanged} sin cambios"
            )
            if counts.deleted:
                line += f", {counts.deleted} eliminadas"
            self.stdout.write(line)
        mode = "restablecidos (--force)" if force else "cargados"
        self.stdout.write(
            self.style.SUCCESS(
                f"Datos iniciales {mode}: {report.created} filas creadas, {report.updated} actualizadas, "
                f"{report.unchanged} sin cambios."
            )
        )
