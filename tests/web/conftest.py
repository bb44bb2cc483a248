"""Fixtures for the public pages: a learner with a login and credentials, share links. (The
browser itself is the shared ``tests.fixtures.browser`` plugin.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from tests.fixtures.builder import make_id_number


@dataclass
class Holder:
    headers: dict
    learner_id: str
    subject_id: str
    id_number: str
    name: str


@pytest.fixture
def holder(world, session) -> Holder:
    """A learner who signed up with their own account (learner token)."""
    from service.training.models import Learner

    headers = world.login(world.make_user("learner"))
    number = make_id_number()
    body = world.learner(
        headers=headers, id_number=number, name="李晓明", district_code="330212", groups=[]
    )
    session.expire_all()
    row = session.exec(select(Learner).where(Learner.id == uuid.UUID(body["id"]))).one()
    return Holder(headers, str(row.id), str(row.subject_id), number, row.name)


@pytest.fixture
def holder_credential(issue, holder):
    """A credential issued to ``holder`` (the admin API), as the issue response's credential."""
    return issue(learner=holder.subject_id, id_number=holder.id_number)["credential"]


@pytest.fixture
def make_share(client, holder):
    def make(credential_id: str, show_name: bool = False, headers=None) -> dict:
        r = client.post(
            f"/api/v1/me/credentials/{credential_id}/shares",
            json={"show_name": show_name},
            headers=headers or holder.headers,
        )
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def revoke(client, admin):
    def do(credential_id: str, action: str = "revoke") -> None:
        r = client.post(
            f"/api/v1/credentials/{credential_id}/{action}",
            json={"reason": "test"},
            headers=admin,
        )
        assert r.status_code == 200, r.text

    return do


@pytest.fixture
def completions(city):
    """Completions in three years, by learners of four districts, in three clusters."""
    petrochem = city.add_offering(cluster_code="green_petrochemical", title="化工")
    equipment = city.add_offering()
    it = city.add_offering(cluster_code="next_gen_it", title="数字技术")
    plan = [
        (petrochem, "330206", date(2023, 3, 1)),
        (petrochem, "330206", date(2024, 5, 2)),
        (equipment, "330212", date(2024, 6, 3)),
        (equipment, "330212", date(2025, 1, 4)),
        (equipment, "330281", date(2025, 2, 5)),
        (it, "330281", date(2025, 3, 6)),
        (it, "330203", date(2025, 4, 7)),
    ]
    for offering, district, day in plan:
        city.completion(city.add_learner(district=district), offering, day)
    return len(plan)
