"""The player's token cannot claim time before its launch: package content can read that token,
so it must not be able to lay sessions over the days before the course was opened."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from sqlmodel import select

from service.core.timeutil import utcnow
from service.packages.launch_models import LaunchSession
from tests.training.scorm_runtime_support import bearer, scorm12_course


def _launch(client, enrolled) -> str:
    launched = client.post(f"/api/v1/enrollments/{enrolled.id}/launch", headers=enrolled.headers)
    assert launched.status_code == 200, launched.text
    fragment = launched.json()["url"].split("#cfg=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(fragment + "=" * (-len(fragment) % 4)))["token"]


def _commit(client, enrolled, token, n: int, session_time: str) -> dict:
    r = client.post(
        enrolled.commit_url,
        json={
            "version": "1.2",
            "commit_id": f"c{n}",
            "sco_id": "I1",
            "runtime_session": f"s{n}",
            "sequence": 1,
            "values": {"cmi.core.session_time": session_time},
        },
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _minutes(client, enrolled) -> int:
    r = client.get(f"/api/v1/enrollments/{enrolled.id}/hours", headers=enrolled.headers)
    return r.json()["minutes"]


def test_sessions_claimed_by_the_runtime_token_stay_after_the_launch(world, client):
    enrolled = scorm12_course(world)
    token = _launch(client, enrolled)
    launch = world.session.exec(
        select(LaunchSession).where(LaunchSession.enrollment_id == uuid.UUID(enrolled.id))
    ).one()
    launch.created_at = utcnow() - timedelta(minutes=50)  # opened 50 minutes ago
    world.session.add(launch)
    world.session.commit()

    first = _commit(client, enrolled, token, 1, "0000:30:00")
    assert first["minutes_recorded"] == 30
    # Another "session" of 8 hours: only the 20 minutes left since the launch can be real.
    second = _commit(client, enrolled, token, 2, "0008:00:00")
    assert second["minutes"] == 480 and second["minutes_recorded"] == 20
    third = _commit(client, enrolled, token, 3, "0001:00:00")
    assert third["minutes_recorded"] == 0 and third["hours"] is None
    assert _minutes(client, enrolled) == 50


def test_a_runtime_token_whose_launch_is_gone_is_refused(world, client):
    enrolled = scorm12_course(world)
    token = _launch(client, enrolled)
    launch = world.session.exec(
        select(LaunchSession).where(LaunchSession.enrollment_id == uuid.UUID(enrolled.id))
    ).one()
    world.session.delete(launch)
    world.session.commit()
    refused = client.post(
        enrolled.commit_url,
        json={"version": "1.2", "commit_id": "x", "values": {}},
        headers=bearer(token),
    )
    assert refused.status_code == 403
    assert _minutes(client, enrolled) == 0
