"""Validation of mainland China resident ID numbers and mobile phone numbers.

The ID number layout and its check digit are defined by GB 11643-1999 《公民身份号码》:

- positions 1-6: address code (行政区划代码, GB/T 2260), of which the first two digits are the
  province-level division;
- positions 7-14: birth date ``YYYYMMDD``;
- positions 15-17: sequence code (odd for men, even for women);
- position 18: check digit, ISO 7064:1983 MOD 11-2 over the first 17 digits, ``X`` standing for 10.

The number is personal information under PIPL. Errors raised here say *what* is wrong (length,
characters, region, birth date, check digit) but never contain the number or any part of it, so
they are safe to log and to return to clients.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from service.core.timeutil import CITY_TZ

ID_NUMBER_LENGTH = 18

# GB/T 2260 province-level codes (first two digits of the address code), including Taiwan (71),
# Hong Kong (81) and Macao (82), which appear on residence permits issued in the same format.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

# ISO 7064 MOD 11-2 weights are 2^(17 - i) mod 11 for positions i = 0..16.
_CHECK_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_SEVENTEEN_DIGITS = re.compile(r"[0-9]{17}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-]")


class InvalidPersonalNumber(ValueError):
    """Base for validation errors about personal numbers; ``code`` is stable, message is safe."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidIdNumber(InvalidPersonalNumber):
    """The ID number is not valid. Codes: ``id_number_length``, ``id_number_characters``,
    ``id_number_region``, ``id_number_birth_date``, ``id_number_check_digit``."""


class InvalidPhoneNumber(InvalidPersonalNumber):
    """The phone number is not a valid mainland mobile number. Codes: ``phone_characters``,
    ``phone_length``, ``phone_prefix``."""


def compute_check_digit(first17: str) -> str:
    """Return the GB 11643 (ISO 7064 MOD 11-2) check character for 17 leading digits."""
    if not _SEVENTEEN_DIGITS.fullmatch(first17):
        raise ValueError("the check digit needs exactly 17 decimal digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _CHECK_WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Validate a resident ID number and return it normalised (18 chars, upper-case ``X``).

    Full-width characters are folded (NFKC) and surrounding whitespace is ignored, because both
    are common when people paste numbers from documents. ``today`` (default: the current date in
    China) bounds the birth date; tests pass it to stay deterministic.
    """
    if not isinstance(value, str):
        raise InvalidIdNumber("id_number_characters", "ID number must be a string")
    candidate = unicodedata.normalize("NFKC", value).strip().upper()
    if len(candidate) != ID_NUMBER_LENGTH:
        raise InvalidIdNumber(
            "id_number_length",
            f"ID number must be {ID_NUMBER_LENGTH} characters long, got {len(candidate)}",
        )
    body, check = candidate[:17], candidate[17]
    if not _SEVENTEEN_DIGITS.fullmatch(body) or check not in "0123456789X":
        raise InvalidIdNumber(
            "id_number_characters",
            "ID number must be 17 digits followed by a digit or X",
        )
    if body[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(
            "id_number_region",
            "ID number region code does not start with a valid province code",
        )
    _check_birth_date(body[6:14], today or datetime.now(CITY_TZ).date())
    if compute_check_digit(body) != check:
        raise InvalidIdNumber("id_number_check_digit", "ID number check digit does not match")
    return candidate


def _check_birth_date(yyyymmdd: str, today: date) -> None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise InvalidIdNumber(
            "id_number_birth_date", "ID number birth date is not a valid calendar date"
        ) from None
    if born < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber("id_number_birth_date", "ID number birth date is before 1900")
    if born > today:
        raise InvalidIdNumber("id_number_birth_date", "ID number birth date is in the future")


def validate_phone(value: str) -> str:
    """Validate a mainland mobile number and return its 11 digits.

    Spaces, hyphens and a leading ``+86``/``86`` country code are accepted and removed. Only
    mobile numbers (``1[3-9]`` followed by 9 digits) are valid: learners are contacted by SMS.
    """
    if not isinstance(value, str):
        raise InvalidPhoneNumber("phone_characters", "phone number must be a string")
    candidate = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if candidate.startswith("+86"):
        candidate = candidate[3:]
    elif candidate.startswith("86") and len(candidate) == 13:
        candidate = candidate[2:]
    if not candidate.isascii() or not candidate.isdigit():
        raise InvalidPhoneNumber("phone_characters", "phone number must contain only digits")
    if len(candidate) != 11:
        raise InvalidPhoneNumber(
            "phone_length", f"mobile phone number must be 11 digits, got {len(candidate)}"
        )
    if not _MOBILE.fullmatch(candidate):
        raise InvalidPhoneNumber("phone_prefix", "mobile phone number must start with 13 to 19")
    return candidate
