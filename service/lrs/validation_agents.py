"""Agents and Groups (xAPI 1.0.3 Data §2.4.2 / 9274.1.1 §4.2.2.1).

An Agent has exactly one inverse functional identifier (IFI). A Group is either identified (one
IFI, members optional) or anonymous (no IFI, members required); members are Agents only.
"""

from __future__ import annotations

import json
from typing import Any

from service.core.errors import BadRequest
from service.lrs.identifiers import IFI_PROPERTIES
from service.lrs.validation_values import (
    CODE,
    check_iri,
    check_mbox,
    check_object,
    check_sha1,
    check_storable_text,
    check_string,
    finite_float,
    fits_key,
    invalid,
    no_constant,
    require,
)

_AGENT_KEYS = frozenset({"objectType", "name", *IFI_PROPERTIES})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset({"homePage", "name"})


def _check_ifis(actor: dict[str, Any], path: str) -> int:
    """Validate each IFI present; return how many there are."""
    count = 0
    for prop in IFI_PROPERTIES:
        if prop not in actor:
            continue
        count += 1
        value, where = actor[prop], f"{path}.{prop}"
        if prop == "mbox":
            check_mbox(value, where)
        elif prop == "mbox_sha1sum":
            check_sha1(value, where)
        elif prop == "openid":
            check_iri(value, where)
        else:
            account = check_object(value, where, _ACCOUNT_KEYS)
            check_iri(require(account, "homePage", where), f"{where}.homePage")
            check_string(require(account, "name", where), f"{where}.name")
            if not fits_key(account["name"]):
                raise invalid(f"{where}.name", "is too long")
    return count


def check_agent(agent: Any, path: str) -> None:
    """An Agent: objectType absent or exactly "Agent", exactly one IFI."""
    agent = check_object(agent, path, _AGENT_KEYS | {"member"})
    object_type = agent.get("objectType", "Agent")
    if object_type != "Agent":
        raise invalid(f"{path}.objectType", 'must be "Agent"')
    if "member" in agent:
        raise invalid(f"{path}.member", "is not an allowed property of an Agent")
    if "name" in agent:
        check_string(agent["name"], f"{path}.name")
    if _check_ifis(agent, path) != 1:
        raise invalid(
            path, "an Agent must have exactly one identifier (mbox, mbox_sha1sum, openid, account)"
        )


def check_group(group: Any, path: str) -> None:
    """A Group: objectType "Group"; identified (one IFI) or anonymous (no IFI, members)."""
    group = check_object(group, path, _GROUP_KEYS)
    if group.get("objectType") != "Group":
        raise invalid(f"{path}.objectType", 'must be "Group"')
    if "name" in group:
        check_string(group["name"], f"{path}.name")
    ifis = _check_ifis(group, path)
    if ifis > 1:
        raise invalid(path, "a Group must have at most one identifier")
    if "member" in group:
        members = group["member"]
        if not isinstance(members, list):
            raise invalid(f"{path}.member", "must be an array of Agents")
        for index, member in enumerate(members):
            check_agent(member, f"{path}.member[{index}]")
        if ifis == 0 and not members:
            raise invalid(f"{path}.member", "an anonymous Group must list at least one member")
    elif ifis == 0:
        raise invalid(f"{path}.member", "is required for an anonymous Group")


def check_actor(actor: Any, path: str) -> None:
    """An Agent or a Group, told apart by objectType (absent means Agent)."""
    if isinstance(actor, dict) and actor.get("objectType") == "Group":
        check_group(actor, path)
    else:
        check_agent(actor, path)


def check_identified_actor(actor: Any, path: str) -> None:
    """An Agent or an identified Group (one IFI), as query parameters and documents need."""
    check_actor(actor, path)
    if actor.get("objectType") == "Group" and not any(p in actor for p in IFI_PROPERTIES):
        raise invalid(path, "a Group used here must have an identifier")


def check_authority(authority: Any, path: str) -> None:
    """An Agent, or for OAuth 3-legged an anonymous Group of exactly two Agents, one of them the
    application identified by an account (xAPI Data §2.4.9)."""
    check_actor(authority, path)
    if authority.get("objectType") != "Group":
        return
    if any(p in authority for p in IFI_PROPERTIES):
        raise invalid(path, "an authority Group must be anonymous (OAuth consumer and user)")
    members = authority.get("member", [])
    if len(members) != 2:
        raise invalid(f"{path}.member", "an authority Group must have exactly two Agents")
    if not any("account" in member for member in members):
        raise invalid(
            f"{path}.member", "an authority Group must include the OAuth application account"
        )


def parse_agent_param(raw: str, name: str = "agent") -> dict[str, Any]:
    """The JSON text of an Agent query parameter (xAPI Communication §2.1.3, §2.3): an Agent or an
    identified Group, each with exactly one IFI. BadRequest otherwise."""
    try:
        agent = json.loads(raw, parse_float=finite_float, parse_constant=no_constant)
    except (ValueError, TypeError, RecursionError):
        raise BadRequest(CODE, f"{name}: must be a JSON Agent object") from None
    check_storable_text(agent, name)
    if not isinstance(agent, dict):
        raise BadRequest(CODE, f"{name}: must be a JSON Agent object")
    check_identified_actor(agent, name)
    return agent
