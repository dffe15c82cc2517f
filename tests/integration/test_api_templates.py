"""/api/v1/notifications/templates/: CRUD, preview, variables, for_context."""

import uuid
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from apps.notifications.models import NotificationTemplate, ServicePhase, ServiceType
from apps.notifications.services.templates import template_resolve

URL = "/api/v1/notifications/templates/"


@dataclass
class Catalog:
    schedule: ServicePhase
    repair: ServicePhase
    delivery: ServicePhase
    mantenimiento: ServiceType
    averia: ServiceType
    colision: ServiceType
    frenos: ServiceType
    diagnostico: ServiceType
    golpe: ServiceType
    pintura_sub: ServiceType


@pytest.fixture
def catalog(db) -> Catalog:
    schedule = ServicePhase.objects.create(slug="phase-schedule", name="Agendar Cita", order=1)
    repair = ServicePhase.objects.create(slug="phase-repair", name="Reparación", order=3)
    delivery = ServicePhase.objects.create(slug="phase-delivery", name="Entrega", order=5)
    mantenimiento = ServiceType.objects.create(slug="mantenimiento-preventivo", name="Mantenimiento", order=1)
    averia = ServiceType.objects.create(slug="averia-revision", name="Avería/Revisión", order=2)
    colision = ServiceType.objects.create(slug="colision-pintura", name="Colisión/Pintura", order=3)
    return Catalog(
        schedule=schedule,
        repair=repair,
        delivery=delivery,
        mantenimiento=mantenimiento,
        averia=averia,
        colision=colision,
        frenos=ServiceType.objects.create(slug="averia-frenos", name="Frenos", parent=averia),
        diagnostico=ServiceType.objects.create(slug="averia-diagnostico", name="Diagnóstico", parent=averia),
        golpe=ServiceType.objects.create(slug="colision-golpe", name="Golpe", parent=colision),
        # The seed's quirk: colision-pintura is a main type and one of its own subtypes.
        pintura_sub=ServiceType.objects.create(slug="colision-pintura", name="Pintura", parent=colision),
    )


def make_template(catalog: Catalog, **fields) -> NotificationTemplate:
    values = {
        "name": "Plantilla",
        "phase": catalog.repair,
        "channel": "whatsapp",
        "target": "clients",
        "body": "Hola {{Nombre}}",
    }
    values.update(fields)
    return NotificationTemplate.objects.create(**values)


def whatsapp_payload(**overrides) -> dict:
    payload = {
        "name": "Reparación · WhatsApp",
        "service_type": "averia-revision",
        "phase": "phase-repair",
        "channel": "whatsapp",
        "target": "clients",
        "body": "Hola {{Nombre}}, su {{Vehículo}} está en reparación.",
    }
    payload.update(overrides)
    return payload


def email_payload(**overrides) -> dict:
    payload = {
        "name": "Entrega · Email",
        "phase": "phase-delivery",
        "channel": "email",
        "target": "clients",
        "subject": "Su {{Vehículo}} está listo",
        "body": "Hola {{Nombre}}, puede retirar su vehículo.",
        "html_body": "<p>Hola {{Nombre}}</p>",
    }
    payload.update(overrides)
    return payload


def push_payload(**overrides) -> dict:
    payload = {
        "name": "Entrega · Push",
        "phase": "phase-delivery",
        "channel": "push",
        "target": "clients",
        "subject": "Vehículo listo",
        "body": "{{Nombre}}, su {{Vehículo}} está listo.",
    }
    payload.update(overrides)
    return payload


def assert_error(response, status: int, code: str, attr: str | None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert {"code": code, "attr": attr} in [{"code": e["code"], "attr": e["attr"]} for e in body["errors"]], body
    for error in body["errors"]:
        assert error["detail"]


# --- authentication ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", URL),
    ("post", URL),
    ("get", URL + "{id}/"),
    ("put", URL + "{id}/"),
    ("patch", URL + "{id}/"),
    ("delete", URL + "{id}/"),
    ("post", URL + "preview/"),
    ("get", URL + "variables/"),
    ("get", URL + "for_context/?service_type=averia-revision&phase=phase-repair&channel=whatsapp&target=clients"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_requires_api_key(anon_api, catalog, method, url):
    template = make_template(catalog)
    response = getattr(anon_api, method)(url.format(id=template.pk), {}, format="json")
    assert_error(response, 401, "not_authenticated", None)
    assert response["WWW-Authenticate"] == "Api-Key"
    assert NotificationTemplate.objects.filter(pk=template.pk, is_active=True).exists()


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_rejects_wrong_api_key(catalog, method, url):
    template = make_template(catalog)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key not.a-real-key")
    response = getattr(client, method)(url.format(id=template.pk), {}, format="json")
    assert_error(response, 401, "authentication_failed", None)
    assert NotificationTemplate.objects.filter(pk=template.pk, is_active=True).exists()


# --- create ---------------------------------------------------------------------------------------


def test_create_type_template(client_api, catalog):
    response = client_api.post(URL, whatsapp_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    template = NotificationTemplate.objects.get(pk=body["id"])
    assert template.service_type == catalog.averia
    assert template.subtype is None
    assert body == {
        "id": str(template.pk),
        "name": "Reparación · WhatsApp",
        "service_type": "averia-revision",
        "subtype": None,
        "phase": "phase-repair",
        "channel": "whatsapp",
        "target": "clients",
        "subject": "",
        "body": "Hola {{Nombre}}, su {{Vehículo}} está en reparación.",
        "html_body": "",
        "is_active": True,
        "level": "type",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_create_generic_email_template(client_api, catalog):
    response = client_api.post(URL, email_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["service_type"] is None
    assert body["level"] == "generic"
    assert body["html_body"] == "<p>Hola {{Nombre}}</p>"


def test_create_subtype_without_service_type_takes_its_parent(client_api, catalog):
    response = client_api.post(URL, whatsapp_payload(service_type=None, subtype="averia-frenos"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["service_type"] == "averia-revision"
    assert response.json()["subtype"] == "averia-frenos"
    assert response.json()["level"] == "subtype"


def test_create_subtype_omitting_service_type_key(client_api, catalog):
    payload = whatsapp_payload(subtype="colision-golpe")
    del payload["service_type"]
    response = client_api.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert NotificationTemplate.objects.get(pk=response.json()["id"]).subtype == catalog.golpe


def test_slug_naming_a_main_type_and_a_subtype(client_api, catalog):
    # service_type colision-pintura is the main type; subtype colision-pintura is its subtype.
    response = client_api.post(
        URL, whatsapp_payload(service_type="colision-pintura", subtype="colision-pintura"), format="json"
    )
    assert response.status_code == 201, response.content
    template = NotificationTemplate.objects.get(pk=response.json()["id"])
    assert template.service_type == catalog.colision
    assert template.subtype == catalog.pintura_sub


def test_ambiguous_subtype_needs_service_type(client_api, catalog):
    ServiceType.objects.create(slug="averia-frenos", name="Frenos de carrocería", parent=catalog.colision)
    response = client_api.post(URL, whatsapp_payload(service_type=None, subtype="averia-frenos"), format="json")
    assert_error(response, 400, "ambiguous_subtype", "subtype")

    response = client_api.post(
        URL, whatsapp_payload(service_type="colision-pintura", subtype="averia-frenos"), format="json"
    )
    assert response.status_code == 201, response.content
    assert NotificationTemplate.objects.get(pk=response.json()["id"]).subtype.parent == catalog.colision


@pytest.mark.parametrize(
    ("overrides", "code", "attr"),
    [
        ({"service_type": "no-existe"}, "does_not_exist", "service_type"),
        ({"service_type": "averia-frenos"}, "does_not_exist", "service_type"),  # a subtype, not a main type
        ({"subtype": "no-existe"}, "does_not_exist", "subtype"),
        ({"subtype": "colision-golpe"}, "subtype_mismatch", "subtype"),
        ({"phase": "phase-x"}, "does_not_exist", "phase"),
        ({"phase": None}, "null", "phase"),
        ({"channel": "fax"}, "invalid_choice", "channel"),
        ({"target": "everyone"}, "invalid_choice", "target"),
        ({"name": ""}, "blank", "name"),
        ({"body": ""}, "blank", "body"),
        ({"body": "Hola {{Cliente}}"}, "unknown_variable", "body"),
        ({"body": "Hola {{nombre}}"}, "unknown_variable", "body"),  # case-sensitive
        ({"subject": "{{Vehiculo}}"}, "unknown_variable", "subject"),  # accent-sensitive
        ({"html_body": "<p>{{Nombre}}</p>"}, "html_body_not_allowed", "html_body"),
        ({"is_active": "quizás"}, "invalid", "is_active"),
    ],
)
def test_create_validation_errors(client_api, catalog, overrides, code, attr):
    response = client_api.post(URL, whatsapp_payload(**overrides), format="json")
    assert_error(response, 400, code, attr)
    assert not NotificationTemplate.objects.exists()


def test_unknown_variable_in_html_body_is_named(client_api, catalog):
    response = client_api.post(URL, email_payload(html_body="<p>{{Cliente}}</p>"), format="json")
    assert_error(response, 400, "unknown_variable", "html_body")
    assert "{{Cliente}}" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("field", ["name", "phase", "channel", "target", "body"])
def test_create_requires_fields(client_api, catalog, field):
    payload = whatsapp_payload()
    del payload[field]
    assert_error(client_api.post(URL, payload, format="json"), 400, "required", field)


def test_create_rejects_non_object_body(client_api, catalog):
    response = client_api.post(URL, ["no"], format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_whatsapp_body_limit(client_api, catalog):
    ok = client_api.post(URL, whatsapp_payload(body="a" * 4096), format="json")
    assert ok.status_code == 201, ok.content
    too_long = client_api.post(URL, whatsapp_payload(body="a" * 4097, target="staff"), format="json")
    assert_error(too_long, 400, "max_length", "body")
    assert "4096" in too_long.json()["errors"][0]["detail"]


def test_email_requires_one_line_subject(client_api, catalog):
    assert_error(client_api.post(URL, email_payload(subject=""), format="json"), 400, "required", "subject")
    assert_error(
        client_api.post(URL, email_payload(subject="Hola\nBcc: x@evil.ec"), format="json"),
        400,
        "subject_multiline",
        "subject",
    )
    assert_error(
        client_api.post(URL, email_payload(subject="Hola\r{{Nombre}}"), format="json"),
        400,
        "subject_multiline",
        "subject",
    )
    assert not NotificationTemplate.objects.exists()


def test_push_limits(client_api, catalog):
    assert_error(client_api.post(URL, push_payload(subject=""), format="json"), 400, "required", "subject")
    assert_error(client_api.post(URL, push_payload(subject="t" * 101), format="json"), 400, "max_length", "subject")
    # 100-character title, 450 two-byte letters: 100 + 900 = 1000 bytes fits...
    ok = client_api.post(URL, push_payload(subject="t" * 100, body="ñ" * 450), format="json")
    assert ok.status_code == 201, ok.content
    # ...one more byte does not, although it is far below 1000 characters.
    too_big = client_api.post(URL, push_payload(subject="t" * 100, body="ñ" * 450 + "a", target="staff"), format="json")
    assert_error(too_big, 400, "max_length", "body")
    assert "1000 bytes" in too_big.json()["errors"][0]["detail"]


def test_second_active_template_for_same_key_is_rejected(client_api, catalog):
    assert client_api.post(URL, whatsapp_payload(), format="json").status_code == 201
    response = client_api.post(URL, whatsapp_payload(name="Otra"), format="json")
    assert_error(response, 400, "duplicate_template", None)
    existing = NotificationTemplate.objects.get()
    assert response.json()["existing_template_id"] == str(existing.pk)

    # Inactive, or on another level or key, is fine.
    assert client_api.post(URL, whatsapp_payload(name="Borrador", is_active=False), format="json").status_code == 201
    assert client_api.post(URL, whatsapp_payload(service_type=None), format="json").status_code == 201
    assert client_api.post(URL, whatsapp_payload(subtype="averia-frenos"), format="json").status_code == 201
    assert client_api.post(URL, whatsapp_payload(target="staff"), format="json").status_code == 201
    assert NotificationTemplate.objects.count() == 5


def test_duplicate_generic_and_subtype_templates_are_rejected(client_api, catalog):
    assert client_api.post(URL, email_payload(), format="json").status_code == 201
    assert_error(client_api.post(URL, email_payload(), format="json"), 400, "duplicate_template", None)
    assert client_api.post(URL, whatsapp_payload(subtype="averia-frenos"), format="json").status_code == 201
    assert_error(
        client_api.post(URL, whatsapp_payload(service_type=None, subtype="averia-frenos"), format="json"),
        400,
        "duplicate_template",
        None,
    )


# --- retrieve, update, delete --------------------------------------------------------------------


def test_retrieve(client_api, catalog):
    template = make_template(catalog, service_type=catalog.averia, subtype=catalog.frenos)
    response = client_api.get(f"{URL}{template.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["subtype"] == "averia-frenos"
    assert response.json()["level"] == "subtype"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("ident", [uuid.UUID(int=1), "no-es-un-uuid"])
def test_unknown_id_is_404(client_api, catalog, method, ident):
    response = getattr(client_api, method)(f"{URL}{ident}/", whatsapp_payload(), format="json")
    assert_error(response, 404, "not_found", None)


def test_put_replaces_every_field(client_api, catalog):
    template = make_template(catalog, service_type=catalog.averia, subject="viejo")
    response = client_api.put(f"{URL}{template.pk}/", email_payload(name="Nueva"), format="json")
    assert response.status_code == 200, response.content
    template.refresh_from_db()
    assert (template.name, template.channel, template.phase, template.service_type) == (
        "Nueva",
        "email",
        catalog.delivery,
        None,
    )
    assert template.subject == "Su {{Vehículo}} está listo"
    assert response.json()["level"] == "generic"


def test_put_requires_all_required_fields(client_api, catalog):
    template = make_template(catalog)
    assert_error(client_api.put(f"{URL}{template.pk}/", {"name": "x"}, format="json"), 400, "required", "phase")


def test_patch_changes_only_given_fields(client_api, catalog):
    template = make_template(catalog, service_type=catalog.averia, name="Original")
    response = client_api.patch(f"{URL}{template.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    template.refresh_from_db()
    assert template.is_active is False
    assert template.name == "Original"
    assert template.service_type == catalog.averia


def test_patch_subtype_brings_its_main_type(client_api, catalog):
    template = make_template(catalog, service_type=catalog.mantenimiento)
    response = client_api.patch(f"{URL}{template.pk}/", {"subtype": "colision-golpe"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["service_type"] == "colision-pintura"
    assert response.json()["subtype"] == "colision-golpe"


def test_patch_subtype_null_makes_it_a_type_template(client_api, catalog):
    template = make_template(catalog, service_type=catalog.averia, subtype=catalog.frenos)
    response = client_api.patch(f"{URL}{template.pk}/", {"subtype": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "type"


def test_patch_errors_validate_the_merged_template(client_api, catalog):
    template = make_template(catalog, service_type=catalog.averia, subtype=catalog.frenos)
    url = f"{URL}{template.pk}/"
    assert_error(
        client_api.patch(url, {"service_type": "colision-pintura"}, format="json"), 400, "subtype_mismatch", "subtype"
    )
    assert_error(
        client_api.patch(url, {"service_type": None}, format="json"), 400, "subtype_needs_type", "service_type"
    )
    assert_error(client_api.patch(url, {"channel": "email"}, format="json"), 400, "required", "subject")
    assert_error(client_api.patch(url, {"body": "{{Cliente}}"}, format="json"), 400, "unknown_variable", "body")
    assert_error(client_api.patch(url, {"phase": "phase-x"}, format="json"), 400, "does_not_exist", "phase")
    template.refresh_from_db()
    assert (template.service_type, template.subtype, template.channel) == (catalog.averia, catalog.frenos, "whatsapp")


def test_patch_activating_a_second_template_is_rejected(client_api, catalog):
    make_template(catalog, name="Activa")
    draft = make_template(catalog, name="Borrador", is_active=False)
    response = client_api.patch(f"{URL}{draft.pk}/", {"is_active": True}, format="json")
    assert_error(response, 400, "duplicate_template", None)
    draft.refresh_from_db()
    assert draft.is_active is False


def test_saving_the_active_template_itself_is_not_a_duplicate(client_api, catalog):
    template = make_template(catalog)
    response = client_api.patch(f"{URL}{template.pk}/", {"name": "Renombrada"}, format="json")
    assert response.status_code == 200, response.content


def test_delete(client_api, catalog):
    template = make_template(catalog)
    response = client_api.delete(f"{URL}{template.pk}/")
    assert response.status_code == 204
    assert not NotificationTemplate.objects.exists()
    assert_error(client_api.get(f"{URL}{template.pk}/"), 404, "not_found", None)


# --- list and filters -----------------------------------------------------------------------------


@pytest.fixture
def templates(catalog) -> dict[str, NotificationTemplate]:
    return {
        "generic": make_template(catalog, name="Genérica reparación", channel="email", subject="Asunto"),
        "type": make_template(catalog, name="Avería reparación", service_type=catalog.averia),
        "subtype": make_template(
            catalog, name="Frenos reparación", service_type=catalog.averia, subtype=catalog.frenos, target="staff"
        ),
        "colision": make_template(
            catalog,
            name="Pintura entrega",
            service_type=catalog.colision,
            subtype=catalog.pintura_sub,
            phase=catalog.delivery,
        ),
        "inactive": make_template(catalog, name="Vieja", service_type=catalog.averia, is_active=False),
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_list_is_paginated(client_api, templates):
    response = client_api.get(URL, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"]
    second = client_api.get(URL, {"page_size": 2, "page": 3}).json()
    assert len(second["results"]) == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_type": "averia-revision"}, {"Avería reparación", "Frenos reparación", "Vieja"}),
        ({"service_type": "colision-pintura"}, {"Pintura entrega"}),
        ({"subtype": "averia-frenos"}, {"Frenos reparación"}),
        ({"subtype": "colision-pintura"}, {"Pintura entrega"}),
        ({"phase": "phase-delivery"}, {"Pintura entrega"}),
        ({"channel": "email"}, {"Genérica reparación"}),
        ({"target": "staff"}, {"Frenos reparación"}),
        ({"is_active": "false"}, {"Vieja"}),
        ({"level": "generic"}, {"Genérica reparación"}),
        ({"level": "type"}, {"Avería reparación", "Vieja"}),
        ({"level": "subtype"}, {"Frenos reparación", "Pintura entrega"}),
        ({"search": "reparación"}, {"Genérica reparación", "Avería reparación", "Frenos reparación"}),
        ({"search": "FRENOS"}, {"Frenos reparación"}),
        ({"service_type": "averia-revision", "is_active": "true", "level": "type"}, {"Avería reparación"}),
        ({"phase": "phase-x"}, set()),
    ],
)
def test_list_filters(client_api, templates, params, expected):
    assert names(client_api.get(URL, params)) == expected


@pytest.mark.parametrize(("param", "value"), [("channel", "fax"), ("level", "otro"), ("target", "x")])
def test_list_rejects_bad_filter_values(client_api, templates, param, value):
    assert_error(client_api.get(URL, {param: value}), 400, "invalid_choice", param)


# --- preview -------------------------------------------------------------------------------------

PREVIEW = URL + "preview/"


def test_preview_inline(client_api, db):
    response = client_api.post(
        PREVIEW,
        {
            "channel": "email",
            "subject": "Cita de {{Nombre}}",
            "body": "{{Nombre}}: {{Vehículo}} placa {{Placa}}",
            "html_body": "<p>{{Nombre}}</p>",
            "context": {"nombre": "<script>x</script>", "Vehículo": "Haval H6 2024", "orden": 7},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "subject": "Cita de <script>x</script>",
        "body": "<script>x</script>: Haval H6 2024 placa {{Placa}}",
        "html_body": "<p>&lt;script&gt;x&lt;/script&gt;</p>",
        "missing_variables": ["Placa"],
    }


def test_preview_flattens_subject(client_api, db):
    response = client_api.post(
        PREVIEW, {"subject": "Hola {{Nombre}}", "body": "x", "context": {"nombre": "A\r\nBcc: b"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["subject"] == "Hola A Bcc: b"


def test_preview_stored_template(client_api, catalog):
    template = make_template(
        catalog, channel="email", subject="{{Taller}}", body="Hola {{Nombre}} {{Fecha}}", html_body="<b>{{Nombre}}</b>"
    )
    response = client_api.post(
        PREVIEW, {"template_id": str(template.pk), "context": {"Nombre": "Ana", "taller": "Ambacar"}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "subject": "Ambacar",
        "body": "Hola Ana {{Fecha}}",
        "html_body": "<b>Ana</b>",
        "missing_variables": ["Fecha"],
    }


def test_preview_without_context(client_api, catalog):
    template = make_template(catalog)
    response = client_api.post(PREVIEW, {"template_id": str(template.pk)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["missing_variables"] == ["Nombre"]


def test_preview_unknown_template_is_404(client_api, db):
    response = client_api.post(PREVIEW, {"template_id": str(uuid.uuid4())}, format="json")
    assert_error(response, 404, "template_not_found", "template_id")


@pytest.mark.parametrize(
    ("payload", "code", "attr"),
    [
        ({}, "required", "body"),
        ({"context": {"nombre": "Ana"}}, "required", "body"),
        ({"subject": "Solo asunto"}, "required", "body"),
        ({"template_id": "00000000-0000-0000-0000-000000000001", "body": "x"}, "invalid", "template_id"),
        ({"template_id": "no-uuid"}, "invalid", "template_id"),
        ({"body": "Hola {{Cliente}}"}, "unknown_variable", "body"),
        ({"body": "x", "subject": "{{nombre}}"}, "unknown_variable", "subject"),
        ({"body": "x", "html_body": "{{Placa}} {{Kilometraje}}"}, "unknown_variable", "html_body"),
        ({"body": "x", "channel": "fax"}, "invalid_choice", "channel"),
        ({"body": "a" * 4097, "channel": "whatsapp"}, "max_length", "body"),
        ({"body": "x", "channel": "email"}, "required", "subject"),
        ({"body": "x", "context": "Ana"}, "not_a_dict", "context"),
        ({"body": "x", "context": {"nombre": {"a": 1}}}, "invalid", "context.nombre"),
    ],
)
def test_preview_validation_errors(client_api, db, payload, code, attr):
    assert_error(client_api.post(PREVIEW, payload, format="json"), 400, code, attr)


# --- variables -----------------------------------------------------------------------------------


def test_variables(client_api, db):
    response = client_api.get(URL + "variables/")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert isinstance(rows, list)  # not paginated
    assert len(rows) == 9
    assert rows[0] == {
        "name": "Nombre",
        "key": "nombre",
        "placeholder": "{{Nombre}}",
        "description": "Nombre del cliente",
        "example": "Carlos Mendoza",
    }
    by_name = {row["name"]: row for row in rows}
    assert by_name["Vehículo"]["key"] == "vehiculo"
    assert by_name["Técnico"]["placeholder"] == "{{Técnico}}"
    assert set(by_name) == {"Nombre", "Placa", "Vehículo", "Fase", "Fecha", "Hora", "Orden", "Técnico", "Taller"}


# --- for_context ---------------------------------------------------------------------------------

FOR_CONTEXT = URL + "for_context/"


def query(**overrides) -> dict:
    params = {"service_type": "averia-revision", "phase": "phase-repair", "channel": "whatsapp", "target": "clients"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture
def levels(catalog) -> dict[str, NotificationTemplate]:
    return {
        "generic": make_template(catalog, name="Genérica"),
        "type": make_template(catalog, name="Avería", service_type=catalog.averia),
        "subtype": make_template(catalog, name="Frenos", service_type=catalog.averia, subtype=catalog.frenos),
        "inactive_subtype": make_template(
            catalog,
            name="Diagnóstico inactiva",
            service_type=catalog.averia,
            subtype=catalog.diagnostico,
            is_active=False,
        ),
    }


@pytest.mark.parametrize(
    ("params", "level", "name"),
    [
        (query(subtype="averia-frenos"), "subtype", "Frenos"),
        (query(), "type", "Avería"),
        (query(subtype="averia-diagnostico"), "type", "Avería"),  # its template is inactive
        (query(service_type="mantenimiento-preventivo"), "generic", "Genérica"),
        (query(service_type="colision-pintura", subtype="colision-golpe"), "generic", "Genérica"),
        # A subtype slug in service_type stands for that subtype (like a dispatch's service_type_id).
        (query(service_type="averia-frenos"), "subtype", "Frenos"),
    ],
)
def test_for_context_resolution(client_api, levels, params, level, name):
    response = client_api.get(FOR_CONTEXT, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["level"] == level
    assert body["template"]["name"] == name
    assert body["template"]["level"] == level
    assert set(body["template"]) >= {"id", "subject", "body", "html_body", "phase", "channel", "target"}


def test_for_context_main_type_slug_shared_with_a_subtype(client_api, catalog):
    make_template(catalog, name="Colisión", service_type=catalog.colision)
    make_template(catalog, name="Pintura", service_type=catalog.colision, subtype=catalog.pintura_sub)
    body = client_api.get(FOR_CONTEXT, query(service_type="colision-pintura")).json()
    assert (body["level"], body["template"]["name"]) == ("type", "Colisión")
    body = client_api.get(FOR_CONTEXT, query(service_type="colision-pintura", subtype="colision-pintura")).json()
    assert (body["level"], body["template"]["name"]) == ("subtype", "Pintura")


@pytest.mark.parametrize("params", [query(channel="email"), query(target="staff"), query(phase="phase-delivery")])
def test_for_context_not_found(client_api, levels, params):
    assert_error(client_api.get(FOR_CONTEXT, params), 404, "template_not_found", None)


def test_for_context_ambiguous_subtype_slug_as_service_type(client_api, levels, catalog):
    ServiceType.objects.create(slug="averia-frenos", name="Frenos de carrocería", parent=catalog.colision)
    assert_error(
        client_api.get(FOR_CONTEXT, query(service_type="averia-frenos")), 400, "ambiguous_subtype", "service_type"
    )


def test_for_context_ignores_inactive_generic(client_api, catalog):
    make_template(catalog, is_active=False)
    assert_error(client_api.get(FOR_CONTEXT, query()), 404, "template_not_found", None)


@pytest.mark.parametrize(
    ("params", "code", "attr"),
    [
        (query(service_type=None), "required", "service_type"),
        (query(phase=None), "required", "phase"),
        (query(channel=None), "required", "channel"),
        (query(target=None), "required", "target"),
        (query(service_type="no-existe"), "does_not_exist", "service_type"),
        (query(phase="phase-x"), "does_not_exist", "phase"),
        (query(channel="fax"), "invalid_choice", "channel"),
        (query(target="todos"), "invalid_choice", "target"),
        (query(subtype="no-existe"), "does_not_exist", "subtype"),
        (query(subtype="colision-golpe"), "subtype_mismatch", "subtype"),
        (query(service_type="averia-frenos", subtype="averia-frenos"), "not_a_main_type", "service_type"),
    ],
)
def test_for_context_validation_errors(client_api, levels, params, code, attr):
    assert_error(client_api.get(FOR_CONTEXT, params), 400, code, attr)


def test_template_resolve_service(catalog):
    """The function the dispatch engine calls, with model instances."""
    generic = make_template(catalog, name="Genérica")
    of_type = make_template(catalog, name="Avería", service_type=catalog.averia)
    of_subtype = make_template(catalog, name="Frenos", service_type=catalog.averia, subtype=catalog.frenos)
    common = {"phase": catalog.repair, "channel": "whatsapp", "target": "clients"}
    assert template_resolve(service_type=catalog.averia, subtype=catalog.frenos, **common) == of_subtype
    assert template_resolve(service_type=catalog.averia, subtype=catalog.diagnostico, **common) == of_type
    assert template_resolve(service_type=catalog.averia, subtype=None, **common) == of_type
    assert template_resolve(service_type=catalog.colision, subtype=None, **common) == generic
    assert template_resolve(service_type=None, subtype=None, **common) == generic
    # A subtype passed as the service type is taken as that subtype of its main type.
    assert template_resolve(service_type=catalog.frenos, subtype=None, **common) == of_subtype
    assert (
        template_resolve(
            service_type=catalog.averia, subtype=None, phase=catalog.repair, channel="push", target="clients"
        )
        is None
    )
    # Another main type's template is never picked.
    of_subtype.delete()
    of_type.delete()
    make_template(catalog, name="Colisión", service_type=catalog.colision)
    assert template_resolve(service_type=catalog.averia, subtype=catalog.frenos, **common) == generic


def test_duplicate_lost_race_is_a_400_not_a_500(client_api, catalog, monkeypatch):
    """Two requests pass the pre-check at once: the database constraint decides, and the loser gets a 400."""
    from apps.notifications.services import templates as service

    existing = make_template(catalog, service_type=catalog.averia)
    real_clash = service._template_active_clash
    calls = []

    def clash_missed_once(template):
        calls.append(template)
        return None if len(calls) == 1 else real_clash(template)

    monkeypatch.setattr(service, "_template_active_clash", clash_missed_once)
    response = client_api.post(URL, whatsapp_payload(), format="json")
    assert_error(response, 400, "duplicate_template", None)
    assert response.json()["existing_template_id"] == str(existing.pk)
    assert NotificationTemplate.objects.count() == 1
