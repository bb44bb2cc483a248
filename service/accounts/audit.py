"""Audit trail: one row per consequential action, in the same transaction as the action."""

from __future__ import annotations

from sqlmodel import Session

from service.accounts.models import AuditEvent
from service.core.observability.logging import request_id_var


def record_audit(
    session: Session,
    *,
    actor,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: str = "",
) -> AuditEvent:
    event = AuditEvent(
        actor_id=getattr(actor, "user_id", None),
        actor_role=getattr(actor, "role", None),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail,
        request_id=request_id_var.get(),
    )
    session.add(event)
    return event
