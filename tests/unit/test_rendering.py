"""apps.notifications.services.rendering: the one rendering function (preview and sending)."""

import pytest

from apps.core.exceptions import ApplicationError
from apps.notifications.services.rendering import (
    RENDERED_MAX_CHARS,
    VARIABLES,
    context_normalize,
    template_placeholders,
    template_render,
    template_validate_variables,
    unknown_variables,
)


def test_nine_variables_with_plain_keys():
    assert [v.name for v in VARIABLES] == [
        "Nombre",
        "Placa",
        "Vehículo",
        "Fase",
        "Fecha",
        "Hora",
        "Orden",
        "Técnico",
        "Taller",
    ]
    assert {v.name: v.key for v in VARIABLES}["Vehículo"] == "vehiculo"
    assert {v.name: v.key for v in VARIABLES}["Técnico"] == "tecnico"


def test_renders_exact_names_and_plain_keys():
    rendered = template_render(
        subject="Cita de {{Nombre}}",
        body="{{Vehículo}} placa {{Placa}} con {{Técnico}}",
        context={"Nombre": "Carlos Mendoza", "vehiculo": "Haval H6 2024", "placa": "ABC123", "tecnico": "Juan"},
    )
    assert rendered.subject == "Cita de Carlos Mendoza"
    assert rendered.body == "Haval H6 2024 placa ABC123 con Juan"
    assert rendered.missing_variables == []


def test_placeholders_are_case_and_accent_sensitive():
    # {{nombre}} and {{Vehiculo}} are not variables: they stay as written and are not "missing".
    rendered = template_render(
        subject="", body="{{nombre}} {{Vehiculo}} {{Nombre}}", context={"Nombre": "Ana", "vehiculo": "Kia"}
    )
    assert rendered.body == "{{nombre}} {{Vehiculo}} Ana"
    assert rendered.missing_variables == []
    assert unknown_variables("{{nombre}} {{Vehiculo}} {{Nombre}}") == ["nombre", "Vehiculo"]


def test_exact_name_wins_over_plain_key():
    assert context_normalize({"nombre": "plain", "Nombre": "exact"}) == {"Nombre": "exact"}
    assert context_normalize({"Nombre": "exact", "nombre": "plain"}) == {"Nombre": "exact"}


def test_spaces_inside_braces_are_tolerated():
    assert template_render(subject="", body="Hola {{ Nombre }}", context={"nombre": "Ana"}).body == "Hola Ana"


def test_missing_variables_stay_written_and_are_listed_once_in_order():
    rendered = template_render(
        subject="{{Placa}}",
        body="{{Nombre}} {{Placa}} {{Fecha}}",
        html_body="<p>{{Hora}}</p>",
        context={"nombre": "Ana", "fecha": "  ", "hora": None},
    )
    assert rendered.body == "Ana {{Placa}} {{Fecha}}"
    assert rendered.html_body == "<p>{{Hora}}</p>"
    # Empty and null values count as absent.
    assert rendered.missing_variables == ["Placa", "Fecha", "Hora"]


def test_html_body_escapes_values_but_text_body_does_not():
    name = '<script>alert("x")</script> & Cía'
    rendered = template_render(
        subject="Hola {{Nombre}}", body="Hola {{Nombre}}", html_body="<p>Hola {{Nombre}}</p>", context={"nombre": name}
    )
    assert rendered.html_body == "<p>Hola &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cía</p>"
    assert "<script>" not in rendered.html_body
    assert rendered.body == f"Hola {name}"
    assert rendered.subject == f"Hola {name}"


def test_template_markup_itself_is_kept_in_html_body():
    rendered = template_render(subject="", body="", html_body="<b>{{Placa}}</b>", context={"placa": "ABC123"})
    assert rendered.html_body == "<b>ABC123</b>"


@pytest.mark.parametrize("value", ["Ana\r\nBcc: x@evil.ec", "Ana\nBcc: x@evil.ec", "Ana\rBcc: x@evil.ec"])
def test_subject_is_flattened_to_one_line(value):
    rendered = template_render(subject="Hola {{Nombre}}", body="{{Nombre}}", context={"nombre": value})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject == "Hola Ana Bcc: x@evil.ec"
    # The body keeps its line breaks.
    assert rendered.body == value


def test_numbers_are_rendered_as_text():
    assert template_render(subject="", body="{{Orden}}", context={"orden": 42}).body == "42"


def test_unknown_variables_in_text_are_left_alone_by_render():
    rendered = template_render(subject="", body="{{Desconocida}} {{Nombre}}", context={"nombre": "Ana"})
    assert rendered.body == "{{Desconocida}} Ana"
    assert rendered.missing_variables == []


def test_placeholders_in_order_of_first_appearance():
    assert template_placeholders("{{Placa}} {{Nombre}}", "{{Placa}} {{Hora}}") == ["Placa", "Nombre", "Hora"]


def test_validate_variables_names_the_field_and_the_variable():
    with pytest.raises(ApplicationError) as info:
        template_validate_variables(subject="{{Nombre}}", body="Hola {{Cliente}} {{placa}}", html_body="")
    error = info.value
    assert error.status_code == 400
    assert error.code == "unknown_variable"
    assert error.attr == "body"
    assert "{{Cliente}}" in error.detail and "{{placa}}" in error.detail
    assert "{{Vehículo}}" in error.detail  # lists the allowed ones


def test_validate_variables_accepts_known_ones():
    template_validate_variables(subject="{{Nombre}}", body="{{Vehículo}} {{Técnico}}", html_body="{{Taller}}")


@pytest.mark.parametrize("part", ["subject", "body", "html_body"])
def test_a_rendering_over_the_limit_is_a_400_before_it_is_built(part):
    # A 2 MB preview of `{{Nombre}}` × 200 000 with a 4 KB name once answered 800 MB.
    texts = {"subject": "", "body": "", part: "{{Nombre}}" * 200_000}
    with pytest.raises(ApplicationError) as caught:
        template_render(**texts, context={"Nombre": "x" * 4000})
    assert (caught.value.code, caught.value.status_code, caught.value.attr) == ("rendered_too_large", 400, "context")


def test_a_rendering_at_the_limit_is_fine():
    count = RENDERED_MAX_CHARS // 1000
    rendered = template_render(subject="", body="{{Nombre}}" * count, context={"Nombre": "x" * 1000})
    assert len(rendered.body) == RENDERED_MAX_CHARS
