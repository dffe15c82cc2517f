"""Django admin of the notifications app: every model opens, searches filter, the matrix edits
as a grid, logs are read-only and recipients are masked."""

import re
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.constants import Channel, ErrorKind, EventType, NotificationStatus, Target
from apps.core.logging import mask_recipient
from apps.notifications.models import (
    AbsentNumber,
    CustomerChannelPreference,
    CustomerContactInfo,
    DeliveryReceipt,
    Dispatch,
    IdempotencyRecord,
    MaintenanceReminder,
    NotificationAttempt,
    NotificationLog,
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    PushSubscription,
    ServicePhase,
    ServiceType,
    Taller,
    TallerChannelConfig,
    Vehicle,
    WhatsAppInstance,
)
from tests.conftest import admin_url as url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_pages")]

PHONE = "+593991234567"
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "notifications"),
    key=lambda model: model._meta.model_name,
)


@pytest.fixture
def data(db):
    """One row (or a few) of every model, built here: the seed command is not relied on."""
    reception = ServicePhase.objects.create(slug="phase-reception", name="Recepción", order=2)
    schedule = ServicePhase.objects.create(slug="phase-schedule", name="Agendar Cita", order=1)
    averia = ServiceType.objects.create(slug="averia-revision", name="Avería/Revisión", order=2)
    frenos = ServiceType.objects.create(slug="averia-frenos", name="Frenos", order=1, parent=averia)
    config = OrchestrationConfig.objects.create(service_type=averia, target=Target.CLIENTS, name="Avería · clientes")
    # Created out of order on purpose: the inline sorts by phase order, then channel.
    cell_reception_wa = PhaseChannelConfig.objects.create(
        config=config, phase=reception, channel=Channel.WHATSAPP, is_enabled=True
    )
    cell_schedule_email = PhaseChannelConfig.objects.create(
        config=config, phase=schedule, channel=Channel.EMAIL, is_enabled=True
    )
    generic = NotificationTemplate.objects.create(
        name="Recepción genérica WhatsApp",
        phase=reception,
        channel=Channel.WHATSAPP,
        target=Target.CLIENTS,
        body="Hola {{Nombre}}, recibimos su {{Vehículo}}.",
    )
    subtype_template = NotificationTemplate.objects.create(
        name="Frenos recepción email",
        service_type=averia,
        subtype=frenos,
        phase=reception,
        channel=Channel.EMAIL,
        target=Target.CLIENTS,
        subject="Recibimos su vehículo",
        body="Revisaremos los frenos de {{Placa}}.",
    )
    taller = Taller.objects.create(slug="ambacar-service", name="Ambacar Service", is_default=True)
    TallerChannelConfig.objects.create(taller=taller, channel=Channel.EMAIL, staff_recipients=["jefe@taller.ec"])
    customer = CustomerContactInfo.objects.create(
        customer_id="C-001", name="Carlos Mendoza", email="carlos@example.com", phone=PHONE
    )
    other = CustomerContactInfo.objects.create(customer_id="C-002", name="Ana Torres", email="ana@example.com")
    CustomerChannelPreference.objects.create(customer=customer, channel=Channel.WHATSAPP, priority=1)
    vehicle = Vehicle.objects.create(vehicle_id="V-001", customer=customer, plate="ABC1234", brand="Haval")
    Vehicle.objects.create(vehicle_id="V-002", customer=other, plate="PBX0099", brand="MG")
    reminder = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=customer, due_date=date.today() + timedelta(days=10)
    )
    PushSubscription.objects.create(
        customer=customer, endpoint="https://fcm.googleapis.com/fcm/send/abc", p256dh="key", auth="secret"
    )
    dispatch = Dispatch.objects.create(
        event_type=EventType.VEHICLE_RECEIVED,
        service_type=averia,
        phase=reception,
        target=Target.CLIENTS,
        customer=customer,
        channel_plan=["whatsapp"],
        context={"Nombre": "Carlos"},
        rendered={"whatsapp": {"body": "Hola Carlos", "recipients": [PHONE]}},
    )
    log = NotificationLog.objects.create(
        dispatch=dispatch,
        channel=Channel.WHATSAPP,
        event_type=EventType.VEHICLE_RECEIVED,
        customer=customer,
        template=generic,
        status=NotificationStatus.SENT,
        attempts=1,
        recipient=PHONE,
        body="Hola Carlos, recibimos su vehículo.",
        provider_message_id="BAE5F2A1C0FFEE",
    )
    NotificationAttempt.objects.create(
        notification=log, number=1, started_at=timezone.now(), duration_ms=120, succeeded=True
    )
    DeliveryReceipt.objects.create(
        channel=Channel.WHATSAPP,
        provider_message_id=log.provider_message_id,
        status=NotificationStatus.DELIVERED,
        occurred_at=timezone.now(),
        notification=log,
    )
    IdempotencyRecord.objects.create(
        client="tests", key="key-123", fingerprint="f" * 64, response_status=202, dispatch=dispatch
    )
    WhatsAppInstance.objects.create(name="ambacar", state="close", paused_at=timezone.now(), pause_reason="401")
    AbsentNumber.objects.create(phone="+593990000000", reported_at=timezone.now())
    return {
        "phases": (schedule, reception),
        "averia": averia,
        "frenos": frenos,
        "config": config,
        "cells": (cell_schedule_email, cell_reception_wa),
        "generic": generic,
        "subtype_template": subtype_template,
        "customer": customer,
        "vehicle": vehicle,
        "reminder": reminder,
        "dispatch": dispatch,
        "log": log,
    }


def results(response) -> list:
    assert response.status_code == 200, response.content[:2000]
    return list(response.context["cl"].result_list)


def test_every_model_of_the_app_is_registered():
    from django.apps import apps

    models = set(apps.get_app_config("notifications").get_models())
    assert models == set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
def test_changelist_add_and_change_pages_open(admin_client, data, model):
    changelist = url(model, "changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    # Sorting by the first columns and searching (where the admin searches) work too.
    assert admin_client.get(changelist, {"o": "-1.2"}).status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.search_fields:
        assert admin_client.get(changelist, {"q": "zzz-nada"}).context["cl"].result_count == 0

    request = response.wsgi_request
    expected_add = 200 if model_admin.has_add_permission(request) else 403
    assert admin_client.get(url(model, "add")).status_code == expected_add

    obj = model.objects.first()
    assert obj is not None, "the fixture builds a row of every model"
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (CustomerContactInfo, "C-001", {"C-001"}),
        (CustomerContactInfo, "ana@example", {"C-002"}),
        (CustomerContactInfo, "0991234567", {"C-001"}),  # local phone format finds the E.164 number
        (Vehicle, "PBX", {"V-002"}),
        (Vehicle, "C-001", {"V-001"}),
        (NotificationLog, "BAE5F2A1C0FFEE", {"BAE5F2A1C0FFEE"}),
        (NotificationTemplate, "frenos", {"Frenos recepción email"}),
    ],
)
def test_search_filters_the_changelist(admin_client, data, model, query, expected):
    found = results(admin_client.get(url(model, "changelist"), {"q": query}))
    keys = {
        CustomerContactInfo: lambda o: o.customer_id,
        Vehicle: lambda o: o.vehicle_id,
        NotificationLog: lambda o: o.provider_message_id,
        NotificationTemplate: lambda o: o.name,
    }[model]
    assert {keys(o) for o in found} == expected


def test_dispatch_search_by_id_and_customer(admin_client, data):
    dispatch = data["dispatch"]
    changelist = url(Dispatch, "changelist")
    assert results(admin_client.get(changelist, {"q": str(dispatch.pk)})) == [dispatch]
    assert results(admin_client.get(changelist, {"q": "C-001"})) == [dispatch]
    assert results(admin_client.get(changelist, {"q": "C-002"})) == []
    assert results(admin_client.get(changelist, {"q": "no-es-un-uuid"})) == []


def test_reminder_search_by_plate_and_filter_by_status(admin_client, data):
    changelist = url(MaintenanceReminder, "changelist")
    assert results(admin_client.get(changelist, {"q": "ABC1234"})) == [data["reminder"]]
    assert results(admin_client.get(changelist, {"q": "PBX0099"})) == []
    assert results(admin_client.get(changelist, {"status": "pending"})) == [data["reminder"]]
    assert results(admin_client.get(changelist, {"status": "completed"})) == []


def test_template_filters_by_level_and_subtype(admin_client, data):
    changelist = url(NotificationTemplate, "changelist")
    assert results(admin_client.get(changelist, {"level": "generic"})) == [data["generic"]]
    assert results(admin_client.get(changelist, {"level": "subtype"})) == [data["subtype_template"]]
    assert results(admin_client.get(changelist, {"subtype__id__exact": data["frenos"].pk})) == [
        data["subtype_template"]
    ]
    response = admin_client.get(changelist)
    assert "Genérica" in response.content.decode() and "Subtipo" in response.content.decode()


def test_service_types_list_main_types_with_their_subtypes(admin_client, data):
    changelist = url(ServiceType, "changelist")
    assert results(admin_client.get(changelist)) == [data["averia"], data["frenos"]]
    assert results(admin_client.get(changelist, {"parent": "none"})) == [data["averia"]]
    assert results(admin_client.get(changelist, {"parent": str(data["averia"].pk)})) == [data["frenos"]]

    main_page = admin_client.get(url(ServiceType, "change", data["averia"].pk))
    assert "subtypes-TOTAL_FORMS" in main_page.content.decode()
    assert "Frenos" in main_page.content.decode()
    sub_page = admin_client.get(url(ServiceType, "change", data["frenos"].pk))
    assert "subtypes-TOTAL_FORMS" not in sub_page.content.decode()


def test_orchestration_page_shows_the_matrix_as_one_grid(admin_client, data):
    config = data["config"]
    response = admin_client.get(url(OrchestrationConfig, "change", config.pk))
    assert response.status_code == 200
    html = response.content.decode()
    # Phases in catalog order (Agendar Cita before Recepción), whatever the creation order; a missing cell is off.
    assert html.index("Agendar Cita") < html.index("Recepción")
    boxes = dict(re.findall(r'<input type="checkbox" name="matrix-([\w-]+)"[^>]*?( checked)?>', html))
    assert {cell for cell, checked in boxes.items() if checked} == {"phase-schedule-email", "phase-reception-whatsapp"}
    assert len(boxes) == 6  # 2 phases × 3 channels
    form = response.context["adminform"].form
    assert form["matrix"].value() == {
        "phase-schedule": {"email": True, "whatsapp": False, "push": False},
        "phase-reception": {"email": False, "whatsapp": True, "push": False},
    }
    assert "phase_channels-TOTAL_FORMS" not in html  # no longer 15 inline rows


def _grid_post(config, ticked: set[str], shown: dict[str, bool] | None = None) -> dict:
    payload = {
        "name": config.name,
        "service_type": str(config.service_type_id),
        "target": config.target,
        "is_active": "on",
    }
    for cell in ticked:
        payload[f"matrix-{cell}"] = "on"
    for cell, was_on in (shown or {}).items():
        payload[f"matrix-{cell}-shown"] = "1" if was_on else "0"
    return payload


def test_the_grid_saves_the_matrix(admin_client, data):
    config = data["config"]
    schedule_email, reception_wa = data["cells"]
    # A script's POST (no "shown" values) names every cell: unticked ones are turned off, missing rows created.
    payload = _grid_post(config, {"phase-schedule-email", "phase-schedule-push"})
    response = admin_client.post(url(OrchestrationConfig, "change", config.pk), payload)

    assert response.status_code == 302, response.context and response.context["errors"]
    schedule_email.refresh_from_db()
    reception_wa.refresh_from_db()
    assert schedule_email.is_enabled is True
    assert reception_wa.is_enabled is False
    push = PhaseChannelConfig.objects.get(config=config, phase=data["phases"][0], channel=Channel.PUSH)
    assert push.is_enabled is True
    assert PhaseChannelConfig.objects.filter(config=config).count() == 6


def test_the_grid_sends_only_the_cells_the_user_changed(admin_client, data):
    config = data["config"]
    schedule_email, reception_wa = data["cells"]
    page = admin_client.get(url(OrchestrationConfig, "change", config.pk)).content.decode()
    assert 'name="matrix-phase-reception-whatsapp-shown" value="1"' in page
    # Meanwhile someone turns email off for "Agendar Cita" through the API.
    PhaseChannelConfig.objects.filter(pk=schedule_email.pk).update(is_enabled=False)
    shown = {
        "phase-schedule-email": True,
        "phase-schedule-whatsapp": False,
        "phase-schedule-push": False,
        "phase-reception-email": False,
        "phase-reception-whatsapp": True,
        "phase-reception-push": False,
    }
    # This user only unticks WhatsApp for "Recepción"; the page still shows email ticked for "Agendar Cita".
    payload = _grid_post(config, {"phase-schedule-email"}, shown)
    response = admin_client.post(url(OrchestrationConfig, "change", config.pk), payload)

    assert response.status_code == 302
    reception_wa.refresh_from_db()
    schedule_email.refresh_from_db()
    assert reception_wa.is_enabled is False
    assert schedule_email.is_enabled is False  # the other change stands
    assert PhaseChannelConfig.objects.filter(config=config).count() == 2  # nothing else was written


def test_a_new_configuration_gets_every_cell(admin_client, data):
    other = ServiceType.objects.create(slug="avaluo-mg", name="Avalúo MG", order=5)
    payload = _grid_post(
        OrchestrationConfig(name="Avalúo · clientes", service_type=other, target=Target.CLIENTS),
        {"phase-schedule-whatsapp", "phase-reception-push"},
    )
    response = admin_client.post(url(OrchestrationConfig, "add"), payload)
    assert response.status_code == 302, response.context and response.context["errors"]
    config = OrchestrationConfig.objects.get(service_type=other)
    cells = {(c.phase.slug, c.channel): c.is_enabled for c in config.phase_channels.select_related("phase")}
    assert len(cells) == 6
    assert cells[("phase-schedule", "whatsapp")] and cells[("phase-reception", "push")]
    assert not cells[("phase-schedule", "email")] and not cells[("phase-reception", "whatsapp")]


def test_phase_channel_list_toggles_is_enabled_in_place(admin_client, data):
    schedule_email, reception_wa = data["cells"]
    changelist = url(PhaseChannelConfig, "changelist")
    rows = results(admin_client.get(changelist))
    assert rows == [schedule_email, reception_wa]
    payload = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(schedule_email.pk),
        "form-1-id": str(reception_wa.pk),
        "form-1-is_enabled": "on",
        "_save": "Guardar",
    }
    assert admin_client.post(changelist, payload).status_code == 302
    schedule_email.refresh_from_db()
    assert schedule_email.is_enabled is False
    assert PhaseChannelConfig.objects.get(pk=reception_wa.pk).is_enabled is True


def test_notification_log_is_read_only(admin_client, data):
    log = data["log"]
    model_admin = admin.site._registry[NotificationLog]
    request = admin_client.get(url(NotificationLog, "changelist")).wsgi_request
    assert model_admin.has_change_permission(request, log) is False
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_delete_permission(request, log) is True  # superuser only

    page = admin_client.get(url(NotificationLog, "change", log.pk))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()  # no editable inputs

    response = admin_client.post(url(NotificationLog, "change", log.pk), {"status": "failed", "recipient": "x"})
    assert response.status_code == 403
    log.refresh_from_db()
    assert (log.status, log.recipient) == (NotificationStatus.SENT, PHONE)
    assert admin_client.get(url(NotificationLog, "add")).status_code == 403


def test_log_and_dispatch_lists_mask_the_recipient(admin_client, data):
    masked = mask_recipient(PHONE)
    assert masked != PHONE
    for model in (NotificationLog, Dispatch):
        html = admin_client.get(url(model, "changelist")).content.decode()
        assert masked in html, model
        assert PHONE not in html, model


@pytest.fixture
def viewer_client(client, django_user_model):
    """A staff user who may only view logs and dispatches (not a superuser)."""
    user = django_user_model.objects.create_user("visor", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="notifications",
            codename__in=[
                "view_notificationlog",
                "view_dispatch",
                "view_notificationattempt",
                "delete_notificationlog",
            ],
        )
    )
    client.force_login(user)
    return client


def test_full_recipient_is_for_superusers_only(admin_client, viewer_client, data):
    log, dispatch = data["log"], data["dispatch"]
    masked = mask_recipient(PHONE)

    assert PHONE in admin_client.get(url(NotificationLog, "change", log.pk)).content.decode()
    assert PHONE in admin_client.get(url(Dispatch, "change", dispatch.pk)).content.decode()

    for page in (url(NotificationLog, "change", log.pk), url(Dispatch, "change", dispatch.pk)):
        response = viewer_client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert PHONE not in html, page
        assert masked in html, page


def test_only_superusers_delete_logs(viewer_client, data):
    log = data["log"]
    assert viewer_client.get(url(NotificationLog, "delete", log.pk)).status_code == 403
    assert viewer_client.post(url(NotificationLog, "delete", log.pk), {"post": "yes"}).status_code == 403
    assert NotificationLog.objects.filter(pk=log.pk).exists()


def test_template_form_rejects_unknown_variables_and_second_active_template(admin_client, data):
    reception = data["phases"][1]
    payload = {
        "name": "Otra",
        "phase": str(reception.pk),
        "channel": Channel.WHATSAPP,
        "target": Target.CLIENTS,
        "body": "Hola {{Cliente}}",
        "is_active": "on",
    }
    response = admin_client.post(url(NotificationTemplate, "add"), payload)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Variable desconocida {{Cliente}}" in errors["body"][0]
    assert "Ya existe una plantilla activa" in errors["__all__"][0]
    assert NotificationTemplate.objects.count() == 2


def test_reminder_takes_the_vehicle_customer_when_left_empty(admin_client, data):
    payload = {
        "vehicle": str(data["vehicle"].pk),
        "customer": "",
        "reminder_type": "cambio de aceite",
        "due_mileage": "50000",
        "notify_days_before": "7",
        "status": "pending",
    }
    response = admin_client.post(url(MaintenanceReminder, "add"), payload)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    reminder = MaintenanceReminder.objects.get(reminder_type="cambio de aceite")
    assert reminder.customer == data["customer"]


def _more_rows(data, n: int) -> None:
    """n more rows of the models whose changelists are checked for N+1 queries."""
    staff_config = OrchestrationConfig.objects.create(
        service_type=data["averia"], target=Target.STAFF, name="Avería · personal"
    )
    for i in range(n):
        phase = ServicePhase.objects.create(slug=f"extra-{i}", name=f"Extra {i}", order=10 + i)
        PhaseChannelConfig.objects.create(config=staff_config, phase=phase, channel=Channel.EMAIL)
        ServiceType.objects.create(slug=f"averia-extra-{i}", name=f"Extra {i}", parent=data["averia"])
        customer = CustomerContactInfo.objects.create(customer_id=f"X-{i}", phone=f"+59399000000{i}")
        dispatch = Dispatch.objects.create(
            event_type=EventType.CUSTOM,
            service_type=data["averia"],
            phase=data["phases"][0],
            target=Target.CLIENTS,
            customer=customer,
        )
        for channel in (Channel.WHATSAPP, Channel.EMAIL):
            NotificationLog.objects.create(
                dispatch=dispatch,
                channel=channel,
                event_type=EventType.CUSTOM,
                customer=customer,
                recipient=customer.phone,
                status=NotificationStatus.FAILED,
                error_kind=ErrorKind.PERMANENT,
            )
        NotificationTemplate.objects.create(
            name=f"Plantilla {i}",
            service_type=data["averia"],
            subtype=data["frenos"],
            phase=data["phases"][0],
            channel=Channel.PUSH,
            target=Target.STAFF,
            body="x",
            is_active=False,
        )
        vehicle = Vehicle.objects.create(vehicle_id=f"VX-{i}", customer=customer, plate=f"XYZ{i}")
        MaintenanceReminder.objects.create(vehicle=vehicle, customer=customer, due_mileage=1000 * i + 1)


@pytest.mark.parametrize(
    "model",
    [NotificationLog, Dispatch, NotificationTemplate, MaintenanceReminder, Vehicle, PhaseChannelConfig, ServiceType],
    ids=lambda m: m._meta.model_name,
)
def test_changelists_do_not_query_per_row(admin_client, data, model):
    changelist = url(model, "changelist")
    admin_client.get(changelist)  # warm up sessions, content types
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(changelist).status_code == 200
    _more_rows(data, 4)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(changelist).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_matrix_grid_does_not_query_per_row(admin_client, data):
    config = data["config"]
    page = url(OrchestrationConfig, "change", config.pk)
    admin_client.get(page)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(page)
    schedule, reception = data["phases"]
    for phase in (schedule, reception):
        for channel in (Channel.PUSH, Channel.WHATSAPP if phase == schedule else Channel.EMAIL):
            PhaseChannelConfig.objects.create(config=config, phase=phase, channel=channel)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(page)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_customer_autocomplete_searches_like_the_changelist(admin_client, data):
    autocomplete = reverse("admin:autocomplete")
    params = {"app_label": "notifications", "model_name": "vehicle", "field_name": "customer"}
    by_phone = admin_client.get(autocomplete, params | {"term": "0991234567"})
    assert by_phone.status_code == 200
    assert [item["id"] for item in by_phone.json()["results"]] == [str(data["customer"].pk)]
    by_id = admin_client.get(autocomplete, params | {"term": "C-002"}).json()["results"]
    assert [item["text"] for item in by_id] == ["C-002 · Ana Torres"]


def test_the_admin_speaks_spanish_for_third_party_models_too(admin_client):
    """API keys and Celery results carry English names of their own; the index shows ours."""
    from rest_framework_api_key.models import APIKey

    _, key = APIKey.objects.create_key(name="frontend")
    page = admin_client.get("/admin/").content.decode()
    for name in ("Claves de API", "Resultados de Celery", "Resultados de tareas", "Acceso a la API"):
        assert name in page, name
    for english in ("API keys", "API Key Permissions", "Task results", "Celery Results"):
        assert english not in page, english
    changelist = admin_client.get("/admin/core/apikey/")
    assert changelist.status_code == 200 and "frontend" in changelist.content.decode()
