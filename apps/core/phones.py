"""Phone numbers are validated and stored as E.164 with the phonenumbers library.

`phonenumbers.parse` costs ~13 µs a number (it tries every way a number can be written); a sync batch of 10,000
customers spent most of its validation there. The two shapes Core sends almost always, `0` + national number
and `+593` + national number, skip the parse: the national number is read directly and the library's own
`is_valid_number` decides, so a fast answer is the slow one (tests/unit/test_phones.py compares them). Anything
else, and any number the fast path does not find valid, goes through the full parse and its error messages.

`is_valid_number` itself walks the region's eleven number-type descriptions through several calls each (~25 µs a
number, a third of a 10,000-customer batch's validation): `_national_number_valid` asks the same question of the same
metadata, compiled once.
"""

import re
from functools import cache

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


# National significant numbers in Ecuador are 8 to 11 digits and never start with 0.
_EC_FAST = re.compile(r"(?:0|\+593)([1-9][0-9]{7,10})")
_EC_CODE = 593


# Every type phonenumbers' _number_type_helper tries; a number is valid when it is one of them (not UNKNOWN).
_NUMBER_TYPES = (
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_Description = tuple[frozenset[int], re.Pattern]


@cache
def _descriptions(region: str) -> tuple[_Description | None, tuple[_Description, ...]]:
    """The region's general description and its type descriptions, as (possible lengths, pattern)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)

    def compiled(desc) -> _Description | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)

    types = (compiled(getattr(metadata, name)) for name in _NUMBER_TYPES)
    return compiled(metadata.general_desc), tuple(d for d in types if d is not None)


def _matches(desc: _Description | None, national: str) -> bool:
    # phonenumbers' _is_number_matching_desc: a length outside the listed ones never matches, then a full match.
    if desc is None:
        return False
    lengths, pattern = desc
    return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


def _national_number_valid(national: str, region: str) -> bool:
    """phonenumbers.is_valid_number for a national significant number (no leading zero) of a region whose country
    code is that region's alone, as Ecuador's is."""
    general, types = _descriptions(region)
    return _matches(general, national) and any(_matches(desc, national) for desc in types)


def _ec_fast(raw: str) -> str | None:
    match = _EC_FAST.fullmatch(raw)
    if match is None or not _national_number_valid(match[1], "EC"):
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
