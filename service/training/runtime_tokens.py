"""SCORM runtime tokens: what the player on the content origin sends with its commits.

The player runs on another origin than the API (no cookies, no access token of the learner), so
each launch hands it a short-lived PyJWT token of its own type, ``scorm-runtime``. Because every
other route decodes with ``typ`` "access" required, this token is refused everywhere except the
two runtime routes (commit and runtime state), which also check that it names their enrolment.
It carries ids only (user, enrolment, launch session), never personal data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.accounts.tokens import TokenError, decode_token, issue_token
from service.core.settings import Settings

RUNTIME_TOKEN_TYP = "scorm-runtime"  # noqa: S105 - a token type, not a secret

__all__ = [
    "RUNTIME_TOKEN_TYP",
    "RuntimeGrant",
    "TokenError",
    "issue_runtime_token",
    "read_runtime_token",
]


@dataclass(frozen=True, slots=True)
class RuntimeGrant:
    """Who may commit for which enrolment, from which launch session."""

    user_id: uuid.UUID
    enrollment_id: uuid.UUID
    launch_session_id: uuid.UUID


def issue_runtime_token(
    settings: Settings,
    *,
    user_id: uuid.UUID,
    role: str,
    org_id: uuid.UUID | None,
    enrollment_id: uuid.UUID,
    launch_session_id: uuid.UUID,
) -> str:
    """A ``scorm-runtime`` token for one enrolment, valid for ``settings.launch_ttl_seconds``."""
    token, _ = issue_token(
        settings,
        typ=RUNTIME_TOKEN_TYP,
        user_id=user_id,
        role=role,
        org_id=org_id,
        ttl_seconds=settings.launch_ttl_seconds,
        extra={"enr": str(enrollment_id), "ses": str(launch_session_id)},
    )
    return token


def read_runtime_token(settings: Settings, token: str) -> RuntimeGrant:
    """The grant in a runtime token; :class:`TokenError` when it is not a valid one."""
    claims = decode_token(settings, token.strip(), expected_typ=RUNTIME_TOKEN_TYP)
    try:
        return RuntimeGrant(
            claims.subject,
            uuid.UUID(str(claims.extra["enr"])),
            uuid.UUID(str(claims.extra["ses"])),
        )
    except (KeyError, ValueError) as exc:
        raise TokenError("The runtime token is not valid.") from exc
