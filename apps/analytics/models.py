"""The rollup that analytics reads instead of the log (docs/decisions.md, "Analítica desde un resumen diario").

Per local day for the whole days of a window; per UTC hour for the whole hours of its two partial days; per 5-minute
slot for the whole slots around each cut.

On PostgreSQL, triggers on the log and on the dispatches append a signed delta (+n, −n) to the pending tables in
the same transaction as the write, so `rollup + pending` always equals the raw tables; the fold task moves pending
into the rollup. Appending instead of updating the day's row keeps concurrent writers off one hot row.

The unique key of each log rollup carries its total (INCLUDE): a window's read is an index-only scan. With heap
scans, at 10M log rows, the planner put a parallel Gather in front of the 1-day read, which then cost ten times the
read itself (docs/benchmarks.md, 3c).
"""

from django.db import models


class LogCounts(models.Model):
    """The key and count every log table of the rollup shares; each adds its time bucket."""

    channel = models.CharField("canal", max_length=16)
    status = models.CharField("estado", max_length=16)
    fallback = models.BooleanField("respaldo")
    capped = models.BooleanField("tope diario de WhatsApp")
    total = models.BigIntegerField("filas")

    class Meta:
        abstract = True


class LogDay(LogCounts):
    """NotificationLog rows per local day, channel, status, fallback and daily-cap failure."""

    day = models.DateField("día local")

    class Meta:
        verbose_name = "resumen diario del registro"
        verbose_name_plural = "resúmenes diarios del registro"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "status", "fallback", "capped"],
                name="analytics_logday_key",
                include=["total"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.status}: {self.total}"


class LogDayPending(LogCounts):
    """Deltas written by the triggers and not folded yet (append-only)."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField("día local")

    class Meta:
        verbose_name = "cambio pendiente del resumen del registro"
        verbose_name_plural = "cambios pendientes del resumen del registro"
        indexes = [models.Index(fields=["day"], name="analytics_logpending_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.status}: {self.total:+d}"


class DispatchDay(models.Model):
    """Dispatches per local day."""

    day = models.DateField("día local", unique=True)
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "resumen diario de despachos"
        verbose_name_plural = "resúmenes diarios de despachos"

    def __str__(self) -> str:
        return f"{self.day}: {self.total}"


class DispatchDayPending(models.Model):
    id = models.BigAutoField(primary_key=True)
    day = models.DateField("día local")
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "cambio pendiente del resumen de despachos"
        verbose_name_plural = "cambios pendientes del resumen de despachos"
        indexes = [models.Index(fields=["day"], name="analytics_dispatchpending_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.total:+d}"


class LogHour(LogCounts):
    """NotificationLog rows per UTC hour (its start), channel, status, fallback and daily-cap failure."""

    hour = models.DateTimeField("hora (inicio, UTC)")

    class Meta:
        verbose_name = "resumen por hora del registro"
        verbose_name_plural = "resúmenes por hora del registro"
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "status", "fallback", "capped"],
                name="analytics_loghour_key",
                include=["total"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:%M} {self.channel} {self.status}: {self.total}"


class LogHourPending(LogCounts):
    id = models.BigAutoField(primary_key=True)
    hour = models.DateTimeField("hora (inicio, UTC)")

    class Meta:
        verbose_name = "cambio pendiente del resumen por hora del registro"
        verbose_name_plural = "cambios pendientes del resumen por hora del registro"
        indexes = [models.Index(fields=["hour"], name="analytics_loghourpending_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:%M} {self.channel} {self.status}: {self.total:+d}"


class DispatchHour(models.Model):
    """Dispatches per UTC hour (its start)."""

    hour = models.DateTimeField("hora (inicio, UTC)", unique=True)
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "resumen por hora de despachos"
        verbose_name_plural = "resúmenes por hora de despachos"

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:%M}: {self.total}"


class DispatchHourPending(models.Model):
    id = models.BigAutoField(primary_key=True)
    hour = models.DateTimeField("hora (inicio, UTC)")
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "cambio pendiente del resumen por hora de despachos"
        verbose_name_plural = "cambios pendientes del resumen por hora de despachos"
        indexes = [models.Index(fields=["hour"], name="analytics_dispatchhourpend_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:%M}: {self.total:+d}"


class LogSlot(LogCounts):
    """NotificationLog rows per 5-minute slot (its start, UTC), channel, status, fallback and daily-cap failure."""

    slot = models.DateTimeField("tramo de 5 minutos (inicio, UTC)")

    class Meta:
        verbose_name = "resumen por 5 minutos del registro"
        verbose_name_plural = "resúmenes por 5 minutos del registro"
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "channel", "status", "fallback", "capped"],
                name="analytics_logslot_key",
                include=["total"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M} {self.channel} {self.status}: {self.total}"


class LogSlotPending(LogCounts):
    id = models.BigAutoField(primary_key=True)
    slot = models.DateTimeField("tramo de 5 minutos (inicio, UTC)")

    class Meta:
        verbose_name = "cambio pendiente del resumen por 5 minutos del registro"
        verbose_name_plural = "cambios pendientes del resumen por 5 minutos del registro"
        indexes = [models.Index(fields=["slot"], name="analytics_logslotpending_idx")]

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M} {self.channel} {self.status}: {self.total:+d}"


class DispatchSlot(models.Model):
    """Dispatches per 5-minute slot (its start, UTC)."""

    slot = models.DateTimeField("tramo de 5 minutos (inicio, UTC)", unique=True)
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "resumen por 5 minutos de despachos"
        verbose_name_plural = "resúmenes por 5 minutos de despachos"

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M}: {self.total}"


class DispatchSlotPending(models.Model):
    id = models.BigAutoField(primary_key=True)
    slot = models.DateTimeField("tramo de 5 minutos (inicio, UTC)")
    total = models.BigIntegerField("despachos")

    class Meta:
        verbose_name = "cambio pendiente del resumen por 5 minutos de despachos"
        verbose_name_plural = "cambios pendientes del resumen por 5 minutos de despachos"
        indexes = [models.Index(fields=["slot"], name="analytics_dispatchslotpend_idx")]

    def __str__(self) -> str:
        return f"{self.slot:%Y-%m-%d %H:%M}: {self.total:+d}"
