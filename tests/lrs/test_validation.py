"""Statement validation (xAPI 1.0.3 Data §2, §4 / 9274.1.1 §4.2): what the LRS accepts and what
it rejects with 400, and that each rejection names the offending property without its value."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.core.errors import BadRequest
from service.lrs.validation import (
    is_iri,
    parse_agent_param,
    parse_registration,
    parse_timestamp,
    validate_statement,
)

VERSIONS = ["1.0.3", "2.0.0"]
DELETE = object()

AGENT = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
OTHER_AGENT = {"account": {"homePage": "https://example.com", "name": "bob"}}
ACTIVITY = {"objectType": "Activity", "id": "https://example.com/activities/a"}
ATTACHMENT = {
    "usageType": "http://adlnet.gov/expapi/attachments/signature",
    "display": {"en-US": "A signature"},
    "description": {"en-US": "Signed by the learner"},
    "contentType": "application/octet-stream",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "https://example.com/file.txt",
}


def base() -> dict[str, Any]:
    """A statement using most properties; every case below changes one thing in it."""
    return {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": copy.deepcopy(AGENT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "tried"}},
        "object": {
            "objectType": "Activity",
            "id": "https://example.com/activities/quiz",
            "definition": {
                "name": {"en-US": "Quiz", "fr": "Questionnaire"},
                "description": {"en-US": "A quiz"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "https://example.com/quiz",
                "interactionType": "choice",
                "correctResponsesPattern": ["a[,]b"],
                "choices": [
                    {"id": "a", "description": {"en-US": "A"}},
                    {"id": "b", "description": {"en-US": "B"}},
                ],
                "extensions": {"https://example.com/ext/level": 3},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": False,
            "response": "a[,]b",
            "duration": "PT1H0M0.1S",
            "extensions": {"https://example.com/ext/tries": 2},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": copy.deepcopy(OTHER_AGENT),
            "team": {"objectType": "Group", "member": [copy.deepcopy(AGENT)]},
            "contextActivities": {
                "parent": [copy.deepcopy(ACTIVITY)],
                "grouping": copy.deepcopy(ACTIVITY),
            },
            "revision": "2",
            "platform": "web",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            "extensions": {"https://example.com/ext/cohort": "b"},
        },
        "timestamp": "2015-11-18T12:17:00+00:00",
        "stored": "2015-11-18T12:17:01.123Z",
        "authority": {"objectType": "Agent", "account": {"homePage": "https://lrs", "name": "x"}},
        "version": "1.0.0",
        "attachments": [copy.deepcopy(ATTACHMENT)],
    }


def change(statement: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set (or with DELETE remove) the property at a dotted path; digits index lists."""
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target: Any = statement
    for key in keys[:-1]:
        target = target[key]
    if value is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return statement


def case(*changes: tuple[str, Any]) -> dict[str, Any]:
    statement = base()
    for path, value in changes:
        change(statement, path, value)
    return statement


def rejected(statement: Any, version: str) -> str:
    with pytest.raises(BadRequest) as caught:
        validate_statement(statement, version)
    assert caught.value.code == "xapi-statement-invalid"
    return caught.value.detail


SUB_STATEMENT = {
    "objectType": "SubStatement",
    "actor": copy.deepcopy(AGENT),
    "verb": {"id": "http://example.com/verbs/will-visit"},
    "object": copy.deepcopy(ACTIVITY),
    "result": {"completion": True},
    "context": {"platform": "web"},
    "timestamp": "2015-11-18T12:17:00Z",
}

# Each entry: (label, changes). All must be accepted under both versions.
VALID: list[tuple[str, list[tuple[str, Any]]]] = [
    ("the full statement", []),
    (
        "minimal",
        [
            (k, DELETE)
            for k in (
                "id",
                "result",
                "context",
                "timestamp",
                "stored",
                "authority",
                "version",
                "attachments",
            )
        ],
    ),
    ("uppercase UUID", [("id", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0")]),
    ("actor without objectType", [("actor", {"mbox": "mailto:a@example.com"})]),
    ("actor by sha1", [("actor", {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"})]),
    ("actor by openid", [("actor", {"openid": "http://openid.example.org/12345"})]),
    ("actor by account", [("actor", copy.deepcopy(OTHER_AGENT))]),
    (
        "identified group, no members",
        [("actor", {"objectType": "Group", "mbox": "mailto:g@x.org"})],
    ),
    (
        "identified group with members",
        [("actor", {"objectType": "Group", "openid": "http://g.example", "member": [AGENT]})],
    ),
    ("anonymous group", [("actor", {"objectType": "Group", "member": [AGENT, OTHER_AGENT]})]),
    ("verb without display", [("verb.display", DELETE)]),
    ("object without objectType", [("object.objectType", DELETE)]),
    ("object without definition", [("object.definition", DELETE)]),
    ("empty definition", [("object.definition", {})]),
    ("urn activity id", [("object.id", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0")]),
    ("unicode IRI", [("object.id", "http://example.com/ünïcode/活動")]),
    ("language tags", [("verb.display", {"zh-Hant-TW": "x", "sr-Latn-RS": "y", "und": "z"})]),
    ("private use language tag", [("verb.display", {"x-klingon": "x", "i-klingon": "y"})]),
    ("empty language map", [("verb.display", {})]),
    (
        "extension values of any JSON",
        [("result.extensions", {"http://e/x": None, "http://e/y": {}})],
    ),
    ("empty extensions", [("context.extensions", {})]),
    (
        "agent object",
        [
            ("object", {"objectType": "Agent", "mbox": "mailto:b@example.com"}),
            ("context.revision", DELETE),
            ("context.platform", DELETE),
        ],
    ),
    (
        "group object",
        [
            ("object", {"objectType": "Group", "member": [AGENT]}),
            ("context.revision", DELETE),
            ("context.platform", DELETE),
        ],
    ),
    (
        "statement ref object",
        [
            ("object", {"objectType": "StatementRef", "id": str(uuid.uuid4())}),
            ("context.revision", DELETE),
            ("context.platform", DELETE),
        ],
    ),
    (
        "sub-statement",
        [
            ("object", copy.deepcopy(SUB_STATEMENT)),
            ("context.revision", DELETE),
            ("context.platform", DELETE),
        ],
    ),
    ("scaled at the bounds", [("result.score", {"scaled": -1, "raw": 0})]),
    ("raw at min and max", [("result.score", {"raw": 10, "min": 10, "max": 11})]),
    ("score with only raw", [("result.score", {"raw": -400.5})]),
    ("duration in weeks", [("result.duration", "P4W")]),
    ("duration full", [("result.duration", "P3Y1M29DT4H35M59.14S")]),
    ("duration seconds only", [("result.duration", "PT16559.14S")]),
    ("duration fine precision", [("result.duration", "P1DT12H36M0.12567S")]),
    ("empty response", [("result.response", "")]),
    ("context activities all keys", [("context.contextActivities.other", [ACTIVITY])]),
    ("context activity single objects", [("context.contextActivities.category", ACTIVITY)]),
    ("instructor group", [("context.instructor", {"objectType": "Group", "member": [AGENT]})]),
    ("timestamp basic format", [("timestamp", "20150101T101010Z")]),
    ("timestamp offset", [("timestamp", "2023-05-04T12:00:00-05:00")]),
    ("timestamp no zone", [("timestamp", "2023-05-04T12:00:00.123456789")]),
    ("version 1.0", [("version", "1.0")]),
    ("version 1.0.9", [("version", "1.0.9")]),
    ("attachment without optional parts", [("attachments.0.description", DELETE)]),
    ("attachment without fileUrl", [("attachments.0.fileUrl", DELETE)]),
    (
        "oauth authority group",
        [("authority", {"objectType": "Group", "member": [OTHER_AGENT, AGENT]})],
    ),
    (
        "voiding statement",
        [
            ("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
            ("object", {"objectType": "StatementRef", "id": str(uuid.uuid4())}),
            ("context.revision", DELETE),
            ("context.platform", DELETE),
        ],
    ),
]


INTERACTIONS: dict[str, dict[str, Any]] = {
    "true-false": {},
    "fill-in": {},
    "long-fill-in": {},
    "numeric": {},
    "other": {},
    "choice": {"choices": [{"id": "a"}]},
    "sequencing": {"choices": [{"id": "a"}, {"id": "b"}]},
    "likert": {"scale": [{"id": "1", "description": {"en": "bad"}}]},
    "matching": {"source": [{"id": "s"}], "target": [{"id": "t"}]},
    "performance": {"steps": [{"id": "1"}]},
}
for _interaction, _lists in INTERACTIONS.items():
    VALID.append(
        (
            f"interaction {_interaction}",
            [
                (
                    "object.definition",
                    {"interactionType": _interaction, "correctResponsesPattern": [], **_lists},
                )
            ],
        )
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("label", "changes"), VALID, ids=[v[0] for v in VALID])
def test_valid_statements_are_accepted(version, label, changes):
    validate_statement(case(*changes), version)


PERSONAL = "mailto:secret.person@example.com"

# Each entry: (label, changes, the path the message must start with).
INVALID: list[tuple[str, list[tuple[str, Any]], str]] = [
    ("not an object", [], "statement:"),
    ("unknown top-level property", [("objectType", "Statement")], "objectType:"),
    ("wrong case property", [("Actor", AGENT)], "Actor:"),
    ("missing actor", [("actor", DELETE)], "actor:"),
    ("missing verb", [("verb", DELETE)], "verb:"),
    ("missing object", [("object", DELETE)], "object:"),
    ("null property", [("result", None)], "result:"),
    ("null nested", [("context.platform", None)], "context.platform:"),
    ("id not a UUID", [("id", "AA97B177-9383-4934-8543-0F91A7A028368")], "id:"),
    ("id with bad letter", [("id", "MA97B177-9383-4934-8543-0F91A7A02836")], "id:"),
    ("id as number", [("id", 12345)], "id:"),
    ("id without hyphens", [("id", "fd41c918b88b4b20a0a5a4c32391aaa0")], "id:"),
    ("actor objectType lowercase", [("actor.objectType", "agent")], "actor.objectType:"),
    ("actor objectType unknown", [("actor.objectType", "Person")], "actor.objectType:"),
    ("actor with two IFIs", [("actor.openid", "http://openid.example.org/1")], "actor:"),
    ("actor with no IFI", [("actor", {"name": "Ann"})], "actor:"),
    ("actor unknown property", [("actor.key", "value")], "actor.key:"),
    ("actor name number", [("actor.name", 123)], "actor.name:"),
    ("mbox without mailto", [("actor.mbox", "secret.person@example.com")], "actor.mbox:"),
    ("mbox without address", [("actor.mbox", "mailto:should.fail.com")], "actor.mbox:"),
    ("mbox uppercase scheme", [("actor.mbox", "MAILTO:a@example.com")], "actor.mbox:"),
    ("sha1 not hex", [("actor", {"mbox_sha1sum": "xyz"})], "actor.mbox_sha1sum:"),
    ("openid no scheme", [("actor", {"openid": "open.id.com/testUser"})], "actor.openid:"),
    (
        "account missing name",
        [("actor", {"account": {"homePage": "http://x"}})],
        "actor.account.name:",
    ),
    (
        "account homePage no scheme",
        [("actor", {"account": {"homePage": "homePage.com/u", "name": "1"}})],
        "actor.account.homePage:",
    ),
    (
        "account name object",
        [("actor", {"account": {"homePage": "http://x", "name": {"a": 1}}})],
        "actor.account.name:",
    ),
    (
        "account extra property",
        [("actor", {"account": {"homePage": "http://x", "name": "1", "id": 2}})],
        "actor.account.id:",
    ),
    ("agent with member", [("actor.member", [OTHER_AGENT])], "actor.member:"),
    ("anonymous group without members", [("actor", {"objectType": "Group"})], "actor.member:"),
    (
        "anonymous group with empty members",
        [("actor", {"objectType": "Group", "member": []})],
        "actor.member:",
    ),
    (
        "group with two IFIs",
        [("actor", {"objectType": "Group", "mbox": "mailto:g@x.org", "openid": "http://g"})],
        "actor:",
    ),
    (
        "group member is a group",
        [
            (
                "actor",
                {"objectType": "Group", "member": [{"objectType": "Group", "member": [AGENT]}]},
            )
        ],
        "actor.member[0].objectType:",
    ),
    (
        "group member invalid",
        [("actor", {"objectType": "Group", "member": [{"name": "x"}]})],
        "actor.member[0]:",
    ),
    (
        "group members not a list",
        [("actor", {"objectType": "Group", "member": AGENT})],
        "actor.member:",
    ),
    ("verb id missing", [("verb.id", DELETE)], "verb.id:"),
    ("verb id no scheme", [("verb.id", "adlnet.gov/expapi/verbs/attempted")], "verb.id:"),
    ("verb id bad scheme", [("verb.id", "ab=c://should.fail.com")], "verb.id:"),
    ("verb id with space", [("verb.id", "http://example.com/a verb")], "verb.id:"),
    ("verb display string", [("verb.display", "tried")], "verb.display:"),
    ("verb display bad tag", [("verb.display", {"a12345678": "x"})], "verb.display:"),
    ("verb display value number", [("verb.display", {"en": 1})], "verb.display.en:"),
    ("verb extra property", [("verb.description", {"en": "x"})], "verb.description:"),
    ("object not an object", [("object", "activity")], "object:"),
    ("object objectType unknown", [("object.objectType", "activity")], "object.objectType:"),
    ("activity id missing", [("object.id", DELETE)], "object.id:"),
    ("activity id not IRI", [("object.id", "example.com/activity")], "object.id:"),
    ("definition not object", [("object.definition", "x")], "object.definition:"),
    ("definition name string", [("object.definition.name", "Quiz")], "object.definition.name:"),
    ("definition name numeric", [("object.definition.name", 5)], "object.definition.name:"),
    (
        "definition description",
        [("object.definition.description", 1)],
        "object.definition.description:",
    ),
    (
        "definition type not IRI",
        [("object.definition.type", "should error")],
        "object.definition.type:",
    ),
    (
        "moreInfo not IRI",
        [("object.definition.moreInfo", "example.com")],
        "object.definition.moreInfo:",
    ),
    (
        "definition extension key",
        [("object.definition.extensions", {"not.valid.com/extension": 1})],
        "object.definition.extensions:",
    ),
    (
        "interactionType unknown",
        [("object.definition.interactionType", "Choice")],
        "object.definition.interactionType:",
    ),
    (
        "interactionType missing with components",
        [("object.definition.interactionType", DELETE)],
        "object.definition.interactionType:",
    ),
    (
        "interactionType missing with only a pattern",
        [("object.definition", {"correctResponsesPattern": ["true"]})],
        "object.definition.interactionType:",
    ),
    (
        "pattern not strings",
        [("object.definition.correctResponsesPattern", [1])],
        "object.definition.correctResponsesPattern[0]:",
    ),
    (
        "component list on the wrong type",
        [("object.definition.scale", [{"id": "1"}])],
        "object.definition.scale:",
    ),
    (
        "duplicate component ids",
        [("object.definition.choices", [{"id": "a"}, {"id": "a"}])],
        "object.definition.choices[1].id:",
    ),
    (
        "component without id",
        [("object.definition.choices", [{"description": {"en": "x"}}])],
        "object.definition.choices[0].id:",
    ),
    ("agent object without objectType", [("object", {"mbox": "mailto:a@x.org"})], "object.mbox:"),
    ("statement ref missing id", [("object", {"objectType": "StatementRef"})], "object.id:"),
    ("statement ref bad id", [("object", {"objectType": "StatementRef", "id": "x"})], "object.id:"),
    (
        "statement ref wrong case",
        [("object", {"objectType": "statementref", "id": str(uuid.uuid4())})],
        "object.objectType:",
    ),
    (
        "sub-statement with id",
        [("object", {**SUB_STATEMENT, "id": str(uuid.uuid4())})],
        "object.id:",
    ),
    (
        "sub-statement with stored",
        [("object", {**SUB_STATEMENT, "stored": "2015-11-18T12:17:00Z"})],
        "object.stored:",
    ),
    (
        "sub-statement with version",
        [("object", {**SUB_STATEMENT, "version": "1.0.0"})],
        "object.version:",
    ),
    (
        "sub-statement with authority",
        [("object", {**SUB_STATEMENT, "authority": AGENT})],
        "object.authority:",
    ),
    (
        "sub-statement without actor",
        [("object", {k: v for k, v in SUB_STATEMENT.items() if k != "actor"})],
        "object.actor:",
    ),
    (
        "nested sub-statement",
        [("object", {**SUB_STATEMENT, "object": copy.deepcopy(SUB_STATEMENT)})],
        "object.object.objectType:",
    ),
    (
        "sub-statement bad verb",
        [("object", {**SUB_STATEMENT, "verb": {"id": "nope"}})],
        "object.verb.id:",
    ),
    (
        "sub-statement platform with agent object",
        [
            (
                "object",
                {**SUB_STATEMENT, "object": {"objectType": "Agent", "mbox": "mailto:a@x.org"}},
            )
        ],
        "object.context.platform:",
    ),
    ("score not an object", [("result.score", 12345)], "result.score:"),
    ("scaled above 1", [("result.score.scaled", 1.01)], "result.score.scaled:"),
    ("scaled below -1", [("result.score.scaled", -1.00001)], "result.score.scaled:"),
    ("scaled string", [("result.score.scaled", "0.5")], "result.score.scaled:"),
    ("raw boolean", [("result.score.raw", True)], "result.score.raw:"),
    ("raw above max", [("result.score.raw", 11)], "result.score.raw:"),
    ("raw below min", [("result.score.raw", -1)], "result.score.raw:"),
    ("min above max", [("result.score", {"min": 5, "max": 4})], "result.score.max:"),
    ("min equal to max", [("result.score", {"min": 5, "max": 5})], "result.score.max:"),
    ("score extra property", [("result.score.percent", 5)], "result.score.percent:"),
    ("success string", [("result.success", "true")], "result.success:"),
    ("completion number", [("result.completion", 1)], "result.completion:"),
    ("response number", [("result.response", 5)], "result.response:"),
    ("duration bad", [("result.duration", "PA1H0M0S")], "result.duration:"),
    ("duration weeks and days", [("result.duration", "P4W1D")], "result.duration:"),
    ("duration empty", [("result.duration", "P")], "result.duration:"),
    ("duration T without time", [("result.duration", "P1DT")], "result.duration:"),
    (
        "duration alternative format",
        [("result.duration", "P0003-01-29T04:35:59")],
        "result.duration:",
    ),
    ("duration number", [("result.duration", 12345)], "result.duration:"),
    ("result extension key", [("result.extensions", {"example.com/x": 1})], "result.extensions:"),
    ("result extra property", [("result.grade", "A")], "result.grade:"),
    ("registration bad", [("context.registration", "wrong")], "context.registration:"),
    ("registration number", [("context.registration", 12345)], "context.registration:"),
    (
        "instructor invalid",
        [("context.instructor", {"objectType": "group"})],
        "context.instructor.objectType:",
    ),
    ("team is an agent", [("context.team", AGENT)], "context.team.objectType:"),
    (
        "contextActivities bad key",
        [("context.contextActivities.related", [ACTIVITY])],
        "context.contextActivities.related:",
    ),
    (
        "contextActivities not object",
        [("context.contextActivities", [ACTIVITY])],
        "context.contextActivities:",
    ),
    (
        "contextActivity without id",
        [("context.contextActivities.parent", [{"objectType": "Activity"}])],
        "context.contextActivities.parent[0].id:",
    ),
    (
        "contextActivity a string",
        [("context.contextActivities.parent", "should fail")],
        "context.contextActivities.parent:",
    ),
    (
        "contextActivity an agent",
        [("context.contextActivities.other", [AGENT])],
        "context.contextActivities.other[0]",
    ),
    ("revision number", [("context.revision", 2)], "context.revision:"),
    (
        "revision with agent object",
        [("object", {"objectType": "Agent", "mbox": "mailto:a@x.org"})],
        "context.revision:",
    ),
    (
        "platform with statement ref object",
        [
            ("object", {"objectType": "StatementRef", "id": str(uuid.uuid4())}),
            ("context.revision", DELETE),
        ],
        "context.platform:",
    ),
    ("language bad tag", [("context.language", "a12345")], "context.language:"),
    ("language number", [("context.language", 5)], "context.language:"),
    (
        "context statement not a ref",
        [("context.statement", {"id": str(uuid.uuid4())})],
        "context.statement.objectType:",
    ),
    ("context statement bad id", [("context.statement.id", "x")], "context.statement.id:"),
    (
        "context extension key",
        [("context.extensions", {"should fail": True})],
        "context.extensions:",
    ),
    ("context extra property", [("context.course", "x")], "context.course:"),
    ("timestamp nonsense", [("timestamp", "should fail")], "timestamp:"),
    ("timestamp US date", [("timestamp", "01/011/2015")], "timestamp:"),
    ("timestamp -00", [("timestamp", "2008-09-15T15:53:00.601-00")], "timestamp:"),
    ("timestamp -0000", [("timestamp", "2008-09-15T15:53:00.601-0000")], "timestamp:"),
    ("timestamp -00:00", [("timestamp", "2008-09-15T15:53:00.601-00:00")], "timestamp:"),
    ("timestamp impossible date", [("timestamp", "2015-02-30T10:00:00Z")], "timestamp:"),
    ("timestamp date only", [("timestamp", "2015-02-03")], "timestamp:"),
    ("timestamp number", [("timestamp", 1447849020)], "timestamp:"),
    ("stored bad", [("stored", "yesterday")], "stored:"),
    ("authority invalid agent", [("authority", {"name": "x"})], "authority:"),
    (
        "authority identified group",
        [
            (
                "authority",
                {"objectType": "Group", "mbox": "mailto:g@x.org", "member": [AGENT, OTHER_AGENT]},
            )
        ],
        "authority:",
    ),
    (
        "authority group of one",
        [("authority", {"objectType": "Group", "member": [OTHER_AGENT]})],
        "authority.member:",
    ),
    (
        "authority group of three",
        [
            (
                "authority",
                {"objectType": "Group", "member": [OTHER_AGENT, AGENT, {"mbox": "mailto:c@x.org"}]},
            )
        ],
        "authority.member:",
    ),
    (
        "authority group without application",
        [("authority", {"objectType": "Group", "member": [AGENT, {"mbox": "mailto:c@x.org"}]})],
        "authority.member:",
    ),
    ("version string", [("version", "should fail")], "version:"),
    ("version 0.9.9", [("version", "0.9.9")], "version:"),
    ("version 1.1.0", [("version", "1.1.0")], "version:"),
    ("version number", [("version", 1.0)], "version:"),
    ("attachments not array", [("attachments", ATTACHMENT)], "attachments:"),
    ("attachment a number", [("attachments", [12345])], "attachments[0]:"),
    (
        "attachment usageType",
        [("attachments.0.usageType", "should fail")],
        "attachments[0].usageType:",
    ),
    ("attachment display missing", [("attachments.0.display", DELETE)], "attachments[0].display:"),
    ("attachment display string", [("attachments.0.display", "x")], "attachments[0].display:"),
    (
        "attachment description number",
        [("attachments.0.description", 1)],
        "attachments[0].description:",
    ),
    (
        "attachment contentType number",
        [("attachments.0.contentType", 12345)],
        "attachments[0].contentType:",
    ),
    (
        "attachment contentType missing",
        [("attachments.0.contentType", DELETE)],
        "attachments[0].contentType:",
    ),
    ("attachment length string", [("attachments.0.length", "27")], "attachments[0].length:"),
    ("attachment length fraction", [("attachments.0.length", 2.5)], "attachments[0].length:"),
    ("attachment length negative", [("attachments.0.length", -1)], "attachments[0].length:"),
    ("attachment sha2 number", [("attachments.0.sha2", 12345)], "attachments[0].sha2:"),
    ("attachment sha2 missing", [("attachments.0.sha2", DELETE)], "attachments[0].sha2:"),
    (
        "attachment fileUrl",
        [("attachments.0.fileUrl", "over.there.com/file.txt")],
        "attachments[0].fileUrl:",
    ),
    ("attachment extra property", [("attachments.0.data", "abc")], "attachments[0].data:"),
    (
        "voiding without a statement ref",
        [("verb.id", "http://adlnet.gov/expapi/verbs/voided")],
        "object.objectType:",
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("label", "changes", "where"), INVALID, ids=[v[0] for v in INVALID])
def test_invalid_statements_are_rejected_naming_the_property(version, label, changes, where):
    statement: Any = "not a statement" if label == "not an object" else case(*changes)
    assert rejected(statement, version).startswith(where)


CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
    "relevantTypes": ["https://example.com/types/player"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [AGENT]},
    "relevantTypes": ["https://example.com/types/team"],
}


def test_2_0_accepts_context_agents_and_groups_and_1_0_3_does_not():
    statement = case(
        ("context.contextAgents", [CONTEXT_AGENT, {**CONTEXT_AGENT, "relevantTypes": DELETE}]),
        ("context.contextGroups", [CONTEXT_GROUP]),
    )
    del statement["context"]["contextAgents"][1]["relevantTypes"]
    validate_statement(statement, "2.0.0")
    assert rejected(statement, "1.0.3").startswith("context.contextAgents:")


INVALID_2_0: list[tuple[str, Any, str]] = [
    ("not an array", {"contextAgents": CONTEXT_AGENT}, "context.contextAgents:"),
    (
        "wrong objectType",
        {"contextAgents": [{**CONTEXT_AGENT, "objectType": "Should fail"}]},
        "context.contextAgents[0].objectType:",
    ),
    (
        "missing objectType",
        {"contextAgents": [{k: v for k, v in CONTEXT_AGENT.items() if k != "objectType"}]},
        "context.contextAgents[0].objectType:",
    ),
    (
        "invalid agent",
        {"contextAgents": [{**CONTEXT_AGENT, "agent": {"key": "Should fail"}}]},
        "context.contextAgents[0].agent.key:",
    ),
    (
        "group as context agent",
        {"contextAgents": [{**CONTEXT_AGENT, "agent": CONTEXT_GROUP["group"]}]},
        "context.contextAgents[0].agent.objectType:",
    ),
    (
        "empty relevantTypes",
        {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": []}]},
        "context.contextAgents[0].relevantTypes:",
    ),
    (
        "relevantTypes not IRIs",
        {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": ["abc"]}]},
        "context.contextAgents[0].relevantTypes[0]:",
    ),
    (
        "group wrong objectType",
        {"contextGroups": [{**CONTEXT_GROUP, "objectType": "contextAgent"}]},
        "context.contextGroups[0].objectType:",
    ),
    (
        "group invalid",
        {"contextGroups": [{**CONTEXT_GROUP, "group": {"key": "Should fail"}}]},
        "context.contextGroups[0].group",
    ),
    (
        "group extra property",
        {"contextGroups": [{**CONTEXT_GROUP, "member": [AGENT]}]},
        "context.contextGroups[0].member:",
    ),
    (
        "group relevantTypes empty",
        {"contextGroups": [{**CONTEXT_GROUP, "relevantTypes": []}]},
        "context.contextGroups[0].relevantTypes:",
    ),
]


@pytest.mark.parametrize(
    ("label", "context", "where"), INVALID_2_0, ids=[v[0] for v in INVALID_2_0]
)
def test_2_0_context_agents_and_groups_are_checked(label, context, where):
    assert rejected(case(("context", context)), "2.0.0").startswith(where)


def test_2_0_checks_context_agents_inside_sub_statements():
    sub = {**SUB_STATEMENT, "context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": []}]}}
    assert rejected(case(("object", sub)), "2.0.0").startswith(
        "object.context.contextAgents[0].relevantTypes:"
    )


@pytest.mark.parametrize(
    ("value", "ok_1_0_3", "ok_2_0"),
    [("1.0.3", True, True), ("2.0.0", False, True), ("2.0", False, True), ("2.1.0", False, False)],
)
def test_version_property_follows_the_request_version(value, ok_1_0_3, ok_2_0):
    for version, ok in (("1.0.3", ok_1_0_3), ("2.0.0", ok_2_0)):
        statement = case(("version", value))
        if ok:
            validate_statement(statement, version)
        else:
            assert rejected(statement, version).startswith("version:")


def test_validation_does_not_change_the_statement():
    statement = base()
    before = copy.deepcopy(statement)
    validate_statement(statement, "2.0.0")
    assert statement == before


@pytest.mark.parametrize(
    "changes",
    [
        [("actor.mbox", PERSONAL.removeprefix("mailto:"))],
        [("actor", {"mbox": PERSONAL, "name": "Secret Person", "openid": "http://secret.person"})],
        [("context.instructor", {"mbox": PERSONAL, "member": []})],
    ],
)
def test_messages_do_not_repeat_personal_values(changes):
    detail = rejected(case(*changes), "1.0.3")
    assert "secret" not in detail.lower()


def test_an_unknown_request_version_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_statement(base(), "0.95")


# --- the helpers other modules use ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-11-18T12:17:00Z", datetime(2015, 11, 18, 12, 17, tzinfo=UTC)),
        ("2015-11-18T12:17:00+00:00", datetime(2015, 11, 18, 12, 17, tzinfo=UTC)),
        ("2023-05-04T12:00:00-05:00", datetime(2023, 5, 4, 17, 0, tzinfo=UTC)),
        ("2023-05-04T12:00:00.123+0530", datetime(2023, 5, 4, 6, 30, 0, 123000, tzinfo=UTC)),
        ("2023-05-04T12:00:00.1234567Z", datetime(2023, 5, 4, 12, 0, 0, 123456, tzinfo=UTC)),
        ("20230504T120000Z", datetime(2023, 5, 4, 12, 0, tzinfo=UTC)),
        ("2023-05-04T12:00Z", datetime(2023, 5, 4, 12, 0, tzinfo=UTC)),
        ("2023-05-04T12:00:00", datetime(2023, 5, 4, 12, 0, tzinfo=UTC)),
        ("2023-05-04T12:00:00+01", datetime(2023, 5, 4, 11, 0, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_returns_aware_utc(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2015-11-18",
        "2015-11-18 12:17:00Z",
        "2015-11-18T25:00:00Z",
        "2015-13-01T00:00:00Z",
        "2015-11-18T12:17:00-00:00",
        "2015-11-18T12:17:00+24:00",
        "2015-11-18T12:17:00Z\n",
        "2015-1118T121700Z",
        "١٢٣٤-11-18T12:17:00Z",
    ],
)
def test_parse_timestamp_rejects(text):
    with pytest.raises(BadRequest):
        parse_timestamp(text)


def test_parse_registration():
    assert parse_registration("EC531277-B57B-4C15-8D91-D292C5B2B8F7") == uuid.UUID(
        "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    )
    for raw in (
        "wrong",
        "",
        "ec531277b57b4c158d91d292c5b2b8f7",
        "{ec531277-b57b-4c15-8d91-d292c5b2b8f7}",
    ):
        with pytest.raises(BadRequest) as caught:
            parse_registration(raw)
        assert caught.value.detail.startswith("registration:")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://example.com/a", True),
        ("urn:x:1", True),
        ("mailto:a@b.c", True),
        ("http://example.com/ünï", True),
        ("not.a.valid.iri.com/verb", False),
        ("ab=c://should.fail.com", False),
        ("http://exa mple.com", False),
        ("http://example.com/\n", False),
        ("", False),
        ("http:", False),
        (None, False),
        (5, False),
    ],
)
def test_is_iri(value, expected):
    assert is_iri(value) is expected


@pytest.mark.parametrize(
    "raw",
    [
        '{"mbox": "mailto:a@example.com"}',
        '{"objectType": "Agent", "account": {"homePage": "http://x", "name": "1"}}',
        '{"objectType": "Group", "mbox": "mailto:g@example.com"}',
    ],
)
def test_parse_agent_param_accepts_identified_agents_and_groups(raw):
    assert isinstance(parse_agent_param(raw), dict)


@pytest.mark.parametrize(
    "raw",
    [
        "wrong",
        "[]",
        '"mailto:a@example.com"',
        '{"name": "Ann"}',
        '{"mbox": "a@example.com"}',
        '{"mbox": "mailto:a@example.com", "openid": "http://x"}',
        '{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}',
    ],
)
def test_parse_agent_param_rejects(raw):
    with pytest.raises(BadRequest) as caught:
        parse_agent_param(raw, name="agent")
    assert caught.value.detail.startswith("agent")
    assert "a@example.com" not in caught.value.detail
