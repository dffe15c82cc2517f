"""Accepting an event (SPEC §8.1-8.4): resolve, plan, render, store durably, enqueue after commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from apps.core.constants import Channel, DispatchStatus, NotificationStatus, Target
from apps.core.exceptions import ApplicationError
from apps.core.logging import current_request_id
from apps.core.metrics import metrics_count_on_commit
from apps.core.ports import ChannelSender
from apps.notifications.adapters import get_sender as default_get_sender
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    NotificationLog,
    OrchestrationConfig,
    ServicePhase,
    ServiceType,
    Taller,
    Vehicle,
)
from apps.notifications.services.config_cache import config_snapshot
from apps.notifications.services.dispatch_sql import dispatch_and_rows_insert
from apps.notifications.services.outbox import notification_rows_build, notifications_publish_on_commit
from apps.notifications.services.plan import ChannelPlan, channel_plan_build, customer_with_facts
from apps.notifications.services.rendering import context_normalize, template_render


@dataclass(frozen=True)
class DispatchInput:
    event_type: str
    service_type: ServiceType  # the main type
    subtype: ServiceType | None
    phase: ServicePhase
    target: str
    customer_id: str | None
    context: dict
    taller: Taller | None = None


def known_context(*, customer, phase, taller, context: dict) -> dict[str, str]:
    """Values the service knows, overridden by whatever the request sent (SPEC §7)."""
    known: dict[str, str] = {"Fase": phase.name}
    if taller is not None:
        known["Taller"] = taller.name
    if customer is not None and customer.name:
        known["Nombre"] = customer.name
    vehicle_id = context.get("vehicle_id")
    if vehicle_id:
        vehicle = Vehicle.objects.filter(vehicle_id=str(vehicle_id)).first()
        if vehicle is not None and customer is not None and vehicle.customer_id != customer.pk:
            # One customer's plate must never reach another customer.
            raise ApplicationError(
                "vehicle_customer_mismatch",
                f"El vehículo '{vehicle_id}' no pertenece al cliente '{customer.customer_id}'.",
                attr="context.vehicle_id",
            )
        if vehicle is not None:
            if vehicle.plate:
                known["Placa"] = vehicle.plate
            if vehicle.description:
                known["Vehículo"] = vehicle.description
    known.update(context_normalize(context))
    return known


def _resolve_customer(data: DispatchInput) -> CustomerContactInfo | None:
    if not data.customer_id:
        if data.target == Target.CLIENTS:
            raise ApplicationError(
                "required", "customer_id es obligatorio cuando target es clients.", status_code=400, attr="customer_id"
            )
        return None
    customer = customer_with_facts(data.customer_id)
    if customer is None and data.target == Target.CLIENTS:
        raise ApplicationError(
            "unknown_customer",
            f"El cliente '{data.customer_id}' no existe o está inactivo; sincronícelo desde Core primero.",
            attr="customer_id",
        )
    return customer


def _resolve_config(data: DispatchInput) -> OrchestrationConfig:
    config = config_snapshot().configs.get((data.service_type.id, data.target))
    if config is None:
        raise ApplicationError(
            "no_orchestration_config",
            f"No hay una configuración de orquestación activa para {data.service_type.slug} / {data.target}.",
        )
    return config


def _plan_or_raise(plan: ChannelPlan) -> None:
    if plan.channels:
        return
    details = [{"code": e.code, "detail": e.detail, "attr": e.channel} for e in plan.excluded]
    if all(e.code == "channel_disabled" for e in plan.excluded):
        raise ApplicationError(
            "no_channel_enabled",
            "La matriz de orquestación no habilita ningún canal para esta fase.",
            extra={"errors": details},
        )
    raise ApplicationError(
        "no_reachable_channel",
        "Ningún canal puede entregar esta notificación; vea el motivo de cada canal.",
        extra={"errors": details},
    )


def _accepted(dispatch: Dispatch, rows: list[NotificationLog], channel: str) -> None:
    metrics_count_on_commit("ambacar_notifications_total", len(rows), channel=channel, status="created")
    metrics_count_on_commit("ambacar_dispatches_total", status="accepted")
    notifications_publish_on_commit(rows)


def dispatch_accept(
    *, data: DispatchInput, get_sender: Callable[[str], ChannelSender] = default_get_sender
) -> Dispatch:
    customer = _resolve_customer(data)
    taller = data.taller or config_snapshot().default_taller
    config = _resolve_config(data)
    plan = channel_plan_build(
        config=config,
        service_type=data.service_type,
        subtype=data.subtype,
        phase=data.phase,
        target=data.target,
        customer=customer,
        taller=taller,
        get_sender=get_sender,
    )
    _plan_or_raise(plan)

    values = known_context(customer=customer, phase=data.phase, taller=taller, context=data.context)
    rendered: dict[str, dict] = {}
    missing: dict[str, None] = {}
    for channel in plan.channels:
        template = plan.templates[channel]
        message = template_render(
            subject=template.subject, body=template.body, html_body=template.html_body, context=values
        )
        missing.update(dict.fromkeys(message.missing_variables))
        rendered[channel] = {
            "template_id": str(template.id),
            "subject": message.subject,
            "body": message.body,
            "html_body": message.html_body,
            "recipients": plan.recipients[channel],
            "sender": {Channel.WHATSAPP: plan.whatsapp_sender, Channel.EMAIL: plan.email_sender}.get(channel, ""),
        }
    if missing:
        names = list(missing)
        raise ApplicationError(
            "missing_variables",
            "Faltan variables en el contexto: " + ", ".join(names) + ".",
            attr="context",
            extra={"missing_variables": names},
        )

    first = plan.channels[0]
    dispatch = Dispatch(
        event_type=data.event_type,
        service_type=data.service_type,
        subtype=data.subtype,
        phase=data.phase,
        target=data.target,
        customer=customer,
        taller=taller,
        context=data.context,
        channel_plan=plan.channels,
        rendered=rendered,
        status=DispatchStatus.QUEUED,
        request_id=current_request_id(),
    )
    if connection.vendor == "postgresql":
        # One statement, atomic by itself: no transaction of its own (an Idempotency-Key's holds it otherwise).
        rows = notification_rows_build(dispatch=dispatch, channel=first, status=NotificationStatus.QUEUED)
        dispatch_and_rows_insert(dispatch, rows)
        _accepted(dispatch, rows, first)
    else:
        with transaction.atomic():
            dispatch.save(force_insert=True)
            rows = NotificationLog.objects.bulk_create(
                notification_rows_build(dispatch=dispatch, channel=first, status=NotificationStatus.QUEUED)
            )
            _accepted(dispatch, rows, first)
    dispatch.first_rows = rows
    dispatch.excluded = plan.excluded
    return dispatch
