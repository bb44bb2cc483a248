"""Operators' own jobs. ``ops.ping`` proves the outbox -> broker -> worker path end to end and
leaves its proof in the audit trail, which this package owns."""

from sqlmodel import Session

from service.accounts.audit import record_audit

PING = "ops.ping"


def ping(session: Session, payload: dict) -> None:
    record_audit(
        session,
        actor=None,
        action="ops.ping.done",
        subject_type="job",
        subject_id=str(payload.get("requested_by", "")),
        detail=str(payload.get("note", ""))[:200],
    )


HANDLERS = {PING: ping}
