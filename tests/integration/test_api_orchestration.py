"""/api/v1/notifications/orchestration/: configs, update_matrix, initialize_phases."""

import uuid
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from apps.notifications.models import OrchestrationConfig, PhaseChannelConfig, ServicePhase, ServiceType
from apps.notifications.services.orchestration import orchestration_config_create

URL = "/api/v1/notifications/orchestration/"
DEFAULT_CELLS = {"email": True, "whatsapp": True, "push": False}


@dataclass
class Catalog:
    schedule: ServicePhase
    repair: ServicePhase
    delivery: ServicePhase
    retired: ServicePhase
    averia: ServiceType
    colision: ServiceType
    frenos: ServiceType


@pytest.fixture
def catalog(db) -> Catalog:
    averia = ServiceType.objects.create(slug="averia-revision", name="Avería/Revisión", order=2)
    return Catalog(
        # Created out of order: the matrix follows `order`.
        delivery=ServicePhase.objects.create(slug="phase-delivery", name="Entrega", order=5),
        schedule=ServicePhase.objects.create(slug="phase-schedule", name="Agendar Cita", order=1),
        repair=ServicePhase.objects.create(slug="phase-repair", name="Reparación", order=3),
        retired=ServicePhase.objects.create(slug="phase-retired", name="Retirada", order=9, is_active=False),
        averia=averia,
        colision=ServiceType.objects.create(slug="colision-pintura", name="Colisión/Pintura", order=3),
        frenos=ServiceType.objects.create(slug="averia-frenos", name="Frenos", parent=averia),
    )


@pytest.fixture
def config(catalog) -> OrchestrationConfig:
    return orchestration_config_create(service_type=catalog.averia, target="clients")


def default_matrix() -> dict:
    return {slug: dict(DEFAULT_CELLS) for slug in ("phase-schedule", "phase-repair", "phase-delivery")}


def assert_error(response, status: int, code: str, attr: str | None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert {"code": code, "attr": attr} in [{"code": e["code"], "attr": e["attr"]} for e in body["errors"]], body
    for error in body["errors"]:
        assert error["detail"]


def cells(config: OrchestrationConfig) -> dict[tuple[str, str], bool]:
    return {
        (row.phase.slug, row.channel): row.is_enabled
        for row in PhaseChannelConfig.objects.filter(config=config).select_related("phase")
    }


# --- authentication ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", URL),
    ("post", URL),
    ("get", URL + "{id}/"),
    ("put", URL + "{id}/"),
    ("patch", URL + "{id}/"),
    ("delete", URL + "{id}/"),
    ("post", URL + "{id}/update_matrix/"),
    ("post", URL + "{id}/initialize_phases/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_requires_api_key(anon_api, config, method, url):
    response = getattr(anon_api, method)(url.format(id=config.pk), {}, format="json")
    assert_error(response, 401, "not_authenticated", None)
    assert response["WWW-Authenticate"] == "Api-Key"
    assert OrchestrationConfig.objects.filter(pk=config.pk).exists()


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_rejects_wrong_api_key(config, method, url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong.key")
    response = getattr(client, method)(url.format(id=config.pk), {}, format="json")
    assert_error(response, 401, "authentication_failed", None)
    assert OrchestrationConfig.objects.filter(pk=config.pk).exists()


@pytest.mark.parametrize(("method", "url"), ENDPOINTS[2:])
@pytest.mark.parametrize("ident", [uuid.UUID(int=7), "no-uuid"])
def test_unknown_id_is_404(client_api, catalog, method, url, ident):
    response = getattr(client_api, method)(url.format(id=ident), {"matrix": {}}, format="json")
    assert_error(response, 404, "not_found", None)


# --- create ---------------------------------------------------------------------------------------


def test_create_initializes_the_matrix_with_defaults(client_api, catalog):
    response = client_api.post(URL, {"service_type": "averia-revision", "target": "clients"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    config = OrchestrationConfig.objects.get(pk=body["id"])
    assert body == {
        "id": str(config.pk),
        "name": "Avería/Revisión · Clientes",
        "service_type": "averia-revision",
        "target": "clients",
        "is_active": True,
        "matrix": default_matrix(),
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    # Phases in their order; the inactive phase is neither shown nor initialized.
    assert list(body["matrix"]) == ["phase-schedule", "phase-repair", "phase-delivery"]
    assert len(cells(config)) == 9


def test_create_with_name_and_partial_initial_matrix(client_api, catalog):
    response = client_api.post(
        URL,
        {
            "name": "Personal de avería",
            "service_type": "averia-revision",
            "target": "staff",
            "is_active": False,
            "matrix": {"phase-repair": {"push": True, "email": False}},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["target"], body["is_active"]) == ("Personal de avería", "staff", False)
    expected = default_matrix()
    expected["phase-repair"] = {"email": False, "whatsapp": True, "push": True}
    assert body["matrix"] == expected
    assert cells(OrchestrationConfig.objects.get(pk=body["id"]))[("phase-repair", "push")] is True


def test_create_duplicate_is_rejected(client_api, config):
    response = client_api.post(URL, {"service_type": "averia-revision", "target": "clients"}, format="json")
    assert_error(response, 400, "duplicate_config", None)
    assert response.json()["existing_config_id"] == str(config.pk)
    assert OrchestrationConfig.objects.count() == 1
    # The other target is another config.
    assert (
        client_api.post(URL, {"service_type": "averia-revision", "target": "staff"}, format="json").status_code == 201
    )


@pytest.mark.parametrize(
    ("payload", "code", "attr"),
    [
        ({"target": "clients"}, "required", "service_type"),
        ({"service_type": "averia-revision"}, "required", "target"),
        ({"service_type": "no-existe", "target": "clients"}, "does_not_exist", "service_type"),
        ({"service_type": "averia-frenos", "target": "clients"}, "does_not_exist", "service_type"),  # a subtype
        ({"service_type": "averia-revision", "target": "todos"}, "invalid_choice", "target"),
        ({"service_type": "averia-revision", "target": "clients", "name": ""}, "blank", "name"),
        ({"service_type": "averia-revision", "target": "clients", "matrix": []}, "not_an_object", "matrix"),
        (
            {"service_type": "averia-revision", "target": "clients", "matrix": {"phase-x": {}}},
            "does_not_exist",
            "matrix.phase-x",
        ),
        (
            {"service_type": "averia-revision", "target": "clients", "matrix": {"phase-repair": {"fax": True}}},
            "invalid_choice",
            "matrix.phase-repair.fax",
        ),
    ],
)
def test_create_validation_errors(client_api, catalog, payload, code, attr):
    assert_error(client_api.post(URL, payload, format="json"), 400, code, attr)
    # Nothing half-created.
    assert not OrchestrationConfig.objects.exists()
    assert not PhaseChannelConfig.objects.exists()


# --- list, retrieve, update, delete ---------------------------------------------------------------


def test_list_filters_and_pagination(client_api, catalog):
    orchestration_config_create(service_type=catalog.averia, target="clients")
    orchestration_config_create(service_type=catalog.averia, target="staff", is_active=False)
    orchestration_config_create(service_type=catalog.colision, target="clients")

    def ids(params):
        response = client_api.get(URL, params)
        assert response.status_code == 200, response.content
        return [(row["service_type"], row["target"]) for row in response.json()["results"]]

    assert ids({}) == [("averia-revision", "clients"), ("averia-revision", "staff"), ("colision-pintura", "clients")]
    assert ids({"service_type": "colision-pintura"}) == [("colision-pintura", "clients")]
    assert ids({"target": "staff"}) == [("averia-revision", "staff")]
    assert ids({"is_active": "true", "target": "clients"}) == [
        ("averia-revision", "clients"),
        ("colision-pintura", "clients"),
    ]
    assert ids({"service_type": "no-existe"}) == []
    page = client_api.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["matrix"] == default_matrix()
    assert_error(client_api.get(URL, {"target": "todos"}), 400, "invalid_choice", "target")


def test_retrieve_shows_missing_cells_as_off(client_api, config, catalog):
    PhaseChannelConfig.objects.filter(config=config, phase=catalog.repair, channel="email").delete()
    response = client_api.get(f"{URL}{config.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["matrix"]["phase-repair"] == {"email": False, "whatsapp": True, "push": False}


def test_put_and_patch(client_api, config, catalog):
    response = client_api.put(
        f"{URL}{config.pk}/",
        {"name": "Colisión clientes", "service_type": "colision-pintura", "target": "clients", "is_active": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    config.refresh_from_db()
    assert (config.name, config.service_type, config.is_active) == ("Colisión clientes", catalog.colision, False)

    response = client_api.patch(f"{URL}{config.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200, response.content
    config.refresh_from_db()
    assert (config.name, config.is_active) == ("Colisión clientes", True)
    assert response.json()["matrix"] == default_matrix()


def test_matrix_is_read_only_in_update(client_api, config):
    response = client_api.patch(
        f"{URL}{config.pk}/", {"name": "Nuevo", "matrix": {"phase-repair": {"push": True}}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Nuevo"
    assert response.json()["matrix"] == default_matrix()


def test_update_errors(client_api, config, catalog):
    other = orchestration_config_create(service_type=catalog.averia, target="staff")
    url = f"{URL}{other.pk}/"
    assert_error(client_api.patch(url, {"target": "clients"}, format="json"), 400, "duplicate_config", None)
    assert_error(
        client_api.patch(url, {"service_type": "averia-frenos"}, format="json"), 400, "does_not_exist", "service_type"
    )
    assert_error(client_api.patch(url, {"target": "nadie"}, format="json"), 400, "invalid_choice", "target")
    assert_error(client_api.put(url, {"name": "x"}, format="json"), 400, "required", "service_type")
    other.refresh_from_db()
    assert other.target == "staff"


def test_delete_removes_the_matrix(client_api, config):
    response = client_api.delete(f"{URL}{config.pk}/")
    assert response.status_code == 204
    assert not OrchestrationConfig.objects.exists()
    assert not PhaseChannelConfig.objects.exists()


# --- update_matrix -------------------------------------------------------------------------------


def test_update_matrix_is_partial(client_api, config):
    response = client_api.post(
        f"{URL}{config.pk}/update_matrix/",
        {"matrix": {"phase-repair": {"push": True}, "phase-delivery": {"email": False, "whatsapp": True}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    expected = default_matrix()
    expected["phase-repair"]["push"] = True
    expected["phase-delivery"]["email"] = False
    assert response.json()["matrix"] == expected
    assert response.json()["id"] == str(config.pk)
    stored = cells(config)
    assert stored[("phase-repair", "push")] is True
    assert stored[("phase-delivery", "email")] is False
    assert stored[("phase-schedule", "email")] is True
    assert len(stored) == 9


def test_update_matrix_creates_a_missing_cell(client_api, config, catalog):
    PhaseChannelConfig.objects.filter(config=config, phase=catalog.schedule).delete()
    response = client_api.post(
        f"{URL}{config.pk}/update_matrix/", {"matrix": {"phase-schedule": {"whatsapp": True}}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["matrix"]["phase-schedule"] == {"email": False, "whatsapp": True, "push": False}
    assert cells(config)[("phase-schedule", "whatsapp")] is True
    assert ("phase-schedule", "email") not in cells(config)


def test_update_matrix_empty_changes_nothing(client_api, config):
    response = client_api.post(f"{URL}{config.pk}/update_matrix/", {"matrix": {}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["matrix"] == default_matrix()


@pytest.mark.parametrize(
    ("payload", "code", "attr"),
    [
        ({}, "required", "matrix"),
        ({"matrix": None}, "null", "matrix"),
        ({"matrix": ["phase-repair"]}, "not_an_object", "matrix"),
        ({"matrix": {"phase-x": {"email": True}}}, "does_not_exist", "matrix.phase-x"),
        ({"matrix": {"phase-retired": {"email": True}}}, "does_not_exist", "matrix.phase-retired"),
        ({"matrix": {"phase-repair": True}}, "invalid", "matrix.phase-repair"),
        ({"matrix": {"phase-repair": {"fax": True}}}, "invalid_choice", "matrix.phase-repair.fax"),
        ({"matrix": {"phase-repair": {"email": "true"}}}, "invalid", "matrix.phase-repair.email"),
        ({"matrix": {"phase-repair": {"email": 1}}}, "invalid", "matrix.phase-repair.email"),
        ({"matrix": {"phase-repair": {"push": None}}}, "invalid", "matrix.phase-repair.push"),
    ],
)
def test_update_matrix_validation_errors(client_api, config, payload, code, attr):
    response = client_api.post(f"{URL}{config.pk}/update_matrix/", payload, format="json")
    assert_error(response, 400, code, attr)
    assert set(cells(config).values()) == {True, False}
    assert cells(config)[("phase-repair", "email")] is True


def test_update_matrix_lists_every_error_and_changes_nothing(client_api, config):
    response = client_api.post(
        f"{URL}{config.pk}/update_matrix/",
        {
            "matrix": {
                "phase-repair": {"push": True, "fax": True, "email": "no"},
                "phase-x": {"email": True},
                "phase-delivery": {"push": True},
            }
        },
        format="json",
    )
    assert response.status_code == 400
    attrs = [e["attr"] for e in response.json()["errors"]]
    assert attrs == ["matrix.phase-repair.fax", "matrix.phase-repair.email", "matrix.phase-x"]
    assert cells(config)[("phase-repair", "push")] is False
    assert cells(config)[("phase-delivery", "push")] is False


# --- initialize_phases ----------------------------------------------------------------------------


def test_initialize_phases_is_idempotent(client_api, config):
    url = f"{URL}{config.pk}/initialize_phases/"
    response = client_api.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 0
    assert response.json()["config"]["matrix"] == default_matrix()
    assert len(cells(config)) == 9


def test_initialize_phases_fills_gaps_without_touching_existing_cells(client_api, config, catalog):
    PhaseChannelConfig.objects.filter(config=config, phase=catalog.repair).delete()
    PhaseChannelConfig.objects.filter(config=config, phase=catalog.schedule, channel="email").update(is_enabled=False)
    PhaseChannelConfig.objects.filter(config=config, phase=catalog.delivery, channel="push").update(is_enabled=True)
    ServicePhase.objects.create(slug="phase-quality", name="Control de Calidad", order=4)

    response = client_api.post(f"{URL}{config.pk}/initialize_phases/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 6  # phase-repair again, and the new phase-quality
    assert body["config"]["id"] == str(config.pk)
    matrix = body["config"]["matrix"]
    assert list(matrix) == ["phase-schedule", "phase-repair", "phase-quality", "phase-delivery"]
    assert matrix["phase-repair"] == DEFAULT_CELLS
    assert matrix["phase-quality"] == DEFAULT_CELLS
    assert matrix["phase-schedule"]["email"] is False
    assert matrix["phase-delivery"]["push"] is True
    assert len(cells(config)) == 12

    again = client_api.post(f"{URL}{config.pk}/initialize_phases/")
    assert again.json()["created"] == 0
    assert again.json()["config"]["matrix"] == matrix


def test_duplicate_lost_race_is_a_400_not_a_500(client_api, config, monkeypatch):
    from apps.notifications.services import orchestration as service

    monkeypatch.setattr(service, "_config_clash", lambda config: None)
    response = client_api.post(URL, {"service_type": "averia-revision", "target": "clients"}, format="json")
    assert_error(response, 400, "duplicate_config", None)
    assert OrchestrationConfig.objects.count() == 1
    assert PhaseChannelConfig.objects.count() == 9
