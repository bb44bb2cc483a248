"""Who is calling the LRS and what they may touch (xAPI 1.0.3 Communication §4 / 9274.1.1 §9).

- A platform or admin (API key over HTTP Basic, or a bearer token): every statement and document.
- A learner's bearer token: only statements whose actor is that learner.
- A package's launch token (cmi5 fetch / TinCan ``auth``): only its registration and actor.

``authority`` is what the LRS writes into each statement it stores (xAPI Data §2.4.9): the
account of the key or user that sent it, never a value the client chose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.accounts.access import Principal
from service.accounts.models import Role

READ_ALL_ROLES = frozenset({Role.platform, Role.admin})
LRS_ROLES = frozenset({Role.platform, Role.admin, Role.learner})


@dataclass(frozen=True)
class LrsCaller:
    principal: Principal
    authority: dict
    # Launch token: the one registration it may write and read; None otherwise.
    registration: uuid.UUID | None = None
    # Learner or launch token: the only actor its statements may have; None for the platform.
    actor: dict | None = None
    launch_session_id: uuid.UUID | None = None

    @property
    def unrestricted(self) -> bool:
        return self.actor is None and self.registration is None


def authority_for(homepage: str, name: str) -> dict:
    return {"objectType": "Agent", "account": {"homePage": homepage, "name": name}}
