"""A training world for API tests: an organization, staff, the platform, learners, offerings."""

from __future__ import annotations

import functools
import itertools
from datetime import date, timedelta

import pytest

from service.core.timeutil import CITY_TZ, utcnow
from service.training.idnumber import compute_check_digit

_serial = itertools.count(100)


def make_id_number(birth: str = "19900307", region: str = "330203") -> str:
    """A valid GB 11643 number, different on each call (sequence code from a counter)."""
    body = f"{region}{birth}{next(_serial) % 1000:03d}"
    return body + compute_check_digit(body)


class World:
    """Tokens are made on first use: each sign-in costs an Argon2 hash, and most tests need
    only a few roles."""

    def __init__(self, client, make_org, make_user, login):
        self.client, self.make_user, self._login = client, make_user, login
        self.org = make_org()
        self.other_org = make_org(name="另一所学校", district="330281")
        self.today = utcnow().astimezone(CITY_TZ).date()

    def login(self, user) -> dict:
        return self._login(user)

    @functools.cached_property
    def admin(self) -> dict:
        return self.login(self.make_user("admin"))

    @functools.cached_property
    def org_admin(self) -> dict:
        return self.login(self.make_user("org_admin", org=self.org))

    @functools.cached_property
    def trainer(self) -> dict:
        return self.login(self.make_user("trainer", org=self.org))

    @functools.cached_property
    def other_trainer(self) -> dict:
        return self.login(self.make_user("trainer", org=self.other_org))

    @functools.cached_property
    def platform(self) -> dict:
        platform = self.make_user("platform")
        key = self.client.post(f"/api/v1/users/{platform.id}/api-keys", json={}, headers=self.admin)
        assert key.status_code == 201, key.text
        token = self.client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": key.json()["client_id"],
                "client_secret": key.json()["client_secret"],
            },
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def as_learner(self, learner_id) -> dict:
        return {**self.platform, "X-Learner-Id": str(learner_id)}

    def learner(self, headers=None, **fields) -> dict:
        body = {
            "id_number": make_id_number(),
            "name": "张三",
            "district_code": "330212",
            "groups": ["migrant_worker"],
        } | fields
        r = self.client.post("/api/v1/learners", json=body, headers=headers or self.trainer)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def learner_with_login(self) -> tuple[dict, dict]:
        user = self.make_user("learner")
        headers = self.login(user)
        return self.learner(headers=headers), headers

    def offering(self, headers=None, **fields) -> dict:
        start = self.today - timedelta(days=10)
        body = {
            "title": "焊工（初级）培训班",
            "occupation_code": "6-18-02-04",
            "level": 5,
            "training_type": "employment",
            "funding": "subsidised",
            "mode": "blended",
            "required_minutes": 600,
            "online_share_percent": 50,
            "pass_mark": 60,
            "capacity": 30,
            "starts_on": start.isoformat(),
            "ends_on": (self.today + timedelta(days=60)).isoformat(),
            "district_code": "330206",
            "address": "北仑区新碶街道",
            "latitude": 29.8996,
            "longitude": 121.8447,
            "cluster_version": "2025",
            "cluster_code": "nev_high_end_equipment",
        } | fields
        r = self.client.post("/api/v1/offerings", json=body, headers=headers or self.trainer)
        assert r.status_code == 201, r.text
        return r.json()

    def enroll(self, learner_id, offering_id, headers=None, **extra):
        return self.client.post(
            "/api/v1/enrollments",
            json={"offering_id": offering_id, "learner_id": learner_id} | extra,
            headers=headers or self.trainer,
        )

    def hours(self, entries, headers=None):
        r = self.client.post(
            "/api/v1/hours/batch", json={"entries": entries}, headers=headers or self.trainer
        )
        assert r.status_code == 200, r.text
        return r.json()


def session_entry(
    enrollment_id,
    external_id,
    day: date,
    start_hour: int,
    minutes: int,
    source="classroom",
    **extra,
) -> dict:
    from datetime import datetime

    start = datetime(day.year, day.month, day.day, start_hour, 0, tzinfo=CITY_TZ)
    return {
        "enrollment_id": enrollment_id,
        "source": source,
        "external_id": external_id,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
    } | extra


@pytest.fixture
def world(client, make_org, make_user, login) -> World:
    return World(client, make_org, make_user, login)


def count(session, model) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()
