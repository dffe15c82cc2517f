"""/api/v1/notifications/vehicles/: CRUD by external vehicle_id, owner by external customer_id."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.constants import ReminderStatus
from apps.notifications.models import CustomerContactInfo, MaintenanceReminder, Vehicle
from apps.notifications.services.customers import vehicles_with_plate
from tests.services import postgres_or_fail

BASE = "/api/v1/notifications/vehicles/"
VIN = "LGWEF6A59RH123456"

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza")


@pytest.fixture
def buyer():
    return CustomerContactInfo.objects.create(customer_id="customer-002", name="Ana Torres")


@pytest.fixture
def vehicle(customer):
    return Vehicle.objects.create(
        vehicle_id="vehicle-001", customer=customer, plate="ABC1234", brand="Haval", model="H6", year=2024
    )


def errors_of(response) -> list[tuple[str, str | None]]:
    body = response.json()
    assert body["type"] in ("validation_error", "client_error", "server_error"), body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    return [(error["code"], error["attr"]) for error in body["errors"]]


# --- authentication ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", BASE),
    ("post", BASE),
    ("get", BASE + "vehicle-001/"),
    ("put", BASE + "vehicle-001/"),
    ("patch", BASE + "vehicle-001/"),
    ("delete", BASE + "vehicle-001/"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_requires_an_api_key(anon_api, vehicle, method, url):
    response = getattr(anon_api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "not_authenticated"
    assert Vehicle.objects.get(pk=vehicle.pk).is_active


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_rejects_a_wrong_api_key(vehicle, method, url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong.key")
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "authentication_failed"


# --- create --------------------------------------------------------------------------------------


def test_create_normalises_plate_and_vin(client_api, customer):
    payload = {
        "vehicle_id": "vehicle-010",
        "customer_id": "customer-001",
        "plate": " abc-1234 ",
        "brand": "Haval",
        "model": "H6",
        "year": 2024,
        "vin": VIN.lower(),
        "color": "Blanco",
        "mileage": 15200,
    }
    response = client_api.post(BASE, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["vehicle_id"] == "vehicle-010"
    assert body["customer_id"] == "customer-001"
    assert body["plate"] == "ABC1234"
    assert body["vin"] == VIN
    assert body["description"] == "Haval H6 2024"
    assert body["is_active"] is True
    stored = Vehicle.objects.get(vehicle_id="vehicle-010")
    assert (stored.customer, stored.plate, stored.mileage) == (customer, "ABC1234", 15200)


def test_create_with_only_the_required_fields(client_api, customer):
    response = client_api.post(BASE, {"vehicle_id": "v.1_a-b", "customer_id": "customer-001"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["plate"], body["year"], body["vin"], body["mileage"], body["description"]) == ("", None, "", None, "")
    assert client_api.get(BASE + "v.1_a-b/").status_code == 200


def test_create_accepts_next_model_year(client_api, customer):
    next_year = timezone.localdate().year + 1
    response = client_api.post(
        BASE, {"vehicle_id": "v-1", "customer_id": "customer-001", "year": next_year}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"customer_id": "nobody"}, ("does_not_exist", "customer_id")),
        ({"customer_id": None}, ("null", "customer_id")),
        ({"vehicle_id": "con espacio"}, ("invalid", "vehicle_id")),
        ({"vehicle_id": ""}, ("blank", "vehicle_id")),
        ({"year": 1899}, ("min_value", "year")),
        ({"year": timezone.localdate().year + 2}, ("max_value", "year")),
        ({"year": "dos mil"}, ("invalid", "year")),
        ({"vin": "SHORT123"}, ("invalid_vin", "vin")),
        ({"vin": "LGWEF6A59RH12345O"}, ("invalid_vin", "vin")),  # letter O is not allowed in a VIN
        ({"vin": VIN + "9"}, ("invalid_vin", "vin")),
        ({"plate": "ABC*123"}, ("invalid_plate", "plate")),
        ({"plate": "A" * 21}, ("invalid_plate", "plate")),
        ({"mileage": -1}, ("min_value", "mileage")),
        ({"mileage": 10_000_000}, ("max_value", "mileage")),
        ({"brand": "x" * 81}, ("max_length", "brand")),
    ],
)
def test_create_validation_errors_name_the_field(client_api, customer, changes, expected):
    payload = {"vehicle_id": "v-1", "customer_id": "customer-001", **changes}
    response = client_api.post(BASE, payload, format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response) == [expected]
    assert not Vehicle.objects.exists()


def test_create_requires_vehicle_id_and_customer_id(client_api):
    response = client_api.post(BASE, {}, format="json")
    assert response.status_code == 400
    assert {attr for _, attr in errors_of(response)} == {"vehicle_id", "customer_id"}


def test_unknown_customer_message_is_spanish(client_api, customer):
    response = client_api.post(BASE, {"vehicle_id": "v-1", "customer_id": "nobody"}, format="json")
    assert response.json()["errors"][0]["detail"] == "No existe un cliente con customer_id 'nobody'."


def test_create_duplicate_vehicle_id_is_a_400(client_api, vehicle):
    response = client_api.post(BASE, {"vehicle_id": "vehicle-001", "customer_id": "customer-001"}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("unique", "vehicle_id")]


# --- list ----------------------------------------------------------------------------------------


def test_list_and_filters(client_api, customer, buyer, vehicle):
    Vehicle.objects.create(vehicle_id="vehicle-002", customer=buyer, plate="PBX-0123", is_active=False)
    Vehicle.objects.create(vehicle_id="vehicle-003", customer=buyer, plate="GYE4455")

    def ids(**params):
        response = client_api.get(BASE, params)
        assert response.status_code == 200, response.content
        return [v["vehicle_id"] for v in response.json()["results"]]

    body = client_api.get(BASE).json()
    assert body["count"] == 3
    assert body["results"][0]["description"] == "Haval H6 2024"
    assert ids() == ["vehicle-001", "vehicle-002", "vehicle-003"]
    assert ids(customer_id="customer-002") == ["vehicle-002", "vehicle-003"]
    assert ids(customer_id="nobody") == []
    assert ids(plate="abc-1234") == ["vehicle-001"]
    assert ids(plate="ABC 1234") == ["vehicle-001"]
    assert ids(plate="pbx0123") == ["vehicle-002"]  # stored with a dash by an older sync
    assert ids(plate="ABC123") == []
    assert ids(is_active="false") == ["vehicle-002"]
    assert ids(is_active="true", customer_id="customer-002") == ["vehicle-003"]


def test_a_plate_lookup_reads_the_index_of_the_normalized_plate(customer, vehicle):
    # The lookup compares an expression of the column; an index of the column itself never served it (a whole-table
    # read, 28 ms at 100,000 vehicles). With sequential scans off, a plan that cannot use the index says so.
    postgres_or_fail()
    Vehicle.objects.create(vehicle_id="vehicle-002", customer=customer, plate="PBX-0123")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = vehicles_with_plate(Vehicle.objects.all(), "pbx 0123").explain()
        assert [v.vehicle_id for v in vehicles_with_plate(Vehicle.objects.all(), "pbx 0123")] == ["vehicle-002"]
    assert "vehicle_plate_normalized_idx" in plan, plan


# --- retrieve / update / delete --------------------------------------------------------------------


def test_retrieve(client_api, vehicle):
    response = client_api.get(BASE + "vehicle-001/")
    assert response.status_code == 200
    assert response.json()["plate"] == "ABC1234"
    assert response.json()["customer_id"] == "customer-001"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_vehicle_is_a_404(client_api, customer, method):
    response = getattr(client_api, method)(BASE + "nope/", {"customer_id": "customer-001"}, format="json")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_patch_mileage(client_api, vehicle):
    response = client_api.patch(BASE + "vehicle-001/", {"mileage": 20150}, format="json")
    assert response.status_code == 200, response.content
    vehicle.refresh_from_db()
    assert vehicle.mileage == 20150 and vehicle.plate == "ABC1234" and vehicle.brand == "Haval"


def test_put_replaces_and_normalises(client_api, vehicle):
    response = client_api.put(
        BASE + "vehicle-001/", {"customer_id": "customer-001", "plate": "gye-7788", "brand": "MG"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["plate"], body["brand"], body["model"], body["year"]) == ("GYE7788", "MG", "", None)


def test_put_cannot_change_the_vehicle_id(client_api, vehicle):
    response = client_api.put(
        BASE + "vehicle-001/", {"vehicle_id": "vehicle-999", "customer_id": "customer-001"}, format="json"
    )
    assert response.status_code == 400
    assert errors_of(response) == [("immutable", "vehicle_id")]


@pytest.mark.parametrize(
    "payload, attr", [({"customer_id": "nobody"}, "customer_id"), ({"vin": "X"}, "vin"), ({"year": 1000}, "year")]
)
def test_patch_validation_errors(client_api, vehicle, payload, attr):
    response = client_api.patch(BASE + "vehicle-001/", payload, format="json")
    assert response.status_code == 400
    assert [a for _, a in errors_of(response)] == [attr]


def test_changing_owner_moves_open_reminders_only(client_api, customer, buyer, vehicle):
    due = datetime.date(2026, 6, 1)
    open_one = MaintenanceReminder.objects.create(vehicle=vehicle, customer=customer, due_date=due)
    notified = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=customer, due_date=due, status=ReminderStatus.NOTIFIED
    )
    done = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=customer, due_date=due, status=ReminderStatus.COMPLETED
    )
    response = client_api.patch(BASE + "vehicle-001/", {"customer_id": "customer-002"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["customer_id"] == "customer-002"
    for reminder, owner in [(open_one, buyer), (notified, buyer), (done, customer)]:
        reminder.refresh_from_db()
        assert reminder.customer == owner


def test_delete_is_a_soft_delete(client_api, vehicle):
    reminder = MaintenanceReminder.objects.create(vehicle=vehicle, customer=vehicle.customer, due_mileage=30000)
    response = client_api.delete(BASE + "vehicle-001/")
    assert response.status_code == 204
    vehicle.refresh_from_db()
    assert vehicle.is_active is False
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert client_api.get(BASE + "vehicle-001/").json()["is_active"] is False
    assert client_api.delete(BASE + "vehicle-001/").status_code == 204


@pytest.mark.parametrize("path", ["", "vehicle-001/", "nope/"])
def test_options_describes_the_endpoint(client_api, vehicle, path):
    response = client_api.options(BASE + path)
    assert response.status_code == 200
    assert response.json()["name"]
