"""xAPI statements shaped like the cmi5 specification's examples."""

from __future__ import annotations

import uuid

XAPI = {"X-Experience-API-Version": "1.0.3"}
CMI5 = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
MOVEON = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
AU = "https://packages.skills.example/welding-basics/au/1"


def cmi5_statement(registration, verb, at, **result) -> dict:
    """A statement shaped like the cmi5 spec's examples (actor account from the LMS)."""
    categories = [CMI5] + ([MOVEON] if verb in ("completed", "passed", "failed") else [])
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "学员",
            "account": {"homePage": "https://skills.test", "name": "learner-1"},
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"id": AU, "objectType": "Activity"},
        "timestamp": at.isoformat(),
        "context": {
            "registration": registration,
            "contextActivities": {"category": categories},
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s-1"},
        },
    }
    if result:
        statement["result"] = result
    return statement
