"""An enterprise's yearly declaration: headcount (the participation rate's denominator) and
industry cluster (for the citywide breakdown)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.errors import Invalid
from service.core.timeutil import utcnow
from service.training.reference_checks import check_cluster
from service.workforce.access import ensure_manages
from service.workforce.models import WorkforceYear
from service.workforce.participation import recount

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_HEADCOUNT = 10_000_000


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(
            "bad-year", f"year must be between {FIRST_YEAR} and {LAST_YEAR}.", field="year"
        )
    return year


def declare_year(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    year: int,
    *,
    headcount: int,
    cluster_version: str | None,
    cluster_code: str | None,
) -> tuple[WorkforceYear, bool]:
    """Create or replace the declaration; returns (row, created)."""
    ensure_manages(session, principal, organization_id)
    check_year(year)
    if not 1 <= headcount <= MAX_HEADCOUNT:
        raise Invalid(
            "bad-headcount",
            "headcount must be a whole number of employees, at least 1.",
            field="headcount",
        )
    check_cluster(session, cluster_version, cluster_code)
    row = session.get(WorkforceYear, (organization_id, year))
    created = row is None
    if row is None:
        row = WorkforceYear(organization_id=organization_id, year=year, headcount=headcount)
    else:
        row.updated_at = utcnow()
    row.headcount = headcount
    row.cluster_version, row.cluster_code = cluster_version, cluster_code
    row.declared_by = principal.user_id
    session.add(row)
    record_audit(
        session,
        actor=principal,
        action="workforce.declared" if created else "workforce.redeclared",
        subject_type="organization",
        subject_id=str(organization_id),
        detail=f"year={year},headcount={headcount}",
    )
    session.flush()
    if created:  # confirmations made before the year was declared start counting now
        recount(session, organization_id, year)
    return row, created


def list_years(
    session: Session, principal: Principal, organization_id: uuid.UUID
) -> list[WorkforceYear]:
    ensure_manages(session, principal, organization_id)
    return list(
        session.exec(
            select(WorkforceYear)
            .where(WorkforceYear.organization_id == organization_id)
            .order_by(WorkforceYear.year)
        ).all()
    )
