"""Targets as data: list, create, change (admins; every change audited)."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, select

from service.accounts.audit import apply_changes, record_audit
from service.core.errors import Conflict, Invalid
from service.core.patching import refuse_nulls
from service.tallies.dimensions import InvalidQuery, parse_filters
from service.tallies.models import RefTallyTarget

METRICS = ("person_times", "distinct_learners", "participation_rate")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class TargetRuleError(Invalid):
    """A target definition breaks a rule; ``field`` names the offending member when one does."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code, message, **({"field": field} if field else {}))
        self.field = field


class TargetExists(Conflict, TargetRuleError):
    """A target with that code is already defined."""


def _check_filters(filters: dict) -> dict:
    if any(k in ("period_from", "period_to") for k in filters):
        raise TargetRuleError(
            "invalid-target", "A target's period is period_from/period_to, not a filter.", "filters"
        )
    try:
        parse_filters(filters)
    except InvalidQuery as exc:
        raise TargetRuleError("invalid-target", str(exc), f"filters.{exc.field}") from None
    return {k: v for k, v in filters.items() if v not in (None, "")}


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=40, pattern=CODE.pattern)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    metric: str = "person_times"
    target: int = Field(gt=0, le=10**12)
    period_from: date
    period_to: date
    filters: dict[str, str | int] = Field(default_factory=dict, max_length=10)
    is_active: bool = True

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"metric must be one of: {', '.join(METRICS)}")
        return value


class TargetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    metric: str | None = None
    target: int | None = Field(default=None, gt=0, le=10**12)
    period_from: date | None = None
    period_to: date | None = None
    filters: dict[str, str | int] | None = Field(default=None, max_length=10)
    is_active: bool | None = None

    # An explicit null is a 422 naming the field (service.core.patching), as in every PATCH.
    _no_nulls = refuse_nulls(
        "title", "description", "metric", "target", "period_from", "period_to", "filters",
        "is_active",
    )  # fmt: skip

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        if value is not None and value not in METRICS:
            raise ValueError(f"metric must be one of: {', '.join(METRICS)}")
        return value


def as_dict(t: RefTallyTarget) -> dict:
    return {
        "code": t.code,
        "title": t.title,
        "description": t.description,
        "metric": t.metric,
        "target": t.target,
        "period_from": t.period_from.isoformat(),
        "period_to": t.period_to.isoformat(),
        "filters": t.filters,
        "is_active": t.is_active,
        "created_at": t.created_at.isoformat() if t.created_at else None,
        "updated_at": t.updated_at.isoformat() if t.updated_at else None,
    }


def list_targets(session: Session, include_inactive: bool = False) -> list[RefTallyTarget]:
    stmt = select(RefTallyTarget).order_by(RefTallyTarget.code)
    if not include_inactive:
        stmt = stmt.where(RefTallyTarget.is_active)
    return list(session.exec(stmt).all())


def _check_rate(metric: str, target: int, filters: dict) -> None:
    """A participation target is a percentage of the whole city's declared workforce."""
    if metric != "participation_rate":
        return
    if target > 100:
        raise TargetRuleError(
            "invalid-target", "A participation_rate target is a percentage (1 to 100).", "target"
        )
    if filters:
        raise TargetRuleError(
            "invalid-target", "A participation_rate target takes no filters.", "filters"
        )


def create_target(session: Session, actor, body: TargetIn) -> RefTallyTarget:
    if body.period_from > body.period_to:
        raise TargetRuleError("invalid-target", "period_from is after period_to.", "period_from")
    _check_rate(body.metric, body.target, body.filters)
    if session.get(RefTallyTarget, body.code) is not None:
        raise TargetExists("target-exists", f"A target with code {body.code!r} exists.", "code")
    target = RefTallyTarget(**body.model_dump() | {"filters": _check_filters(body.filters)})
    session.add(target)
    record_audit(
        session,
        actor=actor,
        action="tallies.target.create",
        subject_type="tally_target",
        subject_id=target.code,
        detail=f"target={target.target},metric={target.metric}",
    )
    session.flush()
    return target


def update_target(
    session: Session, actor, target: RefTallyTarget, body: TargetPatch
) -> RefTallyTarget:
    changes = body.model_dump(exclude_unset=True)
    if "filters" in changes:
        changes["filters"] = _check_filters(changes["filters"])
    period_from = changes.get("period_from", target.period_from)
    period_to = changes.get("period_to", target.period_to)
    if period_from > period_to:
        raise TargetRuleError("invalid-target", "period_from is after period_to.", "period_from")
    _check_rate(
        changes.get("metric", target.metric),
        changes.get("target", target.target),
        changes.get("filters", target.filters or {}),
    )
    apply_changes(
        session,
        target,
        changes,
        actor=actor,
        action="tallies.target.update",
        subject_type="tally_target",
        subject_id=target.code,
        # A target holds no personal data, so its audit keeps the new values as well.
        detail=",".join(f"{k}={v}" for k, v in sorted(changes.items()))[:2000],
    )
    session.flush()
    return target
