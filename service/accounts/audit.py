"""Audit trail: one row per consequential action, in the same transaction as the action.

An action done with a delegated token (the platform acting as a learner through token exchange)
names the learner as actor and ends its detail with ``via=<platform account id>``, so it is
never mistaken for the learner's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session, SQLModel

from service.accounts.models import AuditEvent
from service.core.observability.logging import request_id_var
from service.core.timeutil import utcnow

DETAIL_MAX = 2000  # AuditEvent.detail's length


def record_audit(
    session: Session,
    *,
    actor,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: str = "",
) -> AuditEvent:
    delegated_by = getattr(actor, "delegated_by", None)
    if delegated_by is not None:  # a delegated token: the platform acted (RFC 8693 section 4.1)
        via = f" via={delegated_by}"
        detail = detail[: DETAIL_MAX - len(via)] + via
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


def apply_changes(
    session: Session,
    row: SQLModel,
    changes: dict[str, Any],
    *,
    actor,
    action: str,
    subject_type: str,
    subject_id: str,
    setters: Mapping[str, Callable[[Any, Any], None]] | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """Apply a PATCH body's ``changes`` to ``row`` and audit it; returns ``changes``.

    Each field is set as an attribute unless ``setters`` maps it to a function of
    ``(row, value)`` (a field stored differently, such as a password hash). ``updated_at`` is
    stamped where the table has one. The audit detail names the changed fields, never their
    values (they may be personal data); ``detail`` replaces it where a site records more.
    Nothing is flushed or committed: the caller owns the transaction.
    """
    setters = setters or {}
    for field, value in changes.items():
        if field in setters:
            setters[field](row, value)
        else:
            setattr(row, field, value)
    if "updated_at" in type(row).model_fields:
        row.updated_at = utcnow()
    session.add(row)
    record_audit(
        session,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=",".join(sorted(changes)) if detail is None else detail,
    )
    return changes
