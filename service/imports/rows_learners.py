"""Roster rows of learners: each row is ``POST /api/v1/learners`` by the uploader.

A new person is registered (``accepted``, the learner's id); a registered one is left as it is
(``duplicate``: re-running a roster changes nothing), to organization staff only when the name
matches, as the API answers (:mod:`service.training.consent`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlmodel import Session

from service.accounts.access import Principal
from service.core.errors import DomainError
from service.imports.rows import (
    ACCEPTED,
    DUPLICATE,
    Record,
    RowOutcome,
    RowRefused,
    checked_length,
    optional,
    refusal,
    required,
)
from service.training.learners import create_or_find

NAME_MAX = 100
REASON_MAX = 200
GROUPS_MAX = 8
_GROUP_SEPARATORS = re.compile(r"[;,，、；\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_groups(text: str | None) -> list[str]:
    """Codes separated by ``; , ， 、`` or spaces (as people type them in a cell)."""
    groups = [g for g in _GROUP_SEPARATORS.split(text or "") if g]
    if len(groups) > GROUPS_MAX:
        raise RowRefused("too-many-groups", f"At most {GROUPS_MAX} groups per person.")
    return groups


def _reason(cells: dict[str, str]) -> str | None:
    reason = optional(cells, "groups_reason")
    if reason is not None:
        checked_length("groups_reason", reason, REASON_MAX)
        if _CONTROL.search(reason):
            raise RowRefused("invalid-value", "groups_reason holds control characters.")
    return reason


def _apply_row(session: Session, principal: Principal, row: int, cells: dict[str, str]):
    learner, created = create_or_find(
        session,
        principal,
        id_number=required(cells, "id_number"),
        name=checked_length("name", required(cells, "name"), NAME_MAX),
        district_code=required(cells, "district_code"),
        groups=parse_groups(optional(cells, "groups")),
        groups_reason=_reason(cells),
        phone=optional(cells, "phone"),
    )
    if created:
        return RowOutcome(row, ACCEPTED, entity_id=str(learner.id))
    return RowOutcome(
        row,
        DUPLICATE,
        "already-registered",
        "This person is already registered; the record was left unchanged.",
        str(learner.id),
    )


def apply_learners(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    records: list[Record],
    *,
    import_id: uuid.UUID,
    now: datetime,
) -> list[RowOutcome]:
    """Row by row, each in a savepoint, so a refused row leaves nothing behind. The learner's
    organization is the uploader's (``create_or_find`` records who registered the person)."""
    outcomes = []
    for row, cells in records:
        savepoint = session.begin_nested()
        try:
            outcome = _apply_row(session, principal, row, cells)
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
