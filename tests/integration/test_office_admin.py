"""The admin as the office's tool (SPEC §13): Spanish whatever the browser sends, the taller's clock, an `Oficina`
group that sees office work only, a dashboard, the staff recipients as a list, previews, lists that fit a screen."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.analytics.selectors import analytics_summary
from apps.core.constants import Channel, DispatchStatus, NotificationStatus, Target
from apps.core.logging import mask_phone
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    NotificationLog,
    NotificationTemplate,
    OrchestrationConfig,
    ServicePhase,
    Taller,
    TallerChannelConfig,
    WhatsAppInstance,
)
from apps.notifications.seed.office import OFFICE_GROUP
from tests.conftest import admin_url as url
from tests.factories import PHONE, failed_dispatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_pages")]

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
OFFICE_MODELS = {
    "dispatch",
    "notificationlog",
    "notificationtemplate",
    "orchestrationconfig",
    "customercontactinfo",
    "customerchannelpreference",
    "taller",
    "tallerchannelconfig",
}


@pytest.fixture
def seeded(db):
    call_command("seed_initial_data", verbosity=0)


@pytest.fixture
def office_user(seeded, django_user_model):
    """Made as the README says: a staff user in the `Oficina` group the seed created."""
    user = django_user_model.objects.create_user("oficina", password="clave-de-oficina", is_staff=True)
    user.groups.add(Group.objects.get(name=OFFICE_GROUP))
    return user


@pytest.fixture
def office(client, office_user):
    client.force_login(office_user)
    return client


# --- Spanish, whatever the browser sends ----------------------------------------------------------------------


def test_the_admin_speaks_spanish_to_an_english_browser(office, seeded):
    failed_dispatch()
    office.cookies["django_language"] = "en"
    html = office.get(url(Dispatch, "changelist"), **ENGLISH).content.decode()
    assert '<html lang="es-ec"' in html
    assert "Seleccione despacho para ver" in html and "Por estado" in html
    for english in ("Select despacho", "By estado", "Filter", "Search", "Log out"):
        assert english not in html, english


def test_the_login_page_and_the_api_speak_spanish_too(client, anon_api):
    login = client.get("/admin/login/", **ENGLISH).content.decode()
    assert "Nombre de usuario" in login and "Username" not in login
    response = anon_api.get("/api/v1/notifications/catalog/", **ENGLISH)
    assert response.status_code == 401
    assert (
        response.json()["errors"][0]["detail"]
        == "Falta la clave de API: envíe la cabecera Authorization: Api-Key <clave>."
    )
    bad = anon_api.get("/api/v1/analytics/summary/?days=abc", **ENGLISH)
    assert "Authentication" not in bad.content.decode()


# --- The taller's clock -----------------------------------------------------------------------------------------


def test_titles_and_fields_show_the_tallers_time(admin_client, seeded, settings):
    settings.TIME_ZONE = "UTC"  # a server in UTC: the office still reads its taller's clock
    moment = datetime(2026, 11, 30, 17, 25, tzinfo=UTC)
    dispatch = failed_dispatch(when=moment)
    page = admin_client.get(url(Dispatch, "change", dispatch.pk)).content.decode()
    assert "Vehículo recibido · 2026-11-30 12:25" in page  # the title (Dispatch.__str__)
    assert "17:25" not in page
    listing = admin_client.get(url(Dispatch, "changelist")).content.decode()
    assert "12:25" in listing and "17:25" not in listing
    log = dispatch.notifications.first()
    assert "12:25" in admin_client.get(url(NotificationLog, "change", log.pk)).content.decode()


def test_a_dispatch_of_another_taller_shows_that_tallers_time(admin_client, seeded):
    madrid = Taller.objects.create(slug="ambacar-madrid", name="Ambacar Madrid", timezone="Europe/Madrid")
    dispatch = failed_dispatch(taller=madrid, when=datetime(2026, 11, 30, 17, 25, tzinfo=UTC))
    page = admin_client.get(url(Dispatch, "change", dispatch.pk)).content.decode()
    assert "Vehículo recibido · 2026-11-30 18:25" in page


# --- The Oficina group and the machinery ------------------------------------------------------------------------


def test_an_office_user_sees_office_work_only(office):
    response = office.get("/admin/", **ENGLISH)
    assert response.status_code == 200
    models = {model["object_name"].lower() for app in response.context["app_list"] for model in app["models"]}
    assert models == OFFICE_MODELS
    html = response.content.decode()
    assert 'id="office-dashboard"' in html
    assert 'href="/api/docs/"' in html and "Ver el sitio" in html


@pytest.mark.parametrize(
    ("app_label", "model_name"),
    [
        ("core", "apikey"),
        ("auth", "user"),
        ("auth", "group"),
        ("django_celery_results", "taskresult"),
        ("django_celery_beat", "periodictask"),
        ("django_celery_beat", "crontabschedule"),
        ("notifications", "idempotencyrecord"),
        ("notifications", "notificationattempt"),
    ],
)
def test_machinery_is_for_superusers_whatever_permissions_a_user_holds(
    client, admin_client, django_user_model, app_label, model_name
):
    user = django_user_model.objects.create_user("curioso", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label=app_label))
    client.force_login(user)
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert client.get(changelist).status_code == 403
    index = client.get("/admin/").context["app_list"]
    assert model_name not in {m["object_name"].lower() for app in index for m in app["models"]}
    assert admin_client.get(changelist).status_code == 200


def test_the_office_edits_preferences_but_not_the_contact_data_from_core(office):
    customer = CustomerContactInfo.objects.create(customer_id="C-9", name="Ana", phone=PHONE, email="ana@example.com")
    page = office.get(url(CustomerContactInfo, "change", customer.pk)).content.decode()
    assert 'name="channel_preferences-TOTAL_FORMS"' in page  # preferences editable
    assert 'name="phone"' not in page and 'name="name"' not in page
    assert PHONE not in page and mask_phone(PHONE) in page
    payload = {
        "channel_preferences-TOTAL_FORMS": "1",
        "channel_preferences-INITIAL_FORMS": "0",
        "channel_preferences-MIN_NUM_FORMS": "0",
        "channel_preferences-MAX_NUM_FORMS": "3",
        "channel_preferences-0-channel": "email",
        "channel_preferences-0-priority": "1",
        "channel_preferences-0-is_enabled": "on",
        "name": "Otro nombre",
    }
    response = office.post(url(CustomerContactInfo, "change", customer.pk), payload)
    assert response.status_code == 302, response.context and response.context["errors"]
    customer.refresh_from_db()
    assert customer.name == "Ana"
    assert list(customer.channel_preferences.values_list("channel", flat=True)) == ["email"]


def test_the_office_edits_the_matrix_but_not_what_a_configuration_is_for(office):
    config = OrchestrationConfig.objects.get(service_type__slug="avaluo-mg", target=Target.CLIENTS)
    page = office.get(url(OrchestrationConfig, "change", config.pk)).content.decode()
    assert 'name="matrix-phase-repair-push"' in page
    assert 'name="service_type"' not in page and 'name="target"' not in page
    # What the browser sends: the ticked boxes and every cell's shown value; the user ticks one more.
    payload = {"is_active": "on", "matrix-phase-schedule-push": "on"}
    payload |= dict(re.findall(r'<input type="hidden" name="(matrix-[\w-]+-shown)" value="([01])">', page))
    payload |= {f"matrix-{cell}": "on" for cell in re.findall(r'name="matrix-([\w-]+)"[^>]*? checked>', page)}
    assert len(payload) > 15
    assert office.post(url(OrchestrationConfig, "change", config.pk), payload).status_code == 302
    assert config.phase_channels.get(phase__slug="phase-schedule", channel="push").is_enabled is True
    assert config.phase_channels.get(phase__slug="phase-schedule", channel="email").is_enabled is True


# --- The dashboard ------------------------------------------------------------------------------------------------


def _bars(figure: str) -> dict[tuple[str, str], int]:
    return {
        (group, series): int(count)
        for group, series, count in re.findall(r'data-group="(\w+)" data-series="(\w+)" data-count="(\d+)"', figure)
    }


def test_the_dashboard_charts_the_analytics_figures(office):
    now = timezone.now()
    failed_dispatch(when=now - timedelta(days=3))
    failed_dispatch(name="Ana Torres", when=now - timedelta(days=20))
    sent = failed_dispatch(name="Luis")
    NotificationLog.objects.filter(dispatch=sent, channel="whatsapp").update(status=NotificationStatus.READ)

    html = office.get("/admin/").content.decode()
    figures = re.findall(r'<figure class="office-chart-figure">(.*?)</figure>', html, re.S)
    assert len(figures) == 3
    for days, figure in zip((1, 7, 30), figures, strict=True):
        by_channel = analytics_summary(days=days)["by_channel"]
        bars = _bars(figure)
        assert len(bars) == 3 * 4
        for (channel, series), count in bars.items():
            assert count == by_channel[channel][series], (days, channel, series)
    assert _bars(figures[0])[("whatsapp", "read")] == 1
    assert _bars(figures[2])[("email", "failed")] == 3


def test_the_dashboard_shows_each_whatsapp_instance(office, fake_senders):
    WhatsAppInstance.objects.create(
        name="sucursal-quito", state="close", paused_at=timezone.now(), pause_reason="401 Unauthorized"
    )
    fake_senders["whatsapp"].states["sucursal-quito"] = "close"
    html = office.get("/admin/").content.decode()
    row = re.search(r'<tr data-instance="sucursal-quito">(.*?)</tr>', html, re.S).group(1)
    assert "Desconectada" in row and "En pausa desde" in row and "401 Unauthorized" in row


def test_the_dashboard_lists_failures_and_resends_one(office, fake_senders, django_capture_on_commit_callbacks):
    dispatch = failed_dispatch()
    last_failed = dispatch.notifications.get(channel="email")
    html = office.get("/admin/").content.decode()
    assert f'data-notification="{last_failed.pk}"' in html
    assert "Reenviar por Email" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(reverse("admin:office_resend", args=[last_failed.pk]), follow=True)

    assert response.status_code == 200
    assert "Se reenvió por Email" in response.content.decode()
    copy = dispatch.notifications.exclude(pk=last_failed.pk).get(
        channel="email", fallback_from__isnull=True, status="sent"
    )
    assert copy.recipient == last_failed.recipient
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.SENT
    assert f'data-notification="{last_failed.pk}"' not in response.content.decode()  # it left the list


def test_the_dashboard_costs_the_same_queries_whatever_the_rows(office):
    failed_dispatch()
    office.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        assert office.get("/admin/").status_code == 200
    for i in range(6):
        failed_dispatch(name=f"Cliente {i}", plate=f"PLA{i}", phone=f"+59399000000{i}")
    with CaptureQueriesContext(connection) as many:
        assert office.get("/admin/").status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_resending_needs_the_permission_and_a_post(client, office, django_user_model, seeded):
    log = failed_dispatch().notifications.first()
    resend = reverse("admin:office_resend", args=[log.pk])
    assert office.get(resend).status_code == 405
    viewer = django_user_model.objects.create_user("visor", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_notificationlog", "view_dispatch"]))
    client.force_login(viewer)
    assert client.post(resend).status_code == 403
    assert NotificationLog.objects.count() == 2
    assert "Reenviar" not in client.get(url(NotificationLog, "change", log.pk)).content.decode()
    action_form = client.get(url(NotificationLog, "changelist")).context["action_form"]
    assert action_form is None or "resend" not in dict(action_form.fields["action"].choices)


# --- A taller's channels ------------------------------------------------------------------------------------------


def test_staff_recipients_are_a_list_checked_and_normalised(office):
    row = TallerChannelConfig.objects.get(channel=Channel.EMAIL)
    page = url(TallerChannelConfig, "change", row.pk)
    payload = {
        "is_enabled": "on",
        "sender_name": "",
        "sender_address": "",
        "staff_recipients": "0991234567\njefe@taller.ec, +593 99 123 4567\n\n",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "07:00",
    }
    assert office.post(page, payload).status_code == 302
    row.refresh_from_db()
    assert row.staff_recipients == [PHONE, "jefe@taller.ec"]
    assert f"{row.quiet_hours_start:%H:%M}-{row.quiet_hours_end:%H:%M}" == "21:00-07:00"
    html = office.get(page).content.decode()
    assert f"{PHONE}\njefe@taller.ec</textarea>" in html

    response = office.post(page, payload | {"staff_recipients": "jefe@taller\n12345\njefe@taller.ec"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["staff_recipients"]
    assert errors == ["«jefe@taller» no es un email válido.", "'12345' no es un número de teléfono válido."]
    row.refresh_from_db()
    assert row.staff_recipients == [PHONE, "jefe@taller.ec"]


@pytest.mark.parametrize(
    ("channel", "shown", "hidden"),
    [
        (Channel.EMAIL, {"sender_name", "sender_address", "staff_recipients"}, {"evolution_instance"}),
        (Channel.WHATSAPP, {"evolution_instance", "staff_recipients"}, {"sender_name", "sender_address"}),
        (Channel.PUSH, set(), {"sender_name", "sender_address", "evolution_instance", "staff_recipients"}),
    ],
)
def test_sender_fields_show_only_where_they_apply(office, channel, shown, hidden):
    row = TallerChannelConfig.objects.get(channel=channel)
    html = office.get(url(TallerChannelConfig, "change", row.pk)).content.decode()
    for name in shown | {"quiet_hours_start", "is_enabled"}:
        assert f'name="{name}"' in html, name
    for name in hidden:
        assert f'name="{name}"' not in html, name
    assert "America/Guayaquil" in html  # quiet hours say whose clock they follow


def test_no_help_text_or_label_names_a_setting():
    from django.apps import apps

    setting = re.compile(r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b")
    for model in apps.get_app_config("notifications").get_models():
        for field in model._meta.get_fields():
            for text in (getattr(field, "help_text", ""), getattr(field, "verbose_name", "")):
                assert not setting.search(str(text or "")), (model.__name__, field.name, text)


# --- Previews ------------------------------------------------------------------------------------------------------


def test_a_notification_shows_its_message_as_received_and_escaped(admin_client, seeded):
    dispatch = failed_dispatch()
    whatsapp = dispatch.notifications.get(channel="whatsapp")
    NotificationLog.objects.filter(pk=whatsapp.pk).update(
        body="Hola *Carlos*,\nsu vehículo <script>alert('x')</script> está listo."
    )
    html = admin_client.get(url(NotificationLog, "change", whatsapp.pk)).content.decode()
    bubble = re.search(r'<div class="office-whatsapp-bubble">(.*?)<span', html, re.S).group(1)
    assert bubble == (
        "Hola <strong>Carlos</strong>,\nsu vehículo &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; está listo."
    )

    email = dispatch.notifications.get(channel="email")
    NotificationLog.objects.filter(pk=email.pk).update(
        subject="Su <b>vehículo</b>", html_body='<p onclick="x()">Hola</p><script>parent.document.title="x"</script>'
    )
    html = admin_client.get(url(NotificationLog, "change", email.pk)).content.decode()
    frame = re.search(r"<iframe [^>]*>", html).group(0)
    assert 'sandbox=""' in frame
    assert 'srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hola&lt;/p&gt;&lt;script&gt;' in frame
    assert "<script>parent" not in html
    assert "Su &lt;b&gt;vehículo&lt;/b&gt;" in html


def test_a_dispatch_shows_each_channels_message_with_masked_recipients(office):
    dispatch = failed_dispatch()
    html = office.get(url(Dispatch, "change", dispatch.pk)).content.decode()
    assert f"WhatsApp · para {mask_phone(PHONE)}" in html and PHONE not in html
    assert "<strong>Carlos</strong>" in html and 'class="office-email-frame"' in html


def test_a_template_previews_with_the_seeds_example(office):
    template = NotificationTemplate.objects.filter(
        channel=Channel.WHATSAPP, service_type=None, phase__slug="phase-reception", target=Target.CLIENTS
    ).get()
    html = office.get(url(NotificationTemplate, "change", template.pk)).content.decode()
    preview = re.search(r'<div id="office-template-preview"[^>]*>(.*?)</div></div>', html, re.S).group(1)
    assert "Carlos Mendoza" in preview and "ABC123" in preview and "{{" not in preview
    assert 'id="office-template-preview-refresh"' in html


def test_the_preview_endpoint_renders_what_the_form_holds(office):
    endpoint = reverse("admin:notifications_notificationtemplate_preview")
    phase = ServicePhase.objects.get(slug="phase-repair")
    body = {
        "channel": "whatsapp",
        "body": "*{{Nombre}}*, fase {{Fase}} <img src=x onerror=alert(1)>",
        "phase": phase.pk,
    }
    html = office.post(endpoint, body).content.decode()
    assert "<strong>Carlos Mendoza</strong>, fase Reparación &lt;img src=x onerror=alert(1)&gt;" in html

    error = office.post(endpoint, {"channel": "push", "subject": "Hola", "body": "{{Cliente}}"}).content.decode()
    assert "No se puede mostrar: Variable desconocida {{Cliente}}" in error
    assert office.get(endpoint).status_code == 405
    assert Client().post(endpoint, body).status_code == 302  # anonymous: to the login page


# --- Lists an office reads at 1366 px -------------------------------------------------------------------------------


def test_every_list_has_at_most_seven_columns():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in {"notifications", "synchronization", "core"}:
            assert len(model_admin.list_display) <= 7, model.__name__


@pytest.mark.parametrize("model", [Dispatch, NotificationLog, NotificationTemplate, OrchestrationConfig])
def test_office_lists_put_the_status_first(office, model):
    changelist = office.get(url(model, "changelist")).context["cl"]
    columns = [name for name in changelist.list_display if name != "action_checkbox"]
    assert columns[0] == "status_display"


@pytest.mark.parametrize("model", [Dispatch, NotificationLog])
@pytest.mark.parametrize("query", ["Ana Torres", "torres", "PBX0099", "0987654321", "+593987654321"])
def test_search_by_customer_name_plate_and_phone(office, model, query):
    failed_dispatch()
    ana = failed_dispatch(name="Ana Torres", plate="PBX0099", phone="+593987654321")
    found = office.get(url(model, "changelist"), {"q": query}).context["cl"].result_list
    if model is Dispatch:
        assert list(found) == [ana]
    else:
        assert {row.dispatch_id for row in found} == {ana.pk}


def test_filters_by_status_channel_taller_and_date(office):
    quito = Taller.objects.create(slug="ambacar-quito", name="Ambacar Quito")
    mine = failed_dispatch(taller=quito)
    other = failed_dispatch(name="Ana")
    NotificationLog.objects.filter(dispatch=other, channel="email").delete()
    Dispatch.objects.filter(pk=other.pk).update(status=DispatchStatus.IN_PROGRESS)

    def dispatches(**params):
        return set(office.get(url(Dispatch, "changelist"), params).context["cl"].result_list)

    assert dispatches(taller__id__exact=quito.pk) == {mine}
    assert dispatches(status__exact="failed") == {mine}
    assert dispatches(channel="email") == {mine}
    assert dispatches(channel="whatsapp") == {mine, other}
    today = timezone.localdate()
    assert dispatches(created_at__year=today.year, created_at__month=today.month, created_at__day=today.day) == {
        mine,
        other,
    }
    assert dispatches(created_at__year=today.year - 1) == set()
    logs = office.get(url(NotificationLog, "changelist"), {"dispatch__taller__id__exact": quito.pk})
    assert {row.dispatch_id for row in logs.context["cl"].result_list} == {mine.pk}
