"""What the API refuses whatever the field: values PostgreSQL cannot store and shapes that cost without bound.

Every JSON body (apps.core.parsers), and every query string, URL path value, header and cookie
(apps.core.middleware) passes here before any serializer, lookup or query sees it. A refusal is a 400
`client_error` whose `attr` says where: `name`, `context.Nombre`, `customers.3.phone`, `Cookie`; null for the
body as a whole or for a key that cannot be named.
"""

from __future__ import annotations

import math
import re

from rest_framework import exceptions

# Deeper than any body this API takes (three levels at most); far below the depth where the JSON decoder
# itself runs out of stack (about 1000).
JSON_MAX_DEPTH = 32

# NUL cannot be stored in PostgreSQL text or jsonb; a lone UTF-16 surrogate cannot be encoded as UTF-8.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

REJECTED_INPUT_CODES = (
    "null_character",
    "lone_surrogate",
    "non_finite_number",
    "nesting_too_deep",
    "too_many_parameters",
)


class RejectedInput(exceptions.ParseError):
    """400 `client_error`: input no field of this API can take. `code` says why, `attr` where (None: the body)."""

    def __init__(self, code: str, detail: str, attr: str | None = None):
        super().__init__(detail, code)
        self.error_code = code
        self.attr = attr

    def body(self) -> dict:
        return {"type": "client_error", "errors": [{"code": self.error_code, "detail": self.detail, "attr": self.attr}]}


def _where(attr: str | None) -> str:
    return f"El valor de «{attr}»" if attr else "El cuerpo"


def _key_of(attr: str | None) -> str:
    return f"Una clave de «{attr}»" if attr else "Una clave del cuerpo"


def text_check(text: str, attr: str | None, subject: str | None = None) -> None:
    match = UNSTORABLE.search(text)
    if match is None:
        return
    subject = subject or _where(attr)
    if match.group() == "\x00":
        raise RejectedInput("null_character", f"{subject} contiene el carácter NUL (\\u0000), que no se admite.", attr)
    raise RejectedInput(
        "lone_surrogate",
        f"{subject} contiene un sustituto UTF-16 suelto (\\u{ord(match.group()):04x}), que no es texto válido.",
        attr,
    )


def _child(attr: str | None, key) -> str:
    return f"{attr}.{key}" if attr is not None else str(key)


# In a JSON text, a decoded string holds NUL only where the text has a raw NUL or the escape \u0000, and a lone
# surrogate only where it has a raw one or an escape \uD800-\uDFFF (the first half of a valid pair matches too, and
# simply takes the full walk). A \u without four hex digits after it also takes the full walk: the C decoder refuses
# it, but Python's own decoder (its fallback) reads "\u 000" or "\u+000" as NUL.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F]|(?![0-9a-fA-F]{4}))")


def json_check(data, text: str | None = None) -> None:
    """Walk a decoded JSON document once, without recursion; raise RejectedInput at the first value it cannot take.

    Scalars are checked where their container is walked and only containers are stacked; a value's `attr` is
    spelled only when it is refused. (A 10,000-item sync batch has ~100,000 values: building a path string and a
    stack entry for each cost more than the checks themselves.)

    Given the `text` the document was decoded from, and when that text cannot hold an unstorable string, only
    containers and floats are walked: one search of the text instead of one per key and per string (a 10,000-item
    sync batch, 43 → 8–12 ms here). Whatever that lighter walk finds, the full walk reports, so refusals read the same.
    """
    if text is not None and _storable_text(text) and _structure_fine(data):
        return
    _scalar_check(data, None)
    stack: list[tuple[object, str | None, int]] = [(data, None, 0)] if isinstance(data, dict | list) else []
    while stack:
        value, attr, depth = stack.pop()
        if depth >= JSON_MAX_DEPTH:
            raise nesting_too_deep()
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in pairs:
            if type(key) is str and UNSTORABLE.search(key):
                text_check(key, attr, _key_of(attr))
            if isinstance(item, dict | list):
                stack.append((item, _child(attr, key), depth + 1))
            elif (type(item) is str and UNSTORABLE.search(item)) or (type(item) is float and not math.isfinite(item)):
                _scalar_check(item, _child(attr, key))


def _storable_text(text: str) -> bool:
    """Whether no string decoded from this JSON text can hold NUL or a lone surrogate."""
    if "\x00" in text or _UNSTORABLE_ESCAPE.search(text):
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")  # refuses a raw surrogate
    except UnicodeEncodeError:
        return False
    return True


def _structure_fine(data) -> bool:
    """No container nested JSON_MAX_DEPTH deep and no float that is not finite (the checks strings do not need)."""
    if type(data) is float:
        return math.isfinite(data)
    stack = [(data, 0)] if type(data) in (dict, list) else []
    while stack:
        value, depth = stack.pop()
        if depth >= JSON_MAX_DEPTH:
            return False
        for item in value.values() if type(value) is dict else value:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, depth + 1))
            elif kind is float and not math.isfinite(item):
                return False
    return True


def _scalar_check(value, attr: str | None) -> None:
    if isinstance(value, str):
        text_check(value, attr)
    elif isinstance(value, float) and not math.isfinite(value):
        raise RejectedInput(
            "non_finite_number", f"{_where(attr)} no es un número finito (1e400, NaN o Infinity no se admiten).", attr
        )


def nesting_too_deep() -> RejectedInput:
    return RejectedInput(
        "nesting_too_deep", f"El JSON anida objetos o listas a más de {JSON_MAX_DEPTH} niveles; no se admite."
    )


def parameters_check(query, path_kwargs: dict, meta: dict, cookies: dict) -> None:
    """Query string (keys and values), the values captured from the URL path, the headers and the cookies: a NUL
    in an API key or a session cookie would reach the key or session lookup. Cookies are checked decoded, as a
    quoted cookie may spell NUL as `\\000`."""
    for key, value in meta.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            text_check(value, key.removeprefix("HTTP_").replace("_", "-").title())
    for name, value in cookies.items():
        text_check(f"{name}={value}", "Cookie")
    for name, values in query.lists():
        text_check(name, None, "El nombre de un parámetro de la URL")
        for value in values:
            text_check(value, name)
    for name, value in path_kwargs.items():
        if isinstance(value, str):
            # Routers capture `pk`; the schema calls it `id`.
            text_check(value, "id" if name == "pk" else name)
