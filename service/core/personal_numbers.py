"""Resident ID numbers and mobile numbers inside free text: hidden from logs, masked in text
people read.

The two patterns (18-character ID numbers, or the 15 digits of first-generation cards; mainland
mobile numbers, also as people write them: ``+86 138-1234-5678``) match only outside longer
words, so an order number or a UUID is left alone.
"""

from __future__ import annotations

import re

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    """For logs and error details: the numbers replaced by what they were."""
    text = ID_NUMBER.sub("[id-number]", text)
    return PHONE.sub("[phone]", text)


def _mask_id(match: re.Match[str]) -> str:
    number = match.group()
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def mask(text: str) -> str:
    """For stored text a person reads (an import's report): the numbers masked as the service
    shows them everywhere (``330203********1234``, ``138****5678``), so a reader still sees
    which cell held what."""
    text = ID_NUMBER.sub(_mask_id, text)
    return PHONE.sub(_mask_phone, text)
