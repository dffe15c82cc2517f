"""Phone numbers are validated and stored as E.164 with the phonenumbers library.

`phonenumbers.parse` costs ~13 µs a number (it tries every way a number can be written); a sync batch of 10,000
customers spent most of its validation there. The two shapes Core sends almost always, `0` + national number
and `+593` + national number, skip the parse: the national number is read directly and the library's own
`is_valid_number` decides, so a fast answer is the slow one (tests/unit/test_phones.py compares them). Anything
else, and any number the fast path does not find valid, goes through the full parse and its error messages.
"""

import re

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


# National significant numbers in Ecuador are 8 to 11 digits and never start with 0.
_EC_FAST = re.compile(r"(?:0|\+593)([1-9][0-9]{7,10})")
_EC_CODE = 593


def _ec_fast(raw: str) -> str | None:
    match = _EC_FAST.fullmatch(raw)
    if match is None:
        return None
    number = phonenumbers.PhoneNumber(country_code=_EC_CODE, national_number=int(match[1]))
    if not phonenumbers.is_valid_number(number):
        return None  # the full parse may still read it another way, and it words the error
    return f"+{_EC_CODE}{match[1]}"


def phone_to_e164(value: str, region: str | None = None) -> str:
    """'0991234567' → '+593991234567' (region PHONE_DEFAULT_REGION); raises InvalidPhoneNumber."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidPhoneNumber("El número de teléfono está vacío.")
    region = region or settings.PHONE_DEFAULT_REGION
    if region == "EC" and (fast := _ec_fast(raw)) is not None:
        return fast
    return _phone_to_e164_parsed(raw, region)


def _phone_to_e164_parsed(raw: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"'{raw}' no es un número de teléfono.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"'{raw}' no es un número de teléfono válido.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_to_whatsapp_digits(e164: str) -> str:
    """Evolution API wants the number as digits with country code and no '+'."""
    return e164.lstrip("+")
