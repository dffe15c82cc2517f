"""The friction a new user met following the README (issue: the first hour), each fixed and kept fixed."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo
from apps.notifications.seed.examples import DISPATCH_EXAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

DISPATCH = "/api/v1/notifications/events/dispatch/"


@pytest.fixture
def seeded(db, fake_senders):
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    return fake_senders


def test_a_missing_customer_id_names_the_field(client_api, seeded):
    body = {key: value for key, value in DISPATCH_EXAMPLE.items() if key != "customer_id"}
    r = client_api.post(DISPATCH, body, format="json")
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"code": "required", "detail": "customer_id es obligatorio cuando target es clients.", "attr": "customer_id"}
    ]


@pytest.mark.parametrize(
    ("headers", "received"),
    [
        ({"HTTP_AUTHORIZATION": "Bearer abc.def"}, "«Authorization: Bearer …»"),
        ({"HTTP_AUTHORIZATION": "abc.def"}, "la clave sin el esquema Api-Key"),
        ({"HTTP_X_API_KEY": "abc.def"}, "la cabecera X-Api-Key"),
    ],
    ids=["bearer", "bare-key", "x-api-key"],
)
def test_a_key_sent_the_wrong_way_is_told_where_it_goes(db, headers, received):
    r = APIClient().get("/api/v1/notifications/catalog/", **headers)
    assert r.status_code == 401
    [error] = r.json()["errors"]
    assert error["detail"].startswith("La clave de API va en la cabecera Authorization: Api-Key <clave>")
    assert received in error["detail"]


def test_no_credentials_at_all_says_which_header(db):
    r = APIClient().get("/api/v1/notifications/catalog/")
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Api-Key"
    assert r.json()["errors"][0]["detail"] == "Falta la clave de API: envíe la cabecera Authorization: Api-Key <clave>."
    internal = APIClient().post("/api/internal/v1/customers/sync/", {}, format="json")
    assert (
        internal.status_code == 401 and internal.json()["errors"][0]["detail"] == "Falta la cabecera X-Internal-Secret."
    )


def test_the_previous_internal_secret_works_during_a_rotation(db, settings):
    settings.INTERNAL_API_SECRET_KEY, settings.INTERNAL_API_SECRET_KEY_PREVIOUS = "new-secret", "old-secret"
    body = {"customer_id": "c-1", "name": "Ana"}
    url = "/api/internal/v1/customers/sync/"
    for secret, status in (("new-secret", 202), ("old-secret", 202), ("other-secret", 401), ("", 401)):
        assert APIClient().post(url, body, format="json", HTTP_X_INTERNAL_SECRET=secret).status_code == status


def test_one_time_zone_in_the_acceptance_and_the_detail(client_api, seeded):
    accepted = client_api.post(DISPATCH, DISPATCH_EXAMPLE, format="json").json()
    detail = client_api.get(f"/api/v1/notifications/dispatches/{accepted['dispatch_id']}/").json()
    assert accepted["created_at"].endswith("-05:00")
    assert accepted["created_at"] == detail["created_at"]


def test_a_dispatch_in_process_logs_no_broker_warning(client_api, seeded, caplog):
    with caplog.at_level(logging.INFO):
        assert client_api.post(DISPATCH, DISPATCH_EXAMPLE, format="json").status_code == 202
    assert "No hostname was supplied" not in caplog.text


def test_for_context_takes_the_names_dispatch_uses_too(client_api, seeded):
    url = "/api/v1/notifications/templates/for_context/"
    common = {"channel": "whatsapp", "target": "clients"}
    plain = client_api.get(url, {"service_type": "averia-revision", "phase": "phase-repair", **common})
    aliased = client_api.get(url, {"service_type_id": "averia-revision", "phase_id": "phase-repair", **common})
    assert plain.status_code == aliased.status_code == 200
    assert plain.json() == aliased.json()
    both = client_api.get(
        url, {"service_type": "averia-revision", "service_type_id": "avaluo-mg", "phase": "phase-repair", **common}
    )
    assert both.status_code == 400 and both.json()["errors"][0]["attr"] == "service_type_id"


def test_a_preview_fills_the_taller_as_a_dispatch_does(client_api, seeded):
    r = client_api.post(
        "/api/v1/notifications/templates/preview/",
        {"channel": "whatsapp", "body": "Hola {{Nombre}}, le escribe {{Taller}}.", "context": {"nombre": "Ana"}},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["body"] == "Hola Ana, le escribe Ambacar Service."
    assert r.json()["missing_variables"] == []
