"""Keys that identify agents and groups (xAPI Data §2.4.2.1-2.4.2.3 / 9274.1.1 §5.2.2).

An Agent or identified Group is named by exactly one inverse functional identifier (IFI):
``mbox``, ``mbox_sha1sum``, ``openid`` or ``account``. Two are "the same" when they use the same
IFI and have the same ``objectType`` (an omitted objectType on an actor means Agent). The key is
a plain string, so the query API can index it.
"""

from __future__ import annotations

from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_key(agent: dict[str, Any]) -> str | None:
    """``mbox:mailto:a@b``, ``mbox_sha1sum:<hex>``, ``openid:<uri>``, ``account:<homePage> <name>``;
    None for an anonymous group (no IFI). Assumes the agent has passed validation."""
    for prop in IFI_PROPERTIES:
        value = agent.get(prop)
        if value is None:
            continue
        if prop == "account":
            return f"account:{value.get('homePage')} {value.get('name')}"
        return f"{prop}:{value}"
    return None


def agent_key(agent: dict[str, Any]) -> str | None:
    """``Agent|<ifi>`` or ``Group|<ifi>``; None when the object has no IFI."""
    ifi = ifi_key(agent)
    if ifi is None:
        return None
    kind = "Group" if agent.get("objectType") == "Group" else "Agent"
    return f"{kind}|{ifi}"
