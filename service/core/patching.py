"""PATCH bodies: a field left out keeps its value; an explicit ``null`` clears it only where the
stored field may be empty. Everywhere else ``null`` is a 422 naming the field, instead of
reaching the domain code or the database (where it was a 500)."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator


def refuse_nulls(*fields: str):
    """A field validator (assign it in the model body) refusing ``null`` for ``fields``."""

    def check(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep its value")
        return value

    return field_validator(*fields, mode="before")(check)
