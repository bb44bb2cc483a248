"""A small cmi5 course and the moves a learner's browser and an AU make with it: publish, enrol,
launch, fetch the token, read LMS.LaunchData, send statements as the AU would."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from tests.support import zipkit
from tests.support.xapi import XAPI

BASE = "https://skills.test"
COURSE = "https://example.org/lms/course"
INTRO = "https://example.org/lms/au/intro"  # moveOn Completed, with an entitlement key
BLOCK = "https://example.org/lms/block/exam"
EXAM = "https://example.org/lms/au/exam"  # moveOn Passed, masteryScore 0.7
NOTES = "https://example.org/lms/au/notes"  # moveOn NotApplicable (the default)
ENTITLEMENT = "ent-intro-2026"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_CATEGORY = {
    "objectType": "Activity",
    "id": "https://w3id.org/xapi/cmi5/context/categories/cmi5",
}
MOVEON_CATEGORY = {
    "objectType": "Activity",
    "id": "https://w3id.org/xapi/cmi5/context/categories/moveon",
}
ADL = "http://adlnet.gov/expapi/verbs/"
LAUNCHED = ADL + "launched"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
STATE = "/xAPI/activities/state"

CMI5_XML = f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="{COURSE}">
    <title><langstring lang="zh-CN">安全生产</langstring></title>
    <description><langstring lang="zh-CN">d</langstring></description>
  </course>
  <au id="{INTRO}" moveOn="Completed">
    <title><langstring lang="zh-CN">导论</langstring></title>
    <description><langstring lang="zh-CN">d</langstring></description>
    <url>intro/index.html</url>
    <launchParameters>level=1</launchParameters>
    <entitlementKey>{ENTITLEMENT}</entitlementKey>
  </au>
  <block id="{BLOCK}">
    <title><langstring lang="zh-CN">考核</langstring></title>
    <description><langstring lang="zh-CN">d</langstring></description>
    <au id="{EXAM}" moveOn="Passed" masteryScore="0.7">
      <title><langstring lang="zh-CN">考试</langstring></title>
      <description><langstring lang="zh-CN">d</langstring></description>
      <url>exam/index.html</url>
    </au>
    <au id="{NOTES}">
      <title><langstring lang="zh-CN">笔记</langstring></title>
      <description><langstring lang="zh-CN">d</langstring></description>
      <url>notes/index.html</url>
    </au>
  </block>
</courseStructure>""".encode()


def course_zip() -> bytes:
    return zipkit.make_zip(
        {
            "cmi5.xml": CMI5_XML,
            "intro/index.html": zipkit.HTML,
            "exam/index.html": zipkit.HTML,
            "notes/index.html": zipkit.HTML,
        }
    )


def local(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE) :]


@dataclass
class Launch:
    """One launch as the AU sees it."""

    out: dict  # the launch answer
    url: str  # the AU's launch URL
    params: dict[str, str]
    token_headers: dict[str, str]

    @property
    def activity_id(self) -> str:
        return self.params["activityId"]

    @property
    def session_id(self) -> str:
        return self.out["session_id"]

    @property
    def actor(self) -> dict:
        return json.loads(self.params["actor"])

    @property
    def registration(self) -> str:
        return self.params["registration"]

    def statement(self, verb: str, at: datetime, *, defined: bool = True, **result) -> dict:
        """A statement as a conformant AU sends it: the LaunchData context template, the
        activityId as object."""
        categories = [CMI5_CATEGORY] if defined else []
        if defined and ("completion" in result or "success" in result):
            categories.append(MOVEON_CATEGORY)
        st: dict = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": ADL + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": self.activity_id},
            "timestamp": at.isoformat(),
            "context": {
                "registration": self.registration,
                "contextActivities": {"category": categories} if categories else {},
                "extensions": {SESSION_EXT: self.session_id},
            },
        }
        if result:
            st["result"] = result
        return st


class Course:
    """A published course of the kit, an offering using it, a learner enrolled in it."""

    def __init__(self, world, drain, required_minutes: int = 90):
        client = world.client
        self.world, self.client = world, client
        package = client.post(
            "/api/v1/packages",
            json={"title": "cmi5 安全生产", "declared_hours": "2"},
            headers=world.trainer,
        )
        assert package.status_code == 201, package.text
        self.package_id = package.json()["id"]
        up = client.post(
            f"/api/v1/packages/{self.package_id}/versions",
            headers=world.trainer,
            files={"file": ("c.zip", course_zip(), "application/zip")},
        )
        assert up.status_code == 202, up.text
        drain()
        pub = client.post(
            f"/api/v1/packages/{self.package_id}/versions/{up.json()['id']}/publish",
            headers=world.trainer,
        )
        assert pub.status_code == 200, pub.text
        self.offering = world.offering(
            mode="online", required_minutes=required_minutes, package_ids=[self.package_id]
        )
        self.person, self.learner = world.learner_with_login()
        r = client.post(
            "/api/v1/enrollments", json={"offering_id": self.offering["id"]}, headers=self.learner
        )
        assert r.status_code == 201, r.text
        self.enrollment = r.json()

    @property
    def enrollment_id(self) -> str:
        return self.enrollment["id"]

    def launch(self, unit_id: str, fetch: bool = True, **body) -> Launch:
        r = self.client.post(
            f"/api/v1/enrollments/{self.enrollment_id}/launch",
            json={"unit_id": unit_id, **body},
            headers=self.learner,
        )
        assert r.status_code == 200, r.text
        out = r.json()
        url = out.get("au_url") or out["url"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        headers: dict[str, str] = {}
        if fetch:
            answer = self.client.post(local(params["fetch"])).json()
            headers = {"Authorization": f"Basic {answer['auth-token']}", **XAPI}
        return Launch(out, url, params, headers)

    def send(self, launch: Launch, *statements: dict):
        return self.client.post(
            "/xAPI/statements", json=list(statements), headers=launch.token_headers
        )

    def launch_data(self, launch: Launch, activity_id: str | None = None):
        return self.client.get(
            STATE,
            params={
                "stateId": "LMS.LaunchData",
                "activityId": activity_id or launch.activity_id,
                "agent": launch.params["actor"],
                "registration": launch.registration,
            },
            headers=launch.token_headers,
        )

    def statements(self, verb: str) -> list[dict]:
        """The registration's statements with ``verb``, as an administrator reads them."""
        r = self.client.get(
            "/xAPI/statements",
            params={"verb": verb, "registration": self.enrollment["registration"]},
            headers={**self.world.admin, **XAPI},
        )
        assert r.status_code == 200, r.text
        return r.json()["statements"]

    def state(self) -> dict:
        r = self.client.get(f"/api/v1/enrollments/{self.enrollment_id}", headers=self.learner)
        assert r.status_code == 200, r.text
        return r.json()
