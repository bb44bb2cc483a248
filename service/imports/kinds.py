"""Applying a batch of import rows to the training domain, one outcome per row.

Each kind maps its rows onto the rules the API already applies (no rule of its own beyond
reading the cells): ``learners`` through :func:`service.training.learners.create_or_find`,
``enrollments`` through :func:`service.training.enrollments.enroll` with the same proof of the
person as the API, ``attendance`` through one :func:`service.training.ledger.record_entries`
call per batch. Every outcome is ``accepted``, ``duplicate`` (already there: nothing changed)
or ``rejected`` with a stable reason code and a message in plain words that never holds an ID
number or a phone number. Functions flush, never commit: the import runner owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from service.accounts.access import Principal, ensure_org_access
from service.imports.rows import Record, RowOutcome
from service.imports.rows_attendance import apply_attendance
from service.imports.rows_enrollments import apply_enrollments
from service.imports.rows_learners import apply_learners

__all__ = ["KINDS", "RowOutcome", "apply_batch"]

Applier = Callable[..., list[RowOutcome]]
APPLIERS: dict[str, Applier] = {
    "learners": apply_learners,
    "enrollments": apply_enrollments,
    "attendance": apply_attendance,
}
KINDS = tuple(APPLIERS)


def apply_batch(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    kind: str,
    records: Sequence[Record],
    *,
    import_id: uuid.UUID,
    now: datetime,
) -> list[RowOutcome]:
    """One outcome per record, in order. Raises only when the batch as a whole cannot run (an
    unknown kind, an uploader no longer allowed at the organization, a database failure); a
    bad row is rejected alone. ``import_id`` is the run's (for the appliers' tracing; no
    effect of a row names it)."""
    if kind not in APPLIERS:
        raise ValueError(f"unknown import kind: {kind}")
    # The uploader was checked at upload; re-checked here because the job may run much later.
    ensure_org_access(principal, organization_id)
    if not records:
        return []
    outcomes = APPLIERS[kind](
        session, principal, organization_id, list(records), import_id=import_id, now=now
    )
    if len(outcomes) != len(records):
        raise RuntimeError("an import kind must answer every row once")
    return outcomes
