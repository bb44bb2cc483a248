"""Request bodies of the credential admin routes.

``id_number`` is accepted in the body only (never a query parameter), is never echoed, and its
validation message never repeats it (see ``service.issuing.service``).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from service.issuing.service import BASIS_PATTERN

MAX_BULK_ITEMS = 100


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    learner_id: uuid.UUID | None = Field(
        default=None,
        description="The learner, by the id the learner routes return (e.g. POST /api/v1/learners)",
    )
    learner_subject_id: uuid.UUID | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},  # OpenAPI flag, no runtime warning
        description="Deprecated: the learner's credential subject uuid; send learner_id instead",
    )
    id_number: SecretStr | None = Field(
        default=None,
        description="National ID number: only its salted hash goes into the credential. "
        "With learner_id it may be left out: the learner's registered number is used",
    )
    occupation_code: str = Field(pattern=r"^[1-8]-\d{2}-\d{2}-\d{2}$", examples=["6-31-01-03"])
    level: int = Field(ge=1, le=5, description="5 初级工 .. 1 高级技师")
    hours: Decimal = Field(ge=0, le=10_000, max_digits=8, decimal_places=2, description="学时")
    score: Decimal | None = Field(default=None, ge=0, le=100, max_digits=6, decimal_places=2)
    basis: str = Field(
        pattern=BASIS_PATTERN,
        description="What the award rests on, e.g. 'rpl:CASE-2025-001'; one credential per "
        "(basis, achievement)",
    )

    @model_validator(mode="after")
    def _one_learner(self) -> IssueIn:
        if self.learner_id is None and self.learner_subject_id is None:
            raise ValueError("learner_id is required")
        return self

    def fingerprint_body(self, key: bytes) -> dict:
        """The body as the idempotency fingerprint sees it: the ID number only as an HMAC under
        a server key (a bare hash of an ID number is easy to reverse by enumeration)."""
        data = self.model_dump(mode="json", exclude={"id_number"})
        if self.id_number is not None:
            secret = self.id_number.get_secret_value().strip().upper().encode()
            data["id_number_hmac"] = hmac.new(key, secret, hashlib.sha256).hexdigest()
        return data


class BulkIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[IssueIn] = Field(min_length=1, max_length=MAX_BULK_ITEMS)

    def fingerprint_body(self, key: bytes) -> dict:
        return {"items": [item.fingerprint_body(key) for item in self.items]}


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value.strip()
