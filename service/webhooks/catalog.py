"""The event types an endpoint may subscribe to, and who may see which event.

Visibility is decided here and only here (``visible``), so another kind of subscriber (an
employer scope) is one more branch:

- ``admin``: every event;
- ``platform`` (the smart education platform, acting for learners): enrolment and credential
  events of every organization; not package or import events, which are organizations' own
  back-office work;
- ``org_admin``: the events of its own organization (enrolments in its offerings, credentials
  from its offerings, its package versions, its imports). Credentials issued by hand on another
  basis (no enrolment) belong to no organization: only administrators see them;
- ``employer`` (an enterprise's HR staff): a change of status (revoked, suspended, reinstated)
  of a credential that a learner shared with its organization and has not withdrawn, checked
  when the event is fanned out (``service.webhooks.fanout``): what the person chose to share.
"""

from __future__ import annotations

import uuid

ADMIN, ORG_ADMIN, PLATFORM, EMPLOYER = "admin", "org_admin", "platform", "employer"
SUBSCRIBER_ROLES = frozenset({ADMIN, ORG_ADMIN, PLATFORM, EMPLOYER})
# roles whose endpoints belong to (and see through) their organization
ORGANIZATION_ROLES = frozenset({ORG_ADMIN, EMPLOYER})

EVENT_TYPES: dict[str, str] = {
    "enrollment.created": "A learner was enrolled in an offering.",
    "enrollment.completed": "An enrolment was completed (one person-time).",
    "credential.issued": "A micro-credential was issued.",
    "credential.revoked": "A credential was revoked.",
    "credential.suspended": "A credential was suspended.",
    "credential.reinstated": "A suspended credential was reinstated.",
    "package_version.ready": "An uploaded package version passed ingest and can be published.",
    "package_version.rejected": "An uploaded package version was rejected (see its reasons).",
    "import.finished": "A spreadsheet import finished (done, refused or failed).",
}
_PLATFORM_PREFIXES = ("enrollment.", "credential.")
EMPLOYER_TYPES = ("credential.revoked", "credential.suspended", "credential.reinstated")


def types_for(role: str) -> list[str]:
    """The event types ``role`` may subscribe to."""
    if role == PLATFORM:
        return [t for t in EVENT_TYPES if t.startswith(_PLATFORM_PREFIXES)]
    if role in (ADMIN, ORG_ADMIN):
        return list(EVENT_TYPES)
    if role == EMPLOYER:
        return list(EMPLOYER_TYPES)
    return []


def visible(
    role: str,
    endpoint_org: uuid.UUID | None,
    event_type: str,
    event_org: uuid.UUID | None,
) -> bool:
    """May an endpoint owned by ``role`` (of ``endpoint_org``) receive this event? For an
    employer this is only the first half: the credential must also be shared with it."""
    if role == ADMIN:
        return True
    if role == PLATFORM:
        return event_type.startswith(_PLATFORM_PREFIXES)
    if role == ORG_ADMIN:
        return event_org is not None and event_org == endpoint_org
    if role == EMPLOYER:
        return event_type in EMPLOYER_TYPES and endpoint_org is not None
    return False
