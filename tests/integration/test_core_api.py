"""Authentication, the error shape, database health and the API-key commands."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from apps.core import views as core_views

pytestmark = pytest.mark.django_db

PROTECTED = ["/api/v1/notifications/catalog/", "/api/v1/notifications/phases/", "/api/v1/notifications/service-types/"]


@pytest.mark.parametrize("url", PROTECTED)
def test_missing_key_is_401_in_error_shape(anon_api, url):
    r = anon_api.get(url)
    assert r.status_code == 401
    assert r.json() == {
        "type": "client_error",
        "errors": [{"code": "not_authenticated", "detail": r.json()["errors"][0]["detail"], "attr": None}],
    }
    assert r["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize("header", ["Api-Key nope.nope", "Api-Key ", "Bearer abc", "Api-Key x"])
def test_wrong_key_is_401(anon_api, header, api_key):
    anon_api.credentials(HTTP_AUTHORIZATION=header)
    r = anon_api.get(PROTECTED[0])
    assert r.status_code == 401
    assert r.json()["type"] == "client_error"


def test_revoked_key_is_401(anon_api):
    api_key, key = APIKey.objects.create_key(name="old")
    api_key.revoked = True
    api_key.save()
    anon_api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    r = anon_api.get(PROTECTED[0])
    assert r.status_code == 401
    assert r.json()["errors"][0]["code"] == "authentication_failed"


def test_staff_session_is_accepted(client, admin_user):
    client.force_login(admin_user)
    assert client.get(PROTECTED[0]).status_code == 200


def test_non_staff_session_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("mecanico", password="x-password-123")
    client.force_login(user)
    assert client.get(PROTECTED[0]).status_code in (401, 403)


def test_unknown_api_path_is_json_404(client_api):
    r = client_api.get("/api/v1/no-existe/")
    assert r.status_code == 404
    assert r.json()["type"] == "client_error"
    assert r.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    "path", ["/api/v1/no-existe/", "/api/v1/notifications/dispatches/abc/", "/api/v1/notifications/nada"]
)
def test_no_html_reaches_an_api_client_even_with_debug(client_api, settings, debug, path):
    settings.DEBUG = debug
    r = client_api.get(path)
    assert (r.status_code, r["Content-Type"]) == (404, "application/json")
    assert r.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_post_without_its_trailing_slash_gets_json_that_says_so(api_key, settings, debug):
    settings.DEBUG = debug  # on: Django would raise RuntimeError (an HTML page) from APPEND_SLASH here
    client = APIClient(enforce_csrf_checks=True)  # as a real API client: no CSRF cookie
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    r = client.post("/api/v1/notifications/customers", {"customer_id": "x"}, format="json")
    assert r.status_code == 404
    assert r.json()["errors"][0]["detail"] == "La ruta termina en barra: use /api/v1/notifications/customers/"


def test_a_get_without_its_trailing_slash_is_redirected(client_api):
    r = client_api.get("/api/v1/notifications/catalog?x=1")
    assert (r.status_code, r["Location"]) == (301, "/api/v1/notifications/catalog/?x=1")
    r = client_api.get("/api/v1/notifications/customers/a%3Fb")
    assert (r.status_code, r["Location"]) == (301, "/api/v1/notifications/customers/a%3Fb/")


def test_a_body_that_is_not_an_object_is_a_400_about_the_body(client_api):
    r = client_api.post("/api/v1/notifications/customers/", [1, 2], format="json")
    assert r.status_code == 400
    assert [e["attr"] for e in r.json()["errors"]] == [None]


def test_malformed_json_is_a_spanish_400(client_api):
    r = client_api.post("/api/v1/notifications/customers/", '{"customer_id": "x",}', content_type="application/json")
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert (error["code"], error["detail"]) == ("parse_error", "El cuerpo no es un JSON válido (línea 1, columna 21).")


def test_a_500_says_nothing_but_the_request_id_in_spanish(client_api, monkeypatch):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr("apps.notifications.views.catalog.catalog_get", broken)
    client_api.raise_request_exception = False  # what a real client sees, not the test client's re-raise
    r = client_api.get("/api/v1/notifications/catalog/", HTTP_X_REQUEST_ID="req500abcdef")
    assert r.status_code == 500
    [error] = r.json()["errors"]
    assert error["detail"] == "Error interno del servidor. Quedó registrado con el ID de petición req500abcdef."
    assert "secret" not in r.content.decode()


def test_request_id_header_is_returned(client_api):
    r = client_api.get(PROTECTED[0], HTTP_X_REQUEST_ID="abcdef1234567890")
    assert r["X-Request-ID"] == "abcdef1234567890"
    r = client_api.get(PROTECTED[0], HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert re.fullmatch(r"[0-9a-f]{16}", r["X-Request-ID"])


def test_health_anonymous_gets_status_only(anon_api):
    r = anon_api.get("/api/v1/health/database/")
    assert r.status_code == 200
    assert r.json() == {"status": "healthy"}


def test_health_authenticated_gets_details(client_api, settings):
    r = client_api.get("/api/v1/health/database/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    from django.db import connection

    assert body["database"]["engine"] == connection.vendor
    assert body["database"]["version"]
    assert body["database"]["is_supabase"] is False
    assert set(body["connection"]) == {"max_age", "health_checks_enabled"}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("aws-1-sa-east-1.pooler.supabase.com", True),
        ("db.nnllhshzqyummzyotyiv.supabase.co", True),
        ("127.0.0.1", False),
        ("supabase.com.attacker.io", False),
        ("", False),
    ],
)
def test_supabase_is_detected_from_the_host(host, expected):
    assert core_views.is_supabase_host(host) is expected


def test_health_503_when_database_does_not_answer(anon_api, monkeypatch):
    def broken_cursor():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(core_views.connection, "cursor", broken_cursor)
    r = anon_api.get("/api/v1/health/database/")
    assert r.status_code == 503
    assert r.json() == {"status": "unhealthy"}


def test_health_503_for_an_api_key_caller_too(client_api, monkeypatch):
    """Checking the key reads the database (the configuration snapshot, on a process's first request or after a
    change): when it is down the monitor still gets 503, not 500."""
    from django.db import OperationalError

    from apps.notifications.services import config_cache

    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    config_cache.config_cache_clear_local()
    monkeypatch.setattr(config_cache, "_load", database_down)
    r = client_api.get("/api/v1/health/database/")
    assert r.status_code == 503
    assert r.json() == {"status": "unhealthy"}


def test_create_api_key_prints_key_on_last_line():
    out = io.StringIO()
    call_command("create_api_key", "frontend-taller", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert APIKey.objects.is_valid(key)
    assert APIKey.objects.get_from_key(key).name == "frontend-taller"


def test_create_api_key_rejects_empty_name():
    with pytest.raises(CommandError):
        call_command("create_api_key", "  ")


def test_dev_api_key_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("dev_api_key")


def test_dev_api_key_is_stable_across_runs(settings, tmp_path):
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    first, second = io.StringIO(), io.StringIO()
    call_command("dev_api_key", stdout=first)
    call_command("dev_api_key", stdout=second)
    key = (tmp_path / ".dev-api-key").read_text().strip()
    assert APIKey.objects.is_valid(key)
    assert key in first.getvalue() and key in second.getvalue()
    assert APIKey.objects.filter(name="desarrollo").count() == 1
