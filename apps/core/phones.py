"""Phone numbers are validated and stored as E.164 with the phonenumbers library."""

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    pass


def phone_to_e164(value: str, region: str | None = None) -> str:
    """'0991234567' → '+593991234567' (region PHONE_DEFAULT_REGION); raises InvalidPhoneNumber."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidPhoneNumber("El número de teléfono está vacío.")
    try:
        parsed = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"'{raw}' no es un número de teléfono.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"'{raw}' no es un número de teléfono válido.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_to_whatsapp_digits(e164: str) -> str:
    """Evolution API wants the number as digits with country code and no '+'."""
    return e164.lstrip("+")
