"""Shapes of the employer API (``service.api.routes.employer``), for the OpenAPI document."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CheckOutcome(BaseModel):
    name: str  # signature | key_provenance | shape | validity | status
    outcome: str
    reason: str


class CheckRowOut(BaseModel):
    index: int
    input_kind: str  # token | credential_id | share_link | image
    reference: str
    extra: dict[str, str]
    # valid | revoked | suspended | expired | invalid | inconclusive | unreadable | not_found
    result: str
    reason: str
    checks: list[CheckOutcome]
    credential_id: str | None
    achievement: str | None
    issuer: str | None
    issued: str | None


class CheckRunOut(BaseModel):
    id: str
    source: str  # json | csv | xlsx | images
    file_name: str
    total: int
    counts: dict[str, int]
    created_at: datetime
    created_by: str
    report_csv: str
    report_xlsx: str


class CheckRunDetail(CheckRunOut):
    rows: list[CheckRowOut]


class SharedCredentialOut(BaseModel):
    code: str
    url: str
    shared_at: datetime
    credential_id: str
    achievement: str | None
    issuer: str | None
    issued: str | None
    holder_name: str | None  # only when the learner chose to show it
    result: str
    reason: str
    checks: list[CheckOutcome]
