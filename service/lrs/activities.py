"""The Activities resource, ``GET /xAPI/activities`` (xAPI 1.0.3 Communication §2.5 /
9274.1.1 §4.1.6.4): the LRS's canonical Activity object, as merged from the statements it stored
(:class:`~service.lrs.models.LrsActivity`). An activity the LRS has never seen is still answered
with an Activity object carrying only its id (9274.1.1 §4.1.6.4 requires an object, not a 404).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from service.core.errors import BadRequest
from service.lrs.models import LrsActivity
from service.lrs.validation import is_iri


def parse_activity_id(params: list[tuple[str, str]]) -> str:
    """The one ``activityId`` parameter (an IRI); any other parameter is a 400."""
    names = [name for name, _ in params]
    if any(name != "activityId" for name in names) or names.count("activityId") != 1:
        raise BadRequest("xapi-bad-parameter", "Send exactly one parameter: activityId.")
    activity_id = params[0][1]
    if not is_iri(activity_id) or "\x00" in activity_id:
        raise BadRequest("xapi-bad-parameter", "activityId must be an IRI.")
    return activity_id


def get_activity(session: Session, activity_id: str) -> dict[str, Any]:
    row = session.get(LrsActivity, activity_id)
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if row is not None and row.definition:
        activity["definition"] = row.definition
    return activity
