"""The configuration a dispatch reads, kept in each process and checked against one shared version per request.

Catalog, matrix, templates, tallers' channels and API keys change a few times a day but a dispatch read them in a
dozen statements. Each process keeps a snapshot of them tagged with the version it saw in the shared cache (Redis
in production, heard by a listener thread instead of read per request: config_version.py); every change bumps that
version from the models' signals (and explicitly where bulk writes skip signals), so the next request of every
process reloads. The version is read before loading, so a change that lands during a load leaves the snapshot tagged
with the old version and the next request reloads again. A snapshot older than CONFIG_CACHE_SECONDS is reloaded
anyway: a safety net, not the mechanism. With Redis unreachable the version cannot be trusted and every request
reads the database, as before the cache.

Without Redis the shared cache is the process's own memory: right for `make run` (one process); several processes
without Redis see another's change only at the safety net.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rest_framework_api_key.models import APIKey

from apps.core.models import ApiKey
from apps.notifications.models import (
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    ServicePhase,
    ServiceType,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.services.config_version import config_version_announce, config_version_read

CACHED_MODELS = (
    ServiceType,
    ServicePhase,
    Taller,
    TallerChannelConfig,
    OrchestrationConfig,
    PhaseChannelConfig,
    NotificationTemplate,
    APIKey,
    ApiKey,  # the admin saves keys through this proxy, and signals name the proxy as their sender
)


@dataclass
class ConfigSnapshot:
    version: str | None
    loaded_at: float
    types_by_slug: dict[str, list[ServiceType]] = field(default_factory=dict)  # active, main types first
    phases_by_slug: dict[str, ServicePhase] = field(default_factory=dict)  # active
    tallers_by_slug: dict[str, Taller] = field(default_factory=dict)  # active
    default_taller: Taller | None = None
    configs: dict[tuple, OrchestrationConfig] = field(default_factory=dict)  # (service_type_id, target), active
    enabled: dict[tuple, set[str]] = field(default_factory=dict)  # (config_id, phase_id) → channels on
    templates: dict[tuple, list[NotificationTemplate]] = field(default_factory=dict)  # (phase_id, channel, target)
    taller_channels: dict[tuple, TallerChannelConfig] = field(default_factory=dict)  # (taller_id, channel)
    api_keys: dict[str, APIKey] = field(default_factory=dict)  # prefix → key

    def service_type(self, slug: str, *, main: bool) -> ServiceType | None:
        for candidate in self.types_by_slug.get(slug, []):
            if (candidate.parent_id is None) == main:
                return candidate
        return None

    def subtype_of(self, slug: str, parent: ServiceType) -> ServiceType | None:
        for candidate in self.types_by_slug.get(slug, []):
            if candidate.parent_id == parent.id:
                return candidate
        return None


def _load(version: str | None) -> ConfigSnapshot:
    snapshot = ConfigSnapshot(version=version, loaded_at=time.monotonic())
    types = ServiceType.objects.filter(is_active=True).select_related("parent")
    # A slug naming a main type means the main type; among subtypes, the one under the first main type.
    ordered = sorted(
        types,
        key=lambda t: (t.parent_id is not None, t.parent.order if t.parent else 0, t.parent.slug if t.parent else ""),
    )
    for service_type in ordered:
        snapshot.types_by_slug.setdefault(service_type.slug, []).append(service_type)
    snapshot.phases_by_slug = {p.slug: p for p in ServicePhase.objects.filter(is_active=True)}
    tallers = list(Taller.objects.filter(is_active=True).order_by("pk"))
    snapshot.tallers_by_slug = {t.slug: t for t in tallers}
    snapshot.default_taller = next((t for t in tallers if t.is_default), None)
    for config in OrchestrationConfig.objects.filter(is_active=True).order_by("pk"):
        snapshot.configs.setdefault((config.service_type_id, config.target), config)
    enabled: dict[tuple, set[str]] = defaultdict(set)
    for config_id, phase_id, channel in PhaseChannelConfig.objects.filter(is_enabled=True).values_list(
        "config_id", "phase_id", "channel"
    ):
        enabled[(config_id, phase_id)].add(channel)
    snapshot.enabled = dict(enabled)
    templates: dict[tuple, list[NotificationTemplate]] = defaultdict(list)
    for template in NotificationTemplate.objects.filter(is_active=True).select_related(
        "service_type", "subtype", "phase"
    ):
        templates[(template.phase_id, template.channel, template.target)].append(template)
    snapshot.templates = dict(templates)
    snapshot.taller_channels = {(row.taller_id, row.channel): row for row in TallerChannelConfig.objects.order_by("pk")}
    snapshot.api_keys = {key.prefix: key for key in APIKey.objects.get_usable_keys()}
    return snapshot


class _Local:
    snapshot: ConfigSnapshot | None = None
    lock = threading.Lock()


class _Request(threading.local):
    """Within one HTTP request the version is read once (authentication, validation and the plan all ask), and the
    snapshot it chose serves the whole request, even one read from the database while Redis is down."""

    active = False
    snapshot: ConfigSnapshot | None = None


_request = _Request()


def _request_started(**kwargs) -> None:
    _request.active, _request.snapshot = True, None


def _request_finished(**kwargs) -> None:
    _request.active, _request.snapshot = False, None


def config_snapshot() -> ConfigSnapshot:
    """This process's snapshot, reloaded when another process (or this one) changed the configuration."""
    if _request.snapshot is not None:
        return _request.snapshot
    current = _Local.snapshot
    trusted, version = config_version_read()
    if (
        trusted
        and current is not None
        and current.version == version
        and time.monotonic() - current.loaded_at < settings.CONFIG_CACHE_SECONDS
    ):
        snapshot = current
    else:
        with _Local.lock:
            snapshot = _load(version)
            if trusted:
                _Local.snapshot = snapshot
    if _request.active:
        _request.snapshot = snapshot
    return snapshot


def config_cache_clear_local() -> None:
    """Forget this process's snapshot (as a new process would start); the shared version stays."""
    _Local.snapshot = _request.snapshot = None


def config_version_bump() -> None:
    """Every process reloads on its next request. Announced now and again after the commit: a process that reloads
    between the two reads the state before the change, and the second announcement makes it reload again. Within one
    transaction (the seed writes hundreds of rows) only its first change is announced."""
    _Local.snapshot = _request.snapshot = None
    connection = transaction.get_connection()
    if any(hook is _bump for _, hook, _ in connection.run_on_commit):
        return
    _bump()
    if connection.in_atomic_block:
        transaction.on_commit(_bump)


def _bump() -> None:
    _Local.snapshot = _request.snapshot = None
    config_version_announce()


def _on_change(sender, **kwargs) -> None:
    config_version_bump()


def config_cache_connect_signals() -> None:
    request_started.connect(_request_started, dispatch_uid="config-cache-request-started")
    request_finished.connect(_request_finished, dispatch_uid="config-cache-request-finished")
    for model in CACHED_MODELS:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"config-cache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"config-cache-delete-{model._meta.label}")


def api_key_for_prefix(prefix: str) -> APIKey | None:
    return config_snapshot().api_keys.get(prefix)
