"""The fast path of phone_to_e164 answers exactly what the full phonenumbers parse answers."""

import random

import phonenumbers
import pytest

from apps.core import phones
from apps.core.phones import InvalidPhoneNumber, phone_to_e164


def _slow(raw: str, region: str = "EC") -> str | None:
    try:
        return phones._phone_to_e164_parsed(raw.strip(), region)
    except InvalidPhoneNumber:
        return None


def _fast(raw: str, region: str = "EC") -> str | None:
    try:
        return phone_to_e164(raw, region)
    except InvalidPhoneNumber:
        return None


def _shapes(rng: random.Random) -> list[str]:
    shapes = []
    for length in range(7, 13):
        for _ in range(1500):
            digits = "".join(rng.choice("0123456789") for _ in range(length))
            shapes += [f"0{digits}", f"+593{digits}", digits, f"593{digits}", f"00593{digits}"]
    # Every leading pair of a mobile number, the shape Core sends most.
    for head in range(100):
        for _ in range(40):
            shapes.append(f"09{head:02d}{rng.randrange(10**6):06d}")
    return shapes


def test_fast_path_matches_the_full_parse_on_many_shapes():
    shapes = _shapes(random.Random(13))
    mismatches = [(raw, _fast(raw), _slow(raw)) for raw in shapes if _fast(raw) != _slow(raw)]
    assert not mismatches, mismatches[:10]
    # The sample holds both outcomes in quantity, or the comparison proves little.
    valid = sum(_slow(raw) is not None for raw in shapes)
    assert 1000 < valid < len(shapes) - 1000


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0991234567", "+593991234567"),
        ("+593991234567", "+593991234567"),
        ("  0991234567 ", "+593991234567"),
        ("099 123 4567", "+593991234567"),
        ("(02) 234-5678", "+59322345678"),
        ("022345678", "+59322345678"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_common_shapes(raw, expected):
    assert phone_to_e164(raw, "EC") == expected


def test_fast_path_skips_the_full_parse(monkeypatch):
    def parse_called(*args, **kwargs):
        raise AssertionError("phonenumbers.parse called")

    monkeypatch.setattr(phones.phonenumbers, "parse", parse_called)
    assert phone_to_e164("0991234567", "EC") == "+593991234567"
    assert phone_to_e164("+593991234567", "EC") == "+593991234567"


@pytest.mark.parametrize("raw", ["0912", "0012345678", "0991", "abc"])
def test_invalid_numbers_keep_the_full_parse_messages(raw):
    with pytest.raises(InvalidPhoneNumber, match="no es un número de teléfono"):
        phone_to_e164(raw, "EC")


def test_other_regions_use_the_full_parse():
    assert _fast("0991234567", "CO") is None  # an Ecuadorian shape is not one in Colombia
    assert _fast("+593991234567", "CO") == "+593991234567"
    assert _fast("2015550123", "US") == "+12015550123"


def test_compiled_validity_answers_what_is_valid_number_answers():
    # Every three-digit start of every length Ecuador's national numbers can have, each with random digits after.
    rng = random.Random(29)
    numbers = [
        f"{head}{rng.randrange(10 ** (length - 3)):0{length - 3}d}"
        for length in range(8, 12)
        for head in range(100, 1000)
        for _ in range(3)
    ]
    mismatches = [
        n
        for n in numbers
        if phones._national_number_valid(n, "EC")
        != phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=593, national_number=int(n)))
    ]
    assert not mismatches, mismatches[:10]
    valid = sum(phones._national_number_valid(n, "EC") for n in numbers)
    assert 500 < valid < len(numbers) - 500
