"""Request and response bodies for organizations, users and API keys."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.accounts.credit_code import credit_code_problem
from service.accounts.models import OrgKind, Role
from service.accounts.passwords import MIN_PASSWORD_LENGTH

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    district_code: str = Field(pattern=r"^\d{6}$", description="区县市 code, 6 digits")
    credit_code: str | None = Field(default=None, description="统一社会信用代码")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        problem = credit_code_problem(value)
        if problem:
            raise ValueError(f"unified social credit code {problem}")
        return value


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    is_active: bool | None = None


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: str
    district_code: str
    credit_code: str | None
    is_active: bool
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str | None = Field(
        default=None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=256,
        description="Not used for platform service accounts (they use API keys).",
    )
    role: Role
    organization_id: uuid.UUID | None = None
    display_name: str = Field(default="", max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=256)
    unlock: bool | None = Field(default=None, description="Lift a lock set by failed sign-ins")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    organization_id: uuid.UUID | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    client_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    client_secret: str = Field(description="Shown once; only a hash is stored.")
