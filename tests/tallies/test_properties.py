"""Property: whatever sequence of completions, retried completions, retried or duplicated
credential records, rolled-back transactions and learner changes happens, the rollups equal a
recomputation from the source rows, and the figures equal an independent model."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.tallies.dimensions import DIMENSIONS
from service.tallies.queries import breakdown
from service.tallies.reconcile import check
from service.tallies.rollups import record_credential_issued
from service.training.completion import complete_if_due
from service.training.models import Learner
from tests.fixtures.builder import city_noon

DISTRICTS = ("330203", "330212", "330281")
GROUPS = ("rural", "migrant_worker", "veteran")
DAY0 = date(2023, 12, 20)  # completions straddle a year boundary

op = st.one_of(
    st.tuples(st.just("complete"), st.integers(0, 3), st.integers(0, 3), st.integers(0, 30)),
    st.tuples(st.just("retry"), st.integers(0, 20)),
    st.tuples(st.just("credential"), st.integers(0, 20), st.integers(1, 3)),
    st.tuples(
        st.just("move"),
        st.integers(0, 3),
        st.sampled_from(DISTRICTS),
        st.sets(st.sampled_from(GROUPS), max_size=2),
    ),
    st.tuples(st.just("rollback"), st.integers(0, 3), st.integers(0, 3), st.integers(0, 30)),
)
DIMS = tuple(DIMENSIONS)
# up to three dimensions, and a filter (or a period from the first year) on top, or none
combination = st.tuples(
    st.lists(st.sampled_from(DIMS), min_size=1, max_size=3, unique=True),
    st.sampled_from([None, ("level", 5), ("funding", "market"), ("group", "rural"), ("year", 2023),
                     ("period_to", "2023-12-31")]),
)  # fmt: skip
METRICS = ("person_times", "distinct_learners", "minutes", "hours", "credentials")


def _model_values(entry: dict, offering, dim: str) -> list[tuple]:
    """The group key(s) one modelled completion falls in, shaped like a breakdown item."""
    if dim == "group":
        return [(g,) for g in entry["groups"]]
    if dim == "cluster":
        return [(offering.cluster_version or None, offering.cluster_code or None)]
    if dim == "cluster_version":
        return [(offering.cluster_version or None,)]
    value = {
        "year": entry["year"],
        "district": entry["district"],
        "training_type": offering.training_type,
        "funding": offering.funding,
        "organization": str(offering.organization_id),
        "occupation": offering.occupation_code,
        "level": offering.level,
    }[dim]
    return [(value,)]


def _expected(model: list[dict], offerings, dims: list[str], flt) -> dict[tuple, tuple]:
    """(person-times, distinct learners) per group, counted from the model."""
    people: Counter = Counter()
    learners: dict[tuple, set] = {}
    for m in model:
        offering = offerings[m["offering"]]
        if flt is not None:
            name, want = flt
            if name == "period_to":
                if m["year"] > 2023:
                    continue
            elif not any(v == (want,) for v in _model_values(m, offering, name)):
                continue
        keys = [()]
        for dim in dims:
            values = _model_values(m, offering, dim)
            if dim == "group" and flt is not None and flt[0] == "group":
                values = [(flt[1],)]  # the filter pins the group
            keys = [k + v for k in keys for v in values]
        for key in keys:
            people[key] += 1
            learners.setdefault(key, set()).add(m["learner"])
    return {k: (people[k], len(learners[k])) for k in people}


def test_rollups_always_equal_the_recomputation(city, session):
    offerings = [
        city.add_offering(),
        city.add_offering(level=4, funding="market"),
        city.add_offering(org=city.other_org, training_type="upskilling", cluster_version="2023",
                      cluster_code="high_end_equipment"),
        city.add_offering(occupation_code="4-01-02-02", funding="enterprise_funded", level=3),
    ]  # fmt: skip
    model: list[dict] = []  # one entry per completion, as the tallies should record it

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(op, min_size=1, max_size=12), st.lists(combination, min_size=3, max_size=3))
    def run(ops, combinations):
        people = [
            city.add_learner(district=DISTRICTS[i % 3], groups=GROUPS[: i % 3]) for i in range(4)
        ]
        done: dict[tuple[int, int], object] = {}
        credited: set = set()
        for step in ops:
            kind = step[0]
            if kind in ("complete", "rollback"):
                _, p, o, d = step
                if (p, o) in done:
                    continue
                enrollment = city.add_enrollment(people[p], offerings[o])
                day = DAY0 + timedelta(days=d)
                if kind == "rollback":
                    assert complete_if_due(session, enrollment, city_noon(day))
                    session.rollback()
                    assert city.complete(enrollment, day)  # completed later, for real
                else:
                    assert city.complete(enrollment, day)
                done[(p, o)] = enrollment
                learner = session.get(Learner, people[p].id)
                model.append(
                    {
                        "learner": learner.id,
                        "year": day.year,
                        "district": learner.district_code,
                        "groups": tuple(learner.groups),
                        "offering": o,
                        "enrollment": enrollment.id,
                    }
                )
            elif kind == "retry" and done:
                enrollment = list(done.values())[step[1] % len(done)]
                assert complete_if_due(session, enrollment, city_noon(DAY0)) is False
                session.commit()
            elif kind == "credential" and done:
                enrollment = list(done.values())[step[1] % len(done)]
                for attempt in range(step[2]):  # a retried or duplicated issuance job
                    city.credential(enrollment, always_record=attempt > 0)
                record_credential_issued(session, enrollment)  # and a stray extra call
                session.commit()
                credited.add(enrollment.id)
            elif kind == "move":
                _, p, district, groups = step
                learner = session.get(Learner, people[p].id)
                learner.district_code, learner.groups = district, sorted(groups)
                session.add(learner)
                session.commit()
        for entry in model:
            if entry["enrollment"] in credited:
                entry["credential"] = True

        assert check(session) == []
        by_year_district = breakdown(session, ["year", "district"], {}, limit=1000)
        expected = Counter((m["year"], m["district"]) for m in model)
        assert {
            (r["year"], r["district"]): r["person_times"] for r in by_year_district["items"]
        } == (expected)
        distinct = {}
        for m in model:
            distinct.setdefault((m["year"], m["district"]), set()).add(m["learner"])
        assert {
            (r["year"], r["district"]): r["distinct_learners"] for r in by_year_district["items"]
        } == {k: len(v) for k, v in distinct.items()}
        totals = by_year_district["totals"]
        assert totals["person_times"] == len(model)
        assert totals["distinct_learners"] == len({m["learner"] for m in model})
        assert totals["credentials"] == sum(1 for m in model if m.get("credential"))
        groups = breakdown(session, ["group", "level"], {}, limit=1000)  # not a declared set
        want_groups: dict = {}
        for m in model:
            level = offerings[m["offering"]].level
            for g in m["groups"]:
                want_groups.setdefault((g, level), set()).add(m["learner"])
        assert {(r["group"], r["level"]): r["distinct_learners"] for r in groups["items"]} == {
            k: len(v) for k, v in want_groups.items()
        }
        assert "overlaps" in groups["sources"]

        # any combination of up to three dimensions, filtered or not: equal to the model
        for dims, flt in combinations:
            if "cluster" in dims and "cluster_version" in dims:
                dims = [d for d in dims if d != "cluster_version"]  # the cluster carries it
            filters = dict([flt]) if flt else {}
            got = breakdown(session, dims, filters, limit=1000)
            rows = {
                tuple(v for k, v in item.items() if k not in METRICS): (
                    item["person_times"],
                    item["distinct_learners"],
                )
                for item in got["items"]
            }
            assert rows == _expected(model, offerings, dims, flt), (dims, flt, got["sources"])
            assert got["sources"] != ["facts"] or flt == ("period_to", "2023-12-31")

    run()
