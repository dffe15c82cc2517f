"""The API's only body parser: strict JSON, checked by apps.core.input_guard before any view sees it."""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from apps.core.input_guard import json_check, nesting_too_deep


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            # NaN and Infinity become floats here so that json_check names the field that holds them.
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=float)
        except RecursionError:
            raise nesting_too_deep() from None
        except (ValueError, LookupError) as exc:  # LookupError: an unknown `charset` in Content-Type
            # The exception handler turns this text into a Spanish detail with the position.
            raise ParseError(f"JSON parse error - {exc}") from None
        json_check(data, text)
        return data
