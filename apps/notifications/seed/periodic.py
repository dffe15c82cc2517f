"""Celery Beat schedules (SPEC §11), stored with django-celery-beat's DatabaseScheduler."""

from dataclasses import dataclass

SCHEDULE_TIMEZONE = "America/Guayaquil"


@dataclass(frozen=True)
class PeriodicTaskSeed:
    name: str
    task: str
    description: str
    # Exactly one of the three: a daily time in SCHEDULE_TIMEZONE, or an interval in minutes or in seconds.
    daily_hour: int | None = None
    daily_minute: int = 0
    every_minutes: int | None = None
    every_seconds: int | None = None


PERIODIC_TASKS: tuple[PeriodicTaskSeed, ...] = (
    PeriodicTaskSeed(
        name="check_maintenance_reminders",
        task="notifications.check_maintenance_reminders",
        description=(
            "Todos los días a las 08:00 (hora de Ecuador): avisa a los clientes cuyos recordatorios de "
            "mantenimiento entran en la ventana de aviso o vencen hoy."
        ),
        daily_hour=8,
    ),
    PeriodicTaskSeed(
        name="retry_failed_notifications",
        task="notifications.retry_failed_notifications",
        description=(
            "Cada 15 minutos: vuelve a encolar las notificaciones atascadas y da hasta dos rondas más a los "
            "despachos que fallaron solo por errores transitorios en las últimas 24 horas."
        ),
        every_minutes=15,
    ),
    PeriodicTaskSeed(
        name="relay_pending_notifications",
        task="notifications.relay_pending_notifications",
        description=(
            "Cada minuto: entrega a la cola las notificaciones y los lotes de sincronización guardados que aún no "
            "se encolaron (o cuyo mensaje perdió el broker)."
        ),
        every_minutes=1,
    ),
    PeriodicTaskSeed(
        name="purge_old_notification_logs",
        task="notifications.purge_old_notification_logs",
        description=(
            "Todos los días a las 03:30 (hora de Ecuador): elimina los registros de notificaciones y los lotes de "
            "sincronización terminados más antiguos que LOG_RETENTION_DAYS, y los acuses que no eran nuestros."
        ),
        daily_hour=3,
        daily_minute=30,
    ),
    PeriodicTaskSeed(
        name="probe_channels",
        task="notifications.probe_channels",
        description=(
            "Cada minuto: pregunta a Evolution API el estado de cada instancia de WhatsApp, reanuda las que están "
            "en pausa y volvieron a conectarse, y pasa al siguiente canal los mensajes que esperan una instancia en "
            "pausa."
        ),
        every_minutes=1,
    ),
    PeriodicTaskSeed(
        name="fold_analytics_rollup",
        task="analytics.fold_rollup",
        description=(
            "Cada 10 segundos: pasa al resumen diario de analítica los cambios que dejaron los triggers del registro "
            "y de los despachos (la analítica es exacta sin esperar esta tarea; la tarea mantiene corta la cola)."
        ),
        every_seconds=10,
    ),
)
