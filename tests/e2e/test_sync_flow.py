"""The Core service's sync webhooks as they run in production: the API stores and enqueues, a real Celery
worker (queue `sync`, Redis, PostgreSQL) upserts, and the status endpoint reads the worker's result."""

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.synchronization.models import SyncBatch
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture
def internal() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_INTERNAL_SECRET=django_settings.INTERNAL_API_SECRET_KEY)
    return client


def finished(client, task_id):
    def check():
        return client.get(f"/api/internal/v1/tasks/{task_id}/status/").json()["status"] in ("SUCCESS", "FAILURE")

    return check


def test_vehicles_then_customers_are_projected_by_a_real_worker(e2e, internal, client_api):
    vehicles = [
        {"vehicle_id": f"vehicle-{i}", "customer_id": f"customer-{i % 2}", "plate": f"abc-{i:04d}", "year": 2024}
        for i in range(10)
    ]
    r = internal.post("/api/internal/v1/vehicles/sync/", {"vehicles": vehicles}, format="json")
    assert r.status_code == 202, r.content
    task_id = r.json()["task_id"]
    wait_for(finished(internal, task_id), timeout=30, what="the vehicle sync task")

    status = internal.get(f"/api/internal/v1/tasks/{task_id}/status/").json()
    assert status["status"] == "SUCCESS", status
    assert (status["result"]["created"], status["result"]["placeholders_created"]) == (10, 2)
    assert SyncBatch.objects.get(task_id=task_id).status == SyncBatch.Status.DONE

    r = internal.post(
        "/api/internal/v1/customers/sync/",
        {"customer_id": "customer-0", "name": "Carlos Mendoza", "email": "carlos@example.com", "phone": "0991234567"},
        format="json",
    )
    assert r.status_code == 202, r.content
    wait_for(finished(internal, r.json()["task_id"]), timeout=30, what="the customer sync task")

    customer = client_api.get("/api/v1/notifications/customers/customer-0/").json()
    assert (customer["name"], customer["phone"], customer["is_placeholder"]) == (
        "Carlos Mendoza",
        "+593991234567",
        False,
    )
    assert CustomerContactInfo.objects.get(customer_id="customer-1").is_placeholder is True
    assert Vehicle.objects.filter(customer__customer_id="customer-0", plate__startswith="ABC").count() == 5
    assert "synchronization.sync_customers" in e2e.log.read_text()
