"""apps.core.input_guard and the JSON parser: what no field can take is refused, named, and costs little."""

import contextlib
import io
import json
import time

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ParseError

from apps.core import input_guard
from apps.core.input_guard import JSON_MAX_DEPTH, RejectedInput, json_check, parameters_check
from apps.core.parsers import JSONParser


def parse(text: str | bytes, charset: str = "utf-8"):
    raw = text.encode() if isinstance(text, str) else text
    return JSONParser().parse(io.BytesIO(raw), "application/json", {"encoding": charset})


def refused(text: str) -> RejectedInput:
    with pytest.raises(RejectedInput) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "code", "attr"),
    [
        ('{"name": "a\\u0000b"}', "null_character", "name"),
        ('"\\u0000"', "null_character", None),
        ('{"context": {"Nombre": "\\ud800"}}', "lone_surrogate", "context.Nombre"),
        ('{"customers": [{"name": "ok"}, {"name": "\\udfff x"}]}', "lone_surrogate", "customers.1.name"),
        ('{"a\\u0000": 1}', "null_character", None),
        ('{"context": {"x\\ud800": 1}}', "lone_surrogate", "context"),
        ('{"context": {"Nombre": 1e400}}', "non_finite_number", "context.Nombre"),
        ('{"mileage": -1e400}', "non_finite_number", "mileage"),
        ('{"a": [1, NaN]}', "non_finite_number", "a.1"),
        ('{"a": Infinity}', "non_finite_number", "a"),
        ('{"a": -Infinity}', "non_finite_number", "a"),
    ],
)
def test_unstorable_values_are_refused_naming_where(text, code, attr):
    error = refused(text)
    assert (error.error_code, error.attr, error.status_code) == (code, attr, 400)
    assert error.body()["type"] == "client_error"
    assert "\x00" not in str(error.detail)


def test_nesting_up_to_the_limit_is_fine_one_more_is_refused():
    assert parse("[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH) is not None
    assert refused("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)).error_code == "nesting_too_deep"
    assert refused('{"a":' * (JSON_MAX_DEPTH + 1) + "1" + "}" * (JSON_MAX_DEPTH + 1)).error_code == "nesting_too_deep"


@pytest.mark.parametrize("depth", [900, 1000, 100_000])
def test_deep_nesting_never_reaches_the_recursion_limit(depth):
    # 1000 deep used to raise an uncaught RecursionError on every endpoint.
    assert refused("[" * depth + "]" * depth).error_code == "nesting_too_deep"
    assert refused('{"a":' * depth + "1" + "}" * depth).error_code == "nesting_too_deep"


def test_a_large_flat_body_is_checked_quickly():
    body = json.dumps({"customers": [{"customer_id": f"c-{i}", "name": "Ñandú " * 20} for i in range(20_000)]})
    assert len(body) > 2_000_000
    started = time.perf_counter()
    assert len(parse(body)["customers"]) == 20_000
    assert time.perf_counter() - started < 2


def verdict(data, text: str | None):
    try:
        json_check(data, text)
    except RejectedInput as error:
        return error.error_code, error.attr
    return None


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "a\\u0000b"}',
        '{"a\\u0000": 1}',
        '{"context": {"Nombre": "\\ud800"}}',
        '{"context": {"x\\uDBFF": 1}}',
        '{"customers": [{"name": "ok"}, {"name": "\\udfff x"}]}',
        '{"a": [1, NaN]}',
        '{"context": {"Nombre": 1e400}}',
        "-1e400",
        '"\\u0000"',
        '{"a": "\ud800"}',  # a raw lone surrogate, as a str can hold one
        "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1),
        "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH,
        '{"name": "\\ud83d\\ude00 \\u00f1"}',  # a valid pair and an ñ, escaped
        '{"name": "Ñandú 😀", "n": [1, 2.5, 1e308, true, null]}',
        '{"path": "C:\\\\u0000"}',  # an escaped backslash, then the letters u0000: storable
    ],
)
def test_the_text_shortcut_gives_the_full_walks_verdict(text):
    data = json.loads(text, parse_constant=float)
    assert verdict(data, text) == verdict(data, None)


@pytest.mark.parametrize("escape", ["\\u 000", "\\u+000", "\\u0_00", "\\u-0"])
def test_a_u_escape_without_four_hex_digits_takes_the_full_walk(escape):
    # Python's pure decoder reads these as NUL (int(" 000", 16) == 0); the C one refuses them. Whichever decoded the
    # text, the shortcut must not vouch for it.
    with pytest.raises(RejectedInput) as caught:
        json_check({"a": "\x00"}, '{"a": "' + escape + '"}')
    assert (caught.value.error_code, caught.value.attr) == ("null_character", "a")


class CountingPattern:
    def __init__(self, pattern):
        self.pattern, self.searches = pattern, 0

    def search(self, text):
        self.searches += 1
        return self.pattern.search(text)


@pytest.mark.parametrize(
    ("name", "walks"),
    [("Ñandú", False), ("\\u00d1and\\u00fa", False), ("\\ud83d\\ude00", True), ("a\\u0000", True)],
)
def test_strings_are_searched_one_by_one_only_when_the_text_may_hold_an_unstorable_one(monkeypatch, name, walks):
    counting = CountingPattern(input_guard.UNSTORABLE)
    monkeypatch.setattr(input_guard, "UNSTORABLE", counting)
    body = '{"customers": [' + ", ".join(f'{{"customer_id": "c-{i}", "name": "{name}"}}' for i in range(1000)) + "]}"
    with contextlib.suppress(RejectedInput):  # the NUL one is refused
        parse(body)
    assert (counting.searches > 0) is walks


@pytest.mark.parametrize(
    ("raw", "charset"),
    [(b'{"a": "\xff"}', "utf-8"), (b"{'a': 1}", "utf-8"), (b'{"a": 1}', "no-such-charset"), (b"1" * 5000, "utf-8")],
    ids=["not-utf8", "not-json", "unknown-charset", "int-over-4300-digits"],
)
def test_unreadable_bodies_are_a_parse_error_not_a_500(raw, charset):
    with pytest.raises(ParseError):
        parse(raw, charset)


def test_plain_json_passes_unchanged():
    text = '{"name": "Carlos \\u00d1", "n": [1, 2.5, true, null], "nested": {"x": "y"}}'
    assert parse(text) == json.loads(text)


def test_query_path_header_and_cookie_values_are_checked():
    with pytest.raises(RejectedInput) as caught:
        parameters_check(QueryDict("search=a%00b"), {}, {}, {})
    assert (caught.value.error_code, caught.value.attr) == ("null_character", "search")
    with pytest.raises(RejectedInput) as caught:
        parameters_check(QueryDict(""), {"pk": "x\x00"}, {}, {})
    assert caught.value.attr == "id"
    with pytest.raises(RejectedInput) as caught:
        parameters_check(QueryDict(""), {}, {"HTTP_X_INTERNAL_SECRET": "s\x00"}, {})
    assert caught.value.attr == "X-Internal-Secret"
    with pytest.raises(RejectedInput) as caught:
        parameters_check(QueryDict(""), {}, {}, {"sessionid": "abc\x00def"})
    assert caught.value.attr == "Cookie"
    parameters_check(QueryDict("search=Pérez&page=2"), {"customer_id": "customer-001"}, {"HTTP_HOST": "x"}, {})
