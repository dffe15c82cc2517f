"""Postprocessing hooks: the schema says what the exception handler and the HTTP server really send."""

import re

from apps.core.exception_handler import error_attr

# drf-standardized-errors writes a list index as INDEX and a dict key as KEY; a response carries `customers.3.phone`.
_PLACEHOLDERS = {"INDEX": "[0-9]+", "KEY": r"[\s\S]*"}

REQUEST_LINE_TOO_LONG = {
    "description": (
        "La línea de petición (ruta y parámetros) supera el límite del servidor HTTP (gunicorn: 4094 bytes). "
        "La responde gunicorn, en HTML, antes de llegar a la aplicación."
    ),
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _attr_pattern(attr: str) -> str | None:
    parts = attr.split(".")
    if not _PLACEHOLDERS.keys() & set(parts):
        return None
    return "^" + r"\.".join(_PLACEHOLDERS.get(part, re.escape(part)) for part in parts) + "$"


def _document_attr(component: dict) -> bool:
    """Rename `non_field_errors` to what the handler sends; turn INDEX/KEY into a pattern. True if patterned."""
    attr = component.get("properties", {}).get("attr")
    if not isinstance(attr, dict) or "enum" not in attr:
        return False
    values = list(dict.fromkeys(error_attr(value) for value in attr["enum"]))
    if len(values) == 1 and values[0] is not None and (pattern := _attr_pattern(values[0])):
        attr.pop("enum")
        attr["pattern"] = pattern
        attr["description"] = f"`{values[0]}`, con el número de elemento o la clave."
        return True
    attr["enum"] = values
    attr["description"] = "\n".join(f"* `{value}` - {value}" for value in values if value is not None)
    if None in values:
        attr["nullable"] = True
    return False


def document_error_attrs(result, generator, request, public):
    """An error about a nested object is named after the object, one about the whole body has `attr: null`
    (never DRF's `non_field_errors`), and an error inside a list or a dict names its position (`preferences.0.
    priority`). Where a position is in the attr, its variant cannot be picked by value, and a dict key may hold
    dots (`matrix.KEY` and `matrix.KEY.KEY` overlap): the variants become an anyOf without discriminator."""
    schemas = result.get("components", {}).get("schemas", {})
    patterned = {f"#/components/schemas/{name}" for name, schema in schemas.items() if _document_attr(schema)}
    for component in schemas.values():
        discriminator = component.get("discriminator", {})
        if discriminator.get("propertyName") != "attr" or not discriminator.get("mapping"):
            continue
        if patterned & {variant.get("$ref") for variant in component.get("oneOf", [])}:
            component.pop("discriminator")
            component["anyOf"] = component.pop("oneOf")
            continue
        renamed = {error_attr(key): ref for key, ref in discriminator["mapping"].items()}
        renamed.pop(None, None)  # a null attr cannot select a variant; the oneOf still lists it
        discriminator["mapping"] = renamed
    return result


def document_server_limits(result, generator, request, public):
    """gunicorn answers 414 itself, before Django, to any operation whose request line is too long."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation.setdefault("responses", {})["414"] = REQUEST_LINE_TOO_LONG
    return result
