"""xAPI statement validation (xAPI 1.0.3 Data §2 and §4 / IEEE 9274.1.1 §4.2): pure functions.

``validate_statement`` raises ``BadRequest("xapi-statement-invalid", "<path>: <message>")`` for
any statement the LRS must reject; it never mutates its input. The path names the property
(``context.instructor.mbox``); the message never repeats the value, which may be personal data.
Special data types live in ``validation_values``, agents in ``validation_agents``, activities in
``validation_activities``.
"""

from __future__ import annotations

import re
from typing import Any

from service.lrs.validation_activities import check_activity
from service.lrs.validation_agents import (
    check_actor,
    check_agent,
    check_authority,
    check_group,
    parse_agent_param,
)
from service.lrs.validation_values import (
    check_bool,
    check_duration,
    check_extensions,
    check_iri,
    check_language_map,
    check_language_tag,
    check_media_type,
    check_number,
    check_object,
    check_sha2,
    check_storable_text,
    check_string,
    check_uuid,
    invalid,
    is_iri,
    join,
    parse_registration,
    parse_timestamp,
    require,
)

__all__ = [
    "is_iri",
    "parse_agent_param",
    "parse_registration",
    "parse_timestamp",
    "validate_statement",
]

V1 = "1.0.3"
V2 = "2.0.0"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
# A SubStatement has no id, stored, version or authority (xAPI Data §2.4.4.3.s8.b3).
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_VERB_KEYS = frozenset({"id", "display"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS_V1 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_KEYS_V2 = _CONTEXT_KEYS_V1 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
_ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)

# xAPI Data §2.4.10: 1.0.3 takes "1.0" or "1.0.x"; 9274.1.1 §4.2.4.3 also takes "2.0" / "2.0.x".
_VERSIONS = {
    V1: re.compile(r"^1\.0(?:\.[0-9]+)?$"),
    V2: re.compile(r"^(?:1\.0|2\.0)(?:\.[0-9]+)?$"),
}


def validate_statement(statement: Any, version: str) -> None:
    """Reject (BadRequest) a statement the spec says the LRS must not accept.

    ``version`` is the negotiated request version, "1.0.3" or "2.0.0"; it decides which context
    properties exist and which ``version`` values a statement may carry.
    """
    if version not in _VERSIONS:
        raise ValueError(f"unsupported xAPI version {version!r}")
    statement = check_object(statement, "", _STATEMENT_KEYS)
    check_storable_text(statement)
    if "id" in statement:
        check_uuid(statement["id"], "id")
    _check_core(statement, "", version)
    # xAPI Data §2.3.2: a voiding statement's object is the StatementRef it voids.
    verb = statement["verb"]
    if verb.get("id") == VOIDED and statement["object"].get("objectType") != "StatementRef":
        raise invalid("object.objectType", 'a voiding statement must target a "StatementRef"')
    if "stored" in statement:
        parse_timestamp(statement["stored"], "stored")
    if "authority" in statement:
        check_authority(statement["authority"], "authority")
    if "version" in statement:
        value = statement["version"]
        if not isinstance(value, str) or not _VERSIONS[version].fullmatch(value):
            raise invalid("version", "is not a supported xAPI version")


def _check_core(statement: dict[str, Any], base: str, version: str) -> None:
    """What statements and sub-statements share: actor, verb, object, result, context,
    timestamp, attachments. ``base`` is "" for a statement, "object" for a sub-statement."""

    def at(key: str) -> str:
        return join(base, key)

    check_actor(require(statement, "actor", base), at("actor"))
    _check_verb(require(statement, "verb", base), at("verb"))
    target = require(statement, "object", base)
    object_type = _check_object(target, at("object"), version, nested=bool(base))
    if "result" in statement:
        _check_result(statement["result"], at("result"))
    if "context" in statement:
        _check_context(statement["context"], at("context"), version, object_type)
    if "timestamp" in statement:
        parse_timestamp(statement["timestamp"], at("timestamp"))
    if "attachments" in statement:
        _check_attachments(statement["attachments"], at("attachments"))


def _check_verb(verb: Any, path: str) -> None:
    verb = check_object(verb, path, _VERB_KEYS)
    check_iri(require(verb, "id", path), f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")


def _check_object(target: Any, path: str, version: str, *, nested: bool) -> str:
    """Validate a statement's object; return its objectType."""
    if not isinstance(target, dict):
        raise invalid(path, "must be a JSON object")
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(target, path)
    elif object_type == "Agent":
        check_agent(target, path)
    elif object_type == "Group":
        check_group(target, path)
    elif object_type == "StatementRef":
        check_statement_ref(target, path)
    elif object_type == "SubStatement":
        if nested:
            raise invalid(f"{path}.objectType", "a SubStatement must not contain a SubStatement")
        substatement = check_object(target, path, _SUBSTATEMENT_KEYS)
        _check_core(substatement, path, version)
    else:
        raise invalid(
            f"{path}.objectType",
            'must be "Activity", "Agent", "Group", "StatementRef" or "SubStatement"',
        )
    return str(object_type)


def check_statement_ref(ref: Any, path: str) -> None:
    ref = check_object(ref, path, _STATEMENT_REF_KEYS)
    if ref.get("objectType") != "StatementRef":
        raise invalid(f"{path}.objectType", 'must be "StatementRef"')
    check_uuid(require(ref, "id", path), f"{path}.id")


def _check_result(result: Any, path: str) -> None:
    result = check_object(result, path, _RESULT_KEYS)
    if "score" in result:
        _check_score(result["score"], f"{path}.score")
    for key in ("success", "completion"):
        if key in result:
            check_bool(result[key], f"{path}.{key}")
    if "response" in result:
        check_string(result["response"], f"{path}.response")
    if "duration" in result:
        check_duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        check_extensions(result["extensions"], f"{path}.extensions")


def _check_score(score: Any, path: str) -> None:
    """xAPI Data §2.4.5.1: scaled in [-1, 1]; min < max; min <= raw <= max."""
    score = check_object(score, path, _SCORE_KEYS)
    for key in _SCORE_KEYS:
        if key in score:
            check_number(score[key], f"{path}.{key}")
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        raise invalid(f"{path}.scaled", "must be between -1 and 1")
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and not low < high:
        raise invalid(f"{path}.max", "must be greater than min")
    if raw is not None and low is not None and raw < low:
        raise invalid(f"{path}.raw", "must not be less than min")
    if raw is not None and high is not None and raw > high:
        raise invalid(f"{path}.raw", "must not be greater than max")


def _check_context(context: Any, path: str, version: str, object_type: str) -> None:
    keys = _CONTEXT_KEYS_V2 if version == V2 else _CONTEXT_KEYS_V1
    context = check_object(context, path, keys)
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        check_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        check_group(context["team"], f"{path}.team")
    if "contextActivities" in context:
        _check_context_activities(context["contextActivities"], f"{path}.contextActivities")
    for key in ("revision", "platform"):
        if key in context:
            check_string(context[key], f"{path}.{key}")
            # xAPI Data §2.4.6.s4: only meaningful when the object is an Activity.
            if object_type != "Activity":
                raise invalid(f"{path}.{key}", "may only be used when the object is an Activity")
    if "language" in context:
        check_language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        check_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")
    if "contextAgents" in context:
        _check_context_members(
            context["contextAgents"], f"{path}.contextAgents", "contextAgent", "agent"
        )
    if "contextGroups" in context:
        _check_context_members(
            context["contextGroups"], f"{path}.contextGroups", "contextGroup", "group"
        )


def _check_context_activities(value: Any, path: str) -> None:
    """Each of parent/grouping/category/other is an Activity or an array of Activities."""
    value = check_object(value, path, _CONTEXT_ACTIVITY_KEYS)
    for key, activities in value.items():
        where = f"{path}.{key}"
        if isinstance(activities, list):
            for index, activity in enumerate(activities):
                check_activity(activity, f"{where}[{index}]")
        else:
            check_activity(activities, where)


def _check_context_members(value: Any, path: str, object_type: str, member: str) -> None:
    """9274.1.1 §4.2.2.5: contextAgents / contextGroups, arrays of typed wrappers with optional
    non-empty relevantTypes."""
    if not isinstance(value, list):
        raise invalid(path, f"must be an array of {object_type} objects")
    keys = _CONTEXT_AGENT_KEYS if member == "agent" else _CONTEXT_GROUP_KEYS
    for index, item in enumerate(value):
        at = f"{path}[{index}]"
        item = check_object(item, at, keys)
        if item.get("objectType") != object_type:
            raise invalid(f"{at}.objectType", f'must be "{object_type}"')
        if member == "agent":
            check_agent(require(item, "agent", at), f"{at}.agent")
        else:
            check_group(require(item, "group", at), f"{at}.group")
        if "relevantTypes" in item:
            types = item["relevantTypes"]
            if not isinstance(types, list) or not types:
                raise invalid(f"{at}.relevantTypes", "must be a non-empty array of IRIs")
            for position, iri in enumerate(types):
                check_iri(iri, f"{at}.relevantTypes[{position}]")


def _check_attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise invalid(path, "must be an array of attachments")
    for index, attachment in enumerate(value):
        at = f"{path}[{index}]"
        attachment = check_object(attachment, at, _ATTACHMENT_KEYS)
        check_iri(require(attachment, "usageType", at), f"{at}.usageType")
        check_language_map(require(attachment, "display", at), f"{at}.display")
        if "description" in attachment:
            check_language_map(attachment["description"], f"{at}.description")
        check_media_type(require(attachment, "contentType", at), f"{at}.contentType")
        length = require(attachment, "length", at)
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise invalid(f"{at}.length", "must be a non-negative integer")
        check_sha2(require(attachment, "sha2", at), f"{at}.sha2")
        if "fileUrl" in attachment:
            check_iri(attachment["fileUrl"], f"{at}.fileUrl")
