"""Roster rows of enrollments: each row is ``POST /api/v1/enrollments`` by the uploader.

The person is named by ``learner_id`` or by ID number; either way the proof of the person is the
API's (:func:`service.training.consent.enrolment_proof`): organization staff send the number
and the name (holder check), or enrol someone their organization registered. A number alone
finds nobody for staff, and an unknown number, someone else's number and a wrong name are one
and the same refusal, as ``/learners/lookup`` answers. The offering must be the import's
organization's. Subsidy: as the API's default (``require_subsidy`` false), a refused subsidy
enrols unsubsidised with the decision recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from service.accounts.access import Principal
from service.accounts.models import ORG_ROLES
from service.core.errors import DomainError
from service.imports.rows import (
    ACCEPTED,
    DUPLICATE,
    Record,
    RowOutcome,
    RowRefused,
    checked_length,
    optional,
    parse_uuid,
    refusal,
    valid_id_number,
)
from service.training import enrollments as service
from service.training.consent import enrolment_proof, holder_refused
from service.training.enrollments import EnrolmentTarget
from service.training.learners import cipher
from service.training.models import Learner

NAME_MAX = 100


class _Batch:
    """What the rows of one batch share: the uploader, the organization, the offerings read."""

    def __init__(self, session: Session, principal: Principal, organization_id: uuid.UUID):
        self.session, self.principal, self.organization_id = session, principal, organization_id
        self.targets: dict[uuid.UUID, EnrolmentTarget | None] = {}
        self.pii = cipher()

    def target(self, cells: dict[str, str]) -> EnrolmentTarget:
        offering_id = parse_uuid(cells, "offering_id")
        if offering_id not in self.targets:
            self.targets[offering_id] = service.load_target(self.session, offering_id)
        target = self.targets[offering_id]
        if target is None:
            raise RowRefused("unknown-offering", "The offering does not exist.")
        if target.offering.organization_id != self.organization_id:
            raise RowRefused("offering-not-yours", "The offering belongs to another organization.")
        return target

    def learner_and_proof(self, cells: dict[str, str]) -> tuple[Learner, str]:
        number = optional(cells, "id_number")
        name = optional(cells, "name")
        if name is not None:
            checked_length("name", name, NAME_MAX)
        fingerprint = self.pii.fingerprint(valid_id_number(number)) if number else None
        if optional(cells, "learner_id") is not None:
            learner = self.session.get(Learner, parse_uuid(cells, "learner_id"))
            if learner is None:
                raise RowRefused("unknown-learner", "The learner does not exist.")
        elif fingerprint is not None:
            learner = self._by_fingerprint(fingerprint)
        else:
            raise RowRefused("missing-value", "Give the person's learner_id or ID number.")
        proof = enrolment_proof(self.principal, learner, holder_fingerprint=fingerprint, name=name)
        return learner, proof

    def _by_fingerprint(self, fingerprint: str) -> Learner:
        found = self.session.exec(
            select(Learner).where(Learner.id_fingerprint == fingerprint)
        ).first()
        if found is not None:
            return found
        if self.principal.role in ORG_ROLES:
            raise holder_refused()  # staff learn nothing about numbers they cannot prove
        raise RowRefused("unknown-learner", "No learner is registered with this ID number.")


def _apply_row(batch: _Batch, row: int, cells: dict[str, str], now: datetime) -> RowOutcome:
    target = batch.target(cells)
    learner, proof = batch.learner_and_proof(cells)
    enrollment = service.enroll(
        batch.session,
        batch.principal,
        learner,
        target,
        require_subsidy=False,
        now=now,
        proof=proof,
    )
    return RowOutcome(row, ACCEPTED, entity_id=str(enrollment.id))


def apply_enrollments(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    records: list[Record],
    *,
    import_id: uuid.UUID,
    now: datetime,
) -> list[RowOutcome]:
    """Row by row, each in a savepoint: ``enroll`` may have flushed the enrollment before it
    refuses (the seat is taken last), and only that row is rolled back."""
    batch = _Batch(session, principal, organization_id)
    outcomes = []
    for row, cells in records:
        savepoint = session.begin_nested()
        try:
            outcome = _apply_row(batch, row, cells, now)
        except service.AlreadyEnrolled as exc:
            savepoint.rollback()
            existing = service.find(session, exc.learner_id, exc.offering_id)
            if existing is None:  # the insert failed for another reason
                raise (exc.__cause__ or exc) from None
            outcomes.append(
                RowOutcome(
                    row,
                    DUPLICATE,
                    "already-enrolled",
                    "The person is already enrolled in this offering.",
                    str(existing.id),
                )
            )
            continue
        except (DomainError, RowRefused) as exc:
            savepoint.rollback()
            outcomes.append(refusal(row, exc))
            continue
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        outcomes.append(outcome)
    return outcomes
