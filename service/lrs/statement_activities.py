"""The LRS's canonical activity definitions (xAPI 1.0.3 Communication §2.5 / Data §2.4.4.1,
9274.1.1 §9.3.6), kept from the statements it stores.

The LRS may decide what the canonical definition is; this one is the merge of every definition
seen, the latest winning: language maps are merged per language, every other property is
replaced. An activity seen without a definition is still known (``definition = {}``).
"""

from __future__ import annotations

from typing import Any

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


def seen_definitions(statements: list[dict]) -> dict[str, dict]:
    """Every activity in ``statements`` with the merge of the definitions they carry ({} when
    none does), in statement order."""
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
    return seen


def changed_definitions(seen: dict[str, dict], stored: dict[str, Any]) -> dict[str, dict]:
    """The canonical definitions to write: new activities, and stored ones the batch changes;
    in activity id order, so concurrent batches lock rows alike."""
    changes: dict[str, dict] = {}
    for activity_id in sorted(seen):
        if activity_id in stored:
            merged = merge_definition(stored[activity_id], seen[activity_id])
            if merged == stored[activity_id]:
                continue
        else:
            merged = seen[activity_id]
        changes[activity_id] = merged
    return changes
