"""The statements the LMS itself records for cmi5 (Launched, Satisfied, Abandoned, Waived), and
the credentials it records them with.

Every one is "cmi5 defined" (cmi5 7.1.3): the cmi5 category activity (9.6.2.1), the
registration (9.6.1), the session id extension (9.6.3.1) and the publisher id in the grouping
context activities (9.6.2.3); a statement whose result holds ``success`` or ``completion`` also
carries the moveOn category (9.6.2.2). The actor is the one handed to the AU at launch (9.2),
the authority is the LMS (the LRS sets it from the caller, xAPI Data 2.4.9).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import cast

from service.accounts.access import Principal
from service.core.settings import Settings
from service.lrs.access import LrsCaller, authority_for
from service.training.xapi_mapping import (  # noqa: F401 - the cmi5 vocabulary, re-exported
    ABANDONED,
    ADL,
    CMI5_CATEGORY,
    LAUNCHED,
    SATISFIED,
    WAIVED,
)

MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_ID = EXT + "sessionid"  # cmi5 9.6.3.1
LAUNCH_MODE = EXT + "launchmode"
LAUNCH_URL = EXT + "launchurl"
MOVE_ON = EXT + "moveon"
LAUNCH_PARAMETERS = EXT + "launchparameters"
MASTERY_SCORE = EXT + "masteryscore"
REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
ACTIVITY_TYPE = "https://w3id.org/xapi/cmi5/activitytype/"
WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")
LMS_ACCOUNT = "lms"
XAPI_VERSION = "1.0.3"  # cmi5 is a profile of xAPI 1.0.3


def lms_caller(settings: Settings, user_id: uuid.UUID | None) -> LrsCaller:
    """The LMS as an LRS client: unrestricted, authority ``{public}`` account "lms".
    ``user_id`` is the person whose action led to the statement (recorded as ``stored_by``);
    None for the periodic sweep, which acts for nobody."""
    homepage = settings.public_base_url.rstrip("/")
    principal = Principal(cast(uuid.UUID, user_id), "platform", None)
    return LrsCaller(principal, authority_for(homepage, LMS_ACCOUNT))


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _statement(
    actor: dict,
    verb: str,
    display: str,
    target: dict,
    registration: uuid.UUID,
    session_id: uuid.UUID | str,
    grouping_id: str,
    at: datetime,
    *,
    extensions: dict | None = None,
    result: dict | None = None,
) -> dict:
    categories = [{"objectType": "Activity", "id": CMI5_CATEGORY}]
    if result and ("success" in result or "completion" in result):
        categories.append({"objectType": "Activity", "id": MOVEON_CATEGORY})
    statement: dict = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": display}},
        "object": target,
        "timestamp": _instant(at),
        "context": {
            "registration": str(registration),
            "contextActivities": {
                "category": categories,
                "grouping": [{"objectType": "Activity", "id": grouping_id}],
            },
            "extensions": {SESSION_ID: str(session_id), **(extensions or {})},
        },
    }
    if result:
        statement["result"] = result
    return statement


def _au(activity_id: str) -> dict:
    return {"objectType": "Activity", "id": activity_id}


def launched(
    actor: dict,
    *,
    activity_id: str,
    publisher_id: str,
    registration: uuid.UUID,
    session_id: uuid.UUID,
    launch_mode: str,
    launch_url: str,
    move_on: str,
    launch_parameters: str | None,
    mastery_score: float | None,
    at: datetime,
) -> dict:
    """cmi5 9.3.1, with the context extensions 9.6.3.2-9.6.3.7 require of it."""
    extensions: dict = {LAUNCH_MODE: launch_mode, LAUNCH_URL: launch_url, MOVE_ON: move_on}
    if launch_parameters:
        extensions[LAUNCH_PARAMETERS] = launch_parameters
    if mastery_score is not None:
        extensions[MASTERY_SCORE] = mastery_score
    return _statement(
        actor,
        LAUNCHED,
        "Launched",
        _au(activity_id),
        registration,
        session_id,
        publisher_id,
        at,
        extensions=extensions,
    )


def satisfied(
    actor: dict,
    *,
    kind: str,
    activity_id: str,
    publisher_id: str,
    title: str | None,
    registration: uuid.UUID,
    session_id: uuid.UUID | str,
    at: datetime,
) -> dict:
    """cmi5 9.3.9: the object is the LMS-generated block or course id, typed as such."""
    definition: dict = {"type": ACTIVITY_TYPE + kind}
    if title:
        definition["name"] = {"und": title}
    target = {"objectType": "Activity", "id": activity_id, "definition": definition}
    return _statement(
        actor, SATISFIED, "Satisfied", target, registration, session_id, publisher_id, at
    )


def duration(seconds: float) -> str:
    """An ISO 8601 duration in seconds, to the hundredth (xAPI Data 4.6)."""
    value = Decimal(str(max(seconds, 0.0))).quantize(Decimal("0.01"))
    return f"PT{value.normalize():f}S"


def abandoned(
    actor: dict,
    *,
    activity_id: str,
    publisher_id: str,
    registration: uuid.UUID,
    session_id: uuid.UUID,
    seconds: float,
    at: datetime,
) -> dict:
    """cmi5 9.3.6; 9.5.4.2: duration from Launched to the AU's last statement."""
    return _statement(
        actor,
        ABANDONED,
        "Abandoned",
        _au(activity_id),
        registration,
        session_id,
        publisher_id,
        at,
        result={"duration": duration(seconds)},
    )


def waived(
    actor: dict,
    *,
    activity_id: str,
    publisher_id: str,
    registration: uuid.UUID,
    session_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> dict:
    """cmi5 9.3.7: success and completion true (9.5.2, 9.5.3), the reason extension (9.5.5.2),
    a session id of its own."""
    return _statement(
        actor,
        WAIVED,
        "Waived",
        _au(activity_id),
        registration,
        session_id,
        publisher_id,
        at,
        result={"success": True, "completion": True, "extensions": {REASON: reason}},
    )
