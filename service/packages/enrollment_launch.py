"""Launching a published package *for an enrollment*, so it reports to our LRS subset.

cmi5 (spec section 8): the AU opens at its signed ``/content/<grant>/<path>`` URL (its own query
string kept) with ``endpoint``, ``fetch``, ``actor``, ``registration`` and ``activityId``
appended, each value URL-encoded. The fetch URL is one-time: its first POST answers
``{"auth-token": ...}``; later or expired calls answer HTTP 200 with ``error-code`` "1"
(already in use or expired), an unknown code "2" (security error) (8.2.3). The auth token is
``base64("launch:" + <JWT typ=xapi-launch>)``, sent by the AU as ``Authorization: Basic
<token>``; it is honoured only by the ``/xAPI`` routes and only for its one registration.

xAPI/TinCan launch: ``endpoint``, ``auth`` (``Basic <token>``), ``actor``, ``registration`` and
``activity_id`` are appended; there is no fetch step, so the launch session is marked fetched.

The actor is an account Agent named by the learner's ``subject_id`` (no name, no ID number).
The activity id handed out is the AU's (publisher) id from the course structure.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from sqlalchemy import update
from sqlmodel import Session, select

from content.formats.model import CMI5, XAPI
from content.models import Package, PackageVersion
from content.versions import latest_published
from service.accounts.access import Principal
from service.accounts.models import User
from service.accounts.tokens import TokenError, decode_token, issue_token
from service.core.errors import Conflict, Invalid
from service.core.settings import Settings
from service.core.timeutil import as_utc
from service.packages.launch import content_url
from service.packages.launch_models import LaunchSession
from service.training.access import ensure_can_act_for
from service.training.errors import not_found
from service.training.models import Enrollment, Learner, Offering
from service.training.states import is_active

LAUNCH_TOKEN_TYP = "xapi-launch"  # noqa: S105 - a token type, not a secret
TOKEN_PREFIX = "launch:"  # noqa: S105 - a fixed prefix, not a secret
SESSION_ID_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_DATA = "LMS.LaunchData"


@dataclass(frozen=True)
class LaunchResult:
    url: str
    unit_id: str | None
    session: LaunchSession | None


@dataclass(frozen=True)
class EnrollmentLaunch:
    result: LaunchResult
    package_id: uuid.UUID
    version: PackageVersion
    registration: uuid.UUID
    expires_at: datetime


def base_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/")


def actor_for(settings: Settings, learner: Learner) -> dict:
    return {
        "objectType": "Agent",
        "account": {"homePage": base_url(settings), "name": str(learner.subject_id)},
    }


def _flatten(units: list) -> list[dict]:
    out: list[dict] = []
    for unit in units or []:
        out.append(unit)
        out.extend(_flatten(unit.get("children") or []))
    return out


def pick_unit(version: PackageVersion, unit_id: str | None) -> dict:
    """The AU (cmi5) or activity (xAPI) to launch: ``unit_id``, else the package's entry."""
    kind = "au" if version.format == CMI5 else "activity"
    units = [u for u in _flatten(version.units) if u.get("kind") == kind and u.get("launch")]
    if unit_id is not None:
        for unit in units:
            if unit["id"] == unit_id:
                return unit
        raise Invalid("unknown-unit", "unit_id names no launchable unit of this version.")
    if version.format == XAPI:
        entry = next((u for u in units if u["launch"] == version.launch), None)
        if entry is not None:
            return entry
    if not units:
        raise Conflict("no-launch", "This version has no launchable unit.")
    return units[0]


def with_params(url: str, params: dict[str, str]) -> str:
    """Append ``params`` to ``url``'s query (kept), each value percent-encoded."""
    parts = urlsplit(url)
    extra = urlencode(params, quote_via=quote, safe="")
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _new_session(
    session: Session,
    enrollment: Enrollment,
    version: PackageVersion,
    unit: dict,
    created_by: uuid.UUID,
    now: datetime,
    ttl: int,
    return_url: str | None,
    fetched: bool,
) -> LaunchSession:
    row = LaunchSession(
        enrollment_id=enrollment.id,
        registration=enrollment.registration,
        package_version_id=version.id,
        au_id=unit["id"],
        fetch_code=secrets.token_urlsafe(32),
        fetched_at=now if fetched else None,
        expires_at=now + timedelta(seconds=ttl),
        return_url=return_url,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def issue_auth_token(settings: Settings, user: User, row: LaunchSession) -> str:
    """``base64("launch:" + JWT)``: the value an AU sends as ``Authorization: Basic <...>``."""
    jwt_text, _ = issue_token(
        settings,
        typ=LAUNCH_TOKEN_TYP,
        user_id=user.id,
        role=user.role,
        org_id=user.organization_id,
        ttl_seconds=settings.launch_ttl_seconds,
        extra={"reg": str(row.registration), "ses": str(row.session_id)},
    )
    return base64.b64encode(f"{TOKEN_PREFIX}{jwt_text}".encode()).decode()


def read_auth_token(settings: Settings, token: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(user id, registration, session id) of a launch auth token; TokenError if not valid."""
    try:
        text = base64.b64decode(token.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("The launch token is not valid.") from exc
    if not text.startswith(TOKEN_PREFIX):
        raise TokenError("The launch token is not valid.")
    claims = decode_token(settings, text[len(TOKEN_PREFIX) :], expected_typ=LAUNCH_TOKEN_TYP)
    try:
        return (
            claims.subject,
            uuid.UUID(str(claims.extra["reg"])),
            uuid.UUID(str(claims.extra["ses"])),
        )
    except (KeyError, ValueError) as exc:
        raise TokenError("The launch token is not valid.") from exc


def build_launch(
    session: Session,
    settings: Settings,
    *,
    enrollment: Enrollment,
    learner: Learner,
    version: PackageVersion,
    launcher: User,
    unit_id: str | None,
    return_url: str | None,
    now: datetime,
) -> LaunchResult:
    """The launch URL for this enrollment (caller commits)."""
    if version.format not in (CMI5, XAPI):
        if not version.launch:
            raise Conflict("no-launch", "This version has no launch file.")
        return LaunchResult(content_url(settings, version, version.launch), None, None)
    unit = pick_unit(version, unit_id)
    actor = json.dumps(actor_for(settings, learner), separators=(",", ":"))
    endpoint = f"{base_url(settings)}/xAPI/"
    au_url = content_url(settings, version, unit["launch"])
    ttl = settings.launch_ttl_seconds
    if version.format == CMI5:
        row = _new_session(
            session, enrollment, version, unit, launcher.id, now, ttl, return_url, fetched=False
        )
        params = {
            "endpoint": endpoint,
            "fetch": f"{base_url(settings)}/cmi5/fetch/{row.fetch_code}",
            "actor": actor,
            "registration": str(enrollment.registration),
            "activityId": unit["id"],
        }
    else:
        row = _new_session(
            session, enrollment, version, unit, launcher.id, now, ttl, return_url, fetched=True
        )
        params = {
            "endpoint": endpoint,
            "auth": f"Basic {issue_auth_token(settings, launcher, row)}",
            "actor": actor,
            "registration": str(enrollment.registration),
            "activity_id": unit["id"],
        }
    return LaunchResult(with_params(au_url, params), unit["id"], row)


def fetch_auth_token(session: Session, settings: Settings, code: str, now: datetime) -> dict:
    """The cmi5 fetch URL's answer (8.2): the token once, then error documents (caller commits)."""
    row = session.exec(select(LaunchSession).where(LaunchSession.fetch_code == code)).first()
    if row is None:
        return {"error-code": "2", "error-text": "The fetch URL is not valid."}
    if row.fetched_at is not None:
        return {"error-code": "1", "error-text": "The authorization token was already returned."}
    if as_utc(row.expires_at) <= now:
        return {"error-code": "1", "error-text": "The launch session has expired."}
    # Conditional update: of two concurrent fetches exactly one gets the token.
    taken = session.execute(
        update(LaunchSession)
        .where(LaunchSession.id == row.id, LaunchSession.fetched_at.is_(None))
        .values(fetched_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return {"error-code": "1", "error-text": "The authorization token was already returned."}
    user = session.get(User, row.created_by) if row.created_by else None
    if user is None or not user.is_active:
        return {"error-code": "2", "error-text": "The launching account is not active."}
    return {"auth-token": issue_auth_token(settings, user, row)}


def launch_data(row: LaunchSession, version: PackageVersion) -> dict:
    """The cmi5 ``LMS.LaunchData`` state document (section 10) of a launch session."""
    unit = next((u for u in _flatten(version.units) if u.get("id") == row.au_id), {})
    doc: dict = {
        "contextTemplate": {
            "contextActivities": {"grouping": [{"id": row.au_id}]},
            "extensions": {SESSION_ID_EXTENSION: str(row.session_id)},
        },
        "launchMode": "Normal",
        "moveOn": unit.get("move_on") or "NotApplicable",
    }
    if unit.get("mastery_score") is not None:
        doc["masteryScore"] = unit["mastery_score"]
    if unit.get("parameters"):
        doc["launchParameters"] = unit["parameters"]
    if row.return_url:
        doc["returnURL"] = row.return_url
    return doc


def find_session(session: Session, session_id: uuid.UUID) -> LaunchSession | None:
    return session.exec(select(LaunchSession).where(LaunchSession.session_id == session_id)).first()


def _package_ids(offering: Offering) -> list[uuid.UUID]:
    out = []
    for raw in offering.package_ids or []:
        try:
            out.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return out


def launch_for_enrollment(
    session: Session,
    settings: Settings,
    principal: Principal,
    enrollment_id: uuid.UUID,
    *,
    package_id: uuid.UUID | None,
    unit_id: str | None,
    return_url: str | None,
    now: datetime,
) -> EnrollmentLaunch:
    """Opens a package of the enrollment's offering (the offering's first one by default) with
    the launch parameters its format needs; the learner or the platform acting for them."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("Enrollment")
    learner = session.get(Learner, enrollment.learner_id)
    assert learner is not None  # enrollment.learner_id is a foreign key
    ensure_can_act_for(principal, learner)
    if not is_active(enrollment.state):
        raise Conflict(
            "enrollment-not-active",
            f"The enrollment is {enrollment.state}; only an active one can be launched.",
            current_state=enrollment.state,
        )
    offering = session.get(Offering, enrollment.offering_id)
    assert offering is not None  # enrollment.offering_id is a foreign key
    allowed = _package_ids(offering)
    package_id = package_id or (allowed[0] if allowed else None)
    if package_id is None:
        raise Conflict("no-package", "This offering has no course package.")
    if package_id not in allowed:
        raise Conflict("package-not-in-offering", "This offering does not use that package.")
    package = session.get(Package, package_id)
    version = latest_published(session, package_id) if package is not None else None
    if version is None:
        raise Conflict("not-published", "This package has no published version.")
    launcher = session.get(User, principal.user_id)
    assert launcher is not None  # the principal was loaded from this row
    result = build_launch(
        session,
        settings,
        enrollment=enrollment,
        learner=learner,
        version=version,
        launcher=launcher,
        unit_id=unit_id,
        return_url=return_url,
        now=now,
    )
    return EnrollmentLaunch(
        result=result,
        package_id=package_id,
        version=version,
        registration=enrollment.registration,
        expires_at=now + timedelta(seconds=settings.launch_ttl_seconds),
    )
