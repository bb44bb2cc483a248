"""The document resources: State (``/activities/state``), Activity Profile
(``/activities/profile``) and Agent Profile (``/agents/profile``), xAPI 1.0.3 Communication
§2.2-2.3, §2.6-2.7 / 9274.1.1 §4.1.6.2, §4.1.6.5-6. Storage rules: :mod:`document_store`.

Who may touch what (Communication §4 leaves it to the LRS):

- State and Agent Profile belong to an agent: a caller bound to an actor (a learner's token, a
  launch token) reaches only its own agent's documents.
- A launch token is bound to one registration: state of another registration is refused; state
  without a registration is the learner's own (content keeps bookmarks so) and is allowed.
- An Activity Profile is shared by everyone who meets the activity: every caller may read it,
  only unrestricted callers (platform, admin) may write it, so no learner changes what others
  read.
- cmi5 ``LMS.LaunchData`` (cmi5 §10.2.1) is written by the LMS only: a restricted caller's
  write is a 403. A launch token reading it for its own registration and AU, when no document
  is stored, gets the one built from its launch session.

Any other breach is a 403; bad or unknown parameters are a 400 (Communication §3.2).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from content.models import PackageVersion
from service.core.errors import BadRequest, Forbidden
from service.core.timeutil import as_utc
from service.lrs import document_store as store
from service.lrs.access import LrsCaller
from service.lrs.identifiers import agent_key
from service.lrs.validation import is_iri, parse_agent_param, parse_registration, parse_timestamp
from service.packages.enrollment_launch import LAUNCH_DATA, find_session, launch_data

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
CODE = "xapi-bad-parameter"

# Per resource: the parameters it knows and the name of its document id.
_PARAMS = {
    STATE: (frozenset({"activityId", "agent", "registration", "stateId", "since"}), "stateId"),
    ACTIVITY_PROFILE: (frozenset({"activityId", "profileId", "since"}), "profileId"),
    AGENT_PROFILE: (frozenset({"agent", "profileId", "since"}), "profileId"),
}
# Bytes allowed per key part; together they stay under PostgreSQL's btree entry limit.
_MAX_KEY_BYTES = {"activityId": 1000, "agent": 600, "stateId": 400, "profileId": 400}


@dataclass(frozen=True)
class Target:
    """What a document request names: the set of documents and, maybe, one of them."""

    scope: store.Scope
    document_id: str | None
    agent: dict | None = None
    registration: uuid.UUID | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class Document:
    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True)
class DocumentIds:
    ids: list[str]
    updated: datetime | None


def parse_target(kind: str, params: Sequence[tuple[str, str]], method: str) -> Target:
    """Checks a request's query parameters (names are case-sensitive, each at most once)."""
    known, id_name = _PARAMS[kind]
    values: dict[str, str] = {}
    for name, value in params:
        if name not in known:
            raise BadRequest(CODE, f"Unknown parameter {name[:40]!r} for this resource.")
        if name in values:
            raise BadRequest(CODE, f"The parameter {name} is given more than once.")
        values[name] = value
    single = method in ("PUT", "POST") or (method == "DELETE" and kind != STATE)
    document_id = values.get(id_name) or None
    if single and document_id is None:
        raise BadRequest(CODE, f"The parameter {id_name} is required.")
    since = None
    if "since" in values:
        if method not in ("GET", "HEAD"):
            raise BadRequest(CODE, "since applies only to a GET of the list of ids.")
        try:
            since = parse_timestamp(values["since"])
        except BadRequest:
            raise BadRequest(CODE, "since is not an ISO 8601 timestamp.") from None
    activity_id = ""
    if "activityId" in known:
        activity_id = values.get("activityId", "")
        if not is_iri(activity_id):
            raise BadRequest(CODE, "activityId is required and must be an IRI.")
    agent = None
    if "agent" in known:
        if "agent" not in values:
            raise BadRequest(CODE, "The parameter agent is required.")
        agent = parse_agent(values["agent"])
    registration = None
    if values.get("registration") is not None:
        registration = parse_registration(values["registration"])
    scope = store.Scope(
        kind=kind,
        activity_id=activity_id,
        agent_key=(agent_key(agent) or "") if agent is not None else "",
        registration=str(registration) if registration else "",
    )
    _bounded("activityId", scope.activity_id)
    _bounded("agent", scope.agent_key)
    _bounded(id_name, document_id or "")
    return Target(scope, document_id, agent, registration, since)


def _bounded(name: str, value: str) -> None:
    """The key parts share one unique index, whose entries PostgreSQL caps near 2.7 kB."""
    if len(value.encode()) > _MAX_KEY_BYTES[name] or "\x00" in value:
        raise BadRequest(CODE, f"{name} is too long or holds a NUL character.")


def parse_agent(raw: str) -> dict:
    """An Agent (or identified Group) given as JSON: one inverse functional identifier."""
    agent = parse_agent_param(raw)
    key = agent_key(agent)
    if key is None:
        raise BadRequest(CODE, "agent must name an Agent by mbox, mbox_sha1sum, openid or account.")
    if "\x00" in key:
        raise BadRequest(CODE, "agent holds a NUL character.")
    return agent


def _authorize(caller: LrsCaller, target: Target, write: bool) -> None:
    actor = caller.actor
    if (
        actor is not None
        and target.agent is not None
        and target.scope.agent_key != agent_key(actor)
    ):
        raise Forbidden("forbidden", "These credentials reach only their own agent's documents.")
    bound = caller.registration
    if bound is not None and target.registration not in (None, bound):
        raise Forbidden("forbidden", "These credentials are for another registration.")
    if write and not caller.unrestricted:
        if target.scope.kind == ACTIVITY_PROFILE:
            raise Forbidden("forbidden", "Only the platform may write activity profiles.")
        if target.scope.kind == STATE and target.document_id == LAUNCH_DATA:
            raise Forbidden("forbidden", "LMS.LaunchData is written by the LMS only (cmi5 §10).")


def _launch_data(session: Session, caller: LrsCaller, target: Target) -> Document | None:
    """cmi5 ``LMS.LaunchData`` of the caller's launch session, when the request is for it."""
    if target.scope.kind != STATE or target.document_id != LAUNCH_DATA:
        return None
    if caller.launch_session_id is None or caller.registration is None:
        return None
    row = find_session(session, caller.launch_session_id)
    if row is None or row.registration != caller.registration:
        return None
    if (row.activity_id or row.au_id) != target.scope.activity_id:  # the launch's activityId
        return None
    version = session.get(PackageVersion, row.package_version_id)
    if version is None:
        return None
    body = json.dumps(launch_data(row, version), ensure_ascii=False).encode()
    return Document(body, store.JSON_TYPE, store.etag_of(body), as_utc(row.created_at))


def get_document(session: Session, caller: LrsCaller, target: Target) -> Document | None:
    """One document (``target.document_id`` set), or None when there is none."""
    _authorize(caller, target, write=False)
    assert target.document_id is not None
    row = store.find(session, target.scope, target.document_id)
    if row is None:
        return _launch_data(session, caller, target)
    return Document(row.content, row.content_type, row.etag, as_utc(row.updated))


def list_documents(session: Session, caller: LrsCaller, target: Target) -> DocumentIds:
    """The ids of the documents of ``target.scope`` (stored after ``target.since``)."""
    _authorize(caller, target, write=False)
    ids, latest = store.list_ids(session, target.scope, target.since)
    return DocumentIds(ids, as_utc(latest) if latest else None)


def put_document(
    session: Session,
    caller: LrsCaller,
    target: Target,
    content: bytes,
    content_type: str | None,
    conditions: store.Conditions,
    version: str,
    now: datetime,
) -> None:
    """PUT. Concurrency headers: 1.0.3 requires them for profiles and exempts State
    (Communication §3.1); 2.0 requires them over an existing document of any kind (9274.1.1
    §4.1.4)."""
    _authorize(caller, target, write=True)
    assert target.document_id is not None
    if not version.startswith("1."):
        rule = store.TO_OVERWRITE
    else:
        rule = store.OPTIONAL if target.scope.kind == STATE else store.ALWAYS
    store.put(
        session,
        target.scope,
        target.document_id,
        content,
        store.clean_content_type(content_type),
        conditions,
        now,
        rule=rule,
    )


def post_document(
    session: Session,
    caller: LrsCaller,
    target: Target,
    content: bytes,
    content_type: str | None,
    conditions: store.Conditions,
    now: datetime,
) -> None:
    _authorize(caller, target, write=True)
    assert target.document_id is not None
    store.post(
        session,
        target.scope,
        target.document_id,
        content,
        store.clean_content_type(content_type),
        conditions,
        now,
    )


def delete_documents(
    session: Session, caller: LrsCaller, target: Target, conditions: store.Conditions
) -> None:
    """DELETE one document, or (State without ``stateId``) every document of the scope."""
    _authorize(caller, target, write=True)
    if target.document_id is not None:
        store.remove(session, target.scope, target.document_id, conditions)
        return
    keep = () if caller.unrestricted else (LAUNCH_DATA,)
    store.remove_all(session, target.scope, keep)
