"""The catalog: published packages of active organizations that learners, the platform and
staff may browse."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import select

from content.models import Package, PackageVersion, VersionStatus
from service.accounts.models import Organization
from service.core.search import contains_text


@dataclass(frozen=True)
class CatalogFilters:
    occupation_code: str | None = None
    level: int | None = None
    cluster_code: str | None = None
    organization_id: uuid.UUID | None = None
    format: str | None = None
    language: str | None = None
    q: str | None = None  # text in the title or description


def catalog_query(filters: CatalogFilters) -> Any:
    """``(Package, PackageVersion)`` rows, one per package: its highest published version."""
    newest = (
        select(PackageVersion.package_id, func.max(PackageVersion.number).label("number"))
        .where(PackageVersion.status == VersionStatus.published)
        .group_by(PackageVersion.package_id)
        .subquery()
    )
    stmt = (
        select(Package, PackageVersion)
        .join(newest, newest.c.package_id == Package.id)
        .join(
            PackageVersion,
            (PackageVersion.package_id == Package.id) & (PackageVersion.number == newest.c.number),
        )
        # A deactivated organization's packages leave the catalog (its data stays).
        .join(Organization, (Organization.id == Package.organization_id) & Organization.is_active)
        .order_by(Package.title, Package.id)
    )
    equal = {
        Package.occupation_code: filters.occupation_code,
        Package.level: filters.level,
        Package.cluster_code: filters.cluster_code,
        Package.organization_id: filters.organization_id,
        PackageVersion.format: filters.format,
        Package.language: filters.language,
    }
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.q:
        stmt = stmt.where(
            or_(
                contains_text(Package.title, filters.q),
                contains_text(Package.description, filters.q),
            )
        )
    return stmt
