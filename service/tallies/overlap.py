"""Distinct learners for *any* grouping, from person-times minus repeats ("overlap" rows).

A learner counts once in a group. Order each learner's completions in time (``completed_at``,
then enrollment id); in a grouping over the columns ``E`` a completion is a *repeat* when an
earlier completion of the same learner has the same values on every column of ``E``. So

    distinct learners(group) = person-times(group) - repeats(group)

and person-times come from the rollup cells. Whether completion ``i`` is a repeat for ``E``
depends only on the *agreement masks* ``A_j`` (the columns on which it equals earlier
completion ``j``): it is one iff ``E`` is a subset of some ``A_j``. By inclusion-exclusion,

    [E within some A_j] = sum over non-empty T of (-1)^(|T|+1) [E within the AND of A_j, j in T]

which collapses to at most one signed coefficient per mask (512 masks over the 9 cell columns).
``tally_overlap`` holds those coefficients summed per (mask, group, cell). A query over ``E``
reads only rows whose mask contains ``E`` (the 2^(9-|E|) supersets: a small, indexed slice,
since a learner's trainings rarely agree on three dimensions) and subtracts them per group.

Learner groups are snapshots per completion, so per group the same is done over the learner's
completions that carry that group (``group_code``); ``''`` is every completion.
Prefix periods (up to the end of a year) stay exact because the order is chronological: the
earlier completions of one inside the period are inside it too.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence

from service.tallies.models import CELL_DIMS

BITS = {col: 1 << i for i, col in enumerate(CELL_DIMS)}
ALL = (1 << len(CELL_DIMS)) - 1
OVERLAP_KEYS = ("mask", "group_code", *CELL_DIMS)


def mask_of(columns: Iterable[str]) -> int:
    out = 0
    for col in columns:
        out |= BITS[col]
    return out


def supersets(mask: int) -> list[int]:
    """Every mask containing ``mask`` (the rows a query over ``mask`` must read)."""
    return [m for m in range(ALL + 1) if m & mask == mask]


def _agreement(a: tuple, b: tuple) -> int:
    out = 0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x == y:
            out |= 1 << i
    return out


def repeat_terms(key: tuple, earlier: Sequence[tuple]) -> dict[int, int]:
    """Signed mask coefficients of "this completion repeats one of ``earlier``" (cell keys)."""
    none_equal = {ALL: 1}  # product of (1 - [E within A_j]) as mask -> coefficient
    for other in earlier:
        a = _agreement(key, other)
        step = dict(none_equal)
        for m, c in none_equal.items():
            step[m & a] = step.get(m & a, 0) - c
        none_equal = {m: c for m, c in step.items() if c}
    repeat = {ALL: 1}
    for m, c in none_equal.items():
        repeat[m] = repeat.get(m, 0) - c
    return {m: c for m, c in repeat.items() if c}


def _order(fact: dict) -> tuple:
    return (fact["completed_at"], str(fact["enrollment_id"]))


def learner_overlaps(facts: Sequence[dict], groups: dict[uuid.UUID, list[str]]) -> Counter:
    """Overlap rows of one learner's completions: ``(mask, group_code, *cell) -> coefficient``.

    ``facts`` carry ``enrollment_id``, ``completed_at`` and the cell columns; ``groups`` maps an
    enrollment to its groups at completion.
    """
    out: Counter = Counter()
    if len(facts) < 2:
        return out
    ordered = sorted(facts, key=_order)
    units = {""} | {g for f in ordered for g in groups.get(f["enrollment_id"], ())}
    for unit in sorted(units):
        keys = [
            tuple(f[c] for c in CELL_DIMS)
            for f in ordered
            if not unit or unit in groups.get(f["enrollment_id"], ())
        ]
        for i in range(1, len(keys)):
            for m, c in repeat_terms(keys[i], keys[:i]).items():
                out[(m, unit, *keys[i])] += c
    return out


def overlap_delta(
    before: Sequence[dict], after: Sequence[dict], groups: dict[uuid.UUID, list[str]]
) -> Counter:
    """What one learner's overlap rows change by when their completions go from ``before`` to
    ``after`` (usually the new completion is the latest and only its own rows are added)."""
    delta = learner_overlaps(after, groups)
    delta.subtract(learner_overlaps(before, groups))
    return Counter({k: v for k, v in delta.items() if v})
