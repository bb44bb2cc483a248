"""学时 conversion and the hours guards, each hit alone, plus in-batch ordering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from service.core.timeutil import CITY_TZ
from service.training.hours_rules import (
    DAILY_CAP_EXCEEDED,
    DUPLICATE_IN_BATCH,
    ENROLLMENT_NOT_ACTIVE,
    INVALID_INTERVAL,
    ONLINE_SHARE_EXCEEDED,
    OUTSIDE_OFFERING_DATES,
    OVERLAPS_EXISTING_SESSION,
    UNKNOWN_ENROLLMENT,
    EnrollmentFacts,
    ExistingEntry,
    GuardContext,
    HoursCandidate,
    HoursSource,
    OfferingWindow,
    PersonHistory,
    evaluate_entries,
    minutes_to_xueshi,
    xueshi_to_minutes,
)
from service.training.reference_data import OfferingMode
from service.training.states import EnrollmentState

PERSON = "p1"
ENROLLMENT = "e1"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=CITY_TZ)


def offering(mode=OfferingMode.BLENDED, required=1800, share="0.5") -> OfferingWindow:
    return OfferingWindow(mode, date(2025, 3, 1), date(2025, 3, 31), required, Decimal(share))


def context(
    *,
    state=EnrollmentState.IN_PROGRESS,
    mode=OfferingMode.BLENDED,
    existing=(),
    online_minutes=0,
    required=1800,
) -> GuardContext:
    return GuardContext(
        persons={PERSON: PersonHistory.from_entries(existing)},
        enrollments={
            ENROLLMENT: EnrollmentFacts(
                ENROLLMENT, PERSON, state, offering(mode, required), online_minutes
            )
        },
    )


def classroom(ext: str, start: datetime, end: datetime | None = None, **kw) -> HoursCandidate:
    return HoursCandidate(ext, HoursSource.CLASSROOM, PERSON, ENROLLMENT, start, end, **kw)


def online(ext: str, start: datetime, minutes: int, **kw) -> HoursCandidate:
    return HoursCandidate(ext, HoursSource.XAPI, PERSON, ENROLLMENT, start, None, minutes, **kw)


def only_codes(outcome) -> list[str]:
    return [r.code for r in outcome.reasons]


# --- 学时 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "xueshi"),
    [(0, "0.00"), (45, "1.00"), (90, "2.00"), (60, "1.33"), (1799, "39.97"), (1800, "40.00")],
)
def test_minutes_to_xueshi_rounds_down(minutes, xueshi):
    assert minutes_to_xueshi(minutes) == Decimal(xueshi)


@pytest.mark.parametrize(("xueshi", "minutes"), [(40, 1800), ("0.5", 23), (Decimal("1.2"), 54)])
def test_xueshi_to_minutes_rounds_up(xueshi, minutes):
    assert xueshi_to_minutes(xueshi) == minutes


def test_conversion_rejects_bad_input():
    with pytest.raises(ValueError):
        minutes_to_xueshi(-1)
    with pytest.raises(ValueError):
        xueshi_to_minutes("-1")
    with pytest.raises(TypeError):
        xueshi_to_minutes(1.5)  # type: ignore[arg-type]


# --- guards -------------------------------------------------------------------------------


def test_clean_entry_is_accepted_with_minutes_from_interval():
    [outcome] = evaluate_entries([classroom("a", at(3, 9), at(3, 11, 30))], context())
    assert outcome.accepted and outcome.minutes == 150 and outcome.reasons == ()


@pytest.mark.parametrize(
    "candidate",
    [
        HoursCandidate("x", HoursSource.CLASSROOM, PERSON, ENROLLMENT, None, None, 30),
        classroom("x", at(3, 9)),
        classroom("x", at(3, 9), at(3, 9)),
        classroom("x", at(3, 10), at(3, 9)),
        classroom("x", at(3, 9), at(3, 10), minutes=61),
        classroom("x", at(3, 9), at(3, 10), minutes=0),
        classroom("x", datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10)),
        classroom("x", at(3, 9), at(3, 9) + timedelta(seconds=30)),
    ],
)
def test_invalid_interval(candidate):
    [outcome] = evaluate_entries([candidate], context())
    assert outcome.status == "rejected" and only_codes(outcome) == [INVALID_INTERVAL]


def test_daily_cap_alone_counts_existing_minutes_of_the_local_day():
    existing = [ExistingEntry(at(3, 8), 420, at(3, 15))]
    [outcome] = evaluate_entries(
        [classroom("a", at(3, 16), at(3, 17, 1))], context(existing=existing)
    )
    assert only_codes(outcome) == [DAILY_CAP_EXCEEDED]
    # exactly up to the cap is fine
    [outcome] = evaluate_entries([classroom("a", at(3, 16), at(3, 17))], context(existing=existing))
    assert outcome.accepted


def test_daily_cap_uses_shanghai_days_not_utc():
    # 2025-03-03 23:00 UTC is 2025-03-04 07:00 in Shanghai: a different local day.
    existing = [ExistingEntry(at(3, 8), 480, at(3, 16))]
    start = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)
    [outcome] = evaluate_entries(
        [classroom("a", start, start + timedelta(hours=1))], context(existing=existing)
    )
    assert outcome.accepted


def test_overlap_alone_and_touching_is_fine():
    existing = [ExistingEntry(at(3, 9), 60, at(3, 10))]
    [outcome] = evaluate_entries(
        [classroom("a", at(3, 9, 30), at(3, 10, 30))], context(existing=existing)
    )
    assert only_codes(outcome) == [OVERLAPS_EXISTING_SESSION]
    [outcome] = evaluate_entries([classroom("b", at(3, 10), at(3, 11))], context(existing=existing))
    assert outcome.accepted


def test_online_share_alone_for_blended():
    ctx = context(online_minutes=850)  # cap is 0.5 * 1800 = 900
    [outcome] = evaluate_entries([online("a", at(3, 9), 51)], ctx)
    assert only_codes(outcome) == [ONLINE_SHARE_EXCEEDED]
    [outcome] = evaluate_entries([online("b", at(3, 9), 50)], context(online_minutes=850))
    assert outcome.accepted


def test_online_share_does_not_apply_to_classroom_or_online_offerings():
    [outcome] = evaluate_entries([classroom("a", at(3, 9), at(3, 12))], context(online_minutes=900))
    assert outcome.accepted
    ctx = context(mode=OfferingMode.ONLINE, online_minutes=5000)
    assert evaluate_entries([online("b", at(3, 9), 60)], ctx)[0].accepted


def test_offline_offering_takes_no_online_minutes_but_import_can_be_flagged():
    ctx = context(mode=OfferingMode.OFFLINE)
    [outcome] = evaluate_entries([online("a", at(3, 9), 10)], ctx)
    assert only_codes(outcome) == [ONLINE_SHARE_EXCEEDED]
    imported = HoursCandidate("i", HoursSource.IMPORT, PERSON, ENROLLMENT, at(3, 9), None, 60)
    assert evaluate_entries([imported], context(mode=OfferingMode.OFFLINE))[0].accepted
    flagged = HoursCandidate(
        "j", HoursSource.IMPORT, PERSON, ENROLLMENT, at(3, 9), None, 60, online=True
    )
    assert only_codes(evaluate_entries([flagged], context(mode=OfferingMode.OFFLINE))[0]) == [
        ONLINE_SHARE_EXCEEDED
    ]


def test_outside_offering_dates_alone():
    [outcome] = evaluate_entries(
        [
            classroom(
                "a",
                datetime(2025, 2, 28, 9, tzinfo=CITY_TZ),
                datetime(2025, 2, 28, 10, tzinfo=CITY_TZ),
            )
        ],
        context(),
    )
    assert only_codes(outcome) == [OUTSIDE_OFFERING_DATES]
    [outcome] = evaluate_entries(
        [classroom("b", at(31, 23), datetime(2025, 4, 1, 0, 30, tzinfo=CITY_TZ))], context()
    )
    assert only_codes(outcome) == [OUTSIDE_OFFERING_DATES]


@pytest.mark.parametrize(
    "state", [EnrollmentState.COMPLETED, EnrollmentState.FAILED, EnrollmentState.WITHDRAWN]
)
def test_enrollment_not_active_alone(state):
    [outcome] = evaluate_entries([classroom("a", at(3, 9), at(3, 10))], context(state=state))
    assert only_codes(outcome) == [ENROLLMENT_NOT_ACTIVE]
    assert state.value in outcome.reasons[0].message


def test_enrolled_state_is_active():
    ctx = context(state=EnrollmentState.ENROLLED)
    assert evaluate_entries([classroom("a", at(3, 9), at(3, 10))], ctx)[0].accepted


def test_unknown_or_foreign_enrollment():
    stranger = HoursCandidate("a", HoursSource.CLASSROOM, "p2", ENROLLMENT, at(3, 9), at(3, 10))
    missing = HoursCandidate("b", HoursSource.CLASSROOM, PERSON, "nope", at(3, 9), at(3, 10))
    outcomes = evaluate_entries([stranger, missing], context())
    assert [only_codes(o) for o in outcomes] == [[UNKNOWN_ENROLLMENT], [UNKNOWN_ENROLLMENT]]


def test_several_reasons_are_all_reported():
    existing = [ExistingEntry(at(3, 8), 480, at(3, 16))]
    ctx = context(state=EnrollmentState.WITHDRAWN, existing=existing, online_minutes=900)
    [outcome] = evaluate_entries(
        [HoursCandidate("a", HoursSource.SCORM, PERSON, ENROLLMENT, at(3, 9), at(3, 10))], ctx
    )
    assert set(only_codes(outcome)) == {
        ENROLLMENT_NOT_ACTIVE,
        ONLINE_SHARE_EXCEEDED,
        OVERLAPS_EXISTING_SESSION,
        DAILY_CAP_EXCEEDED,
    }


def test_batch_is_evaluated_in_order_and_accepted_entries_count():
    batch = [
        classroom("a", at(3, 8), at(3, 12)),  # 240
        classroom("b", at(3, 11), at(3, 12, 30)),  # overlaps a
        classroom("c", at(3, 13), at(3, 16)),  # 180 -> 420
        online("d", at(3, 20), 61),  # 481 > 480: rejected whole, not clipped
        online("e", at(3, 20), 60),  # 480: fits exactly
        online("f", at(4, 9), 400),  # next day, but online share: 60 + 400 <= 900
        online("g", at(5, 9), 441),  # 60 + 400 + 441 = 901 > 900
    ]
    outcomes = evaluate_entries(batch, context())
    assert [o.status for o in outcomes] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
    ]
    assert only_codes(outcomes[1]) == [OVERLAPS_EXISTING_SESSION]
    assert only_codes(outcomes[3]) == [DAILY_CAP_EXCEEDED] and outcomes[3].minutes == 61
    assert only_codes(outcomes[6]) == [ONLINE_SHARE_EXCEEDED]


def test_rejected_entries_do_not_count_against_later_ones():
    batch = [classroom("a", at(3, 9), at(3, 10), minutes=70), classroom("b", at(3, 9), at(3, 10))]
    outcomes = evaluate_entries(batch, context())
    assert [o.status for o in outcomes] == ["rejected", "accepted"]


def test_daily_cap_spans_enrollments_of_the_person():
    ctx = context()
    ctx.enrollments["e2"] = EnrollmentFacts("e2", PERSON, EnrollmentState.IN_PROGRESS, offering())
    other = HoursCandidate("z", HoursSource.CLASSROOM, PERSON, "e2", at(3, 8), at(3, 15))
    outcomes = evaluate_entries([other, classroom("a", at(3, 15), at(3, 16, 30))], ctx)
    assert outcomes[0].accepted and only_codes(outcomes[1]) == [DAILY_CAP_EXCEEDED]


def test_duplicates_in_batch():
    first = classroom("a", at(3, 9), at(3, 10))
    same = classroom("a", at(3, 9), at(3, 10))
    conflicting = classroom("a", at(3, 9), at(3, 11))
    other_source = online("a", at(3, 13), 30)
    outcomes = evaluate_entries([first, same, conflicting, other_source], context())
    assert [o.status for o in outcomes] == ["accepted", "duplicate", "rejected", "accepted"]
    assert only_codes(outcomes[2]) == [DUPLICATE_IN_BATCH]


def test_offering_window_validation():
    with pytest.raises(ValueError):
        OfferingWindow(OfferingMode.BLENDED, date(2025, 3, 1), date(2025, 3, 31), 100, Decimal(2))
    with pytest.raises(ValueError):
        OfferingWindow(OfferingMode.BLENDED, date(2025, 3, 31), date(2025, 3, 1), 100)
