"""Internal sync webhooks (customers/sync/, vehicles/sync/) and tasks/{id}/status/, tasks run in-process.

The database is real (SQLite or PostgreSQL with DATABASE_URL) and transactions commit, so the
`transaction.on_commit` hook that enqueues a batch runs as in production.
"""

import json
import logging
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization import services, tasks
from apps.synchronization.models import SyncBatch
from apps.synchronization.serializers import MAX_BATCH_ITEMS
from apps.synchronization.services import sync_batch_enqueue
from config.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS_URL = "/api/internal/v1/customers/sync/"
VEHICLES_URL = "/api/internal/v1/vehicles/sync/"
# The seed's curl example, byte for byte.
SEED_BODY = """{
    "customer_id": "customer-001",
    "name": "Carlos Mendoza",
    "email": "carlos@example.com",
    "phone": "+593991234567"
  }"""
# A 1000-item batch end to end (request, stored batch, eager task, result backend). PostgreSQL writes it in a
# handful of statements; SQLite's 999-parameter limit (Django's value) splits the bulk statements further.
MAX_QUERIES_1000 = 20 if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 45
T1, T2, T3 = "2026-01-20T09:00:00-05:00", "2026-01-20T10:00:00-05:00", "2026-01-20T11:00:00-05:00"


@pytest.fixture
def internal() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_INTERNAL_SECRET=django_settings.INTERNAL_API_SECRET_KEY)
    return client


def status_url(task_id) -> str:
    return f"/api/internal/v1/tasks/{task_id}/status/"


def post(client, url, body):
    return client.post(url, body, format="json")


def customer(i: int, **extra) -> dict:
    return {
        "customer_id": f"customer-{i:04d}",
        "name": f"Cliente {i}",
        "email": f"cliente{i}@example.com",
        "phone": f"09{91000000 + i:08d}",
        **extra,
    }


def vehicle(i: int, customer_id: str, **extra) -> dict:
    return {"vehicle_id": f"vehicle-{i:04d}", "customer_id": customer_id, "plate": f"ABC{i:04d}", **extra}


def task_result(client, task_id) -> dict:
    r = client.get(status_url(task_id))
    assert r.status_code == 200, r.content
    return r.json()


def assert_error(response, status: int, attr, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    error = body["errors"][0]
    assert error["attr"] == attr, body
    if code:
        assert error["code"] == code, body
    assert error["detail"]


def assert_nothing_stored_or_enqueued():
    assert SyncBatch.objects.count() == 0
    assert TaskResult.objects.count() == 0
    assert CustomerContactInfo.objects.count() == 0
    assert Vehicle.objects.count() == 0


# --- the seed's example ---------------------------------------------------------------------------


def test_seed_example_is_accepted_and_visible_through_the_api(internal, client_api):
    r = internal.generic("POST", CUSTOMERS_URL, SEED_BODY, content_type="application/json")

    assert r.status_code == 202, r.content
    body = r.json()
    assert set(body) == {"task_id", "status", "count"}
    assert body["status"] == "accepted"
    assert body["count"] == 1
    assert uuid.UUID(body["task_id"])
    assert r["Location"] == status_url(body["task_id"])

    got = client_api.get("/api/v1/notifications/customers/customer-001/")
    assert got.status_code == 200, got.content
    data = got.json()
    assert (data["name"], data["email"], data["phone"]) == ("Carlos Mendoza", "carlos@example.com", "+593991234567")
    assert data["is_active"] is True
    assert data["is_placeholder"] is False
    assert data["synced_at"] is not None


def test_local_phone_is_stored_as_e164(internal):
    r = post(internal, CUSTOMERS_URL, {"customer_id": "customer-001", "name": "Ana", "phone": "0991234567"})

    assert r.status_code == 202, r.content
    assert CustomerContactInfo.objects.get(customer_id="customer-001").phone == "+593991234567"
    # The stored batch already holds the normalised number: the task never parses raw input.
    assert SyncBatch.objects.get().payload[0]["phone"] == "+593991234567"


def test_task_arguments_carry_the_batch_id_not_personal_data(internal):
    r = post(internal, CUSTOMERS_URL, customer(1))

    batch = SyncBatch.objects.get()
    stored = TaskResult.objects.get(task_id=r.json()["task_id"])
    assert stored.task_name == "synchronization.sync_customers"
    assert str(batch.id) in stored.task_args
    assert "@" not in stored.task_args and "+593" not in stored.task_args
    assert str(batch.task_id) == r.json()["task_id"]
    assert batch.status == SyncBatch.Status.DONE


# --- batches --------------------------------------------------------------------------------------


def test_batch_of_three(internal):
    r = post(internal, CUSTOMERS_URL, {"customers": [customer(1), customer(2), customer(3)]})

    assert r.status_code == 202, r.content
    assert r.json()["count"] == 3
    assert sorted(CustomerContactInfo.objects.values_list("customer_id", flat=True)) == [
        "customer-0001",
        "customer-0002",
        "customer-0003",
    ]
    assert task_result(internal, r.json()["task_id"])["result"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped_stale": 0,
        "placeholders_created": 0,
        "placeholders_filled": 0,
    }


def test_batch_of_1000_runs_a_bounded_number_of_queries(internal, django_assert_max_num_queries):
    items = [customer(i, updated_at=T1) for i in range(1000)]
    # No query per item: 1000 rows written one by one would be at least 1000 statements.
    with django_assert_max_num_queries(MAX_QUERIES_1000):
        r = post(internal, CUSTOMERS_URL, {"customers": items})
    assert r.status_code == 202, r.content
    assert CustomerContactInfo.objects.count() == 1000
    assert task_result(internal, r.json()["task_id"])["result"]["created"] == 1000

    # The same 1000 again, changed: a bulk update, still bounded.
    changed = [customer(i, name=f"Cliente {i} (editado)", updated_at=T2) for i in range(1000)]
    with django_assert_max_num_queries(MAX_QUERIES_1000):
        r = post(internal, CUSTOMERS_URL, {"customers": changed})
    assert r.status_code == 202, r.content
    result = task_result(internal, r.json()["task_id"])["result"]
    assert (result["created"], result["updated"]) == (0, 1000)
    assert CustomerContactInfo.objects.filter(name__endswith="(editado)").count() == 1000


def test_vehicle_batch_of_1000_with_unknown_owners_is_bounded(internal, django_assert_max_num_queries):
    items = [vehicle(i, f"owner-{i % 250}") for i in range(1000)]
    with django_assert_max_num_queries(MAX_QUERIES_1000):
        r = post(internal, VEHICLES_URL, {"vehicles": items})
    assert r.status_code == 202, r.content
    result = task_result(internal, r.json()["task_id"])["result"]
    assert (result["created"], result["placeholders_created"]) == (1000, 250)
    assert Vehicle.objects.count() == 1000
    assert CustomerContactInfo.objects.filter(is_placeholder=True).count() == 250


def test_more_than_max_batch_items_is_400_and_nothing_is_stored(internal):
    r = post(internal, CUSTOMERS_URL, {"customers": [customer(i) for i in range(MAX_BATCH_ITEMS + 1)]})

    assert_error(r, 400, "customers", "max_length")
    assert_nothing_stored_or_enqueued()


def test_a_body_larger_than_the_sync_limit_is_413_not_500(internal, settings):
    settings.SYNC_MAX_BODY_BYTES = 10_000

    r = post(internal, CUSTOMERS_URL, {"customers": [customer(i) for i in range(200)]})

    assert_error(r, 413, None, "request_too_large")
    assert "SYNC_MAX_BODY_BYTES" in r.json()["errors"][0]["detail"]
    assert_nothing_stored_or_enqueued()


def test_a_sync_body_over_djangos_general_limit_is_taken_under_its_own(internal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"customers": [customer(i) for i in range(200)]}
    assert len(json.dumps(body)) > 10_000

    r = post(internal, CUSTOMERS_URL, body)

    assert r.status_code == 202, r.content
    assert CustomerContactInfo.objects.count() == 200


def test_an_anonymous_caller_is_refused_before_its_body_is_read(settings):
    settings.SYNC_MAX_BODY_BYTES = 10

    r = post(APIClient(), CUSTOMERS_URL, {"customers": [customer(i) for i in range(3)]})

    assert r.status_code == 401, r.content


def test_empty_batch_is_400(internal):
    assert_error(post(internal, VEHICLES_URL, {"vehicles": []}), 400, "vehicles")
    assert_nothing_stored_or_enqueued()


@pytest.mark.parametrize(
    "url, body, attr, code",
    [
        (
            CUSTOMERS_URL,
            {"customers": [customer(i) for i in range(3)] + [customer(3, phone="0912")]},
            "customers.3.phone",
            "invalid_phone",
        ),
        (
            CUSTOMERS_URL,
            {"customers": [customer(0), customer(1, email="no-es-un-email")]},
            "customers.1.email",
            "invalid",
        ),
        (CUSTOMERS_URL, {"customers": [customer(0), {"name": "Sin id"}]}, "customers.1.customer_id", "required"),
        (CUSTOMERS_URL, {"customers": [customer(0), customer(1), customer(0)]}, "customers.2.customer_id", "duplicate"),
        (CUSTOMERS_URL, {"customers": [customer(0, customer_id="con espacios")]}, "customers.0.customer_id", "invalid"),
        (CUSTOMERS_URL, {"customers": [customer(0, updated_at="ayer")]}, "customers.0.updated_at", "invalid"),
        (CUSTOMERS_URL, {**customer(0), "phone": "12"}, "phone", "invalid_phone"),
        (CUSTOMERS_URL, {"customers": "no es una lista"}, "customers", "not_a_list"),
        (VEHICLES_URL, {"vehicles": [vehicle(0, "c-1", year=1800)]}, "vehicles.0.year", "min_value"),
        (
            VEHICLES_URL,
            {"vehicles": [vehicle(0, "c-1"), vehicle(1, "c-1", vin="123")]},
            "vehicles.1.vin",
            "invalid_vin",
        ),
        (VEHICLES_URL, {"vehicles": [vehicle(0, "c-1"), vehicle(0, "c-2")]}, "vehicles.1.vehicle_id", "duplicate"),
        (VEHICLES_URL, {"vehicles": [vehicle(0, "c-1", mileage=-5)]}, "vehicles.0.mileage", "min_value"),
        (VEHICLES_URL, {"vehicle_id": "v-1", "plate": "ABC1234"}, "customer_id", "required"),
    ],
)
def test_a_bad_item_is_400_naming_index_and_field_and_nothing_is_enqueued(internal, url, body, attr, code):
    r = post(internal, url, body)

    assert_error(r, 400, attr, code)
    assert_nothing_stored_or_enqueued()


def test_a_json_array_body_is_400(internal):
    r = post(internal, CUSTOMERS_URL, [customer(1)])

    assert_error(r, 400, None, "invalid")
    assert_nothing_stored_or_enqueued()


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
@pytest.mark.parametrize("url", [CUSTOMERS_URL, VEHICLES_URL])
def test_missing_or_wrong_secret_is_401(url, secret):
    client = APIClient()
    if secret is not None:
        client.credentials(HTTP_X_INTERNAL_SECRET=secret)

    r = post(client, url, customer(1))

    assert_error(r, 401, None)
    assert_nothing_stored_or_enqueued()


def test_an_api_key_does_not_open_the_internal_api(client_api):
    assert_error(post(client_api, CUSTOMERS_URL, customer(1)), 401, None)
    assert_error(client_api.get(status_url(uuid.uuid4())), 401, None)


def test_server_without_a_secret_refuses_every_call(internal, settings):
    settings.INTERNAL_API_SECRET_KEY = ""
    internal.credentials(HTTP_X_INTERNAL_SECRET="")
    assert_error(post(internal, CUSTOMERS_URL, customer(1)), 401, None)

    internal.credentials(HTTP_X_INTERNAL_SECRET="test-internal-secret")
    assert_error(post(internal, CUSTOMERS_URL, customer(1)), 401, None)
    assert_error(internal.get(status_url(uuid.uuid4())), 401, None)
    assert_nothing_stored_or_enqueued()


def test_task_status_requires_the_secret():
    assert_error(APIClient().get(status_url(uuid.uuid4())), 401, None)


# --- upsert semantics -----------------------------------------------------------------------------


def test_out_of_order_updates_keep_the_newer_values(internal):
    post(internal, CUSTOMERS_URL, customer(1, name="Nuevo", updated_at=T2))
    r = post(internal, CUSTOMERS_URL, customer(1, name="Viejo", phone="0987654321", updated_at=T1))

    row = CustomerContactInfo.objects.get(customer_id="customer-0001")
    assert row.name == "Nuevo"
    assert row.phone == "+593991000001"
    assert row.source_updated_at.isoformat() == "2026-01-20T15:00:00+00:00"
    assert task_result(internal, r.json()["task_id"])["result"]["skipped_stale"] == 1

    # A newer one applies.
    post(internal, CUSTOMERS_URL, customer(1, name="Más nuevo", updated_at=T3))
    assert CustomerContactInfo.objects.get(customer_id="customer-0001").name == "Más nuevo"


def test_out_of_order_vehicle_updates_keep_the_newer_values(internal):
    post(internal, VEHICLES_URL, vehicle(1, "owner-1", mileage=20000, updated_at=T2))
    r = post(internal, VEHICLES_URL, vehicle(1, "owner-1", mileage=10000, updated_at=T1))

    assert Vehicle.objects.get(vehicle_id="vehicle-0001").mileage == 20000
    assert task_result(internal, r.json()["task_id"])["result"]["skipped_stale"] == 1


def test_absent_fields_keep_their_values_and_sent_ones_replace_them(internal):
    post(internal, CUSTOMERS_URL, customer(1))
    created = CustomerContactInfo.objects.get(customer_id="customer-0001")
    post(internal, CUSTOMERS_URL, {"customer_id": "customer-0001", "email": None, "is_active": False})

    row = CustomerContactInfo.objects.get(customer_id="customer-0001")
    assert (row.pk, row.created_at) == (created.pk, created.created_at)
    assert row.updated_at > created.updated_at
    assert (row.name, row.phone) == ("Cliente 1", "+593991000001")
    assert row.email == ""
    assert row.is_active is False


def test_an_identical_repeat_changes_nothing(internal):
    post(internal, CUSTOMERS_URL, customer(1, updated_at=T1))
    before = CustomerContactInfo.objects.get(customer_id="customer-0001")

    r = post(internal, CUSTOMERS_URL, customer(1, updated_at=T1))

    assert task_result(internal, r.json()["task_id"])["result"]["unchanged"] == 1
    after = CustomerContactInfo.objects.get(customer_id="customer-0001")
    assert (after.updated_at, after.synced_at) == (before.updated_at, before.synced_at)


def test_vehicle_with_unknown_customer_creates_a_placeholder_filled_by_a_later_customer_sync(internal, client_api):
    r = post(
        internal,
        VEHICLES_URL,
        {"vehicles": [vehicle(1, "customer-new", plate="pbx-0456"), vehicle(2, "customer-new")]},
    )
    assert task_result(internal, r.json()["task_id"])["result"]["placeholders_created"] == 1
    placeholder = CustomerContactInfo.objects.get(customer_id="customer-new")
    assert placeholder.is_placeholder is True
    assert placeholder.name == ""
    assert set(placeholder.vehicles.values_list("plate", flat=True)) == {"PBX0456", "ABC0002"}

    r = post(internal, CUSTOMERS_URL, {"customer_id": "customer-new", "name": "Lucía Paredes", "phone": "0991234567"})

    assert task_result(internal, r.json()["task_id"])["result"]["placeholders_filled"] == 1
    filled = CustomerContactInfo.objects.get(customer_id="customer-new")
    assert filled.pk == placeholder.pk
    assert (filled.is_placeholder, filled.name, filled.phone) == (False, "Lucía Paredes", "+593991234567")
    assert client_api.get("/api/v1/notifications/customers/customer-new/").json()["is_placeholder"] is False


def test_vehicle_moves_to_another_known_customer(internal):
    post(internal, CUSTOMERS_URL, {"customers": [customer(1), customer(2)]})
    post(internal, VEHICLES_URL, vehicle(1, "customer-0001", brand="Haval", model="H6", year=2024))

    r = post(internal, VEHICLES_URL, vehicle(1, "customer-0002"))

    row = Vehicle.objects.select_related("customer").get(vehicle_id="vehicle-0001")
    assert row.customer.customer_id == "customer-0002"
    assert row.description == "Haval H6 2024"
    result = task_result(internal, r.json()["task_id"])["result"]
    assert (result["updated"], result["placeholders_created"]) == (1, 0)


# --- broker down, redelivery, failures ------------------------------------------------------------


def test_broker_down_still_answers_202_and_leaves_the_batch_pending(internal, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.sync_customers, "apply_async", broker_down)
    caplog.set_level(logging.WARNING, logger="apps.synchronization.services")

    r = post(internal, CUSTOMERS_URL, customer(1))

    assert r.status_code == 202, r.content
    batch = SyncBatch.objects.get()
    assert batch.status == SyncBatch.Status.PENDING
    assert str(batch.task_id) == r.json()["task_id"]
    assert "stays pending" in caplog.text
    assert "cliente1@example.com" not in caplog.text
    assert not CustomerContactInfo.objects.exists()
    assert task_result(internal, r.json()["task_id"])["status"] == "PENDING"

    # When the broker is back, enqueueing the same batch (what a sweep would do) applies it under the same id.
    monkeypatch.undo()
    assert sync_batch_enqueue(batch) is True
    assert CustomerContactInfo.objects.filter(customer_id="customer-0001").exists()
    assert task_result(internal, r.json()["task_id"])["status"] == "SUCCESS"


def test_a_redelivered_task_does_not_apply_its_batch_twice(internal):
    r = post(internal, CUSTOMERS_URL, customer(1))
    CustomerContactInfo.objects.filter(customer_id="customer-0001").update(name="Editado después")
    batch = SyncBatch.objects.get()

    again = tasks.sync_customers.apply(args=[str(batch.id)])

    assert again.get() == task_result(internal, r.json()["task_id"])["result"]
    assert CustomerContactInfo.objects.get(customer_id="customer-0001").name == "Editado después"


def test_a_failed_task_reports_failure_and_marks_the_batch(internal):
    batch = SyncBatch.objects.create(
        kind=SyncBatch.Kind.VEHICLES, task_id=uuid.uuid4(), item_count=1, payload=[vehicle(1, "c-1")]
    )

    # The customers task given a vehicles batch refuses it.
    tasks.sync_customers.apply_async(args=[str(batch.id)], task_id=str(batch.task_id))

    status = task_result(internal, batch.task_id)
    assert status["status"] == "FAILURE"
    assert status["result"] is None
    assert "ValueError" in status["error"]
    batch.refresh_from_db()
    assert batch.status == SyncBatch.Status.FAILED
    assert "ValueError" in batch.result["error"]


# --- task status ----------------------------------------------------------------------------------


def test_task_status_after_an_eager_run_is_success_with_the_counts(internal):
    r = post(internal, VEHICLES_URL, {"vehicles": [vehicle(1, "owner-1"), vehicle(2, "owner-2")]})

    assert task_result(internal, r.json()["task_id"]) == {
        "task_id": r.json()["task_id"],
        "status": "SUCCESS",
        "result": {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "skipped_stale": 0,
            "placeholders_created": 2,
            "placeholders_filled": 0,
        },
        "error": None,
    }


def test_unknown_task_id_is_pending(internal):
    task_id = str(uuid.uuid4())
    assert task_result(internal, task_id) == {"task_id": task_id, "status": "PENDING", "result": None, "error": None}


def test_malformed_task_id_is_404(internal):
    r = internal.get("/api/internal/v1/tasks/not-a-uuid/status/")
    assert r.status_code == 404
    assert r.json()["type"] == "client_error"


def test_expired_result_falls_back_to_the_batch(internal):
    r = post(internal, CUSTOMERS_URL, customer(1))
    TaskResult.objects.all().delete()  # what celery.backend_cleanup does after result_expires

    status = task_result(internal, r.json()["task_id"])

    assert status["status"] == "SUCCESS"
    assert status["result"]["created"] == 1


# --- Celery wiring --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["synchronization.sync_customers", "synchronization.sync_vehicles"])
def test_sync_tasks_have_stable_names_and_route_to_the_sync_queue(name):
    assert name in app.tasks
    assert app.amqp.router.route({}, name)["queue"].name == "sync"


def test_sync_tasks_are_the_ones_the_service_enqueues():
    assert tasks.sync_customers.name == "synchronization.sync_customers"
    assert tasks.sync_vehicles.name == "synchronization.sync_vehicles"


# --- admin ----------------------------------------------------------------------------------------


@pytest.fixture
def plain_static_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_admin_lists_batches_read_only_and_masks_data_for_staff(internal, admin_client, client, plain_static_storage):
    from django.contrib.auth.models import Permission, User

    post(internal, CUSTOMERS_URL, customer(1))
    batch = SyncBatch.objects.get()
    change_url = reverse("admin:synchronization_syncbatch_change", args=[batch.id])

    assert admin_client.get(reverse("admin:synchronization_syncbatch_changelist")).status_code == 200
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert "cliente1@example.com" in page.content.decode()
    assert admin_client.get(reverse("admin:synchronization_syncbatch_add")).status_code == 403

    staff = User.objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_syncbatch"))
    client.force_login(staff)
    page = client.get(change_url).content.decode()
    assert "cliente1@example.com" not in page
    assert "c***@example.com" in page
    assert client.post(change_url, {}).status_code == 403


def test_stored_payload_is_json_ready():
    items = [customer(1, updated_at=T1)]
    from apps.synchronization.serializers import sync_items_validate

    validated = sync_items_validate({"customers": items}, batch_key="customers")
    assert json.loads(json.dumps(validated)) == validated


def test_status_endpoint_does_no_work_per_call_beyond_a_few_queries(internal):
    r = post(internal, CUSTOMERS_URL, customer(1))
    with CaptureQueriesContext(connection) as queries:
        task_result(internal, r.json()["task_id"])
    assert len(queries) <= 2


# --- statements per batch: the same for 10 items as for 1000 (PostgreSQL) -----------------------------------


class _Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _statements(run) -> int:
    counter = _Statements()
    with connection.execute_wrapper(counter):
        run()
    return counter.count


def _sync_statements(client, url, body, kind) -> tuple[int, int]:
    """Statements of the request (the publish is recorded, not run) and of the task, counted apart."""
    published = []
    response = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "task_publish", lambda name, args, task_id: published.append(args[0]))
        request_count = _statements(lambda: response.append(post(client, url, body)))
    assert response[0].status_code == 202, response[0].content
    task = tasks.sync_customers if kind == "customers" else tasks.sync_vehicles
    task_count = _statements(lambda: task.apply(args=published).get())
    return request_count, task_count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's parameter limit splits the ORM's statements")
@pytest.mark.parametrize("kind", ["customers", "vehicles"])
def test_statements_per_batch_do_not_grow_with_its_size(internal, kind):
    url = CUSTOMERS_URL if kind == "customers" else VEHICLES_URL

    def body(size, offset, when, label):
        if kind == "customers":
            items = [customer(offset + i, name=f"{label} {i}", updated_at=when) for i in range(size)]
        else:
            items = [
                vehicle(offset + i, f"owner-{(offset + i) % 7}", brand=label, updated_at=when) for i in range(size)
            ]
        return {kind: items}

    counts = {}
    for size, offset in ((10, 0), (1000, 5000)):
        counts[size, "new"] = _sync_statements(internal, url, body(size, offset, T1, "nuevo"), kind)
        counts[size, "update"] = _sync_statements(internal, url, body(size, offset, T2, "editado"), kind)

    assert counts[10, "new"] == counts[1000, "new"], counts
    assert counts[10, "update"] == counts[1000, "update"], counts
    # The task writes new and changed rows in the same statements.
    assert counts[10, "new"] == counts[10, "update"], counts
    model = CustomerContactInfo if kind == "customers" else Vehicle
    assert (
        model.objects.filter(
            **({"name__startswith": "editado"} if kind == "customers" else {"brand": "editado"})
        ).count()
        == 1010
    )
