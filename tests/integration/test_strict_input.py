"""The API does what its schema says: a parameter or a body value of the wrong type is a 400 naming it, never
ignored and never converted into a guess (issue 9)."""

import json

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization.models import SyncBatch

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"


@pytest.fixture
def customer(db):
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza", phone="+593991234567")


def errors_of(response) -> list[tuple[str | None, str]]:
    assert response.status_code == 400, response.content
    return [(e["attr"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "", "null", "1e2", "last"])
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_an_unreadable_page_or_page_size_is_400_naming_it(client_api, customer, name, value):
    # DRF alone ignored an unreadable page size and answered 404 to an unreadable page.
    attr, code = errors_of(client_api.get(f"{API}/customers/", {name: value}))[0]
    assert attr == name and code in ("invalid", "min_value")


def test_a_repeated_page_size_is_read_like_a_single_one(client_api, customer):
    assert errors_of(client_api.get(f"{API}/customers/?page_size=null&page_size=null")) == [("page_size", "invalid")]
    assert client_api.get(f"{API}/customers/?page_size=5&page_size=1").json()["results"]


@pytest.mark.parametrize(
    ("url", "attr", "code"),
    [
        (f"{API}/templates/?channel=", "channel", "invalid_choice"),
        (f"{API}/reminders/?status=", "status", "invalid_choice"),
        (f"{API}/reminders/?status=pending&status=", "status", "invalid_choice"),
        (f"{API}/customers/?is_active=", "is_active", "invalid"),
        (f"{API}/reminders/?due_after=", "due_after", "invalid"),
        (f"{API}/phases/?is_active=", "is_active", "invalid"),
        (f"{API}/phases/?is_active=quizas", "is_active", "invalid"),
        (f"{API}/service-types/?is_active=quizas", "is_active", "invalid"),
        (f"{API}/customers/?is_active=%25", "is_active", "invalid"),
        ("/api/v1/analytics/recent/?status=", "status", "invalid_choice"),
        ("/api/v1/analytics/summary/?days=", "days", "invalid"),
        (f"{API}/templates/for_context/?service_type=&phase=phase-repair&channel=email&target=clients",
         "service_type", "blank"),
    ],
)  # fmt: skip
def test_an_empty_or_unreadable_typed_filter_is_400_not_ignored(client_api, url, attr, code):
    assert (attr, code) in errors_of(client_api.get(url))


def test_an_empty_text_filter_still_means_no_filter(client_api, customer):
    assert client_api.get(f"{API}/customers/?search=").json()["count"] == 1


@pytest.mark.parametrize(
    ("method", "url", "body", "attr", "code"),
    [
        ("post", "/customers/", {"customer_id": "c-9", "is_active": 0}, "is_active", "invalid"),
        ("post", "/customers/", {"customer_id": "c-9", "name": 5}, "name", "invalid"),
        ("post", "/customers/", {"customer_id": 9}, "customer_id", "invalid"),
        ("patch", "/customers/customer-001/", {"is_active": "false"}, "is_active", "invalid"),
        # Over its maxLength as sent, even if DRF would trim it under (`\x1c` is whitespace to str.strip).
        ("patch", "/customers/customer-001/", {"name": "\x1c" + "x" * 200}, "name", "max_length"),
        ("post", "/vehicles/", {"vehicle_id": "v-9", "customer_id": "customer-001", "year": "2024"}, "year", "invalid"),
        ("post", "/vehicles/", {"vehicle_id": "v-9", "customer_id": "customer-001", "mileage": 1.5}, "mileage",
         "invalid"),
        ("post", "/vehicles/", {"vehicle_id": "v-9", "customer_id": "customer-001", "year": True}, "year", "invalid"),
        ("post", "/templates/preview/", {"template_id": 5}, "template_id", "invalid"),
        ("post", "/customers/customer-001/update_preferences/",
         {"preferences": [{"channel": "email", "priority": 1, "enabled": 1}]}, "preferences.0.enabled", "invalid"),
    ],
)  # fmt: skip
def test_a_body_value_of_the_wrong_json_type_or_length_is_400_and_nothing_changes(
    client_api, customer, method, url, body, attr, code
):
    response = getattr(client_api, method)(f"{API}{url}", body, format="json")
    assert (attr, code) in errors_of(response)
    customer.refresh_from_db()
    assert (customer.name, customer.is_active) == ("Carlos Mendoza", True)
    assert not Vehicle.objects.exists() and not customer.channel_preferences.exists()


def test_a_put_without_a_body_is_400_and_clears_nothing(client_api, customer):
    response = client_api.put(f"{API}/customers/customer-001/")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    customer.refresh_from_db()
    assert customer.name == "Carlos Mendoza"


@pytest.fixture
def internal() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_INTERNAL_SECRET=django_settings.INTERNAL_API_SECRET_KEY)
    return client


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"customers": [{"customer_id": "c-1", "is_active": 0}]}, "customers.0.is_active", "invalid"),
        ({"customers": [{"customer_id": "c-1"}], "customer_id": "c-2"}, None, "invalid"),
        ({"customer_id": "c-1", "updated_at": "0108-08-30T20:20:47Z"}, "updated_at", "date_out_of_range"),
        ({"customers": [{"customer_id": "c-1", "updated_at": "2100-01-01T00:00:00Z"}]}, "customers.0.updated_at",
         "date_out_of_range"),
    ],
)  # fmt: skip
def test_a_sync_body_the_schema_does_not_allow_is_400_and_nothing_is_enqueued(internal, body, attr, code):
    response = internal.post("/api/internal/v1/customers/sync/", json.dumps(body), content_type="application/json")
    assert (attr, code) in errors_of(response)
    assert not SyncBatch.objects.exists()


def test_the_internal_security_scheme_is_defined_and_every_operation_documents_its_errors():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["InternalSecret"] == {"type": "apiKey", "in": "header", "name": "X-Internal-Secret"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes), f"{method} {path}: {requirement}"
            responses = operation["responses"]
            assert {"400", "414"} <= set(responses), f"{method} {path}"
            if "requestBody" in operation:
                assert "413" in responses, f"{method} {path}"
