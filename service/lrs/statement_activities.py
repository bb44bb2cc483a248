"""The LRS's canonical activity definitions (xAPI 1.0.3 Communication §2.5 / Data §2.4.4.1,
9274.1.1 §9.3.6), kept from the statements it stores.

The LRS may decide what the canonical definition is; this one is the merge of every definition
seen, the latest winning: language maps are merged per language, every other property is
replaced. An activity seen without a definition is still known (``definition = {}``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from service.core.timeutil import utcnow
from service.lrs.models import LrsActivity
from service.lrs.statement_index import activity_objects

LANGUAGE_MAPS = ("name", "description")
INTERACTION_COMPONENTS = ("choices", "scale", "source", "target", "steps")


def merge_definition(current: dict, new: dict) -> dict:
    merged = dict(current)
    for key, value in new.items():
        mergeable = key in LANGUAGE_MAPS or key == "extensions"
        if mergeable and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def remember_activities(session: Session, statements: list[dict]) -> None:
    """Upsert the definitions of every activity in ``statements`` (one read, one write)."""
    seen: dict[str, dict] = {}
    for statement in statements:
        for activity in activity_objects(statement):
            activity_id = activity.get("id")
            if not isinstance(activity_id, str):
                continue
            definition = activity.get("definition")
            current = seen.get(activity_id, {})
            seen[activity_id] = (
                merge_definition(current, definition) if isinstance(definition, dict) else current
            )
    if not seen:
        return
    stored: dict[str, Any] = dict(
        session.exec(
            select(LrsActivity.activity_id, LrsActivity.definition).where(
                col(LrsActivity.activity_id).in_(list(seen))
            )
        ).all()
    )
    now = utcnow()
    changes: list[dict[str, Any]] = []
    for activity_id in sorted(seen):  # a fixed order, so concurrent batches lock alike
        if activity_id in stored:
            merged = merge_definition(stored[activity_id], seen[activity_id])
            if merged == stored[activity_id]:
                continue
        else:
            merged = seen[activity_id]
        changes.append({"activity_id": activity_id, "definition": merged, "updated": now})
    if not changes:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LrsActivity)
    stmt = stmt.on_conflict_do_update(
        index_elements=["activity_id"],
        set_={"definition": stmt.excluded.definition, "updated": stmt.excluded.updated},
    )
    session.execute(stmt, changes)
