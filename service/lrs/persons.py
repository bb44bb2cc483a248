"""The Agents resource, ``GET /xAPI/agents`` (xAPI 1.0.3 Communication §2.4 / 9274.1.1
§4.1.6.3): a Person object combining what the LRS knows of an agent. Here that is the agent as
asked for (its identifier and name) and the name it last carried as the actor of a stored
statement; every property is an array, as the Person object's definition says.

A caller bound to an actor (a learner's or a launch token) may ask only about that actor.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from service.core.errors import BadRequest, Forbidden
from service.lrs.access import LrsCaller
from service.lrs.documents import parse_agent
from service.lrs.identifiers import IFI_PROPERTIES, agent_key
from service.lrs.models import LrsStatement


def parse_agent_query(params: list[tuple[str, str]]) -> dict[str, Any]:
    """The one ``agent`` parameter: an Agent (not a Group) with an identifier."""
    names = [name for name, _ in params]
    if any(name != "agent" for name in names) or names.count("agent") != 1:
        raise BadRequest("xapi-bad-parameter", "Send exactly one parameter: agent.")
    agent = parse_agent(params[0][1])
    if agent.get("objectType", "Agent") != "Agent":
        raise BadRequest("xapi-bad-parameter", "agent must be an Agent object.")
    return agent


def _last_name(session: Session, key: str) -> str | None:
    row = session.exec(
        select(LrsStatement.content)
        .where(LrsStatement.actor_key == key)
        .order_by(col(LrsStatement.stored).desc(), col(LrsStatement.seq).desc())
        .limit(1)
    ).first()
    name = ((row or {}).get("actor") or {}).get("name")
    return name if isinstance(name, str) else None


def person_for(session: Session, caller: LrsCaller, agent: dict[str, Any]) -> dict[str, Any]:
    key = agent_key(agent)
    if caller.actor is not None and key != agent_key(caller.actor):
        raise Forbidden("forbidden", "These credentials may ask only about their own agent.")
    person: dict[str, Any] = {"objectType": "Person"}
    names = [n for n in (agent.get("name"), _last_name(session, key or "")) if isinstance(n, str)]
    if names:
        person["name"] = list(dict.fromkeys(names))
    for prop in IFI_PROPERTIES:
        if agent.get(prop) is not None:
            person[prop] = [agent[prop]]
    return person
