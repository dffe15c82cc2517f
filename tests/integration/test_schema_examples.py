"""The OpenAPI examples, read from the generated schema, against the real API on a seeded database:
request examples succeed as documented and error examples are exactly what the API answers."""

import uuid

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from apps.notifications.models import CustomerContactInfo, IdempotencyRecord, NotificationTemplate
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.idempotency import body_fingerprint

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/notifications"
_SCHEMA: dict = {}


def schema() -> dict:
    if not _SCHEMA:
        _SCHEMA.update(SchemaGenerator().get_schema(request=None, public=True))
    return _SCHEMA


def operation(path: str, method: str) -> dict:
    return schema()["paths"][f"{API}{path}"][method]


def request_examples(path: str, method: str) -> dict[str, dict]:
    return operation(path, method)["requestBody"]["content"]["application/json"]["examples"]


def response_examples(path: str, method: str, status: int) -> dict[str, dict]:
    return operation(path, method)["responses"][str(status)]["content"]["application/json"]["examples"]


def response_example(path: str, method: str, status: int, name: str) -> dict:
    examples = response_examples(path, method, status)
    [value] = [e["value"] for e in examples.values() if e.get("summary", "") == name]
    return value


@pytest.fixture
def seeded(db):
    call_command("seed_initial_data", verbosity=0)


# --- request examples -------------------------------------------------------------------------------


def test_template_request_examples_are_created_on_a_seeded_database(client_api, seeded):
    examples = request_examples("/templates/", "post")
    assert len(examples) >= 2
    for name, example in examples.items():
        body = example["value"]
        r = client_api.post(f"{API}/templates/", body, format="json")
        assert r.status_code == 201, (name, r.content)
        created = r.json()
        for field in ("service_type", "phase", "channel", "target"):
            assert created[field] == body[field], (name, field)
        assert created["subtype"] == body.get("subtype"), name


def test_orchestration_request_example_is_created_once_the_seeded_config_is_deleted(client_api, seeded):
    examples = request_examples("/orchestration/", "post")
    assert examples
    for name, example in examples.items():
        body = example["value"]
        # Every (main type, target) is seeded: the example's description says to delete that config first.
        assert "DELETE /api/v1/notifications/orchestration/{existing_config_id}/" in example["description"], name
        r = client_api.post(f"{API}/orchestration/", body, format="json")
        assert r.status_code == 400, (name, r.content)
        assert r.json()["errors"][0]["code"] == "duplicate_config"
        existing = r.json()["existing_config_id"]
        assert client_api.delete(f"{API}/orchestration/{existing}/").status_code == 204

        r = client_api.post(f"{API}/orchestration/", body, format="json")
        assert r.status_code == 201, (name, r.content)
        created = r.json()
        assert (created["service_type"], created["target"]) == (body["service_type"], body["target"])
        for phase, cells in body.get("matrix", {}).items():
            for channel, enabled in cells.items():
                assert created["matrix"][phase][channel] is enabled, (name, phase, channel)


# --- 404 of the template endpoints ----------------------------------------------------------------


def test_preview_404_examples_are_what_the_api_answers(client_api, seeded):
    r = client_api.post(f"{API}/templates/preview/", {"template_id": str(uuid.uuid4())}, format="json")
    assert r.status_code == 404
    documented = [e["value"] for e in response_examples("/templates/preview/", "post", 404).values()]
    assert documented == [r.json()]


def test_for_context_404_examples_are_what_the_api_answers(client_api, seeded):
    key = {"phase__slug": "phase-repair", "channel": "push", "target": "staff"}
    NotificationTemplate.objects.filter(**key).update(is_active=False)
    r = client_api.get(
        f"{API}/templates/for_context/",
        {"service_type": "avaluo-mg", "phase": "phase-repair", "channel": "push", "target": "staff"},
    )
    assert r.status_code == 404, r.content
    documented = [e["value"] for e in response_examples("/templates/for_context/", "get", 404).values()]
    assert documented == [r.json()]


# --- dispatch: 409/422 examples and the detail -------------------------------------------------------


def _customer(**fields) -> CustomerContactInfo:
    defaults = {"name": "Carlos Mendoza", "email": "carlos@example.com", "phone": "+593991234567"}
    return CustomerContactInfo.objects.create(customer_id=DISPATCH_EXAMPLE["customer_id"], **{**defaults, **fields})


def _dispatch(client, body=None, **headers):
    return client.post(f"{API}/events/dispatch/", body or DISPATCH_EXAMPLE, format="json", **headers)


def _no_reachable_channel(client, api_key):
    _customer(email="", phone="")
    return _dispatch(client)


def _unknown_customer(client, api_key):
    return _dispatch(client)


def _missing_variables(client, api_key):
    _customer()
    return _dispatch(client, {**DISPATCH_EXAMPLE, "context": {"nombre": "Carlos Mendoza"}})


def _key_reused(client, api_key):
    _customer()
    assert _dispatch(client, HTTP_IDEMPOTENCY_KEY="evento-1").status_code == 202
    return _dispatch(client, {**DISPATCH_EXAMPLE, "phase_id": "phase-reception"}, HTTP_IDEMPOTENCY_KEY="evento-1")


def _request_in_flight(client, api_key):
    _customer()
    # The original request with this key is still being served: its record has no response yet.
    IdempotencyRecord.objects.create(
        client=f"key:{api_key.split('.')[0]}", key="evento-1", fingerprint=body_fingerprint(DISPATCH_EXAMPLE)
    )
    return _dispatch(client, HTTP_IDEMPOTENCY_KEY="evento-1")


@pytest.mark.parametrize(
    ("status", "name", "scenario"),
    [
        (422, "Ningún canal alcanzable", _no_reachable_channel),
        (422, "Cliente desconocido", _unknown_customer),
        (422, "Faltan variables", _missing_variables),
        (422, "Idempotency-Key con otro cuerpo", _key_reused),
        (409, "Petición original en curso", _request_in_flight),
    ],
)
def test_dispatch_error_examples_are_what_the_api_answers(
    client_api, api_key, seeded, fake_senders, status, name, scenario
):
    r = scenario(client_api, api_key)
    assert r.status_code == status, r.content
    assert response_example("/events/dispatch/", "post", status, name) == r.json()


def test_dispatch_detail_examples_have_every_field_the_api_returns(client_api, seeded, fake_senders):
    _customer()
    dispatch_id = _dispatch(client_api).json()["dispatch_id"]
    real = client_api.get(f"{API}/dispatches/{dispatch_id}/").json()
    [real_notification] = real["notifications"]

    examples = response_examples("/dispatches/{dispatch_id}/", "get", 200)
    assert examples
    for name, example in examples.items():
        value = example["value"]
        assert value.keys() == real.keys(), name
        assert value["notifications"], name
        for notification in value["notifications"]:
            assert notification.keys() == real_notification.keys(), name
