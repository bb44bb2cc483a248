"""What the query API indexes about a statement: the agents and activities it relates to, the
object's key, and the comparison hash used for id idempotency. Pure functions, no database.

Relations (xAPI 1.0.3 Communication §2.1.3 / 9274.1.1 §9.3.3.1): ``agent`` matches the actor or
object, including members of a Group there ("Groups that have members which match the specified
Agent ... are considered a match"); ``related_agents`` widens to authority, instructor, team,
2.0 context agents and groups, and the parts of a SubStatement. ``activity`` matches the object;
``related_activities`` widens to context activities and the SubStatement's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

from service.lrs.identifiers import agent_key

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
# Properties the LRS assigns or may change, ignored when two statements with one id are compared
# (xAPI Data §2.3.1 "Statement Comparison Requirements" / 9274.1.1 §5.1.1).
LRS_ASSIGNED = ("id", "authority", "stored", "version", "timestamp")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _agent_keys(agent: Any) -> Iterator[str]:
    """The agent's key, and its members' when it is a Group."""
    if not isinstance(agent, dict):
        return
    key = agent_key(agent)
    if key is not None:
        yield key
    if agent.get("objectType") == "Group":
        for member in _as_list(agent.get("member")):
            if isinstance(member, dict) and (member_key := agent_key(member)) is not None:
                yield member_key


def _context_agents(context: Any) -> Iterator[str]:
    if not isinstance(context, dict):
        return
    yield from _agent_keys(context.get("instructor"))
    yield from _agent_keys(context.get("team"))
    for entry in _as_list(context.get("contextAgents")):  # 9274.1.1 §5.2.6
        if isinstance(entry, dict):
            yield from _agent_keys(entry.get("agent"))
    for entry in _as_list(context.get("contextGroups")):
        if isinstance(entry, dict):
            yield from _agent_keys(entry.get("group"))


def _context_activities(context: Any) -> Iterator[str]:
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return
    for kind in CONTEXT_ACTIVITY_KINDS:
        for activity in _as_list(context["contextActivities"].get(kind)):
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _is_agent(obj: dict) -> bool:
    return obj.get("objectType") in ("Agent", "Group")


def agent_relations(statement: dict) -> set[tuple[str, str]]:
    """(agent_key, relation) pairs; relation is ``actor``, ``object`` or ``related``."""
    rows: set[tuple[str, str]] = {(k, "actor") for k in _agent_keys(statement.get("actor"))}
    obj = statement.get("object") or {}
    if _is_agent(obj):
        rows |= {(k, "object") for k in _agent_keys(obj)}
    related = set(_agent_keys(statement.get("authority")))
    related |= set(_context_agents(statement.get("context")))
    if obj.get("objectType") == "SubStatement":
        related |= set(_agent_keys(obj.get("actor")))
        inner = obj.get("object") or {}
        if _is_agent(inner):
            related |= set(_agent_keys(inner))
        related |= set(_context_agents(obj.get("context")))
    return rows | {(k, "related") for k in related}


def activity_relations(statement: dict) -> set[tuple[str, str]]:
    """(activity_id, relation) pairs; relation is ``object`` or ``related``."""
    rows: set[tuple[str, str]] = set()
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
        rows.add((obj["id"], "object"))
    related = set(_context_activities(statement.get("context")))
    if obj.get("objectType") == "SubStatement":
        inner = obj.get("object") or {}
        if inner.get("objectType", "Activity") == "Activity" and isinstance(inner.get("id"), str):
            related.add(inner["id"])
        related |= set(_context_activities(obj.get("context")))
    return rows | {(a, "related") for a in related}


def activity_objects(statement: dict) -> Iterator[dict]:
    """Every Activity object in the statement (object, context activities, SubStatement's), for
    the canonical definitions the LRS keeps (``/activities``)."""
    obj = statement.get("object") or {}
    contexts = [statement.get("context")]
    if obj.get("objectType", "Activity") == "Activity":
        yield obj
    if obj.get("objectType") == "SubStatement":
        inner = obj.get("object") or {}
        if inner.get("objectType", "Activity") == "Activity":
            yield inner
        contexts.append(obj.get("context"))
    for context in contexts:
        if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
            for kind in CONTEXT_ACTIVITY_KINDS:
                for activity in _as_list(context["contextActivities"].get(kind)):
                    if isinstance(activity, dict):
                        yield activity


def object_key(statement: dict) -> tuple[str, str]:
    """(object_type, key): an activity id, an agent key, a referenced statement id (normalised
    lowercase with dashes), or ``""`` for a SubStatement."""
    obj = statement.get("object") or {}
    kind = obj.get("objectType", "Activity")
    if kind == "StatementRef":
        return kind, normalise_uuid(obj.get("id")) or ""
    if kind in ("Agent", "Group"):
        return kind, agent_key(obj) or ""
    if kind == "SubStatement":
        return kind, ""
    return "Activity", str(obj.get("id", ""))


def normalise_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def voided_target(statement: dict) -> uuid.UUID | None:
    """The statement a voiding statement voids (xAPI Data §2.3.2): verb ``voided`` with a
    StatementRef object; None for any other statement."""
    verb = statement.get("verb") or {}
    obj = statement.get("object") or {}
    if verb.get("id") != VOIDED or obj.get("objectType") != "StatementRef":
        return None
    target = normalise_uuid(obj.get("id"))
    return uuid.UUID(target) if target else None


def normalise_statement(statement: dict) -> dict:
    """The statement with each single context activity as an array of one, as the LRS must
    return them (xAPI Data §2.4.6.2); a copy, the input is not changed."""
    out = dict(statement)
    holders = [out]
    if isinstance(out.get("object"), dict) and out["object"].get("objectType") == "SubStatement":
        out["object"] = dict(out["object"])
        holders.append(out["object"])
    for holder in holders:
        context = holder.get("context")
        if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
            holder["context"] = {
                **context,
                "contextActivities": {
                    kind: _as_list(value) for kind, value in context["contextActivities"].items()
                },
            }
    return out


def comparison_hash(received: dict) -> str:
    """A hash of the statement as the client sent it, without the properties the LRS assigns:
    two statements with one id "match" when their hashes are equal (xAPI Data §2.3.1)."""
    body = {k: v for k, v in received.items() if k not in LRS_ASSIGNED and v is not None}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
