"""A learner's lifelong skill record: every enrollment with its offering, occupation, level,
hours, state, completion, subsidy decision and credentials, in one call.

It lives with issuing because it joins the training records with the credentials they earned.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from credentials.models import Credential
from service.accounts.models import Organization
from service.core.timeutil import as_utc
from service.issuing.service import credential_state, enrollment_ref_for
from service.training.ledger import minutes_by_enrollment, totals
from service.training.models import Enrollment, Learner, Offering
from service.training.occupations import level_name
from service.training.reference_models import RefOccupation

MAX_ENROLLMENTS = 1000  # a lifetime of training fits comfortably; the record is one document


def credentials_for_enrollments(session: Session, enrollment_ids: list[uuid.UUID]) -> dict:
    """Credentials per enrollment id, ``{enrollment_id: [credential summary, ...]}``."""
    if not enrollment_ids:
        return {}
    by_ref = {enrollment_ref_for(eid): eid for eid in enrollment_ids}
    rows = session.exec(select(Credential).where(Credential.enrollment_ref.in_(list(by_ref)))).all()
    found: dict = {}
    for row in rows:
        bare = row.credential_id.removeprefix("urn:uuid:")
        found.setdefault(by_ref[row.enrollment_ref], []).append(
            {
                "id": row.credential_id,
                "state": credential_state(row),
                "achievement_id": row.achievement_id,
                "issued_at": _iso(row.issued_at),
                "downloads": {
                    kind: f"/api/v1/me/credentials/{bare}/{name}"
                    for kind, name in (
                        ("jwt", "credential.jwt"),
                        ("png", "badge.png"),
                        ("svg", "badge.svg"),
                        ("json", "credential.json"),
                    )
                },
            }
        )
    return found


def _iso(value):
    return as_utc(value).isoformat() if value is not None else None


def build_record(session: Session, learner: Learner) -> dict:
    rows = session.exec(
        select(Enrollment, Offering, Organization, RefOccupation)
        .where(
            Enrollment.learner_id == learner.id,
            Enrollment.offering_id == Offering.id,
            Offering.organization_id == Organization.id,
            Offering.occupation_code == RefOccupation.code,
        )
        .order_by(Enrollment.created_at, Enrollment.id)
        .limit(MAX_ENROLLMENTS)
    ).all()
    ids = [enr.id for enr, *_ in rows]
    minutes = minutes_by_enrollment(session, ids)
    credentials = credentials_for_enrollments(session, ids)
    items = []
    for enr, off, org, occupation in rows:
        spent = minutes.get(enr.id, {"minutes": 0, "online_minutes": 0})
        items.append(
            {
                "enrollment_id": str(enr.id),
                "state": enr.state,
                "enrolled_at": _iso(enr.created_at),
                "completed_at": _iso(enr.completed_at),
                "completion_year": enr.completion_year,
                "offering": {
                    "id": str(off.id),
                    "title": off.title,
                    "organization": {"id": str(org.id), "name": org.name},
                    "training_type": off.training_type,
                    "funding": off.funding,
                    "mode": off.mode,
                    "starts_on": off.starts_on.isoformat(),
                    "ends_on": off.ends_on.isoformat(),
                },
                "occupation": {"code": occupation.code, "name": occupation.name},
                "level": off.level,
                "level_name": level_name(off.level),
                "hours": totals(spent["minutes"], spent["online_minutes"])
                | {"required_minutes": off.required_minutes},
                "assessment": {
                    # the trainer's score, else the package's: the score the credential carries
                    "score": (
                        enr.assessment_score
                        if enr.assessment_score is not None
                        else enr.package_score
                    ),
                    "package_score": enr.package_score,
                    "passed": enr.assessment_passed,
                    "package_completed": enr.package_completed,
                    "package_passed": enr.package_passed,
                },
                "subsidy": {
                    "requested": enr.subsidy_requested,
                    "granted": enr.subsidised,
                    "year": enr.subsidy_year,
                    "decision": enr.subsidy_decision,
                },
                "credentials": credentials.get(enr.id, []),
            }
        )
    total_minutes = sum(m["minutes"] for m in minutes.values())
    return {
        "learner": {
            "id": str(learner.id),
            "name": learner.name,
            "id_number_masked": learner.id_masked,
        },
        "enrollments": items,
        "totals": totals(total_minutes, sum(m["online_minutes"] for m in minutes.values()))
        | {"completed": sum(1 for e in items if e["state"] == "completed")},
    }
