"""Load the default data of `apps/notifications/seed/` into the database, in one transaction.

Every row is found by its natural key (the office group by its name). Without `force`, only missing rows are
created: a row that exists stays exactly as an admin left it (a disabled matrix cell, an edited template, a renamed
phase, the office group's permissions).
With `force`, the seed's rows are reset to the defaults *in place* (ids kept, so dispatches, logs and
other references survive; ServiceType and ServicePhase are PROTECTed by Dispatch and cannot be
deleted anyway), and extra templates on a seeded key are deleted so the key holds exactly the seed's
template. Rows outside the seed (other phases, types, templates, tallers, tasks) are never touched.
A row already equal to the defaults is not saved again, so a repeated run writes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.notifications.models import (
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    ServicePhase,
    ServiceType,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.seed.catalog import PHASES, SERVICE_TYPES
from apps.notifications.seed.matrix import CONFIG_NAMES, DEFAULT_MATRIX
from apps.notifications.seed.office import OFFICE_GROUP, OFFICE_PERMISSIONS
from apps.notifications.seed.periodic import PERIODIC_TASKS, SCHEDULE_TIMEZONE, PeriodicTaskSeed
from apps.notifications.seed.taller import DEFAULT_TALLER, TALLER_CHANNEL_DEFAULTS, TALLER_CHANNELS
from apps.notifications.seed.templates import TEMPLATES
from apps.notifications.services.config_cache import config_version_bump


@dataclass
class SeedCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


SECTIONS = (
    "phases",
    "service_types",
    "templates",
    "orchestration_configs",
    "phase_channels",
    "tallers",
    "taller_channels",
    "periodic_tasks",
    "office_group",
)


@dataclass
class SeedReport:
    force: bool
    sections: dict[str, SeedCounts] = field(default_factory=lambda: {name: SeedCounts() for name in SECTIONS})

    def _total(self, attr: str) -> int:
        return sum(getattr(counts, attr) for counts in self.sections.values())

    @property
    def created(self) -> int:
        return self._total("created")

    @property
    def updated(self) -> int:
        return self._total("updated")

    @property
    def unchanged(self) -> int:
        return self._total("unchanged")

    @property
    def deleted(self) -> int:
        return self._total("deleted")


def seed_initial_data(*, force: bool = False) -> SeedReport:
    """Create the missing default rows; with `force`, also reset the existing ones to the defaults."""
    report = SeedReport(force=force)
    with transaction.atomic():
        phases = _seed_phases(force=force, counts=report.sections["phases"])
        main_types, subtypes = _seed_service_types(force=force, counts=report.sections["service_types"])
        _seed_templates(phases, main_types, subtypes, force=force, counts=report.sections["templates"])
        _seed_matrix(phases, main_types, force=force, report=report)
        _seed_taller(force=force, report=report)
        _seed_periodic_tasks(force=force, counts=report.sections["periodic_tasks"])
        _seed_office_group(force=force, counts=report.sections["office_group"])
    return report


def _ensure(model: type[models.Model], lookup: dict, defaults: dict, *, force: bool, counts: SeedCounts):
    """The row at `lookup`: created with `defaults` when missing; reset to them only with `force`."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        counts.created += 1
        return model.objects.create(**lookup, **defaults)
    changed = [name for name, value in defaults.items() if getattr(row, name) != value] if force else []
    if changed:
        for name in changed:
            setattr(row, name, defaults[name])
        row.save()
        counts.updated += 1
    else:
        counts.unchanged += 1
    return row


def _seed_phases(*, force: bool, counts: SeedCounts) -> dict[str, ServicePhase]:
    return {
        phase.slug: _ensure(
            ServicePhase,
            {"slug": phase.slug},
            {"name": phase.name, "icon": phase.icon, "order": phase.order, "is_active": True},
            force=force,
            counts=counts,
        )
        for phase in PHASES
    }


def _seed_service_types(
    *, force: bool, counts: SeedCounts
) -> tuple[dict[str, ServiceType], dict[tuple[str, str], ServiceType]]:
    main_types: dict[str, ServiceType] = {}
    subtypes: dict[tuple[str, str], ServiceType] = {}
    for seed in SERVICE_TYPES:
        main = _ensure(
            ServiceType,
            {"slug": seed.slug, "parent": None},
            {"name": seed.name, "icon": seed.icon, "order": seed.order, "is_active": True},
            force=force,
            counts=counts,
        )
        main_types[seed.slug] = main
        for sub in seed.subtypes:
            subtypes[(seed.slug, sub.slug)] = _ensure(
                ServiceType,
                {"slug": sub.slug, "parent": main},
                {"name": sub.name, "icon": sub.icon, "order": sub.order, "is_active": True},
                force=force,
                counts=counts,
            )
    return main_types, subtypes


def _seed_templates(phases, main_types, subtypes, *, force: bool, counts: SeedCounts) -> None:
    for seed in TEMPLATES:
        lookup = {
            "service_type": main_types[seed.service_type] if seed.service_type else None,
            "subtype": subtypes[(seed.service_type, seed.subtype)] if seed.subtype else None,
            "phase": phases[seed.phase],
            "channel": seed.channel,
            "target": seed.target,
        }
        defaults = {
            "name": seed.name,
            "subject": seed.subject,
            "body": seed.body,
            "html_body": seed.html_body,
            "is_active": True,
        }
        at_key = NotificationTemplate.objects.filter(**lookup)
        if force:
            # The key ends with exactly one template, the seed's: keep the active one (or the newest) and
            # delete the rest first, so that reactivating it cannot clash with another active template.
            keep = at_key.order_by("-is_active", "-updated_at").first()
            if keep is not None:
                deleted, _ = at_key.exclude(pk=keep.pk).delete()
                counts.deleted += deleted
        elif at_key.exists():
            # An admin's template on this key (active or deactivated on purpose) wins.
            counts.unchanged += 1
            continue
        _ensure(NotificationTemplate, lookup, defaults, force=force, counts=counts)


def _seed_matrix(phases, main_types, *, force: bool, report: SeedReport) -> None:
    for (type_slug, target), name in CONFIG_NAMES.items():
        config = _ensure(
            OrchestrationConfig,
            {"service_type": main_types[type_slug], "target": target},
            {"name": name, "is_active": True},
            force=force,
            counts=report.sections["orchestration_configs"],
        )
        for phase_slug, channels in DEFAULT_MATRIX[target].items():
            for channel, enabled in channels.items():
                _ensure(
                    PhaseChannelConfig,
                    {"config": config, "phase": phases[phase_slug], "channel": channel},
                    {"is_enabled": enabled},
                    force=force,
                    counts=report.sections["phase_channels"],
                )


def _seed_taller(*, force: bool, report: SeedReport) -> None:
    slug = DEFAULT_TALLER["slug"]
    others_default = Taller.objects.filter(is_default=True).exclude(slug=slug)
    if force:
        others_default.update(is_default=False)
        config_version_bump()  # a queryset update sends no signal
    # Without force, an admin may have made another taller the default: that choice stays.
    defaults = {
        "name": DEFAULT_TALLER["name"],
        "timezone": DEFAULT_TALLER["timezone"],
        "is_default": force or not others_default.exists(),
        "is_active": True,
    }
    taller = _ensure(Taller, {"slug": slug}, defaults, force=force, counts=report.sections["tallers"])
    for channel in TALLER_CHANNELS:
        _ensure(
            TallerChannelConfig,
            {"taller": taller, "channel": channel},
            copy.deepcopy(TALLER_CHANNEL_DEFAULTS),
            force=force,
            counts=report.sections["taller_channels"],
        )


def _seed_periodic_tasks(*, force: bool, counts: SeedCounts) -> None:
    for seed in PERIODIC_TASKS:
        crontab = _crontab(seed) if seed.daily_hour is not None else None
        interval = _interval(seed) if crontab is None else None
        defaults = {
            "task": seed.task,
            "description": seed.description,
            "crontab": crontab,
            "interval": interval,
            "solar": None,
            "clocked": None,
            "one_off": False,
            "enabled": True,
        }
        _ensure(PeriodicTask, {"name": seed.name}, defaults, force=force, counts=counts)


def _crontab(seed: PeriodicTaskSeed) -> CrontabSchedule:
    # Schedules are shared rows without a unique key: reuse an equal one rather than adding a twin.
    lookup = {
        "minute": str(seed.daily_minute),
        "hour": str(seed.daily_hour),
        "day_of_month": "*",
        "month_of_year": "*",
        "day_of_week": "*",
        "timezone": ZoneInfo(SCHEDULE_TIMEZONE),
    }
    return CrontabSchedule.objects.filter(**lookup).order_by("pk").first() or CrontabSchedule.objects.create(**lookup)


def _interval(seed: PeriodicTaskSeed) -> IntervalSchedule:
    if seed.every_seconds is not None:
        lookup = {"every": seed.every_seconds, "period": IntervalSchedule.SECONDS}
    else:
        lookup = {"every": seed.every_minutes, "period": IntervalSchedule.MINUTES}
    return IntervalSchedule.objects.filter(**lookup).order_by("pk").first() or IntervalSchedule.objects.create(**lookup)


def _seed_office_group(*, force: bool, counts: SeedCounts) -> None:
    """The `Oficina` group with exactly OFFICE_PERMISSIONS; without `force` an existing group keeps what an admin
    gave or took away."""
    permissions = _permissions(OFFICE_PERMISSIONS)
    group = Group.objects.filter(name=OFFICE_GROUP).first()
    if group is None:
        group = Group.objects.create(name=OFFICE_GROUP)
        group.permissions.set(permissions)
        counts.created += 1
    elif force and set(group.permissions.all()) != set(permissions):
        group.permissions.set(permissions)
        counts.updated += 1
    else:
        counts.unchanged += 1


def _permissions(labels: tuple[str, ...]) -> list[Permission]:
    wanted = {tuple(label.split(".", 1)) for label in labels}
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.filter(codename__in=[codename for _, codename in wanted]).select_related(
            "content_type"
        )
    }
    missing = sorted(".".join(key) for key in wanted - set(found))
    if missing:
        # Django creates permissions after `migrate`; a database migrated without them is not ready for the seed.
        raise ImproperlyConfigured(f"Faltan permisos ({', '.join(missing)}): ejecute `manage.py migrate` primero.")
    return [found[key] for key in sorted(wanted)]
