"""/api/v1/notifications/customers/: CRUD by external id, channel preferences, nested vehicles and reminders."""

import datetime

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.core.constants import ReminderStatus
from apps.notifications.models import CustomerChannelPreference, CustomerContactInfo, MaintenanceReminder, Vehicle

BASE = "/api/v1/notifications/customers/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )


@pytest.fixture
def other_customer():
    return CustomerContactInfo.objects.create(customer_id="customer-002", name="Ana Torres", email="", phone="")


def errors_of(response) -> list[tuple[str, str | None]]:
    """[(code, attr)] of an error response, after checking the one error shape."""
    body = response.json()
    assert set(body) >= {"type", "errors"}, body
    assert body["type"] in ("validation_error", "client_error", "server_error")
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert error["detail"]
    return [(error["code"], error["attr"]) for error in body["errors"]]


def attrs_of(response) -> set[str | None]:
    return {attr for _, attr in errors_of(response)}


# --- authentication ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", BASE),
    ("post", BASE),
    ("get", BASE + "customer-001/"),
    ("put", BASE + "customer-001/"),
    ("patch", BASE + "customer-001/"),
    ("delete", BASE + "customer-001/"),
    ("get", BASE + "customer-001/preferences/"),
    ("post", BASE + "customer-001/update_preferences/"),
    ("get", BASE + "customer-001/vehicles/"),
    ("get", BASE + "customer-001/reminders/"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_requires_an_api_key(anon_api, customer, method, url):
    response = getattr(anon_api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "not_authenticated"
    assert CustomerContactInfo.objects.get(pk=customer.pk).is_active  # nothing changed


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_rejects_a_wrong_api_key(db, customer, method, url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong.key")
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "authentication_failed"


# --- list ----------------------------------------------------------------------------------------


def test_list_is_paginated_and_ordered_by_customer_id(client_api, customer, other_customer):
    response = client_api.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["customer_id"] for c in body["results"]] == ["customer-001", "customer-002"]
    assert body["results"][0] == {
        "customer_id": "customer-001",
        "name": "Carlos Mendoza",
        "email": "carlos@example.com",
        "phone": "+593991234567",
        "is_active": True,
        "is_placeholder": False,
        "synced_at": None,
        "source_updated_at": None,
        "created_at": body["results"][0]["created_at"],
        "updated_at": body["results"][0]["updated_at"],
    }

    page = client_api.get(BASE, {"page_size": 1, "page": 2}).json()
    assert [c["customer_id"] for c in page["results"]] == ["customer-002"]
    assert page["previous"] is not None and page["next"] is None


def test_list_page_size_is_capped_at_200(client_api):
    CustomerContactInfo.objects.bulk_create(CustomerContactInfo(customer_id=f"c-{i:03d}") for i in range(205))
    body = client_api.get(BASE, {"page_size": 1000}).json()
    assert body["count"] == 205
    assert len(body["results"]) == 200


def test_list_out_of_range_page_is_a_404_in_the_error_shape(client_api, customer):
    response = client_api.get(BASE, {"page": 9})
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_list_filters(client_api, customer, other_customer):
    CustomerContactInfo.objects.create(customer_id="old-1", name="Inactivo", is_active=False, is_placeholder=True)

    def ids(**params):
        response = client_api.get(BASE, params)
        assert response.status_code == 200, response.content
        return [c["customer_id"] for c in response.json()["results"]]

    assert ids(is_active="true") == ["customer-001", "customer-002"]
    assert ids(is_active="false") == ["old-1"]
    assert ids(is_placeholder="true") == ["old-1"]
    assert ids(search="mendoza") == ["customer-001"]
    assert ids(search="CARLOS@") == ["customer-001"]
    assert ids(search="002") == ["customer-002"]
    assert ids(search="99123") == ["customer-001"]
    assert ids(has_phone="true") == ["customer-001"]
    assert ids(has_phone="false") == ["customer-002", "old-1"]
    assert ids(has_email="true") == ["customer-001"]
    assert ids(has_email="false", is_active="true") == ["customer-002"]


# --- create --------------------------------------------------------------------------------------


def test_create_normalises_the_phone_to_e164(client_api):
    response = client_api.post(
        BASE,
        {"customer_id": "customer-010", "name": " Lucía Pérez ", "email": "lucia@example.com", "phone": "0991234567"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer_id"] == "customer-010"
    assert body["phone"] == "+593991234567"
    assert body["name"] == "Lucía Pérez"
    assert body["is_active"] is True and body["is_placeholder"] is False
    stored = CustomerContactInfo.objects.get(customer_id="customer-010")
    assert stored.phone == "+593991234567"
    assert stored.email == "lucia@example.com"


@pytest.mark.parametrize(
    "raw, e164", [("099 123 4567", "+593991234567"), ("+593 99 123 4567", "+593991234567"), ("", ""), (None, "")]
)
def test_create_accepts_phone_spellings(client_api, raw, e164):
    response = client_api.post(BASE, {"customer_id": "c-1", "phone": raw}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == e164


@override_settings(PHONE_DEFAULT_REGION="CO")
def test_create_uses_the_configured_default_region(client_api):
    response = client_api.post(BASE, {"customer_id": "c-co", "phone": "3001234567"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+573001234567"


@pytest.mark.parametrize("customer_id", ["cust.001", "cust_001", "CUST-001", "12345", "a.b-c_d"])
def test_create_allows_ids_with_dash_underscore_and_dot(client_api, customer_id):
    assert client_api.post(BASE, {"customer_id": customer_id}, format="json").status_code == 201
    response = client_api.get(f"{BASE}{customer_id}/")
    assert response.status_code == 200
    assert response.json()["customer_id"] == customer_id


@pytest.mark.parametrize(
    "payload, attr",
    [
        ({"customer_id": "c-1", "phone": "12345"}, "phone"),
        ({"customer_id": "c-1", "phone": "no es un número"}, "phone"),
        ({"customer_id": "c-1", "phone": "09912345678901234"}, "phone"),
        ({"customer_id": "c-1", "email": "not-an-email"}, "email"),
        ({"customer_id": "c-1", "email": "a@b.c\r\nBcc: x@y.z"}, "email"),
        ({"customer_id": "c-1", "name": "x" * 201}, "name"),
        ({"customer_id": "c-1", "is_active": "tal vez"}, "is_active"),
        ({}, "customer_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"customer_id": "con espacio"}, "customer_id"),
        ({"customer_id": "a/b"}, "customer_id"),
        ({"customer_id": ".hidden"}, "customer_id"),
        ({"customer_id": "x" * 101}, "customer_id"),
        ({"customer_id": ["c-1"]}, "customer_id"),
    ],
)
def test_create_validation_errors_name_the_field(client_api, payload, attr):
    response = client_api.post(BASE, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert attrs_of(response) == {attr}
    assert not CustomerContactInfo.objects.exists()


def test_create_bad_phone_message_is_spanish(client_api):
    response = client_api.post(BASE, {"customer_id": "c-1", "phone": "12345"}, format="json")
    detail = response.json()["errors"][0]["detail"]
    assert "no es un número de teléfono" in detail


def test_create_duplicate_customer_id_is_a_400(client_api, customer):
    response = client_api.post(BASE, {"customer_id": "customer-001", "name": "Otro"}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("unique", "customer_id")]
    assert CustomerContactInfo.objects.get(customer_id="customer-001").name == "Carlos Mendoza"


def test_create_ignores_read_only_fields(client_api):
    response = client_api.post(
        BASE, {"customer_id": "c-1", "is_placeholder": True, "synced_at": "2020-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_placeholder"] is False
    assert response.json()["synced_at"] is None


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"texto"'])
def test_create_with_a_malformed_body_is_a_400_not_a_500(client_api, body):
    response = client_api.post(BASE, body, content_type="application/json")
    assert response.status_code == 400
    errors_of(response)


# --- retrieve / update / delete --------------------------------------------------------------------


def test_retrieve(client_api, customer):
    response = client_api.get(BASE + "customer-001/")
    assert response.status_code == 200
    assert response.json()["name"] == "Carlos Mendoza"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_customer_is_a_404(client_api, method):
    response = getattr(client_api, method)(BASE + "nobody/", {"name": "x"}, format="json")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_put_replaces_the_customer(client_api, customer):
    response = client_api.put(BASE + "customer-001/", {"name": "Carlos M.", "phone": "0987654321"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Carlos M."
    assert body["phone"] == "+593987654321"
    assert body["email"] == ""  # omitted in a PUT: back to the default
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone) == ("Carlos M.", "", "+593987654321")


def test_put_may_repeat_but_not_change_the_customer_id(client_api, customer):
    ok = client_api.put(BASE + "customer-001/", {"customer_id": "customer-001", "name": "X"}, format="json")
    assert ok.status_code == 200
    response = client_api.put(BASE + "customer-001/", {"customer_id": "customer-999", "name": "X"}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("immutable", "customer_id")]
    assert CustomerContactInfo.objects.filter(customer_id="customer-001").exists()


def test_patch_changes_only_the_given_fields(client_api, customer):
    response = client_api.patch(BASE + "customer-001/", {"phone": "+593 98 765 4321"}, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.phone == "+593987654321"
    assert customer.name == "Carlos Mendoza" and customer.email == "carlos@example.com"


@pytest.mark.parametrize("payload, attr", [({"phone": "123"}, "phone"), ({"email": "nope"}, "email")])
def test_patch_validation_errors(client_api, customer, payload, attr):
    response = client_api.patch(BASE + "customer-001/", payload, format="json")
    assert response.status_code == 400
    assert attrs_of(response) == {attr}
    customer.refresh_from_db()
    assert customer.phone == "+593991234567" and customer.email == "carlos@example.com"


def test_contact_data_fills_a_placeholder(client_api):
    CustomerContactInfo.objects.create(customer_id="ph-1", is_placeholder=True)
    assert client_api.patch(BASE + "ph-1/", {"is_active": True}, format="json").json()["is_placeholder"] is True
    response = client_api.patch(BASE + "ph-1/", {"name": "Nuevo"}, format="json")
    assert response.json()["is_placeholder"] is False


def test_delete_is_a_soft_delete(client_api, customer):
    vehicle = Vehicle.objects.create(vehicle_id="v-1", customer=customer)
    CustomerChannelPreference.objects.create(customer=customer, channel="email", priority=1)

    response = client_api.delete(BASE + "customer-001/")
    assert response.status_code == 204
    customer.refresh_from_db()
    assert customer.is_active is False
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()
    assert customer.channel_preferences.count() == 1
    assert client_api.get(BASE + "customer-001/").json()["is_active"] is False
    assert client_api.delete(BASE + "customer-001/").status_code == 204  # idempotent

    reactivated = client_api.patch(BASE + "customer-001/", {"is_active": True}, format="json")
    assert reactivated.json()["is_active"] is True


# --- preferences ---------------------------------------------------------------------------------


@override_settings(DEFAULT_CHANNEL_PRIORITY=["whatsapp", "email", "push"])
def test_preferences_default_when_the_customer_has_none(client_api, customer):
    response = client_api.get(BASE + "customer-001/preferences/")
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": "customer-001",
        "is_default": True,
        "preferences": [
            {"channel": "whatsapp", "priority": 1, "enabled": True},
            {"channel": "email", "priority": 2, "enabled": True},
            {"channel": "push", "priority": 3, "enabled": True},
        ],
    }


@override_settings(DEFAULT_CHANNEL_PRIORITY=["email", "push"])
def test_preferences_default_follows_the_setting(client_api, customer):
    prefs = client_api.get(BASE + "customer-001/preferences/").json()["preferences"]
    assert prefs == [
        {"channel": "email", "priority": 1, "enabled": True},
        {"channel": "push", "priority": 2, "enabled": True},
    ]


def test_preferences_stored_are_ordered_by_priority(client_api, customer):
    CustomerChannelPreference.objects.create(customer=customer, channel="push", priority=2, is_enabled=False)
    CustomerChannelPreference.objects.create(customer=customer, channel="email", priority=1)
    body = client_api.get(BASE + "customer-001/preferences/").json()
    assert body["is_default"] is False
    assert body["preferences"] == [
        {"channel": "email", "priority": 1, "enabled": True},
        {"channel": "push", "priority": 2, "enabled": False},
    ]


def test_preferences_of_unknown_customer_is_a_404(client_api):
    assert client_api.get(BASE + "nobody/preferences/").status_code == 404
    response = client_api.post(
        BASE + "nobody/update_preferences/", {"preferences": [{"channel": "email", "priority": 1}]}, format="json"
    )
    assert response.status_code == 404


@override_settings(DEFAULT_CHANNEL_PRIORITY=["whatsapp", "email", "push"])
def test_update_preferences_replaces_all_and_disables_the_rest(client_api, customer):
    CustomerChannelPreference.objects.create(customer=customer, channel="push", priority=1)
    payload = {
        "preferences": [
            {"channel": "email", "priority": 5, "enabled": True},
            {"channel": "whatsapp", "priority": 2},
        ]
    }
    response = client_api.post(BASE + "customer-001/update_preferences/", payload, format="json")
    assert response.status_code == 200, response.content
    expected = {
        "customer_id": "customer-001",
        "is_default": False,
        "preferences": [
            {"channel": "whatsapp", "priority": 1, "enabled": True},
            {"channel": "email", "priority": 2, "enabled": True},
            {"channel": "push", "priority": 3, "enabled": False},
        ],
    }
    assert response.json() == expected
    assert client_api.get(BASE + "customer-001/preferences/").json() == expected
    rows = list(customer.channel_preferences.order_by("priority").values_list("channel", "priority", "is_enabled"))
    assert rows == [("whatsapp", 1, True), ("email", 2, True), ("push", 3, False)]


def test_update_preferences_can_disable_every_channel(client_api, customer):
    payload = {"preferences": [{"channel": c, "priority": i, "enabled": False} for i, c in enumerate(["push"], 1)]}
    body = client_api.post(BASE + "customer-001/update_preferences/", payload, format="json").json()
    assert [p["enabled"] for p in body["preferences"]] == [False, False, False]
    assert body["preferences"][0]["channel"] == "push"


@pytest.mark.parametrize(
    "payload, attrs",
    [
        ({"preferences": [{"channel": "sms", "priority": 1}]}, {"preferences.0.channel"}),
        ({"preferences": [{"channel": "email", "priority": 0}]}, {"preferences.0.priority"}),
        ({"preferences": [{"channel": "email", "priority": -1}]}, {"preferences.0.priority"}),
        ({"preferences": [{"channel": "email", "priority": "uno"}]}, {"preferences.0.priority"}),
        ({"preferences": [{"channel": "email"}]}, {"preferences.0.priority"}),
        ({"preferences": [{"priority": 1}]}, {"preferences.0.channel"}),
        ({"preferences": [{"channel": "email", "priority": 1, "enabled": "quizá"}]}, {"preferences.0.enabled"}),
        (
            {"preferences": [{"channel": "email", "priority": 1}, {"channel": "email", "priority": 2}]},
            {"preferences.1.channel"},
        ),
        (
            {"preferences": [{"channel": "email", "priority": 1}, {"channel": "push", "priority": 1}]},
            {"preferences.1.priority"},
        ),
        ({"preferences": []}, {"preferences"}),
        ({"preferences": "whatsapp"}, {"preferences"}),
        ({"preferences": [None]}, {"preferences.0"}),
        ({}, {"preferences"}),
        (
            {
                "preferences": [
                    {"channel": c, "priority": i} for i, c in enumerate(["email", "push", "whatsapp", "email"], 1)
                ]
            },
            {"preferences"},
        ),
    ],
)
def test_update_preferences_validation(client_api, customer, payload, attrs):
    CustomerChannelPreference.objects.create(customer=customer, channel="push", priority=1)
    response = client_api.post(BASE + "customer-001/update_preferences/", payload, format="json")
    assert response.status_code == 400, response.content
    assert attrs_of(response) == attrs
    # nothing replaced
    assert list(customer.channel_preferences.values_list("channel", "priority")) == [("push", 1)]


# --- nested lists --------------------------------------------------------------------------------


def test_customer_vehicles_lists_only_that_customer(client_api, customer, other_customer):
    Vehicle.objects.create(vehicle_id="v-2", customer=customer, plate="ABC1234", is_active=False)
    Vehicle.objects.create(vehicle_id="v-1", customer=customer, plate="XYZ987")
    Vehicle.objects.create(vehicle_id="v-3", customer=other_customer)
    body = client_api.get(BASE + "customer-001/vehicles/").json()
    assert body["count"] == 2
    assert [v["vehicle_id"] for v in body["results"]] == ["v-1", "v-2"]
    assert body["results"][0]["customer_id"] == "customer-001"
    active = client_api.get(BASE + "customer-001/vehicles/", {"is_active": "true"}).json()
    assert [v["vehicle_id"] for v in active["results"]] == ["v-1"]
    assert client_api.get(BASE + "customer-002/vehicles/").json()["count"] == 1
    assert client_api.get(BASE + "nobody/vehicles/").status_code == 404


def test_customer_reminders_lists_only_that_customer(client_api, customer, other_customer):
    mine = Vehicle.objects.create(vehicle_id="v-1", customer=customer)
    theirs = Vehicle.objects.create(vehicle_id="v-2", customer=other_customer)
    today = datetime.date(2026, 3, 1)
    MaintenanceReminder.objects.create(vehicle=mine, customer=customer, due_date=today + datetime.timedelta(days=9))
    MaintenanceReminder.objects.create(vehicle=mine, customer=customer, due_date=today)
    MaintenanceReminder.objects.create(
        vehicle=mine, customer=customer, due_mileage=50000, status=ReminderStatus.COMPLETED
    )
    MaintenanceReminder.objects.create(vehicle=theirs, customer=other_customer, due_date=today)

    body = client_api.get(BASE + "customer-001/reminders/").json()
    assert body["count"] == 3
    assert [r["due_date"] for r in body["results"]] == ["2026-03-01", "2026-03-10", None]
    assert {r["customer_id"] for r in body["results"]} == {"customer-001"}
    pending = client_api.get(BASE + "customer-001/reminders/", {"status": "pending"}).json()
    assert pending["count"] == 2
    both = client_api.get(BASE + "customer-001/reminders/?status=pending&status=completed").json()
    assert both["count"] == 3
    bad = client_api.get(BASE + "customer-001/reminders/", {"status": "nope"})
    assert bad.status_code == 400 and attrs_of(bad) == {"status"}
    assert client_api.get(BASE + "nobody/reminders/").status_code == 404


@pytest.mark.parametrize(
    "path", ["", "customer-001/", "nobody/", "customer-001/preferences/", "customer-001/vehicles/"]
)
def test_options_describes_the_endpoint(client_api, customer, path):
    response = client_api.options(BASE + path)
    assert response.status_code == 200
    assert response.json()["name"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/notifications/customers/?is_active=quizas",
        "/api/v1/notifications/customers/?has_phone=maybe",
        "/api/v1/notifications/vehicles/?is_active=2",
        "/api/v1/notifications/templates/?is_active=activo",
        "/api/v1/notifications/orchestration/?is_active=x",
    ],
)
def test_a_boolean_filter_it_cannot_read_is_400_not_ignored(client_api, url):
    r = client_api.get(url)
    assert r.status_code == 400, r.content
    [error] = r.json()["errors"]
    assert error["attr"] == url.split("?")[1].split("=")[0]
    assert "true o false" in error["detail"]
