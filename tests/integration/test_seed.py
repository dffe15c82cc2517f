"""`manage.py seed_initial_data [--force]`: what it creates, idempotency, admin edits, --force."""

from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.core.constants import Channel, EventType, Target
from apps.notifications.models import (
    Dispatch,
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    ServicePhase,
    ServiceType,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.seed.office import OFFICE_GROUP, OFFICE_PERMISSIONS
from apps.notifications.seed.templates import TEMPLATES
from apps.notifications.services import rendering
from apps.notifications.services.seeding import seed_initial_data

pytestmark = pytest.mark.django_db

PHASE_SLUGS = ["phase-schedule", "phase-reception", "phase-repair", "phase-quality", "phase-delivery"]
MAIN_TYPE_SLUGS = ["mantenimiento-preventivo", "averia-revision", "colision-pintura", "avaluo-comercial", "avaluo-mg"]
SUBTYPES = {
    "averia-revision": ["averia-frenos", "averia-diagnostico", "averia-alineacion"],
    "colision-pintura": ["colision-siniestro", "colision-golpe", "colision-pintura"],
}
# The seed's dispatch example, plus what the service fills in for the phase and the default taller.
DISPATCH_CONTEXT = {
    "nombre": "Carlos Mendoza",
    "placa": "ABC123",
    "vehiculo": "Haval H6 2024",
    "fecha": "20 de Enero, 2026",
    "hora": "14:30",
    "Fase": "Agendar Cita",
    "Taller": "Ambacar Service",
}
ALWAYS_KNOWN = {"Nombre", "Placa", "Vehículo", "Fase", "Taller"}
# phases, types and subtypes, templates, configs, matrix cells, taller, its channels, periodic tasks, office group
SEEDED_ROWS = 5 + 11 + len(TEMPLATES) + 10 + 150 + 1 + 3 + 6 + 1
TIMESTAMPED = [
    ServicePhase,
    ServiceType,
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    Taller,
    TallerChannelConfig,
]


def run_seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_initial_data", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every seeded row with its last-modified time, plus the schedule row counts."""
    rows = {model.__name__: dict(model.objects.values_list("pk", "updated_at")) for model in TIMESTAMPED}
    rows["PeriodicTask"] = dict(PeriodicTask.objects.values_list("name", "date_changed"))
    rows["CrontabSchedule"] = CrontabSchedule.objects.count()
    rows["IntervalSchedule"] = IntervalSchedule.objects.count()
    rows["Group"] = {group.name: office_permissions(group.name) for group in Group.objects.all()}
    return rows


def office_permissions(name: str = OFFICE_GROUP) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def cell(type_slug: str, target: str, phase: str, channel: str) -> PhaseChannelConfig:
    return PhaseChannelConfig.objects.get(
        config__service_type__slug=type_slug,
        config__service_type__parent__isnull=True,
        config__target=target,
        phase__slug=phase,
        channel=channel,
    )


def generic_template(phase: str, channel: str, target: str) -> NotificationTemplate:
    return NotificationTemplate.objects.get(
        service_type=None, phase__slug=phase, channel=channel, target=target, is_active=True
    )


# --- What it creates ------------------------------------------------------------------------------


def test_creates_the_catalog():
    run_seed()
    phases = list(ServicePhase.objects.order_by("order").values_list("slug", "name", "icon", "order"))
    assert phases == [
        ("phase-schedule", "Agendar Cita", "Calendar", 1),
        ("phase-reception", "Recepción", "ClipboardCheck", 2),
        ("phase-repair", "Reparación", "Wrench", 3),
        ("phase-quality", "Control de Calidad", "ShieldCheck", 4),
        ("phase-delivery", "Entrega", "Car", 5),
    ]
    main = ServiceType.objects.filter(parent__isnull=True).order_by("order")
    assert [t.slug for t in main] == MAIN_TYPE_SLUGS
    assert [(t.name, t.icon) for t in main[:2]] == [
        ("Mantenimiento Preventivo", "Settings"),
        ("Avería/Revisión", "AlertTriangle"),
    ]
    assert all(t.icon and t.is_active for t in ServiceType.objects.all())
    assert ServiceType.objects.filter(parent__isnull=False).count() == 6
    for parent, slugs in SUBTYPES.items():
        assert list(
            ServiceType.objects.filter(parent__slug=parent).order_by("order").values_list("slug", flat=True)
        ) == (slugs)
    # colision-pintura names both the main type and one of its subtypes.
    assert ServiceType.objects.filter(slug="colision-pintura").count() == 2
    frenos = ServiceType.objects.get(slug="averia-frenos")
    assert (frenos.name, frenos.icon) == ("Frenos", "Circle")
    assert ServiceType.objects.get(slug="averia-diagnostico").icon == "Search"


def test_creates_templates_for_every_phase_channel_and_target():
    run_seed()
    active = NotificationTemplate.objects.filter(is_active=True)
    assert active.count() >= 40
    assert active.count() == NotificationTemplate.objects.count() == len(TEMPLATES)
    for phase in PHASE_SLUGS:
        for channel in Channel.values:
            for target in Target.values:
                generic_template(phase, channel, target)  # exactly one, or get() raises
    assert active.filter(service_type__isnull=False, subtype=None).count() >= 5
    subtype_templates = active.filter(subtype__isnull=False).select_related("subtype", "service_type")
    assert subtype_templates.count() >= 2
    assert all(t.subtype.parent_id == t.service_type_id for t in subtype_templates)
    frenos = active.get(subtype__slug="averia-frenos", phase__slug="phase-repair", channel="whatsapp", target="clients")
    assert frenos.name == "Avería/Revisión › Frenos · Reparación · WhatsApp · Clientes"
    assert generic_template("phase-reception", "whatsapp", "clients").name == (
        "Genérica · Recepción · WhatsApp · Clientes"
    )


def test_templates_only_use_variables_every_caller_has():
    run_seed()
    for template in NotificationTemplate.objects.select_related("phase"):
        texts = (template.subject, template.body, template.html_body)
        assert rendering.unknown_variables(*texts) == [], template.name
        used = set(rendering.template_placeholders(*texts))
        allowed = ALWAYS_KNOWN | ({"Fecha", "Hora"} if template.phase.slug == "phase-schedule" else set())
        assert used <= allowed, (template.name, used - allowed)
        assert "Nombre" in used or template.target == Target.STAFF or template.channel == Channel.PUSH, template.name


def test_templates_follow_the_channel_rules():
    run_seed()
    examples = {v.name: v.example for v in rendering.VARIABLES}
    for template in NotificationTemplate.objects.select_related("phase"):
        context = {**examples, "Fase": template.phase.name}
        rendered = rendering.template_render(
            subject=template.subject, body=template.body, html_body=template.html_body, context=context
        )
        assert rendered.missing_variables == [], template.name
        assert template.body.strip(), template.name
        if template.channel == Channel.EMAIL:
            assert template.subject and "\n" not in template.subject, template.name
            assert template.html_body.startswith("<div") and "{{Taller}}" in template.html_body, template.name
            assert "{{" not in rendered.html_body and "http" not in template.html_body, template.name
        elif template.channel == Channel.WHATSAPP:
            assert template.subject == "" and template.html_body == "", template.name
            assert len(rendered.body) <= 4096, template.name
        else:
            assert template.html_body == "", template.name
            assert 0 < len(template.subject) <= 50 and len(rendered.subject) <= 50, template.name
            assert len(template.body) <= 150 and len(rendered.body) <= 150, template.name


def test_the_seed_dispatch_example_renders_completely():
    run_seed()
    templates = NotificationTemplate.objects.filter(
        service_type__slug="mantenimiento-preventivo",
        subtype=None,
        phase__slug="phase-schedule",
        target="clients",
        is_active=True,
    )
    assert sorted(templates.values_list("channel", flat=True)) == ["email", "push", "whatsapp"]
    for template in templates:
        rendered = rendering.template_render(
            subject=template.subject, body=template.body, html_body=template.html_body, context=DISPATCH_CONTEXT
        )
        assert rendered.missing_variables == [], template.name
        assert "{{" not in rendered.subject + rendered.body + rendered.html_body
        assert "14:30" in rendered.body and "20 de Enero, 2026" in rendered.body
        if template.channel != Channel.PUSH:
            assert "Carlos Mendoza" in rendered.body and "ABC123" in rendered.body


def test_creates_the_default_matrix():
    run_seed()
    assert OrchestrationConfig.objects.count() == 10
    assert PhaseChannelConfig.objects.count() == 150
    for service_type in ServiceType.objects.filter(parent__isnull=True):
        configs = OrchestrationConfig.objects.filter(service_type=service_type, is_active=True)
        assert sorted(configs.values_list("target", flat=True)) == ["clients", "staff"]
        assert configs.get(target="clients").name == f"{service_type.name} · Clientes"
        for config in configs:
            assert config.phase_channels.count() == 15
    for phase in PHASE_SLUGS:
        late = phase in {"phase-repair", "phase-quality", "phase-delivery"}
        assert cell("avaluo-mg", "clients", phase, "whatsapp").is_enabled
        assert cell("avaluo-mg", "clients", phase, "email").is_enabled
        assert cell("avaluo-mg", "clients", phase, "push").is_enabled is late
        assert cell("colision-pintura", "staff", phase, "email").is_enabled
        assert cell("colision-pintura", "staff", phase, "whatsapp").is_enabled is (
            phase in {"phase-reception", "phase-delivery"}
        )
        assert cell("colision-pintura", "staff", phase, "push").is_enabled is False
    enabled = PhaseChannelConfig.objects.filter(is_enabled=True)
    assert enabled.filter(config__target="clients").count() == 5 * (10 + 3)
    assert enabled.filter(config__target="staff").count() == 5 * (5 + 2)


def test_creates_the_default_taller():
    run_seed()
    taller = Taller.objects.get()
    assert (taller.slug, taller.name, taller.timezone, taller.is_default, taller.is_active) == (
        "ambacar-service",
        "Ambacar Service",
        "America/Guayaquil",
        True,
        True,
    )
    channels = TallerChannelConfig.objects.filter(taller=taller)
    assert sorted(channels.values_list("channel", flat=True)) == ["email", "push", "whatsapp"]
    assert all(c.is_enabled and c.staff_recipients == [] for c in channels)


def test_creates_the_periodic_tasks():
    run_seed()
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("crontab", "interval")}
    assert set(tasks) == {
        "check_maintenance_reminders",
        "retry_failed_notifications",
        "relay_pending_notifications",
        "purge_old_notification_logs",
        "probe_channels",
        "fold_analytics_rollup",
    }
    fold = tasks.pop("fold_analytics_rollup")
    assert fold.task == "analytics.fold_rollup" and fold.enabled and fold.description and fold.crontab is None
    assert (fold.interval.every, fold.interval.period) == (10, IntervalSchedule.SECONDS)
    assert all(t.task == f"notifications.{name}" and t.enabled and t.description for name, t in tasks.items())
    guayaquil = ZoneInfo("America/Guayaquil")
    for name, hour, minute in (("check_maintenance_reminders", "8", "0"), ("purge_old_notification_logs", "3", "30")):
        crontab = tasks[name].crontab
        assert tasks[name].interval is None
        assert (crontab.hour, crontab.minute, crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == (
            hour,
            minute,
            "*",
            "*",
            "*",
        )
        assert str(crontab.timezone) == str(guayaquil)
    for name, every in (("retry_failed_notifications", 15), ("relay_pending_notifications", 1), ("probe_channels", 1)):
        interval = tasks[name].interval
        assert tasks[name].crontab is None
        assert (interval.every, interval.period) == (every, IntervalSchedule.MINUTES)


def test_creates_the_office_group_with_exactly_its_permissions():
    run_seed()
    assert office_permissions() == set(OFFICE_PERMISSIONS)
    assert len(OFFICE_PERMISSIONS) == len(set(OFFICE_PERMISSIONS))
    office = office_permissions()
    # What the office does: read what was sent and resend it, templates, the matrix, preferences, taller channels.
    for needed in (
        "notifications.view_dispatch",
        "notifications.resend_notificationlog",
        "notifications.change_notificationtemplate",
        "notifications.change_orchestrationconfig",
        "notifications.change_customerchannelpreference",
        "notifications.change_tallerchannelconfig",
    ):
        assert needed in office, needed
    # Machinery is never the office's.
    machinery = ("core.", "auth.", "django_celery_beat.", "django_celery_results.", "rest_framework_api_key.")
    assert not [p for p in office if p.startswith(machinery)]
    for model in ("idempotencyrecord", "notificationattempt", "deliveryreceipt", "phasechannelconfig"):
        assert not [p for p in office if p.endswith(f"_{model}")], model
    assert not [p for p in office if p.startswith("synchronization.")]


def test_prints_a_spanish_summary():
    out = run_seed()
    assert "Plantillas de notificación: " in out
    assert "Matriz de canales por fase: 150 filas creadas" in out
    assert out.strip().splitlines()[-1].startswith("Datos iniciales cargados:")


# --- Idempotency, admin edits and --force ---------------------------------------------------------


def test_second_run_changes_nothing():
    first = seed_initial_data()
    assert first.created == SEEDED_ROWS
    before = snapshot()
    run_seed()
    second = seed_initial_data()
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert second.unchanged == first.created
    assert snapshot() == before


def test_force_on_untouched_data_writes_nothing():
    run_seed()
    before = snapshot()
    report = seed_initial_data(force=True)
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert snapshot() == before


def _edit_as_admin() -> None:
    matrix_cell = cell("mantenimiento-preventivo", "clients", "phase-schedule", "whatsapp")
    matrix_cell.is_enabled = False
    matrix_cell.save()
    template = generic_template("phase-reception", "whatsapp", "clients")
    template.body = "Hola {{Nombre}}, su vehículo llegó."
    template.save()
    phase = ServicePhase.objects.get(slug="phase-quality")
    phase.name = "Calidad"
    phase.save()
    channel = TallerChannelConfig.objects.get(channel="email")
    channel.staff_recipients = ["jefe@taller.ec"]
    channel.save()
    PeriodicTask.objects.filter(name="purge_old_notification_logs").update(enabled=False)
    group = Group.objects.get(name=OFFICE_GROUP)
    group.permissions.remove(Permission.objects.get(codename="change_orchestrationconfig"))
    group.permissions.add(Permission.objects.get(codename="view_vehicle"))


def test_rerun_keeps_admin_edits():
    run_seed()
    _edit_as_admin()
    before = snapshot()
    report = seed_initial_data()
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert snapshot() == before
    assert cell("mantenimiento-preventivo", "clients", "phase-schedule", "whatsapp").is_enabled is False
    assert generic_template("phase-reception", "whatsapp", "clients").body == "Hola {{Nombre}}, su vehículo llegó."
    assert ServicePhase.objects.get(slug="phase-quality").name == "Calidad"
    assert TallerChannelConfig.objects.get(channel="email").staff_recipients == ["jefe@taller.ec"]
    assert PeriodicTask.objects.get(name="purge_old_notification_logs").enabled is False
    office = office_permissions()
    assert "notifications.view_vehicle" in office and "notifications.change_orchestrationconfig" not in office


def test_force_restores_the_defaults():
    run_seed()
    template_id = generic_template("phase-reception", "whatsapp", "clients").pk
    _edit_as_admin()
    out = run_seed("--force")
    assert "restablecidos (--force)" in out
    assert cell("mantenimiento-preventivo", "clients", "phase-schedule", "whatsapp").is_enabled is True
    template = generic_template("phase-reception", "whatsapp", "clients")
    assert template.pk == template_id
    assert template.body != "Hola {{Nombre}}, su vehículo llegó." and "{{Placa}}" in template.body
    assert ServicePhase.objects.get(slug="phase-quality").name == "Control de Calidad"
    assert TallerChannelConfig.objects.get(channel="email").staff_recipients == []
    assert PeriodicTask.objects.get(name="purge_old_notification_logs").enabled is True
    assert office_permissions() == set(OFFICE_PERMISSIONS)
    assert seed_initial_data().unchanged == SEEDED_ROWS


def test_rerun_creates_only_the_missing_rows():
    run_seed()
    cell("avaluo-mg", "staff", "phase-delivery", "push").delete()
    generic_template("phase-quality", "push", "staff").delete()
    PeriodicTask.objects.get(name="relay_pending_notifications").delete()
    report = seed_initial_data()
    assert report.created == 3
    assert report.sections["phase_channels"].created == 1
    assert report.sections["templates"].created == 1
    assert report.sections["periodic_tasks"].created == 1
    assert PhaseChannelConfig.objects.count() == 150 and PeriodicTask.objects.count() == 6
    assert IntervalSchedule.objects.count() == 3  # the existing 1-minute schedule was reused


def test_a_deactivated_template_is_not_recreated_but_force_resets_the_key():
    run_seed()
    seeded = generic_template("phase-delivery", "email", "clients")
    seeded.is_active = False
    seeded.save()
    own = NotificationTemplate.objects.create(
        name="Entrega propia",
        phase=seeded.phase,
        channel="email",
        target="clients",
        subject="Listo",
        body="Su {{Vehículo}} está listo.",
    )
    seed_initial_data()
    assert generic_template("phase-delivery", "email", "clients").pk == own.pk
    at_key = NotificationTemplate.objects.filter(
        service_type=None, phase=seeded.phase, channel="email", target="clients"
    )
    assert at_key.count() == 2

    report = seed_initial_data(force=True)
    assert report.sections["templates"].deleted == 1
    assert at_key.count() == 1
    restored = at_key.get()
    assert restored.is_active and restored.name == "Genérica · Entrega · Email · Clientes"
    assert restored.subject == seeded.subject and restored.html_body == seeded.html_body


def test_force_keeps_phases_and_types_that_dispatches_reference():
    run_seed()
    phase = ServicePhase.objects.get(slug="phase-repair")
    main = ServiceType.objects.get(slug="colision-pintura", parent=None)
    subtype = ServiceType.objects.get(slug="colision-pintura", parent=main)
    dispatch = Dispatch.objects.create(
        event_type=EventType.REPAIR_STARTED, service_type=main, subtype=subtype, phase=phase, target="clients"
    )
    ServiceType.objects.filter(pk=subtype.pk).update(name="Pintura total", is_active=False)
    run_seed("--force")
    dispatch.refresh_from_db()
    assert (dispatch.phase_id, dispatch.service_type_id, dispatch.subtype_id) == (phase.pk, main.pk, subtype.pk)
    subtype.refresh_from_db()
    assert (subtype.name, subtype.is_active) == ("Pintura", True)
    assert ServiceType.objects.count() == 11


def test_another_default_taller_stays_default_unless_forced():
    other = Taller.objects.create(slug="ambacar-quito", name="Ambacar Quito", is_default=True)
    run_seed()
    assert Taller.objects.get(slug="ambacar-service").is_default is False
    other.refresh_from_db()
    assert other.is_default is True

    run_seed("--force")
    other.refresh_from_db()
    assert other.is_default is False
    assert Taller.objects.get(is_default=True).slug == "ambacar-service"


# --- The catalog endpoint -------------------------------------------------------------------------


def test_catalog_endpoint_returns_the_seeded_data(client_api):
    run_seed()
    response = client_api.get("/api/v1/notifications/catalog/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["phases"][:2] == [
        {"slug": "phase-schedule", "name": "Agendar Cita", "icon": "Calendar", "order": 1},
        {"slug": "phase-reception", "name": "Recepción", "icon": "ClipboardCheck", "order": 2},
    ]
    assert [p["slug"] for p in data["phases"]] == PHASE_SLUGS
    service_types = data["service_types"]
    assert [t["slug"] for t in service_types] == MAIN_TYPE_SLUGS
    assert service_types[0] == {
        "slug": "mantenimiento-preventivo",
        "name": "Mantenimiento Preventivo",
        "icon": "Settings",
    }
    averia = service_types[1]
    assert (averia["name"], averia["icon"]) == ("Avería/Revisión", "AlertTriangle")
    assert averia["subtypes"][:2] == [
        {"slug": "averia-frenos", "name": "Frenos", "icon": "Circle"},
        {"slug": "averia-diagnostico", "name": "Diagnóstico", "icon": "Search"},
    ]
    for entry in service_types:
        assert [s["slug"] for s in entry.get("subtypes", [])] == SUBTYPES.get(entry["slug"], [])
