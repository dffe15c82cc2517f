"""Template variables and rendering: one function serves preview and sending.

`{{Variable}}` is exact and case-sensitive (`{{Vehículo}}`, with its accent). A context may name a
variable by its plain key (`vehiculo` for `Vehículo`). Values are inserted as text: in an HTML body
every value is escaped, so a customer's name can never inject markup. Each rendered part is bounded
(RENDERED_MAX_CHARS): a text repeating `{{Nombre}}` with a long value once turned a 2 MB preview request
into an 800 MB response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from apps.core.exceptions import ApplicationError


@dataclass(frozen=True)
class Variable:
    name: str
    key: str
    description: str
    example: str


VARIABLES: tuple[Variable, ...] = (
    Variable("Nombre", "nombre", "Nombre del cliente", "Carlos Mendoza"),
    Variable("Placa", "placa", "Placa del vehículo", "ABC123"),
    Variable("Vehículo", "vehiculo", "Marca y modelo del vehículo", "Haval H6 2024"),
    Variable("Fase", "fase", "Fase actual del servicio", "Recepción"),
    Variable("Fecha", "fecha", "Fecha programada", "20 de Enero, 2026"),
    Variable("Hora", "hora", "Hora programada", "14:30"),
    Variable("Orden", "orden", "Número de orden de trabajo", "OT-2025-001"),
    Variable("Técnico", "tecnico", "Técnico asignado", "Juan Pérez"),
    Variable("Taller", "taller", "Nombre del taller", "Ambacar Service"),
)
VARIABLE_NAMES = frozenset(v.name for v in VARIABLES)
_NAME_BY_KEY = {v.key: v.name for v in VARIABLES}

# Anything between double braces is a placeholder; only the nine names above are valid.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

# Limits of what a request may send and what rendering may produce (README, "Límites").
CONTEXT_MAX_KEYS = 50
CONTEXT_VALUE_MAX_CHARS = 1000
TEMPLATE_TEXT_MAX_CHARS = 100_000
RENDERED_MAX_CHARS = 200_000


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    html_body: str
    missing_variables: list[str] = field(default_factory=list)


def template_placeholders(*texts: str) -> list[str]:
    """Placeholder names used in the texts, in order of first appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER_RE.finditer(text or ""):
            seen.setdefault(match.group(1), None)
    return list(seen)


def unknown_variables(*texts: str) -> list[str]:
    return [name for name in template_placeholders(*texts) if name not in VARIABLE_NAMES]


def template_validate_variables(**fields: str) -> None:
    """Raise a 400 naming the first field with an unknown `{{Variable}}`."""
    for attr, text in fields.items():
        unknown = unknown_variables(text)
        if unknown:
            names = ", ".join("{{" + n + "}}" for n in unknown)
            allowed = ", ".join("{{" + v.name + "}}" for v in VARIABLES)
            raise ApplicationError(
                "unknown_variable",
                f"Variable desconocida {names}. Variables permitidas: {allowed}.",
                status_code=400,
                attr=attr,
            )


def context_normalize(context: dict | None) -> dict[str, str]:
    """Map a request context to variable names: `nombre` → `Nombre`; exact names kept as given.

    Keys that are neither a variable nor a plain key are kept too (harmless: never rendered).
    An exact name wins over its plain key when a context carries both. Empty values count as absent.
    """
    normalized: dict[str, str] = {}
    for key, value in (context or {}).items():
        if value is None:
            continue
        text = str(value)
        if not text.strip():
            continue
        name = key if key in VARIABLE_NAMES else _NAME_BY_KEY.get(key, key)
        if name in normalized and key != name:
            continue  # the exact name was already given
        normalized[name] = text
    return normalized


def _rendered_too_large() -> ApplicationError:
    return ApplicationError(
        "rendered_too_large",
        f"El mensaje renderizado superaría {RENDERED_MAX_CHARS} caracteres: acorte los valores del contexto o "
        "las variables que se repiten en la plantilla.",
        status_code=400,
        attr="context",
    )


def _substitute(text: str, values: dict[str, str], missing: dict[str, None], *, html: bool) -> str:
    size = len(text or "")

    def replace(match: re.Match) -> str:
        nonlocal size
        name = match.group(1)
        if name not in VARIABLE_NAMES:
            return match.group(0)
        if name not in values:
            missing.setdefault(name, None)
            return match.group(0)
        value = escape(values[name], quote=True) if html else values[name]
        # Counted as it grows, so an oversized result is refused before it is built.
        size += len(value) - len(match.group(0))
        if size > RENDERED_MAX_CHARS:
            raise _rendered_too_large()
        return value

    return PLACEHOLDER_RE.sub(replace, text or "")


def template_render(*, subject: str, body: str, html_body: str = "", context: dict | None = None) -> RenderedMessage:
    """Render the three parts; placeholders without a value stay as written and are listed as missing."""
    values = context_normalize(context)
    missing: dict[str, None] = {}
    rendered_subject = _substitute(subject, values, missing, html=False)
    # A subject is one header line: a value can never add a line (header injection).
    rendered_subject = " ".join(rendered_subject.splitlines())
    rendered_body = _substitute(body, values, missing, html=False)
    rendered_html = _substitute(html_body, values, missing, html=True)
    return RenderedMessage(rendered_subject, rendered_body, rendered_html, list(missing))
