"""/api/v1/notifications/reminders/: CRUD by UUID, filters, and complete/ with recurrence."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.constants import ReminderStatus
from apps.notifications.models import CustomerContactInfo, MaintenanceReminder, Vehicle

BASE = "/api/v1/notifications/reminders/"

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def customer():
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza")


@pytest.fixture
def vehicle(customer):
    return Vehicle.objects.create(vehicle_id="vehicle-001", customer=customer, plate="ABC1234")


@pytest.fixture
def other_vehicle():
    owner = CustomerContactInfo.objects.create(customer_id="customer-002", name="Ana Torres")
    return Vehicle.objects.create(vehicle_id="vehicle-002", customer=owner)


@pytest.fixture
def reminder(vehicle):
    return MaintenanceReminder.objects.create(
        vehicle=vehicle,
        customer=vehicle.customer,
        reminder_type="mantenimiento",
        description="Cambio de aceite",
        due_date=days(30),
        due_mileage=20000,
        recurrence_days=180,
    )


def url(reminder_or_id) -> str:
    pk = getattr(reminder_or_id, "pk", reminder_or_id)
    return f"{BASE}{pk}/"


def errors_of(response) -> list[tuple[str, str | None]]:
    body = response.json()
    assert body["type"] in ("validation_error", "client_error", "server_error"), body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert error["detail"]
    return [(error["code"], error["attr"]) for error in body["errors"]]


# --- authentication ------------------------------------------------------------------------------


def endpoints(reminder):
    return [
        ("get", BASE),
        ("post", BASE),
        ("get", url(reminder)),
        ("put", url(reminder)),
        ("patch", url(reminder)),
        ("delete", url(reminder)),
        ("post", url(reminder) + "complete/"),
    ]


def test_requires_an_api_key(anon_api, reminder):
    for method, path in endpoints(reminder):
        response = getattr(anon_api, method)(path, {}, format="json")
        assert response.status_code == 401, (method, path)
        assert errors_of(response)[0][0] == "not_authenticated"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING


def test_rejects_a_wrong_api_key(reminder):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong.key")
    for method, path in endpoints(reminder):
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 401, (method, path)
        assert errors_of(response)[0][0] == "authentication_failed"


# --- create --------------------------------------------------------------------------------------


def test_create_with_defaults(client_api, vehicle):
    response = client_api.post(BASE, {"vehicle_id": "vehicle-001", "due_date": "2026-03-15"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    uuid.UUID(body["id"])
    assert body["vehicle_id"] == "vehicle-001"
    assert body["customer_id"] == "customer-001"
    assert body["reminder_type"] == "mantenimiento"
    assert body["due_date"] == "2026-03-15"
    assert body["due_mileage"] is None
    assert body["notify_days_before"] == 7
    assert body["recurrence_days"] is None
    assert body["status"] == "pending"
    assert (body["last_notified_at"], body["notified_count"], body["completed_at"]) == (None, 0, None)
    stored = MaintenanceReminder.objects.get(pk=body["id"])
    assert stored.customer == vehicle.customer


def test_create_by_mileage_only(client_api, vehicle):
    payload = {
        "vehicle_id": "vehicle-001",
        "reminder_type": "neumáticos",
        "due_mileage": 40000,
        "notify_days_before": 0,
        "recurrence_days": 365,
        "description": "Rotación",
    }
    response = client_api.post(BASE, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["due_date"] is None
    assert response.json()["reminder_type"] == "neumáticos"


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"due_date": None}, ("due_date_or_mileage_required", "due_date")),
        ({"due_date": None, "due_mileage": None}, ("due_date_or_mileage_required", "due_date")),
        ({"vehicle_id": "nope"}, ("does_not_exist", "vehicle_id")),
        ({"vehicle_id": None}, ("null", "vehicle_id")),
        ({"due_date": "15/03/2026"}, ("invalid", "due_date")),
        ({"due_date": "2026-02-30"}, ("invalid", "due_date")),
        ({"due_mileage": -5}, ("min_value", "due_mileage")),
        ({"notify_days_before": -1}, ("min_value", "notify_days_before")),
        ({"notify_days_before": 366}, ("max_value", "notify_days_before")),
        ({"recurrence_days": 0}, ("min_value", "recurrence_days")),
        ({"status": "completed"}, ("invalid_status", "status")),
        ({"status": "bogus"}, ("invalid_choice", "status")),
        ({"reminder_type": "  "}, ("blank", "reminder_type")),
        ({"reminder_type": "x" * 81}, ("max_length", "reminder_type")),
    ],
)
def test_create_validation_errors_name_the_field(client_api, vehicle, changes, expected):
    payload = {"vehicle_id": "vehicle-001", "due_date": "2026-03-15", **changes}
    response = client_api.post(BASE, payload, format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response) == [expected]
    assert not MaintenanceReminder.objects.exists()


def test_create_without_due_fields_is_a_400(client_api, vehicle):
    response = client_api.post(BASE, {"vehicle_id": "vehicle-001"}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("due_date_or_mileage_required", "due_date")]


def test_create_on_an_inactive_vehicle_is_a_400(client_api, vehicle):
    vehicle.is_active = False
    vehicle.save()
    response = client_api.post(BASE, {"vehicle_id": "vehicle-001", "due_mileage": 1000}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("inactive_vehicle", "vehicle_id")]


# --- list ----------------------------------------------------------------------------------------


def test_list_and_filters(client_api, vehicle, other_vehicle):
    a = MaintenanceReminder.objects.create(vehicle=vehicle, customer=vehicle.customer, due_date=days(10))
    b = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=vehicle.customer, due_date=days(2), status=ReminderStatus.NOTIFIED
    )
    c = MaintenanceReminder.objects.create(vehicle=vehicle, customer=vehicle.customer, due_mileage=9000)
    d = MaintenanceReminder.objects.create(
        vehicle=other_vehicle, customer=other_vehicle.customer, due_date=days(5), status=ReminderStatus.CANCELLED
    )

    def ids(query=""):
        response = client_api.get(BASE + query)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [str(b.pk), str(d.pk), str(a.pk), str(c.pk)]  # by due date, mileage-only last
    assert ids("?status=pending") == [str(a.pk), str(c.pk)]
    assert ids("?status=pending&status=notified") == [str(b.pk), str(a.pk), str(c.pk)]
    assert ids("?customer_id=customer-002") == [str(d.pk)]
    assert ids("?vehicle_id=vehicle-001") == [str(b.pk), str(a.pk), str(c.pk)]
    assert ids(f"?due_after={days(3)}") == [str(d.pk), str(a.pk)]
    assert ids(f"?due_before={days(5)}") == [str(b.pk), str(d.pk)]
    assert ids(f"?due_after={days(3)}&due_before={days(5)}") == [str(d.pk)]
    assert ids("?reminder_type=mantenimiento&vehicle_id=vehicle-002") == [str(d.pk)]


@pytest.mark.parametrize("query, attr", [("?due_before=mañana", "due_before"), ("?status=bogus", "status")])
def test_list_bad_filter_is_a_400(client_api, query, attr):
    response = client_api.get(BASE + query)
    assert response.status_code == 400
    assert [a for _, a in errors_of(response)] == [attr]


# --- retrieve / update / delete --------------------------------------------------------------------


def test_retrieve(client_api, reminder):
    response = client_api.get(url(reminder))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(reminder.pk)
    assert body["customer_id"] == "customer-001"
    assert body["recurrence_days"] == 180


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_reminder_is_a_404(client_api, method):
    response = getattr(client_api, method)(url(uuid.uuid4()), {"status": "cancelled"}, format="json")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_a_non_uuid_id_is_a_json_404(client_api):
    response = client_api.get(BASE + "not-a-uuid/")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_patch_cancels_and_reopens(client_api, reminder):
    response = client_api.patch(url(reminder), {"status": "cancelled"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    response = client_api.patch(url(reminder), {"status": "pending"}, format="json")
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    "status, code", [("completed", "use_complete_endpoint"), ("notified", "invalid_status_transition")]
)
def test_patch_cannot_set_system_statuses(client_api, reminder, status, code):
    response = client_api.patch(url(reminder), {"status": status}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(code, "status")]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING


def test_rescheduling_restarts_the_notice_cycle(client_api, reminder):
    reminder.status = ReminderStatus.NOTIFIED
    reminder.notified_count = 1
    reminder.last_notified_at = timezone.now()
    reminder.save()
    response = client_api.patch(url(reminder), {"due_date": str(days(60))}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["notified_count"], body["last_notified_at"]) == ("pending", 0, None)
    assert body["due_date"] == str(days(60))


def test_editing_the_description_keeps_the_notice_cycle(client_api, reminder):
    reminder.status = ReminderStatus.NOTIFIED
    reminder.notified_count = 1
    reminder.save()
    body = client_api.patch(url(reminder), {"description": "Aceite y filtros"}, format="json").json()
    assert (body["status"], body["notified_count"], body["description"]) == ("notified", 1, "Aceite y filtros")


def test_patch_cannot_remove_both_due_fields(client_api, reminder):
    assert client_api.patch(url(reminder), {"due_mileage": None}, format="json").status_code == 200
    response = client_api.patch(url(reminder), {"due_date": None}, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("due_date_or_mileage_required", "due_date")]


def test_changing_the_vehicle_changes_the_customer(client_api, reminder, other_vehicle):
    response = client_api.patch(url(reminder), {"vehicle_id": "vehicle-002"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["customer_id"] == "customer-002"
    reminder.refresh_from_db()
    assert reminder.customer == other_vehicle.customer


def test_put_replaces_the_reminder(client_api, reminder):
    response = client_api.put(url(reminder), {"vehicle_id": "vehicle-001", "due_mileage": 25000}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["due_date"], body["due_mileage"], body["recurrence_days"], body["description"]) == (
        None,
        25000,
        None,
        "",
    )


def test_a_completed_reminder_no_longer_changes(client_api, reminder):
    assert client_api.post(url(reminder) + "complete/").status_code == 200
    response = client_api.patch(url(reminder), {"description": "otra"}, format="json")
    assert response.status_code == 409
    assert errors_of(response) == [("reminder_completed", None)]
    assert response.json()["type"] == "client_error"


def test_delete_removes_the_reminder(client_api, reminder):
    assert client_api.delete(url(reminder)).status_code == 204
    assert not MaintenanceReminder.objects.filter(pk=reminder.pk).exists()
    assert client_api.get(url(reminder)).status_code == 404


# --- complete ------------------------------------------------------------------------------------


def test_complete_without_recurrence(client_api, vehicle):
    once = MaintenanceReminder.objects.create(vehicle=vehicle, customer=vehicle.customer, due_date=days(3))
    before = timezone.now()
    response = client_api.post(url(once) + "complete/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next_reminder"] is None
    assert body["reminder"]["id"] == str(once.pk)
    assert body["reminder"]["status"] == "completed"
    once.refresh_from_db()
    assert once.status == ReminderStatus.COMPLETED
    assert once.completed_at >= before
    assert MaintenanceReminder.objects.count() == 1


def test_complete_with_recurrence_creates_the_next(client_api, reminder):
    response = client_api.post(url(reminder) + "complete/")
    assert response.status_code == 200, response.content
    body = response.json()
    nxt = body["next_reminder"]
    assert nxt["id"] != str(reminder.pk)
    assert nxt["status"] == "pending"
    assert nxt["due_date"] == str(days(30 + 180))  # due_date + recurrence_days
    assert nxt["due_mileage"] is None
    assert (nxt["vehicle_id"], nxt["customer_id"]) == ("vehicle-001", "customer-001")
    assert (nxt["reminder_type"], nxt["description"], nxt["recurrence_days"], nxt["notify_days_before"]) == (
        "mantenimiento",
        "Cambio de aceite",
        180,
        7,
    )
    assert (nxt["notified_count"], nxt["completed_at"]) == (0, None)
    assert MaintenanceReminder.objects.filter(status=ReminderStatus.PENDING).count() == 1


def test_complete_late_counts_the_interval_from_today(client_api, vehicle):
    late = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=vehicle.customer, due_date=days(-200), recurrence_days=180
    )
    nxt = client_api.post(url(late) + "complete/").json()["next_reminder"]
    assert nxt["due_date"] == str(days(180))


def test_complete_mileage_only_counts_from_today(client_api, vehicle):
    by_km = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=vehicle.customer, due_mileage=30000, recurrence_days=90
    )
    nxt = client_api.post(url(by_km) + "complete/").json()["next_reminder"]
    assert (nxt["due_date"], nxt["due_mileage"]) == (str(days(90)), None)


def test_complete_a_notified_reminder(client_api, reminder):
    reminder.status = ReminderStatus.NOTIFIED
    reminder.save()
    assert client_api.post(url(reminder) + "complete/").json()["reminder"]["status"] == "completed"


def test_complete_twice_is_a_409_and_creates_one_next(client_api, reminder):
    assert client_api.post(url(reminder) + "complete/").status_code == 200
    response = client_api.post(url(reminder) + "complete/")
    assert response.status_code == 409
    assert errors_of(response) == [("reminder_already_completed", None)]
    assert MaintenanceReminder.objects.count() == 2


def test_complete_a_cancelled_reminder_is_a_409(client_api, reminder):
    reminder.status = ReminderStatus.CANCELLED
    reminder.save()
    response = client_api.post(url(reminder) + "complete/")
    assert response.status_code == 409
    assert errors_of(response) == [("reminder_cancelled", None)]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED and reminder.completed_at is None


def test_complete_unknown_reminder_is_a_404(client_api):
    response = client_api.post(url(uuid.uuid4()) + "complete/")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


def test_options_describes_the_endpoints(client_api, reminder):
    for path in (BASE, url(reminder), url(reminder) + "complete/", url(uuid.uuid4())):
        response = client_api.options(path)
        assert response.status_code == 200, path
        assert response.json()["name"]


# --- dates at the edge of the calendar ------------------------------------------------------------


@pytest.mark.parametrize("due", ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"])
def test_due_dates_outside_this_century_are_400(client_api, vehicle, due):
    r = client_api.post(BASE, {"vehicle_id": "vehicle-001", "due_date": due, "recurrence_days": 1}, format="json")
    assert r.status_code == 400
    assert errors_of(r) == [("date_out_of_range", "due_date")]


def test_a_reminder_typed_near_year_9999_cannot_break_complete_or_the_daily_run(client_api, vehicle, fake_senders):
    """The admin can still store such a date: completing it is a 422, and the daily run goes on."""
    from django.core.management import call_command

    from apps.notifications.services.maintenance import reminders_notify_due

    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.filter(pk=vehicle.customer_id).update(phone="+593991234567")
    Vehicle.objects.filter(pk=vehicle.pk).update(brand="Haval", model="H6")

    far = MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=vehicle.customer, due_date=datetime.date(9999, 12, 31), recurrence_days=30
    )
    MaintenanceReminder.objects.create(
        vehicle=vehicle, customer=vehicle.customer, due_date=datetime.date(1, 1, 2), notify_days_before=30
    )
    r = client_api.post(f"{url(far)}complete/")
    assert r.status_code == 422
    assert errors_of(r) == [("date_out_of_range", "due_date")]
    assert reminders_notify_due() == 1  # the long-overdue one; the year-9999 one is far from its window
