"""Request and response bodies for course packages and the catalog."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.core.patching import refuse_nulls
from service.training.occupations import get_occupation
from service.training.reference_data import get_cluster


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    occupation_code: str | None = Field(default=None, max_length=20)
    level: int | None = Field(default=None, ge=1, le=5, description="5 初级工 … 1 高级技师")
    cluster_code: str | None = Field(default=None, max_length=60)
    cluster_version: str | None = Field(default=None, max_length=10)
    declared_hours: Decimal | None = Field(default=None, ge=0, le=10_000, description="学时")
    language: str = Field(default="zh-CN", max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=30)
    organization_id: uuid.UUID | None = Field(
        default=None, description="Required for administrators; staff use their own"
    )

    @model_validator(mode="after")
    def _reference_data(self):
        if self.occupation_code is not None:
            occupation = get_occupation(self.occupation_code)
            if occupation is None:
                raise ValueError("occupation_code is not in the occupation list")
            if self.level is not None and not occupation.allows(self.level):
                raise ValueError("this occupation is not certified at that level")
        if (self.cluster_code is None) != (self.cluster_version is None):
            raise ValueError("cluster_code and cluster_version go together")
        if self.cluster_code and get_cluster(self.cluster_version, self.cluster_code) is None:
            raise ValueError("cluster_code is not in that cluster dictionary version")
        if any(len(t) > 40 for t in self.tags):
            raise ValueError("tags are at most 40 characters")
        return self


class PackagePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    tags: list[str] | None = Field(default=None, max_length=30)

    _no_nulls = refuse_nulls("title", "description", "tags")  # null tags were stored, then 500s


class ReasonOut(BaseModel):
    code: str
    path: str | None = None
    message: str


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    package_id: uuid.UUID
    number: int
    status: str
    sha256: str | None
    size_bytes: int | None
    format: str | None
    title: str | None
    identifier: str | None
    launch: str | None
    declared_minutes: int | None
    entry_count: int | None
    total_size: int | None
    units: list
    errors: list[ReasonOut]
    warnings: list[ReasonOut]
    duplicate_of: uuid.UUID | None
    created_at: datetime
    ingested_at: datetime | None
    published_at: datetime | None
    retired_at: datetime | None


class PackageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organization_id: uuid.UUID
    title: str
    description: str
    occupation_code: str | None
    level: int | None
    cluster_code: str | None
    cluster_version: str | None
    declared_minutes: int | None
    language: str
    tags: list[str]
    created_at: datetime


class PackageDetail(PackageOut):
    versions: list[VersionOut]


class CatalogEntry(PackageOut):
    version: VersionOut


class DirectUploadOut(BaseModel):
    version: VersionOut
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


class LaunchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version_id: uuid.UUID | None = Field(default=None, description="Default: latest published")


class LaunchOut(BaseModel):
    url: str
    expires_at: datetime
    version_id: uuid.UUID
    format: str | None
    presigned_url: str | None = Field(
        default=None, description="Direct object-store URL of the entry file (S3 backends)"
    )
