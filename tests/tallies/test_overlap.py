"""The repeat coefficients of ``service.tallies.overlap`` against a brute-force count: for every
one of the 512 column sets, distinct learners equal person-times minus the repeats."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from service.tallies.models import CELL_DIMS
from service.tallies.overlap import ALL, BITS, learner_overlaps, overlap_delta

T0 = datetime(2024, 1, 1, tzinfo=UTC)
# few values per column, so a learner's completions often agree on some columns
cell = st.tuples(*(st.integers(0, 1) for _ in CELL_DIMS))
learner = st.lists(st.tuples(cell, st.sets(st.sampled_from(["a", "b"]))), max_size=6)


def _facts(learners: list[list]) -> tuple[list[list[dict]], dict]:
    out, groups, n = [], {}, 0
    for completions in learners:
        facts = []
        for key, gs in completions:
            n += 1
            facts.append({"enrollment_id": n, "completed_at": T0 + timedelta(days=n)} | dict(
                zip(CELL_DIMS, key, strict=True)))  # fmt: skip
            groups[n] = sorted(gs)
        out.append(facts)
    return out, groups


def _project(fact: dict, mask: int) -> tuple:
    return tuple(fact[c] if mask & BITS[c] else None for c in CELL_DIMS)


@settings(deadline=None, max_examples=40)
@given(st.lists(learner, min_size=1, max_size=4))
def test_person_times_minus_repeats_is_distinct_learners_for_every_column_set(learners):
    all_facts, groups = _facts(learners)
    rows: Counter = Counter()
    for facts in all_facts:
        rows.update(learner_overlaps(facts, groups))
    for unit in ("", "a", "b"):
        for mask in range(ALL + 1):
            people, distinct, repeats = {}, {}, {}
            for who, facts in enumerate(all_facts):
                for f in facts:
                    if unit and unit not in groups[f["enrollment_id"]]:
                        continue
                    key = _project(f, mask)
                    people[key] = people.get(key, 0) + 1
                    distinct.setdefault(key, set()).add(who)
            for (m, g, *cellkey), n in rows.items():
                if g == unit and m & mask == mask:
                    key = _project(dict(zip(CELL_DIMS, cellkey, strict=True)), mask)
                    repeats[key] = repeats.get(key, 0) + n
            assert {k: people[k] - repeats.get(k, 0) for k in people} == {
                k: len(v) for k, v in distinct.items()
            }, (unit, mask)


@given(learner, learner)
def test_a_completion_added_in_any_order_changes_rows_by_the_delta(first, later):
    (before, after), groups = _facts([first, later])
    combined = before + after
    # the later completions happened *before* the earlier ones: the delta must reorder
    for f in after:
        f["completed_at"] = T0 - timedelta(days=f["enrollment_id"])
    want = learner_overlaps(combined, groups)
    got = learner_overlaps(before, groups)
    got.update(overlap_delta(before, combined, groups))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
