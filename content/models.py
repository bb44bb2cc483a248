"""Tables for course packages and their immutable versions.

A package is the trainer's catalogue entry; each upload makes a new numbered version whose
files live under a content-addressed prefix (``packages/<sha256>/``). Versions never change
once ``ready``; publishing and retiring only move their status.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


class VersionStatus(StrEnum):
    draft = "draft"  # direct upload announced, bytes not yet confirmed
    processing = "processing"  # bytes received, ingest job queued or running
    ready = "ready"
    rejected = "rejected"
    published = "published"
    retired = "retired"


class Package(SQLModel, table=True):
    __tablename__ = "package"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=4000)
    occupation_code: str | None = Field(default=None, max_length=20, index=True)
    level: int | None = Field(default=None, ge=1, le=5, index=True)
    cluster_code: str | None = Field(default=None, max_length=60, index=True)
    cluster_version: str | None = Field(default=None, max_length=10)
    declared_minutes: int | None = Field(default=None, ge=0)
    language: str = Field(default="zh-CN", max_length=20, index=True)
    tags: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: uuid.UUID | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime | None = _ts()


class PackageVersion(SQLModel, table=True):
    __tablename__ = "package_version"
    __table_args__ = (
        UniqueConstraint("package_id", "number", name="uq_package_version_number"),
        UniqueConstraint("package_id", "sha256", name="uq_package_version_sha256"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    package_id: uuid.UUID = Field(foreign_key="package.id", index=True)
    number: int
    status: str = Field(default=VersionStatus.draft, max_length=20, index=True)
    upload_key: str | None = Field(default=None, max_length=300)
    sha256: str | None = Field(default=None, max_length=64, index=True)
    size_bytes: int | None = None
    format: str | None = Field(default=None, max_length=20, index=True)
    title: str | None = Field(default=None, max_length=500)
    identifier: str | None = Field(default=None, max_length=500)
    launch: str | None = Field(default=None, max_length=2000)
    launch_key: str | None = Field(default=None, max_length=1000)
    storage_prefix: str | None = Field(default=None, max_length=300)
    declared_minutes: int | None = None
    entry_count: int | None = None
    total_size: int | None = None
    units: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    errors: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    duplicate_of: uuid.UUID | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    ingested_at: datetime | None = _ts()
    published_at: datetime | None = _ts()
    retired_at: datetime | None = _ts()

    def all_units(self) -> list[dict[str, Any]]:
        """Every unit of the description, depth first in manifest order (blocks before their
        AUs, SCORM parent items before their children)."""
        out: list[dict[str, Any]] = []
        pending = list(reversed(self.units or []))
        while pending:
            unit = pending.pop()
            out.append(unit)
            pending.extend(reversed(unit.get("children") or []))
        return out
