"""A city in miniature for tally tests: learners, offerings and completions written through the
training domain's own completion path (``complete_if_due``), without HTTP, so that property
tests can run many sequences quickly. ``world`` (the API-level helper of the training tests) is
available too for end-to-end checks."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from service.core.timeutil import CITY_TZ
from service.training.completion import complete_if_due
from service.training.idnumber import compute_check_digit
from service.training.learners import cipher
from service.training.models import Enrollment, HoursEntry, Learner, Offering
from tests.training.conftest import World

_serial = itertools.count(1)


def synthetic_id_number(district: str = "330203") -> str:
    n = next(_serial)
    body = f"{district}1990{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + compute_check_digit(body)


def city_noon(day: date) -> datetime:
    """Noon in Ningbo on ``day``, as the UTC instant stored."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=CITY_TZ).astimezone(UTC)


class City:
    def __init__(self, session: Session, make_org, settings=None):
        self.session = session
        self.settings = settings
        self._key = None
        self.org = make_org(name="宁波技师学院", district="330203")
        self.other_org = make_org(name="余姚职业技术学校", district="330281")

    def learner(self, district="330212", groups=("migrant_worker",)) -> Learner:
        pii = cipher()
        number = synthetic_id_number()
        learner_id = uuid.uuid4()
        row = Learner(
            id=learner_id,
            id_fingerprint=pii.fingerprint(number),
            id_encrypted=pii.encrypt(number, context=learner_id.bytes),
            id_masked=number[:6] + "********" + number[-4:],
            name="测试学员",
            district_code=district,
            groups=list(groups),
        )
        self.session.add(row)
        self.session.commit()
        return row

    def offering(self, org=None, **fields) -> Offering:
        body = (
            dict(
                organization_id=(org or self.org).id,
                title="焊工培训班",
                occupation_code="6-18-02-04",
                level=5,
                training_type="employment",
                funding="subsidised",
                mode="offline",
                required_minutes=90,
                capacity=1000,
                starts_on=date(2023, 1, 1),
                ends_on=date(2027, 12, 31),
                district_code="330206",
                cluster_version="2025",
                cluster_code="nev_high_end_equipment",
                assessment_required=False,
            )
            | fields
        )
        row = Offering(**body)
        self.session.add(row)
        self.session.commit()
        return row

    def enroll(self, learner: Learner, offering: Offering, minutes: int = 90) -> Enrollment:
        e = Enrollment(learner_id=learner.id, offering_id=offering.id, state="in_progress")
        self.session.add(e)
        self.session.flush()
        if minutes:
            self.session.add(
                HoursEntry(
                    enrollment_id=e.id,
                    learner_id=learner.id,
                    source="import",
                    external_id=f"t-{e.id}",
                    started_at=datetime(2023, 1, 2, 1, tzinfo=UTC),
                    minutes=minutes,
                    online=False,
                )
            )
        self.session.commit()
        return e

    def complete(self, enrollment: Enrollment, day: date, session: Session | None = None) -> bool:
        s = session or self.session
        done = complete_if_due(s, enrollment, city_noon(day))
        s.commit()
        return done

    def credential(self, enrollment: Enrollment, *, always_record: bool = False):
        """Issue the credential as the ``credentials.issue`` handler does, and count it in the
        same transaction (``always_record``: also when it existed, as a careless retry would)."""
        from service.issuing.keys import ensure_issuer_key
        from service.issuing.service import issue_for_completion
        from service.tallies.rollups import record_credential_issued

        s = self.session
        if self._key is None:
            self._key = ensure_issuer_key(s, self.settings)
            s.commit()
        offering = s.get(Offering, enrollment.offering_id)
        learner = s.get(Learner, enrollment.learner_id)
        outcome = issue_for_completion(
            s,
            self.settings,
            enrollment_id=enrollment.id,
            learner_uuid=learner.subject_id,
            id_number=None,
            occupation_code=offering.occupation_code,
            level=offering.level,
            minutes=90,
            score=None,
        )
        if outcome.created or always_record:
            record_credential_issued(s, enrollment)
        s.commit()
        return outcome.credential

    def completion(self, learner, offering, day: date, minutes: int = 90) -> Enrollment:
        e = self.enroll(learner, offering, minutes)
        assert self.complete(e, day)
        return e


@pytest.fixture
def city(session, make_org, settings) -> City:
    return City(session, make_org, settings)


@pytest.fixture
def world(client, make_org, make_user, login) -> World:
    return World(client, make_org, make_user, login)


def days_ago(today: date, n: int) -> date:
    return today - timedelta(days=n)
