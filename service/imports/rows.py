"""What every row kind shares: the outcome of a row, a row's refusal, reading cells.

Kept apart from :mod:`.kinds` (the dispatch), which imports the row modules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.core.errors import DomainError, Invalid
from service.training.idnumber import InvalidPersonalNumber, validate_id_number

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"

Record = tuple[int, dict[str, str]]


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    outcome: str  # accepted | duplicate | rejected
    reason: str | None = None
    message: str | None = None
    entity_id: str | None = None


class RowRefused(Exception):  # noqa: N818 - a row's verdict, not a failure of the import
    """A row cannot be applied: its reason code and a message safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def rejected(row: int, code: str, message: str) -> RowOutcome:
    return RowOutcome(row, REJECTED, code, message)


def refusal(row: int, exc: RowRefused | DomainError) -> RowOutcome:
    """Domain errors' details are safe to show by their contract (no personal data)."""
    if isinstance(exc, RowRefused):
        return rejected(row, exc.code, exc.message)
    return rejected(row, exc.code, exc.detail)


def required(cells: dict[str, str], name: str) -> str:
    value = (cells.get(name) or "").strip()
    if not value:
        raise RowRefused("missing-value", f"The {name} cell is empty.")
    return value


def optional(cells: dict[str, str], name: str) -> str | None:
    return (cells.get(name) or "").strip() or None


def checked_length(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise RowRefused("value-too-long", f"The {name} cell is longer than {limit} characters.")
    return value


def valid_id_number(value: str) -> str:
    """The number normalised, or the API's refusal (codes as ``id-number-check-digit``)."""
    try:
        return validate_id_number(value)
    except InvalidPersonalNumber as exc:
        raise Invalid(exc.code.replace("_", "-"), exc.message, field="id_number") from None


def parse_uuid(cells: dict[str, str], name: str) -> uuid.UUID:
    value = required(cells, name)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise RowRefused(
            f"invalid-{name.replace('_', '-')}", f"{name} is not a valid id."
        ) from None
