"""Enrollment state machine and the completion condition."""

from __future__ import annotations

import pytest

from service.training.states import (
    EnrollmentState as S,
)
from service.training.states import (
    InvalidTransition,
    can_transition,
    completion_due,
    is_active,
    transition,
)

ALLOWED = {
    (S.ENROLLED, S.IN_PROGRESS),
    (S.ENROLLED, S.WITHDRAWN),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.FAILED),
    (S.IN_PROGRESS, S.WITHDRAWN),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_table(current, target):
    if (current, target) in ALLOWED:
        assert transition(current, target) == target
        assert can_transition(current.value, target.value)
    else:
        with pytest.raises(InvalidTransition) as info:
            transition(current, target)
        assert f"enrollment is {current.value}" in str(info.value)
        assert info.value.current == current.value and info.value.target == target.value


def test_failed_cannot_be_resumed_and_completion_is_once():
    with pytest.raises(InvalidTransition, match="enrollment is failed"):
        transition("failed", "in_progress")
    with pytest.raises(InvalidTransition, match="enrollment is completed"):
        transition("completed", "completed")


def test_unknown_state_is_a_value_error():
    with pytest.raises(ValueError):
        transition("paused", "completed")


def test_active_states():
    assert is_active("enrolled") and is_active(S.IN_PROGRESS)
    assert not any(is_active(s) for s in (S.COMPLETED, S.FAILED, S.WITHDRAWN))


@pytest.mark.parametrize(
    ("required", "recorded", "passed", "kwargs", "due"),
    [
        (1800, 1800, True, {}, True),
        (1800, 2000, True, {}, True),
        (1800, 1799, True, {}, False),
        (1800, 1800, False, {}, False),
        (1800, 1800, None, {}, False),
        (1800, 1800, None, {"assessment_required": False}, True),
        (0, 0, True, {}, True),
    ],
)
def test_completion_due(required, recorded, passed, kwargs, due):
    assert completion_due(required, recorded, passed, **kwargs) is due


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        completion_due(-1, 0, True)
