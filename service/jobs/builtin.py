"""Handlers that belong to the platform itself rather than a domain."""

from sqlmodel import Session

from service.accounts.audit import record_audit
from service.jobs.handlers import job_handler


@job_handler("ops.ping")
def ping(session: Session, payload: dict) -> None:
    """Operators enqueue a ping to prove the outbox -> broker -> worker path end to end."""
    record_audit(
        session,
        actor=None,
        action="ops.ping.done",
        subject_type="job",
        subject_id=str(payload.get("requested_by", "")),
        detail=str(payload.get("note", ""))[:200],
    )
