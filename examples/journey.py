"""A whole training journey against a running service, over HTTP, as an integrating system would.

    uv run python examples/journey.py --email admin@example.gov.cn --password 'a-long-password'

Signs in as an administrator and then, step by step: creates a training organization and a
trainer account for it; as the trainer, opens an offering (电工 level 4), registers a learner,
enrols them, records two days of classroom attendance reaching the offering's required minutes
and a passing assessment (which completes the enrolment); as the administrator again, waits for
the background job to issue the micro-credential, downloads its VC-JWT and verifies it through
the public ``POST /api/v1/verify``, as an employer would.

Every run makes a new organization, trainer, offering and person (a random valid resident ID
number: GB 11643-1999, check digit by ISO 7064 MOD 11-2), so it can be run again and again. The
ID number is sent only in a request body and never printed; responses carry its masked form.

Base URL: ``--base-url``, else ``JOURNEY_BASE_URL``, else ``SKILLS_PUBLIC_BASE_URL``, else
``http://127.0.0.1:8000``. Administrator: ``--email`` / ``--password``, else
``JOURNEY_ADMIN_EMAIL`` / ``JOURNEY_ADMIN_PASSWORD``. The credential needs the issuer's signing
key (``skills keys create``; the embedded default makes one by itself) and a running worker
(``skills serve`` starts one). Exit status: 0 the credential verified as valid, 1 a step failed,
2 usage.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
MINUTES_PER_XUESHI = 45  # 1 学时
REQUIRED_XUESHI = 16

# GB 11643-1999: the check digit is ISO 7064 MOD 11-2 over the first 17 digits ("X" is 10).
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character of 17 leading digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def example_id_number(region: str = "330203", rng: random.Random | None = None) -> str:
    """A well-formed resident ID number of someone born 1985..2000 in ``region`` (海曙区)."""
    rng = rng or random.Random()  # noqa: S311 - an example person, not a secret
    born = date(1985, 1, 1) + timedelta(days=rng.randrange(365 * 15))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


class JourneyError(RuntimeError):
    """A step failed; the message names the step and the service's problem code and detail."""


@dataclass
class Journey:
    """What the run created, by id, and the verification report of its credential."""

    organization_id: str = ""
    trainer_email: str = ""
    offering_id: str = ""
    learner_id: str = ""
    enrollment_id: str = ""
    credential: dict[str, Any] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return f"{body.get('code', '')}: {body.get('detail', '')}".strip(": ")
    return str(body)[:200]


def _call(
    http: httpx.Client, step: str, method: str, path: str, *, expect=(200, 201), **kwargs
) -> httpx.Response:
    response = http.request(method, path, **kwargs)
    if response.status_code not in expect:
        raise JourneyError(f"{step}: HTTP {response.status_code} {_problem(response)}")
    return response


def sign_in(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    """``POST /api/v1/auth/token`` (OAuth 2 password grant, a form): the bearer header."""
    token = _call(
        http,
        "sign in",
        "POST",
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
        expect=(200,),
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _create(http: httpx.Client, step: str, path: str, body: dict, auth: dict) -> dict:
    """A create call with an ``Idempotency-Key``: a client that retries it after a network
    error sends the same key and body again and gets the first answer, not a second record."""
    headers = auth | {"Idempotency-Key": str(uuid.uuid4())}
    return _call(http, step, "POST", path, json=body, headers=headers).json()


def _attendance(enrollment_id: str, first_day: date) -> list[dict]:
    """Two days of classroom attendance, 7 h and 5 h (under the 8 h daily cap): 720 minutes,
    exactly 16 学时. ``(source, external_id)`` makes each entry idempotent."""
    sessions = [
        (0, "am", (8, 30), (12, 0)),
        (0, "pm", (13, 30), (17, 0)),
        (1, "am", (8, 30), (12, 0)),
        (1, "pm", (13, 30), (15, 0)),
    ]
    entries = []
    for offset, part, start, end in sessions:
        day = first_day + timedelta(days=offset)
        entries.append(
            {
                "enrollment_id": enrollment_id,
                "source": "classroom",
                "external_id": f"attendance:{enrollment_id}:{day.isoformat()}:{part}",
                "started_at": datetime(
                    day.year, day.month, day.day, *start, tzinfo=CHINA
                ).isoformat(),
                "ended_at": datetime(day.year, day.month, day.day, *end, tzinfo=CHINA).isoformat(),
            }
        )
    return entries


def wait_for_credential(
    http: httpx.Client,
    admin: dict[str, str],
    enrollment_id: str,
    timeout: float,
    tick: Callable[[], None] | None = None,
) -> dict:
    """Poll ``GET /api/v1/credentials?basis=enrollment:<id>`` until the issuing job has run.

    Completion records the job in the same transaction; a worker issues it moments later.
    ``tick`` runs before every poll (tests pass one that runs pending jobs)."""
    deadline = time.monotonic() + timeout
    while True:
        if tick is not None:
            tick()
        page = _call(
            http,
            "find the credential",
            "GET",
            "/api/v1/credentials",
            params={"basis": f"enrollment:{enrollment_id}"},
            headers=admin,
            expect=(200,),
        ).json()
        if page["items"]:
            return page["items"][0]
        if time.monotonic() > deadline:
            raise JourneyError(
                f"no credential after {timeout:.0f} s: is a worker running, and does the issuer "
                "have a signing key (`skills keys create`)? See GET /api/v1/admin/jobs."
            )
        time.sleep(0.5)


def run_journey(
    http: httpx.Client,
    email: str,
    password: str,
    *,
    timeout: float = 120.0,
    say: Callable[[str], None] = print,
    tick: Callable[[], None] | None = None,
) -> Journey:
    """Run every step against ``http`` (an ``httpx.Client`` with the service's base URL)."""
    journey = Journey()
    today = datetime.now(CHINA).date()
    run = secrets.token_hex(3)

    admin = sign_in(http, email, password)
    say(f"signed in as {email}")

    org = _create(
        http,
        "create the organization",
        "/api/v1/organizations",
        {
            "name": "宁波市海曙区甬江职业技能培训学校",
            "kind": "training_institution",
            "district_code": "330203",
        },
        admin,
    )
    journey.organization_id = org["id"]
    say(f"organization {org['name']} ({org['id']})")

    journey.trainer_email = f"trainer-{run}@example.gov.cn"
    trainer_password = secrets.token_urlsafe(18)
    _create(
        http,
        "create the trainer",
        "/api/v1/users",
        {
            "email": journey.trainer_email,
            "password": trainer_password,
            "role": "trainer",
            "organization_id": org["id"],
            "display_name": "王建国",
        },
        admin,
    )
    trainer = sign_in(http, journey.trainer_email, trainer_password)
    say(f"trainer {journey.trainer_email} signed in")

    first_day = today - timedelta(days=2)
    offering = _create(
        http,
        "create the offering",
        "/api/v1/offerings",
        {
            "title": "电工（四级）岗位技能提升培训班",
            "occupation_code": "6-31-01-03",  # 电工
            "level": 4,
            "training_type": "upskilling",
            "funding": "subsidised",
            "mode": "offline",
            "required_minutes": REQUIRED_XUESHI * MINUTES_PER_XUESHI,
            "pass_mark": 60,
            "capacity": 40,
            "starts_on": first_day.isoformat(),
            "ends_on": (first_day + timedelta(days=30)).isoformat(),
            "district_code": "330203",
            "address": "宁波市海曙区望春工业园区云林中路 238 号",
            "latitude": 29.8683,
            "longitude": 121.4846,
        },
        trainer,
    )
    journey.offering_id = offering["id"]
    say(f"offering {offering['title']} ({offering['required_minutes']} minutes required)")

    # Create-or-find by ID number (201 new, 200 already registered): no Idempotency-Key needed.
    learner = _call(
        http,
        "register the learner",
        "POST",
        "/api/v1/learners",
        json={
            "id_number": example_id_number(),
            "name": "陈晓明",
            "phone": "13857400123",
            "district_code": "330203",
        },
        headers=trainer,
    ).json()
    journey.learner_id = learner["id"]
    say(f"learner {learner['name']} {learner['id_number_masked']}")

    enrollment = _create(
        http,
        "enrol",
        "/api/v1/enrollments",
        {"offering_id": offering["id"], "learner_id": learner["id"]},
        trainer,
    )
    journey.enrollment_id = enrollment["id"]
    subsidy = "subsidised" if enrollment["subsidised"] else "not subsidised"
    say(f"enrolment {enrollment['id']}: {enrollment['state']}, {subsidy}")

    batch = _call(
        http,
        "record attendance",
        "POST",
        "/api/v1/hours/batch",
        json={"entries": _attendance(enrollment["id"], first_day)},
        headers=trainer,
        expect=(200,),
    ).json()
    if batch["rejected"]:
        reasons = sorted({r for res in batch["results"] for r in res["reasons"]})
        raise JourneyError(f"record attendance: {batch['rejected']} rejected ({reasons})")
    minutes = sum(r["minutes"] or 0 for r in batch["results"])
    say(f"hours: {batch['accepted']} sessions accepted, {minutes} minutes")

    assessed = _call(
        http,
        "record the assessment",
        "POST",
        f"/api/v1/enrollments/{enrollment['id']}/assessment",
        json={"score": 86},
        headers=trainer,
        expect=(200,),
    ).json()
    if assessed["state"] != "completed":
        raise JourneyError(f"record the assessment: the enrolment is {assessed['state']}")
    say(f"assessment 86/100: enrolment {assessed['state']}")

    credential = wait_for_credential(http, admin, enrollment["id"], timeout, tick)
    journey.credential = credential
    say(
        f"credential {credential['id']} ({credential['achievement_slug']}), issuer "
        f"{credential['issuer_id']}"
    )

    jwt = _call(
        http, "download the credential", "GET", credential["links"]["jwt"], headers=admin
    ).text.strip()
    report = _call(
        http, "verify", "POST", "/api/v1/verify", json={"token": jwt}, expect=(200,)
    ).json()
    journey.verification = report
    say(f"verification: {report['result']} ({report['reason']})")
    return journey


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run a whole training journey against a running service.",
        epilog="Exit status: 0 the credential verified as valid, 1 a step failed, 2 usage.",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("JOURNEY_BASE_URL")
        or os.environ.get("SKILLS_PUBLIC_BASE_URL")
        or "http://127.0.0.1:8000",
        help="the service's public origin (JOURNEY_BASE_URL, else SKILLS_PUBLIC_BASE_URL)",
    )
    parser.add_argument(
        "--email",
        default=os.environ.get("JOURNEY_ADMIN_EMAIL"),
        help="an administrator's email (JOURNEY_ADMIN_EMAIL)",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get("JOURNEY_ADMIN_PASSWORD"),
        help="their password (JOURNEY_ADMIN_PASSWORD)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the credential (default 120)",
    )
    args = parser.parse_args(argv)
    if not args.email or not args.password:
        parser.error("give the administrator's --email and --password (or JOURNEY_ADMIN_*)")
    return args


def main(argv: list[str] | None = None, *, tick: Callable[[], None] | None = None) -> int:
    """Run the journey; ``tick`` runs before each poll for the credential (see
    :func:`wait_for_credential`)."""
    args = _arguments(argv)
    try:
        with httpx.Client(base_url=args.base_url.rstrip("/"), timeout=30) as http:
            journey = run_journey(http, args.email, args.password, timeout=args.timeout, tick=tick)
    except (JourneyError, httpx.HTTPError) as exc:
        print(f"journey failed: {exc}", file=sys.stderr)
        return 1
    return 0 if journey.verification.get("result") == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
