"""Every API route is documented, the OpenAPI document validates, and the docs need no CDN."""

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate

# Evolution API's webhook may call its URL without the trailing slash or with a `/messages-update` suffix.
from apps.notifications.views.receipts import UNDOCUMENTED_ALIAS

pytestmark = pytest.mark.django_db


def api_routes() -> set[str]:
    """'/api/...' paths of every URL pattern, in OpenAPI's {param} form."""
    import re

    found = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name != UNDOCUMENTED_ALIAS:
                route = "/" + prefix + str(p.pattern)
                # Router patterns are regexes: ^templates/(?P<pk>[^/.]+)/$ → templates/{pk}/
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route).replace("^", "").replace("$", "")
                route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).replace("{pk}", "{id}")
                if route.startswith(("/api/v1/", "/api/internal/", "/api/webhooks/")) and "\\." not in route:
                    found.add(route)

    walk(get_resolver().url_patterns)
    return found


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates_as_openapi_3(schema):
    validate(yaml.safe_load(yaml.safe_dump(schema, allow_unicode=True, sort_keys=False)))


def test_every_api_route_is_in_the_schema(schema):
    missing = api_routes() - set(schema["paths"])
    assert not missing, f"rutas sin documentar: {sorted(missing)}"


def test_every_operation_has_a_spanish_description_and_responses(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert op.get("description") or op.get("summary"), f"{method.upper()} {path} sin descripción"
            assert op.get("responses"), f"{method.upper()} {path} sin respuestas"


def test_schema_endpoint_and_docs_are_served_without_cdn(client, settings):
    # DEBUG is off in tests and collectstatic has not run: serve from the app folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert client.get("/api/schema/").status_code == 200
    for url in ("/api/docs/", "/api/redoc/"):
        page = client.get(url).content.decode()
        assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
        assert "https://" not in page.replace("https://github.com", ""), "an external resource"
        assert "/static/drf_spectacular_sidecar/" in page


def test_committed_schema_is_current(tmp_path):
    """docs/openapi.yaml is what `make schema` writes today: a change to the API ships with its schema."""
    from pathlib import Path

    from django.core.management import call_command

    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", file=str(generated), validate=True)
    committed = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
    assert yaml.safe_load(generated.read_text()) == yaml.safe_load(committed.read_text()), "run `make schema`"
