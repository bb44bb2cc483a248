"""The ``credentials.issue`` job: a completed enrollment earns its micro-credential.

The training domain records this job in the same transaction as the completion
(``service.training.completion.complete_if_due``). Issuance is idempotent per (enrollment,
achievement), and the credential commits together with the job's ``done`` mark, so however
often the job is delivered exactly one credential exists.

Without an active signing key the job waits (``WaitingFor``) instead of failing: the missing
key is an operator's task (``skills keys create``, which /readyz and the start-up log ask for),
not the enrollment's fault, so the credential is issued by itself once the key exists. The key
is looked up before the learner's ID number is decrypted, so a waiting job touches no personal
data.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session

from service.accounts.audit import record_audit
from service.core.settings import get_settings
from service.issuing.keys import NO_KEY_MESSAGE, has_active_key
from service.issuing.service import IssuerKeyMissing, IssuingError, issue_for_completion
from service.jobs.runner import JobFailed, WaitingFor
from service.tallies.rollups import record_credential_issued
from service.training.completion import CREDENTIAL_JOB, recorded_minutes
from service.training.learners import cipher
from service.training.models import Enrollment, Learner, Offering

log = logging.getLogger("skills.issuing")


def _score(enrollment: Enrollment):
    if enrollment.assessment_score is not None:
        return enrollment.assessment_score
    if enrollment.package_score is not None:
        return enrollment.package_score
    return None


def issue_for_completed_enrollment(session: Session, payload: dict) -> None:
    enrollment = session.get(Enrollment, uuid.UUID(payload["enrollment_id"]))
    if enrollment is None:
        raise JobFailed("enrollment not found")
    if enrollment.state != "completed":
        raise JobFailed(f"enrollment is {enrollment.state}, not completed")
    settings = get_settings()
    if not has_active_key(session, settings):
        raise WaitingFor(NO_KEY_MESSAGE)
    offering = session.get(Offering, enrollment.offering_id)
    learner = session.get(Learner, enrollment.learner_id)
    # The number is decrypted only to compute the credential's salted identity hash.
    id_number = cipher().decrypt(learner.id_encrypted, context=learner.id.bytes)
    try:
        outcome = issue_for_completion(
            session,
            settings,
            enrollment_id=enrollment.id,
            learner_uuid=learner.subject_id,
            id_number=id_number,
            occupation_code=offering.occupation_code,
            level=offering.level,
            minutes=recorded_minutes(session, enrollment.id),
            score=_score(enrollment),
        )
    except IssuerKeyMissing as exc:  # the key went away since the check above
        raise WaitingFor(NO_KEY_MESSAGE) from exc
    except IssuingError as exc:
        raise JobFailed(f"{exc.code}: {exc}") from exc
    if outcome.created:
        # Counted in the same transaction as the credential (tallies: credentials issued).
        record_credential_issued(session, enrollment)
        record_audit(
            session,
            actor=None,
            action="credential.issue",
            subject_type="credential",
            subject_id=outcome.credential.credential_id,
            detail=f"enrollment={enrollment.id}",
        )
        log.info(
            "credential issued",
            extra={
                "enrollment_id": str(enrollment.id),
                "credential_id": outcome.credential.credential_id,
            },
        )


HANDLERS = {CREDENTIAL_JOB: issue_for_completed_enrollment}
