"""The ``format`` of returned statements (xAPI 1.0.3 Communication §2.1.3 / 9274.1.1 §9.3.3.1):
``exact`` as stored; ``ids`` with only what identifies agents, groups, activities and verbs;
``canonical`` with the LRS's activity definitions and one language per language map, chosen by
``Accept-Language`` for each map separately (Communication §2.1.3 "Language Filtering").
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from service.lrs.identifiers import IFI_PROPERTIES
from service.lrs.models import LrsActivity
from service.lrs.statement_activities import INTERACTION_COMPONENTS, LANGUAGE_MAPS
from service.lrs.statement_index import activity_objects

FORMATS = ("exact", "ids", "canonical")
FALLBACK_LANGUAGES = ("en-us", "en")
_RANGE = re.compile(r"^\s*([A-Za-z0-9*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def accepted_languages(header: str | None) -> list[str]:
    """Language ranges of an ``Accept-Language`` header, most wanted first (RFC 9110 §12.5.4);
    ranges with q=0 are dropped."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        match = _RANGE.match(part)
        if not match:
            continue
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if q > 0:
            ranked.append((-q, position, match.group(1).lower()))
    return [tag for _, _, tag in sorted(ranked)]


def pick_language(language_map: dict, ranges: list[str]) -> dict:
    """One entry of a language map: the best match for ``ranges`` (exact tag, then prefix),
    else English, else the first tag in order (stored maps keep no order on PostgreSQL)."""
    if not isinstance(language_map, dict) or len(language_map) <= 1:
        return language_map
    lowered = {key.lower(): key for key in sorted(language_map)}
    for wanted in [r for r in ranges if r != "*"] + list(FALLBACK_LANGUAGES):
        if wanted in lowered:
            key = lowered[wanted]
            return {key: language_map[key]}
        for low, key in lowered.items():
            if low.startswith(wanted + "-"):
                return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}


# ---- ids ----------------------------------------------------------------------------------------


def _agent_ids(agent: Any) -> Any:
    if not isinstance(agent, dict):
        return agent
    out = {k: agent[k] for k in ("objectType",) if k in agent}
    ifi = next((p for p in IFI_PROPERTIES if p in agent), None)
    if ifi is not None:
        out[ifi] = agent[ifi]
    elif isinstance(agent.get("member"), list):  # anonymous group: its members identify it
        out["member"] = [_agent_ids(m) for m in agent["member"]]
    return out


def _object_ids(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "Activity":
        return {"id": obj.get("id")}
    if kind == "SubStatement":
        return _statement_ids(obj)
    return obj


def _context_ids(context: Any) -> Any:
    if not isinstance(context, dict):
        return context
    out = dict(context)
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _agent_ids(out[key])
    if isinstance(out.get("contextActivities"), dict):
        out["contextActivities"] = {
            kind: [_object_ids(a) for a in acts] if isinstance(acts, list) else _object_ids(acts)
            for kind, acts in out["contextActivities"].items()
        }
    if isinstance(out.get("contextAgents"), list):
        out["contextAgents"] = [
            {**e, "agent": _agent_ids(e.get("agent"))} if isinstance(e, dict) else e
            for e in out["contextAgents"]
        ]
    if isinstance(out.get("contextGroups"), list):
        out["contextGroups"] = [
            {**e, "group": _agent_ids(e.get("group"))} if isinstance(e, dict) else e
            for e in out["contextGroups"]
        ]
    return out


def _statement_ids(statement: dict) -> dict:
    out = dict(statement)
    if "actor" in out:
        out["actor"] = _agent_ids(out["actor"])
    if isinstance(out.get("verb"), dict):
        out["verb"] = {"id": out["verb"].get("id")}
    if "object" in out:
        out["object"] = _object_ids(out["object"])
    if "authority" in out:
        out["authority"] = _agent_ids(out["authority"])
    if "context" in out:
        out["context"] = _context_ids(out["context"])
    return out


# ---- canonical ----------------------------------------------------------------------------------


def _filter_definition(definition: dict, ranges: list[str]) -> dict:
    out = dict(definition)
    for key in LANGUAGE_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = pick_language(out[key], ranges)
    for key in INTERACTION_COMPONENTS:
        if isinstance(out.get(key), list):
            out[key] = [
                {**c, "description": pick_language(c["description"], ranges)}
                if isinstance(c, dict) and isinstance(c.get("description"), dict)
                else c
                for c in out[key]
            ]
    return out


def _canonical(statement: dict, definitions: dict[str, Any], ranges: list[str]) -> dict:
    out = copy.deepcopy(statement)
    for activity in activity_objects(out):
        definition = definitions.get(str(activity.get("id"))) or activity.get("definition")
        if isinstance(definition, dict) and definition:
            activity["definition"] = _filter_definition(definition, ranges)
    verbs = [out.get("verb")]
    if isinstance(out.get("object"), dict) and out["object"].get("objectType") == "SubStatement":
        verbs.append(out["object"].get("verb"))
    for verb in verbs:
        if isinstance(verb, dict) and isinstance(verb.get("display"), dict):
            verb["display"] = pick_language(verb["display"], ranges)
    for attachment in out.get("attachments") or []:
        if isinstance(attachment, dict):
            for key in ("display", "description"):
                if isinstance(attachment.get(key), dict):
                    attachment[key] = pick_language(attachment[key], ranges)
    return out


def formatter(
    session: Session, fmt: str, statements: list[dict], accept_language: str | None
) -> Callable[[dict], dict]:
    """A function shaping each of ``statements`` in ``fmt`` (reads the canonical definitions
    of their activities in one query)."""
    if fmt == "ids":
        return _statement_ids
    if fmt != "canonical":
        return lambda statement: statement
    ids = {a["id"] for s in statements for a in activity_objects(s) if isinstance(a.get("id"), str)}
    definitions: dict[str, Any] = (
        dict(
            session.exec(
                select(LrsActivity.activity_id, LrsActivity.definition).where(
                    col(LrsActivity.activity_id).in_(list(ids))
                )
            ).all()
        )
        if ids
        else {}
    )
    ranges = accepted_languages(accept_language)
    return lambda statement: _canonical(statement, definitions, ranges)
