"""Import rows applied to the training domain: outcomes as the report shows them, and what the
database holds afterwards (learners, enrollments, ledger entries)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import select

from service.accounts.access import Principal
from service.core.errors import Forbidden
from service.core.timeutil import utcnow
from service.imports.kinds import apply_batch
from service.imports.rows import RowRefused
from service.imports.rows_attendance import parse_date, parse_time
from service.training.learners import create_or_find
from service.training.models import Enrollment, HoursEntry, Learner, Offering
from tests.fixtures.builder import count, make_id_number


def _principal(builder, role="trainer", org=None) -> Principal:
    user = builder.make_user(role, org=builder.org if org is None else (org or None))
    return Principal(user.id, user.role, user.organization_id)


def _apply(builder, principal, kind, rows, org=None):
    """Rows numbered as the spreadsheet shows them (data from row 2); flushed, then committed
    as the import runner does."""
    records = [(i + 2, cells) for i, cells in enumerate(rows)]
    outcomes = apply_batch(
        builder.session,
        principal,
        (org or builder.org).id,
        kind,
        records,
        import_id=uuid.uuid4(),
        now=utcnow(),
    )
    builder.session.commit()
    assert [o.row for o in outcomes] == [r for r, _ in records]
    return outcomes


def _person(builder, principal, name="李四") -> tuple[str, Learner]:
    number = make_id_number()
    learner, _ = create_or_find(
        builder.session,
        principal,
        id_number=number,
        name=name,
        district_code="330212",
        groups=[],
    )
    builder.session.commit()
    return number, learner


def _offering(builder, org=None, **fields) -> Offering:
    today = builder.today
    return builder.add_offering(
        org=org,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
        **fields,
    )


def _no_number_in(outcomes, *numbers) -> None:
    for o in outcomes:
        for n in numbers:
            assert n not in (o.message or "") and n[-6:] not in (o.message or "")


# ---- learners -------------------------------------------------------------------------------


def test_learner_rows_register_people_and_a_bad_row_stays_alone(builder):
    trainer = _principal(builder)
    good1, good2, bad = make_id_number(), make_id_number(), make_id_number()
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # wrong GB 11643 check digit
    rows = [
        {"id_number": good1, "name": "王五", "district_code": "330212", "phone": "13812345678"},
        {"id_number": bad, "name": "赵六", "district_code": "330212"},
        {
            "id_number": good2,
            "name": "钱七",
            "district_code": "330206",
            "groups": "migrant_worker、veteran",
            "groups_reason": "就业登记已核验",
        },
        {"id_number": make_id_number(), "name": "", "district_code": "330212"},
        {"id_number": make_id_number(), "name": "孙八", "district_code": "999999"},
        {
            "id_number": make_id_number(),
            "name": "周九",
            "district_code": "330212",
            "groups": "rural",
        },
    ]
    outcomes = _apply(builder, trainer, "learners", rows)
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("rejected", "id-number-check-digit"),
        ("accepted", None),
        ("rejected", "missing-value"),
        ("rejected", "unknown-district"),
        ("rejected", "groups-reason-required"),
    ]
    _no_number_in(outcomes, good1, good2, bad, "13812345678")
    assert count(builder.session, Learner) == 2
    second = builder.session.get(Learner, uuid.UUID(outcomes[2].entity_id))
    assert second.groups == ["migrant_worker", "veteran"]
    assert second.registered_by_organization_id == builder.org.id
    assert builder.session.get(Learner, uuid.UUID(outcomes[0].entity_id)).phone_masked

    again = _apply(builder, trainer, "learners", [rows[0], rows[2]])
    assert [o.outcome for o in again] == ["duplicate", "duplicate"]
    assert [o.entity_id for o in again] == [outcomes[0].entity_id, outcomes[2].entity_id]
    assert count(builder.session, Learner) == 2


def test_staff_get_an_existing_person_only_with_the_right_name(builder):
    number, learner = _person(builder, _principal(builder, org=builder.other_org), name="李四")
    trainer = _principal(builder)
    outcomes = _apply(
        builder,
        trainer,
        "learners",
        [
            {"id_number": number, "name": "张冒名", "district_code": "330212"},
            {"id_number": number, "name": "李 四", "district_code": "330212"},
        ],
    )
    assert (outcomes[0].outcome, outcomes[0].reason) == ("rejected", "holder-check-failed")
    assert outcomes[0].entity_id is None
    assert (outcomes[1].outcome, outcomes[1].entity_id) == ("duplicate", str(learner.id))
    _no_number_in(outcomes, number)


def test_the_uploader_must_belong_to_the_organization(builder):
    with pytest.raises(Forbidden):
        _apply(builder, _principal(builder, org=builder.other_org), "learners", [{}])


# ---- enrollments ----------------------------------------------------------------------------


def test_enrollment_rows_with_the_proof_of_the_person(builder):
    trainer = _principal(builder)
    own_number, own = _person(builder, trainer, name="自家学员")
    elsewhere_number, elsewhere = _person(
        builder, _principal(builder, org=builder.other_org), name="外来学员"
    )
    offering = _offering(builder)
    theirs = _offering(builder, org=builder.other_org)
    rows = [
        {"learner_id": str(own.id), "offering_id": str(offering.id)},
        {"id_number": elsewhere_number, "name": "外来学员", "offering_id": str(offering.id)},
        {"id_number": elsewhere_number, "name": "别人", "offering_id": str(offering.id)},
        {"id_number": make_id_number(), "name": "无此人", "offering_id": str(offering.id)},
        {"learner_id": str(elsewhere.id), "offering_id": str(offering.id)},  # no proof
        {"learner_id": str(own.id), "offering_id": str(offering.id)},
        {"learner_id": str(own.id), "offering_id": str(theirs.id)},
        {"learner_id": str(own.id), "offering_id": str(uuid.uuid4())},
        {"learner_id": str(uuid.uuid4()), "offering_id": str(offering.id)},
        {"learner_id": "not-a-uuid", "offering_id": str(offering.id)},
    ]
    outcomes = _apply(builder, trainer, "enrollments", rows)
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", "holder-check-failed"),
        ("rejected", "holder-check-failed"),  # unknown number: the same answer
        ("rejected", "holder-check-required"),
        ("duplicate", "already-enrolled"),
        ("rejected", "offering-not-yours"),
        ("rejected", "unknown-offering"),
        ("rejected", "unknown-learner"),
        ("rejected", "invalid-learner-id"),
    ]
    assert outcomes[2].message == outcomes[3].message
    _no_number_in(outcomes, own_number, elsewhere_number)
    proofs = {e.learner_id: e.consent_proof for e in builder.session.exec(select(Enrollment)).all()}
    assert proofs == {own.id: "registered", elsewhere.id: "holder_check"}
    assert outcomes[5].entity_id == outcomes[0].entity_id
    builder.session.expire_all()
    assert builder.session.get(Offering, offering.id).seats_taken == 2


def test_a_full_offering_rolls_back_only_its_row_and_a_rerun_is_all_duplicate(builder):
    trainer = _principal(builder)
    people = [_person(builder, trainer)[1] for _ in range(4)]
    small = _offering(builder, capacity=1, funding="market")
    large = _offering(builder, funding="market")
    rows = [
        {"learner_id": str(people[0].id), "offering_id": str(large.id)},
        {"learner_id": str(people[1].id), "offering_id": str(small.id)},
        {"learner_id": str(people[2].id), "offering_id": str(small.id)},  # enroll() flushed it
        {"learner_id": str(people[3].id), "offering_id": str(large.id)},
    ]
    outcomes = _apply(builder, trainer, "enrollments", rows)
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", "offering-full"),
        ("accepted", None),
    ]
    enrolled = builder.session.exec(select(Enrollment.learner_id)).all()
    assert sorted(map(str, enrolled)) == sorted(str(people[i].id) for i in (0, 1, 3))
    builder.session.expire_all()
    assert builder.session.get(Offering, small.id).seats_taken == 1

    rerun = _apply(builder, trainer, "enrollments", [rows[0], rows[1], rows[3]])
    assert [o.outcome for o in rerun] == ["duplicate"] * 3
    assert [o.entity_id for o in rerun] == [outcomes[i].entity_id for i in (0, 1, 3)]
    assert count(builder.session, Enrollment) == 3


def test_an_ended_offering_takes_no_enrollment(builder):
    trainer = _principal(builder)
    _, person = _person(builder, trainer)
    ended = builder.add_offering(
        starts_on=builder.today - timedelta(days=60), ends_on=builder.today - timedelta(days=1)
    )
    (outcome,) = _apply(
        builder,
        trainer,
        "enrollments",
        [{"learner_id": str(person.id), "offering_id": str(ended.id)}],
    )
    assert (outcome.outcome, outcome.reason) == ("rejected", "offering-ended")
    assert count(builder.session, Enrollment) == 0


# ---- attendance -----------------------------------------------------------------------------


def _enrolled(builder, trainer, offering, name="李四"):
    number, learner = _person(builder, trainer, name=name)
    outcomes = _apply(
        builder,
        trainer,
        "enrollments",
        [{"learner_id": str(learner.id), "offering_id": str(offering.id)}],
    )
    assert outcomes[0].outcome == "accepted"
    return number, learner


def _session(number, offering, day, start, end, mode="面授", **extra) -> dict:
    return {
        "id_number": number,
        "offering_id": str(offering.id),
        "date": day,
        "start": start,
        "end": end,
        "mode": mode,
    } | extra


def test_attendance_rows_go_to_the_ledger_with_its_rules(builder):
    trainer = _principal(builder)
    offering = _offering(builder, mode="blended", required_minutes=6000)
    theirs = _offering(builder, org=builder.other_org)
    a, learner_a = _enrolled(builder, trainer, offering, "甲")
    b, _ = _enrolled(builder, trainer, offering, "乙")
    stranger = make_id_number()
    d1 = builder.today - timedelta(days=3)
    d2 = builder.today - timedelta(days=2)
    iso, slashed, compact = d1.isoformat(), d1.strftime("%Y/%m/%d"), d1.strftime("%Y%m%d")
    rows = [
        _session(a, offering, iso, "08:00", "10:00"),
        _session(a, offering, slashed, "09:30", "11:00"),  # overlaps the first
        _session(b, offering, compact, "08:00", "10:00:00", mode="线上"),
        _session(b, offering, iso, "08:00", "10:00", mode="online"),  # the row above again
        _session(b, offering, d2.isoformat(), "08:00", "17:30"),  # over the daily cap
        _session(stranger, offering, iso, "08:00", "10:00"),
        _session(a, theirs, iso, "13:00", "14:00"),
        _session(a, offering, "2026-02-30", "13:00", "14:00"),
        _session(a, offering, iso, "25:00", "26:00"),
        _session(a, offering, iso, "13:00", "14:00", mode="飞行"),
        _session(a[:-1], offering, iso, "13:00", "14:00"),
        _session(a, offering, iso, "15:00", "14:00"),
        _session(a, offering, (builder.today + timedelta(days=2)).isoformat(), "08:00", "09:00"),
        _session(a, offering, iso, "13:00", "14:00", row_key="签到表-12"),
        _session(a, offering, iso, "", "14:00"),
    ]
    outcomes = _apply(builder, trainer, "attendance", rows)
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("rejected", "overlaps_existing_session"),
        ("accepted", None),
        ("duplicate", "already-recorded"),
        ("rejected", "daily_cap_exceeded"),
        ("rejected", "not-enrolled"),
        ("rejected", "offering-not-yours"),
        ("rejected", "invalid-date"),
        ("rejected", "invalid-time"),
        ("rejected", "invalid-mode"),
        ("rejected", "id-number-length"),
        ("rejected", "invalid_interval"),
        ("rejected", "session-in-future"),
        ("accepted", None),
        ("rejected", "missing-value"),
    ]
    _no_number_in(outcomes, a, b, stranger)
    entries = builder.session.exec(select(HoursEntry).order_by(HoursEntry.started_at)).all()
    assert len(entries) == 3 and {e.source for e in entries} == {"import"}
    assert outcomes[3].entity_id == outcomes[2].entity_id
    by_id = {str(e.id): e for e in entries}
    first, online, keyed = (by_id[outcomes[i].entity_id] for i in (0, 2, 13))
    assert (first.minutes, first.online, first.learner_id) == (120, False, learner_a.id)
    assert online.online is True
    assert keyed.external_id == f"{builder.org.id}:签到表-12"
    for e in entries:
        assert e.external_id.startswith(f"{builder.org.id}:")
        assert all(n not in e.external_id for n in (a, b))
    state = builder.session.exec(
        select(Enrollment.state).where(Enrollment.learner_id == learner_a.id)
    ).one()
    assert state == "in_progress"

    # The same sheet again (dates written another way): nothing new, every row answered.
    rerun = _apply(builder, trainer, "attendance", [rows[0], rows[2], rows[13]])
    assert [o.outcome for o in rerun] == ["duplicate"] * 3
    assert [o.entity_id for o in rerun] == [outcomes[i].entity_id for i in (0, 2, 13)]
    assert count(builder.session, HoursEntry) == 3
    as_written = _apply(
        builder, trainer, "attendance", [_session(a, offering, slashed, "8:00", "10:00:00")]
    )
    assert as_written[0].outcome == "duplicate"


def test_a_row_key_reused_for_other_content_is_refused(builder):
    trainer = _principal(builder)
    offering = _offering(builder)
    a, _ = _enrolled(builder, trainer, offering)
    day = (builder.today - timedelta(days=1)).isoformat()
    first = _apply(
        builder, trainer, "attendance", [_session(a, offering, day, "08:00", "09:00", row_key="7")]
    )
    assert first[0].outcome == "accepted"
    other = _apply(
        builder, trainer, "attendance", [_session(a, offering, day, "10:00", "11:00", row_key="7")]
    )
    assert (other[0].outcome, other[0].reason) == ("rejected", "external_id_conflict")
    assert count(builder.session, HoursEntry) == 1


def test_an_admin_imports_attendance_for_the_organization_only(builder):
    trainer = _principal(builder)
    offering = _offering(builder)
    theirs = _offering(builder, org=builder.other_org)
    a, _ = _enrolled(builder, trainer, offering)
    day = (builder.today - timedelta(days=1)).isoformat()
    admin = _principal(builder, "admin", org=False)
    outcomes = _apply(
        builder,
        admin,
        "attendance",
        [_session(a, offering, day, "08:00", "09:00"), _session(a, theirs, day, "10:00", "11:00")],
    )
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("accepted", None),
        ("rejected", "offering-not-yours"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01",
        "2026/03/01",
        "2026/3/1",
        "20260301",
        "2026年3月1日",
        "2026-03-01T00:00:00",
        "２０２６-03-01",
        "2026-03-01 00:00",
    ],
)
def test_dates_as_people_write_them(text):
    assert parse_date(text) == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-29", "01/03/2026", "2026-03-01T08:00"])
def test_dates_that_are_not(text):
    with pytest.raises(RowRefused) as refused:
        parse_date(text)
    assert refused.value.code == "invalid-date"


def test_times_since_midnight():
    assert parse_time("8:05", "start") == timedelta(hours=8, minutes=5)
    assert parse_time("08：05：30", "start") == timedelta(hours=8, minutes=5, seconds=30)
    assert parse_time("24:00", "end") == timedelta(days=1)
    for bad in ("24:01", "8.30", "830", "12:60"):
        with pytest.raises(RowRefused):
            parse_time(bad, "end")
