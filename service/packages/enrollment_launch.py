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

cmi5 LMS duties at launch: the ``activityId`` is LMS-generated (8.1.5,
:mod:`service.packages.cmi5_ids`), the AU's publisher id goes into the context template's
grouping (9.6.2.3), and the launch mode is decided here (10): Review when the enrolment is
completed or the AU already met its moveOn, Browse when the launcher asks for it, else Normal.
The "Launched" statement (9.3.1) is written through the LRS by the listeners registered with
:func:`on_cmi5_launch` (the LRS is a higher layer; ``service.wiring`` connects them).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable
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
from service.packages import player
from service.packages.cmi5_ids import generated_id
from service.packages.cmi5_moveon import au_done
from service.packages.cmi5_progress import au_state
from service.packages.launch import content_url
from service.packages.launch_models import LaunchSession
from service.training.access import ensure_can_act_for
from service.training.errors import not_found
from service.training.models import Enrollment, Learner, Offering
from service.training.runtime_tokens import issue_runtime_token
from service.training.states import EnrollmentState, is_active

LAUNCH_TOKEN_TYP = "xapi-launch"  # noqa: S105 - a token type, not a secret
TOKEN_PREFIX = "launch:"  # noqa: S105 - a fixed prefix, not a secret
SESSION_ID_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_DATA = "LMS.LaunchData"
NORMAL, BROWSE, REVIEW = "Normal", "Browse", "Review"


@dataclass(frozen=True)
class LaunchResult:
    url: str
    unit_id: str | None
    session: LaunchSession | None


@dataclass(frozen=True)
class Cmi5Launch:
    """What the LMS knows of a cmi5 launch when it records "Launched" (cmi5 9.3.1)."""

    session: LaunchSession
    enrollment: Enrollment
    version: PackageVersion
    unit: dict
    actor: dict
    au_url: str  # the AU's URL without the cmi5 launch parameters (9.6.3.4 launchURL)
    launcher: User
    now: datetime


Cmi5LaunchListener = Callable[[Session, Settings, Cmi5Launch], None]
_cmi5_listeners: list[Cmi5LaunchListener] = []


def on_cmi5_launch(listener: Cmi5LaunchListener) -> None:
    """Calls ``listener`` in the transaction of every cmi5 launch, before the URL is handed out."""
    if listener not in _cmi5_listeners:
        _cmi5_listeners.append(listener)


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


def pick_unit(version: PackageVersion, unit_id: str | None) -> dict:
    """The AU (cmi5) or activity (xAPI) to launch: ``unit_id``, else the package's entry."""
    kind = "au" if version.format == CMI5 else "activity"
    units = [u for u in version.all_units() if u.get("kind") == kind and u.get("launch")]
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
    *,
    activity_id: str | None = None,
    launch_mode: str | None = None,
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
        format=version.format or "",
        activity_id=activity_id,
        launch_mode=launch_mode,
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


def _scorm_launch(
    session: Session,
    settings: Settings,
    enrollment: Enrollment,
    version: PackageVersion,
    launcher: User,
    unit_id: str | None,
    return_url: str | None,
    now: datetime,
) -> LaunchResult:
    """SCORM: the player URL, with a launch session and the runtime token its commits carry.
    ``unit_id`` (an item identifier) opens that SCO; without it the player starts where the
    learner left off, else at the first item (SCORM CAM 2.3.4, manifest order)."""
    items = player.scorm_items(version)
    if not items:
        raise Conflict("no-launch", "This version has no launch file.")
    if unit_id is not None and unit_id not in {item["id"] for item in items}:
        raise Invalid("unknown-unit", "unit_id names no launchable item of this version.")
    unit = {"id": unit_id or items[0]["id"]}
    row = _new_session(
        session,
        enrollment,
        version,
        unit,
        launcher.id,
        now,
        settings.launch_ttl_seconds,
        return_url,
        fetched=True,  # there is no cmi5 fetch step: the token is in the player's fragment
    )
    token = issue_runtime_token(
        settings,
        user_id=launcher.id,
        role=launcher.role,
        org_id=launcher.organization_id,
        enrollment_id=enrollment.id,
        launch_session_id=row.session_id,
    )
    grant = player.new_grant(settings, version)
    config = player.scorm_config(
        settings,
        version,
        grant,
        enrollment_id=str(enrollment.id),
        token=token,
        start=unit_id,
        return_url=return_url,
    )
    return LaunchResult(player.player_url(settings, version, config), unit["id"], row)


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
    launch_mode: str | None = None,
) -> LaunchResult:
    """The launch URL for this enrollment (caller commits). ``launch_mode``: cmi5 only, "Browse"
    asks for a launch that records no completion (cmi5 10)."""
    if version.format in player.SCORM_FORMATS:
        return _scorm_launch(
            session, settings, enrollment, version, launcher, unit_id, return_url, now
        )
    if version.format not in (CMI5, XAPI):
        if not version.launch:
            raise Conflict("no-launch", "This version has no launch file.")
        return LaunchResult(content_url(settings, version, version.launch), None, None)
    unit = pick_unit(version, unit_id)
    actor_doc = actor_for(settings, learner)
    actor = json.dumps(actor_doc, separators=(",", ":"))
    endpoint = f"{base_url(settings)}/xAPI/"
    au_url = content_url(settings, version, unit["launch"])
    ttl = settings.launch_ttl_seconds
    if version.format == CMI5:
        activity_id = generated_id(settings, version.package_id, "au", unit["id"])
        mode = cmi5_launch_mode(session, enrollment, unit, activity_id, launch_mode)
        row = _new_session(
            session,
            enrollment,
            version,
            unit,
            launcher.id,
            now,
            ttl,
            return_url,
            fetched=False,
            activity_id=activity_id,
            launch_mode=mode,
        )
        params = {
            # Without the trailing slash: cmi5 AU libraries (Rustici's cmi5.js, used by
            # CATAPULT's courses) append "/statements" etc. to it as given, and libraries
            # that expect a slash (TinCanJS, xAPIWrapper) add one when it is missing.
            "endpoint": endpoint.rstrip("/"),
            "fetch": f"{base_url(settings)}/cmi5/fetch/{row.fetch_code}",
            "actor": actor,
            "registration": str(enrollment.registration),
            "activityId": activity_id,
        }
        launched = Cmi5Launch(row, enrollment, version, unit, actor_doc, au_url, launcher, now)
        for listener in _cmi5_listeners:  # "Launched" is recorded before the AU opens (9.3.1)
            listener(session, settings, launched)
    else:
        row = _new_session(
            session,
            enrollment,
            version,
            unit,
            launcher.id,
            now,
            ttl,
            return_url,
            fetched=True,
            activity_id=unit["id"],
        )
        params = {
            "endpoint": endpoint,
            "auth": f"Basic {issue_auth_token(settings, launcher, row)}",
            "actor": actor,
            "registration": str(enrollment.registration),
            "activity_id": unit["id"],
        }
    return LaunchResult(with_params(au_url, params), unit["id"], row)


def cmi5_launch_mode(
    session: Session,
    enrollment: Enrollment,
    unit: dict,
    activity_id: str,
    requested: str | None,
) -> str:
    """cmi5 10 launchMode: Review once the enrolment is completed or the AU is done (its moveOn
    met by what it reported, or waived), else Browse when asked for, else Normal."""
    if enrollment.state == EnrollmentState.COMPLETED:
        return REVIEW
    if au_done(unit.get("move_on"), au_state(session, enrollment.registration, activity_id)):
        return REVIEW
    return BROWSE if requested == BROWSE else NORMAL


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


def find_unit(version: PackageVersion, unit_id: str) -> dict:
    return next((u for u in version.all_units() if u.get("id") == unit_id), {})


def context_template(row: LaunchSession) -> dict:
    """cmi5 10 contextTemplate: the session id extension (9.6.3.1) and the AU's publisher id in
    the grouping context activities (9.6.2.3)."""
    return {
        "contextActivities": {"grouping": [{"objectType": "Activity", "id": row.au_id}]},
        "extensions": {SESSION_ID_EXTENSION: str(row.session_id)},
    }


def launch_data(row: LaunchSession, version: PackageVersion) -> dict:
    """The cmi5 ``LMS.LaunchData`` state document (section 10) of a launch session.

    ``entitlementKey.courseStructure`` is the AU's ``<entitlementKey>`` from the course
    structure (the LMS must obtain it there), or "" when the structure declares none; the LMS
    has no agreed ``alternate`` source, so none is given."""
    unit = find_unit(version, row.au_id)
    doc: dict = {
        "contextTemplate": context_template(row),
        "launchMode": row.launch_mode or NORMAL,
        "moveOn": unit.get("move_on") or "NotApplicable",
        "entitlementKey": {"courseStructure": unit.get("entitlement_key") or ""},
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


def _not_active(enrollment: Enrollment) -> Conflict:
    return Conflict(
        "enrollment-not-active",
        f"The enrollment is {enrollment.state}; only an active one can be launched.",
        current_state=enrollment.state,
    )


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
    launch_mode: str | None = None,
) -> EnrollmentLaunch:
    """Opens a package of the enrollment's offering (the offering's first one by default) with
    the launch parameters its format needs; the learner or the platform acting for them. A
    completed enrolment may still open a cmi5 course, in Review mode (cmi5 10 launchMode)."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise not_found("Enrollment")
    learner = session.get(Learner, enrollment.learner_id)
    assert learner is not None  # enrollment.learner_id is a foreign key
    ensure_can_act_for(principal, learner)
    reviewing = enrollment.state == EnrollmentState.COMPLETED
    if not is_active(enrollment.state) and not reviewing:
        raise _not_active(enrollment)
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
    if reviewing and version.format != CMI5:
        raise _not_active(enrollment)
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
        launch_mode=launch_mode,
    )
    return EnrollmentLaunch(
        result=result,
        package_id=package_id,
        version=version,
        registration=enrollment.registration,
        expires_at=now + timedelta(seconds=settings.launch_ttl_seconds),
    )
