"""The enrollment state machine and the completion condition.

::

    enrolled ──> in_progress ──> completed
        │             ├────────> failed
        │             └────────> withdrawn
        └──────────────────────> withdrawn

Decisions:

- ``completed``, ``failed`` and ``withdrawn`` are terminal. In particular ``failed ->
  in_progress`` is *not* allowed: a retake is a new enrollment in a later offering. Each attempt
  keeps its own immutable record (hours, assessment, subsidy decision), a completion stays "exactly
  once" per enrollment, and the person-time tally is never undone. (Subsidy rules let a failed
  attempt be retaken with a subsidy; see :mod:`service.training.subsidy`.)
- ``enrolled -> completed``/``failed`` are not direct: the first hours entry or assessment moves
  the enrollment to ``in_progress``; the caller steps through it.
- A transition to the same state is invalid, so repeating "complete" is reported (409) instead
  of silently counting a second completion. Callers that want idempotence check
  :func:`can_transition` or the current state first.
"""

from __future__ import annotations

from enum import StrEnum


class EnrollmentState(StrEnum):
    ENROLLED = "enrolled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


ALLOWED_TRANSITIONS: dict[EnrollmentState, frozenset[EnrollmentState]] = {
    EnrollmentState.ENROLLED: frozenset({EnrollmentState.IN_PROGRESS, EnrollmentState.WITHDRAWN}),
    EnrollmentState.IN_PROGRESS: frozenset(
        {EnrollmentState.COMPLETED, EnrollmentState.FAILED, EnrollmentState.WITHDRAWN}
    ),
    EnrollmentState.COMPLETED: frozenset(),
    EnrollmentState.FAILED: frozenset(),
    EnrollmentState.WITHDRAWN: frozenset(),
}

ACTIVE_STATES: frozenset[EnrollmentState] = frozenset(
    {EnrollmentState.ENROLLED, EnrollmentState.IN_PROGRESS}
)
TERMINAL_STATES: frozenset[EnrollmentState] = frozenset(
    state for state, targets in ALLOWED_TRANSITIONS.items() if not targets
)


class InvalidTransition(Exception):
    """An enrollment cannot move from ``current`` to ``target``; maps to HTTP 409."""

    code = "invalid_state_transition"

    def __init__(self, current: EnrollmentState | str, target: EnrollmentState | str) -> None:
        self.current = str(current)
        self.target = str(target)
        super().__init__(f"enrollment is {self.current}; it cannot change to {self.target}")


def _state(value: EnrollmentState | str) -> EnrollmentState:
    try:
        return EnrollmentState(value)
    except ValueError:
        raise ValueError(f"unknown enrollment state {value!r}") from None


def can_transition(current: EnrollmentState | str, target: EnrollmentState | str) -> bool:
    return _state(target) in ALLOWED_TRANSITIONS[_state(current)]


def transition(current: EnrollmentState | str, target: EnrollmentState | str) -> EnrollmentState:
    """Return ``target`` if the move is allowed, else raise :class:`InvalidTransition`."""
    if not can_transition(current, target):
        raise InvalidTransition(_state(current), _state(target))
    return _state(target)


def is_active(state: EnrollmentState | str) -> bool:
    """Hours and progress may be recorded only for enrolled / in-progress enrollments."""
    return _state(state) in ACTIVE_STATES


def completion_due(
    required_minutes: int,
    recorded_minutes: int,
    assessment_passed: bool | None,
    *,
    assessment_required: bool = True,
) -> bool:
    """True when the required minutes are reached and the assessment (if any) is passed.

    ``assessment_passed`` is ``None`` while no result is known: that is never enough. Offerings
    without an assessment pass ``assessment_required=False``.
    """
    if required_minutes < 0 or recorded_minutes < 0:
        raise ValueError("minutes cannot be negative")
    if recorded_minutes < required_minutes:
        return False
    return assessment_passed is True or not assessment_required
