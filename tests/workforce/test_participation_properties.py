"""Property: whatever sequence of roster changes, completions, employer namings and
confirmations happens, the kept participation members equal a naive recount in Python, and the
reconcile finds nothing; a member removed or added behind the service's back is found and
repaired by the reconcile."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from service.accounts.access import Principal
from service.tallies.reconcile import check, run
from service.training.models import Enrollment
from service.workforce import declarations, enterprise_training, roster
from service.workforce.models import ParticipationMember
from service.workforce.participation import stored_members
from tests.fixtures.builder import make_id_number

YEARS = (2024, 2025)
op = st.one_of(
    st.tuples(st.just("roster_add"), st.integers(0, 1), st.sampled_from(YEARS), st.integers(0, 3)),
    st.tuples(
        st.just("roster_remove"), st.integers(0, 1), st.sampled_from(YEARS), st.integers(0, 3)
    ),
    st.tuples(st.just("complete"), st.integers(0, 3), st.sampled_from(YEARS)),
    st.tuples(st.just("name"), st.integers(0, 30), st.integers(0, 2)),  # 2: no employer
    st.tuples(st.just("confirm"), st.integers(0, 30), st.booleans()),
)


@settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(op, min_size=1, max_size=14))
def test_members_equal_a_naive_recount(city, session, make_org, make_user, ops):
    session.rollback()
    admin = Principal(make_user("admin").id, "admin", None)
    orgs = [make_org(name=f"企业{i}-{uuid.uuid4().hex[:6]}", kind="enterprise") for i in range(2)]
    for org in orgs:
        for year in YEARS:
            declarations.declare_year(
                session, admin, org.id, year, headcount=10, cluster_version=None, cluster_code=None
            )
    session.commit()
    people = []
    for _ in range(4):
        number = make_id_number()
        people.append((city.add_learner(id_number=number), number))
    on_roster: set[tuple[int, int, int]] = set()
    enrolments: list[tuple[Enrollment, int, int]] = []  # (enrolment, person, year)
    employer: dict[int, tuple[int | None, bool]] = {}  # enrolment index -> (org, confirmed)

    for step in ops:
        kind = step[0]
        if kind == "roster_add":
            _, o, year, p = step
            roster.add_employees(session, admin, orgs[o].id, year, [people[p][1]])
            on_roster.add((o, year, p))
        elif kind == "roster_remove":
            _, o, year, p = step
            rows, _ = roster.list_employees(session, admin, orgs[o].id, year, 200, 0)
            wanted = people[p][1][:6] + "********" + people[p][1][-4:]
            for row in rows:
                if row.id_masked == wanted:
                    roster.remove_employee(session, admin, orgs[o].id, year, row.id)
            on_roster.discard((o, year, p))
        elif kind == "complete":
            _, p, year = step
            e = city.completion(people[p][0], city.add_offering(), date(year, 6, 15))
            enrolments.append((e, p, year))
        elif kind == "name" and enrolments:
            _, i, o = step
            i %= len(enrolments)
            target = orgs[o].id if o < 2 else None
            enterprise_training.name_employer(session, admin, enrolments[i][0].id, target)
            employer[i] = (o if o < 2 else None, False)
        elif kind == "confirm" and enrolments:
            _, i, yes = step
            i %= len(enrolments)
            named = employer.get(i, (None, False))[0]
            if named is None:
                continue
            enterprise_training.confirm(session, admin, enrolments[i][0].id, yes)
            employer[i] = (named, True) if yes else (None, False)
        session.commit()

    expected = set()
    for i, (_e, p, year) in enumerate(enrolments):
        for o in range(2):
            if (o, year, p) in on_roster or employer.get(i) == (o, True):
                expected.add((orgs[o].id, year, people[p][0].id))
    kept = {key for key in stored_members(session) if key[0] in {o.id for o in orgs}}
    assert kept == expected
    assert check(session) == []


def test_the_reconcile_finds_and_repairs_drift(city, session, engine, make_org, make_user):
    admin = Principal(make_user("admin").id, "admin", None)
    org = make_org(name="漂移企业", kind="enterprise")
    declarations.declare_year(
        session, admin, org.id, 2025, headcount=3, cluster_version=None, cluster_code=None
    )
    session.commit()
    a, a_no = city.add_learner(id_number=(n := make_id_number())), n
    roster.add_employees(session, admin, org.id, 2025, [a_no])
    session.commit()
    city.completion(a, city.add_offering(), date(2025, 4, 1))
    member = session.exec(select(ParticipationMember)).one()
    stranger = city.add_learner()
    session.delete(member)
    session.add(
        ParticipationMember(
            organization_id=org.id,
            year=2025,
            learner_id=stranger.id,
            first_completed_at=member.first_completed_at,
        )
    )
    session.commit()
    found = [d for d in check(session) if d["table"] == "participation_member"]
    assert found == [
        {"table": "participation_member", "organization_id": str(org.id), "year": 2025,
         "stored_not_in_source": 1, "missing": 1}
    ]  # fmt: skip
    result = run(engine, trigger="test")
    assert result["status"] == "drift" and result["diff_count"] >= 1
    session.expire_all()
    assert [m.learner_id for m in session.exec(select(ParticipationMember)).all()] == [a.id]
    assert check(session) == []
