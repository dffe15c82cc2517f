"""Orchestration configs and their channel matrix: which channels a (service type, target) uses per phase.

The matrix is stored as one PhaseChannelConfig row per (config, phase, channel). A missing row
means the channel is off for that phase; `orchestration_phases_initialize` fills the gaps with the
defaults (email and WhatsApp on, push off).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.constants import Channel, Target
from apps.core.exceptions import ApplicationError
from apps.notifications.models import OrchestrationConfig, PhaseChannelConfig, ServicePhase, ServiceType
from apps.notifications.services.config_cache import config_version_bump

DEFAULT_CHANNEL_STATE: dict[str, bool] = {Channel.EMAIL: True, Channel.WHATSAPP: True, Channel.PUSH: False}
CHANNELS: tuple[str, ...] = tuple(Channel.values)
CONFIG_FIELDS = ("name", "service_type", "target", "is_active")

Matrix = dict[str, dict[str, bool]]


def _active_phases() -> list[ServicePhase]:
    return list(ServicePhase.objects.filter(is_active=True).order_by("order", "slug"))


def orchestration_matrix_get(*, config: OrchestrationConfig, phases: Iterable[ServicePhase] | None = None) -> Matrix:
    """`{phase_slug: {channel: bool}}` for every active phase, in phase order; a missing cell is off.

    Uses `config.phase_channels` (prefetch it when reading many configs) and `phases` when given.
    """
    phases = _active_phases() if phases is None else phases
    cells = {(row.phase_id, row.channel): row.is_enabled for row in config.phase_channels.all()}
    return {phase.slug: {channel: cells.get((phase.id, channel), False) for channel in CHANNELS} for phase in phases}


def _duplicate_config(existing: OrchestrationConfig | None) -> ApplicationError:
    return ApplicationError(
        "duplicate_config",
        "Ya existe una configuración de orquestación para este tipo de servicio y destinatario.",
        status_code=400,
        extra={"existing_config_id": str(existing.pk)} if existing else None,
    )


def _config_clash(config: OrchestrationConfig) -> OrchestrationConfig | None:
    return (
        OrchestrationConfig.objects.filter(service_type=config.service_type, target=config.target)
        .exclude(pk=config.pk)
        .first()
    )


def _config_save(config: OrchestrationConfig) -> None:
    if config.service_type.parent_id is not None:
        raise ApplicationError(
            "not_a_main_type",
            "La orquestación se configura por tipo de servicio principal, no por subtipo.",
            status_code=400,
            attr="service_type",
        )
    clash = _config_clash(config)
    if clash is not None:
        raise _duplicate_config(clash)
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError:
        raise _duplicate_config(_config_clash(config)) from None


def _default_name(service_type: ServiceType, target: str) -> str:
    return f"{service_type.name} · {Target(target).label}"


@transaction.atomic
def orchestration_config_create(
    *,
    service_type: ServiceType,
    target: str,
    name: str = "",
    is_active: bool = True,
    matrix: Matrix | None = None,
) -> OrchestrationConfig:
    """Create a config with a full matrix: defaults for every active phase, then `matrix` on top."""
    config = OrchestrationConfig(
        service_type=service_type,
        target=target,
        name=name or _default_name(service_type, target),
        is_active=is_active,
    )
    _config_save(config)
    orchestration_phases_initialize(config=config)
    if matrix:
        orchestration_matrix_update(config=config, matrix=matrix)
    return config


def orchestration_config_update(*, config: OrchestrationConfig, data: dict[str, Any]) -> OrchestrationConfig:
    """Apply any of CONFIG_FIELDS; the matrix changes only through `orchestration_matrix_update`."""
    unknown = set(data) - set(CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"Unknown orchestration config fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(config, field, value)
    _config_save(config)
    return config


def orchestration_config_delete(*, config: OrchestrationConfig) -> None:
    config.delete()


def _matrix_errors(matrix: Any, phases_by_slug: dict[str, ServicePhase]) -> list[dict]:
    if not isinstance(matrix, dict):
        return [
            {
                "code": "invalid",
                "detail": "La matriz debe ser un objeto {fase: {canal: true|false}}.",
                "attr": "matrix",
            }
        ]
    errors = []
    for phase_slug, cells in matrix.items():
        attr = f"matrix.{phase_slug}"
        if phase_slug not in phases_by_slug:
            errors.append(
                {
                    "code": "does_not_exist",
                    "detail": f"No existe una fase activa con slug «{phase_slug}».",
                    "attr": attr,
                }
            )
            continue
        if not isinstance(cells, dict):
            errors.append({"code": "invalid", "detail": "Se espera un objeto {canal: true|false}.", "attr": attr})
            continue
        for channel, enabled in cells.items():
            cell_attr = f"{attr}.{channel}"
            if channel not in CHANNELS:
                errors.append(
                    {
                        "code": "invalid_choice",
                        "detail": f"Canal desconocido «{channel}»; canales válidos: {', '.join(CHANNELS)}.",
                        "attr": cell_attr,
                    }
                )
            elif not isinstance(enabled, bool):
                errors.append({"code": "invalid", "detail": "Se espera true o false.", "attr": cell_attr})
    return errors


def orchestration_matrix_validate(*, matrix: Any) -> None:
    """Raise a 400 listing every bad phase, channel or value (`attr` as `matrix.<phase>.<channel>`)."""
    errors = _matrix_errors(matrix, {p.slug: p for p in _active_phases()})
    if errors:
        first, rest = errors[0], errors[1:]
        raise ApplicationError(
            first["code"], first["detail"], status_code=400, attr=first["attr"], extra={"errors": rest}
        )


@transaction.atomic
def orchestration_matrix_update(*, config: OrchestrationConfig, matrix: Matrix) -> OrchestrationConfig:
    """Set the cells named in `matrix`; the others stay as they are. Missing rows are created."""
    phases_by_slug = {p.slug: p for p in _active_phases()}
    orchestration_matrix_validate(matrix=matrix)
    rows = {
        (row.phase_id, row.channel): row for row in PhaseChannelConfig.objects.select_for_update().filter(config=config)
    }
    to_update, to_create = [], []
    now = timezone.now()
    for phase_slug, cells in matrix.items():
        phase = phases_by_slug[phase_slug]
        for channel, enabled in cells.items():
            row = rows.get((phase.id, channel))
            if row is None:
                to_create.append(PhaseChannelConfig(config=config, phase=phase, channel=channel, is_enabled=enabled))
            elif row.is_enabled != enabled:
                row.is_enabled = enabled
                row.updated_at = now  # bulk_update skips auto_now
                to_update.append(row)
    if to_update:
        PhaseChannelConfig.objects.bulk_update(to_update, ["is_enabled", "updated_at"])
    if to_create:
        PhaseChannelConfig.objects.bulk_create(to_create)
    if to_update or to_create:
        config.save(update_fields=["updated_at"])
        config_version_bump()  # bulk writes send no signals
    return config


def orchestration_phases_initialize(*, config: OrchestrationConfig) -> int:
    """Create the missing phase × channel rows of every active phase with the defaults; return how many.

    Idempotent: existing rows are never changed.
    """
    existing = set(PhaseChannelConfig.objects.filter(config=config).values_list("phase_id", "channel"))
    missing = [
        PhaseChannelConfig(config=config, phase=phase, channel=channel, is_enabled=DEFAULT_CHANNEL_STATE[channel])
        for phase in _active_phases()
        for channel in CHANNELS
        if (phase.id, channel) not in existing
    ]
    # ignore_conflicts: a concurrent run that created the same cells first is not an error.
    PhaseChannelConfig.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        config_version_bump()  # bulk writes send no signals
    return len(missing)
