"""Tables for employers' credential checks: one run per request, one row per credential checked.

A row keeps what the report needs (the credential id, the verifier's result and checks, the
names the credential carries) and never the token or image that was sent: those are personal
documents the employer already holds, and keeping a copy here would add nothing but risk.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from service.core.columns import created_at, json_column, uuid_pk


class EmployerCheckRun(SQLModel, table=True):
    __tablename__ = "employer_check_run"
    id: uuid.UUID = uuid_pk()
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    created_by: uuid.UUID = Field(foreign_key="user.id", index=True)
    source: str = Field(max_length=20)  # json | csv | xlsx | images
    file_name: str = Field(default="", max_length=200)
    total: int = 0
    counts: dict = json_column()  # result -> number of rows
    created_at: datetime = created_at()


class EmployerCheckRow(SQLModel, table=True):
    __tablename__ = "employer_check_row"
    id: uuid.UUID = uuid_pk()
    run_id: uuid.UUID = Field(foreign_key="employer_check_run.id", index=True)
    position: int  # the item's index in the request (0-based)
    input_kind: str = Field(max_length=20)  # token | credential_id | share_link | image
    reference: str = Field(default="", max_length=500)  # the employer's candidate reference
    extra: dict = json_column()  # further columns of an uploaded sheet, carried into the report
    result: str = Field(max_length=20, index=True)
    reason: str = Field(default="", max_length=80)
    checks: list = json_column(list)  # [{name, outcome, reason}] in the verifier's order
    credential_id: str | None = Field(default=None, max_length=200)
    achievement: str | None = Field(default=None, max_length=500)
    issuer: str | None = Field(default=None, max_length=500)
    issued: str | None = Field(default=None, max_length=40)  # validFrom as the credential says
