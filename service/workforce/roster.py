"""Employee rosters by ID number, held as learners' numbers are (service.training.pii): the
HMAC fingerprint matches a person to their learner record without decrypting anything; the
AES-GCM copy, bound to the roster row, is there for an authorised export; people see the
masked form only. A roster change counts the enterprise-year's participation again."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.errors import Invalid, NotFound
from service.training.idnumber import InvalidPersonalNumber, validate_id_number
from service.training.learners import cipher
from service.training.pii import mask_id
from service.workforce.access import ensure_manages
from service.workforce.declarations import check_year
from service.workforce.models import WorkforceEmployee, WorkforceYear
from service.workforce.participation import lock_declaration, lock_people, recount

MAX_PER_REQUEST = 5000


def _declared(session: Session, organization_id: uuid.UUID, year: int) -> WorkforceYear:
    row = session.get(WorkforceYear, (organization_id, year))
    if row is None:
        raise Invalid(
            "headcount-not-declared",
            f"Declare the headcount for {year} first (PUT .../workforce/years/{year}).",
            field="year",
        )
    return row


def add_employees(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    year: int,
    id_numbers: list[str],
) -> dict:
    """Adds every number or none: a bad number refuses the whole list, naming its position
    (never its value). Numbers already on the roster are counted as such."""
    ensure_manages(session, principal, organization_id)
    check_year(year)
    _declared(session, organization_id, year)
    if len(id_numbers) > MAX_PER_REQUEST:
        raise Invalid(
            "too-many", f"At most {MAX_PER_REQUEST} numbers per request.", field="id_numbers"
        )
    pii = cipher()
    valid: dict[str, str] = {}
    for index, raw in enumerate(id_numbers):
        try:
            number = validate_id_number(raw)
        except InvalidPersonalNumber as exc:
            raise Invalid(
                exc.code.replace("_", "-"),
                f"id_numbers[{index}]: {exc.message}",
                field=f"id_numbers[{index}]",
            ) from None
        valid.setdefault(pii.fingerprint(number), number)
    lock_people(session, sorted(valid))
    lock_declaration(session, organization_id, year)
    known = set(
        session.exec(
            select(WorkforceEmployee.id_fingerprint).where(
                WorkforceEmployee.organization_id == organization_id,
                WorkforceEmployee.year == year,
                WorkforceEmployee.id_fingerprint.in_(list(valid)),
            )
        ).all()
    )
    for fingerprint, number in valid.items():
        if fingerprint in known:
            continue
        row = WorkforceEmployee(
            organization_id=organization_id,
            year=year,
            id_fingerprint=fingerprint,
            id_masked=mask_id(number),
            id_encrypted=b"",
            added_by=principal.user_id,
        )
        row.id_encrypted = pii.encrypt(number, context=row.id.bytes)
        session.add(row)
    session.flush()
    added = len(valid) - len(known)
    record_audit(
        session,
        actor=principal,
        action="workforce.roster_added",
        subject_type="organization",
        subject_id=str(organization_id),
        detail=f"year={year},added={added}",
    )
    recount(session, organization_id, year)
    # No participation figure here: answered per added number, it would tell whether that
    # person (perhaps no employee at all) completed a training this year.
    return {
        "received": len(id_numbers),
        "added": added,
        "already_on_roster": len(known),
        "duplicates_in_request": len(id_numbers) - len(valid),
    }


def remove_employee(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    year: int,
    employee_id: uuid.UUID,
) -> None:
    ensure_manages(session, principal, organization_id)
    row = session.get(WorkforceEmployee, employee_id)
    if row is None or row.organization_id != organization_id or row.year != year:
        raise NotFound("not-found", "Employee not on this roster.")
    lock_people(session, [row.id_fingerprint])
    lock_declaration(session, organization_id, year)
    session.delete(row)
    session.flush()
    record_audit(
        session,
        actor=principal,
        action="workforce.roster_removed",
        subject_type="organization",
        subject_id=str(organization_id),
        detail=f"year={year},employee={employee_id}",
    )
    recount(session, organization_id, year)


def list_employees(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    year: int,
    limit: int,
    offset: int,
) -> tuple[list[WorkforceEmployee], int]:
    ensure_manages(session, principal, organization_id)
    where = (WorkforceEmployee.organization_id == organization_id, WorkforceEmployee.year == year)
    total = session.exec(select(func.count()).select_from(WorkforceEmployee).where(*where)).one()
    rows = session.exec(
        select(WorkforceEmployee)
        .where(*where)
        .order_by(WorkforceEmployee.created_at, WorkforceEmployee.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
