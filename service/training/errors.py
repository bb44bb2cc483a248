"""The training domain's error: a stable code, a safe message, an HTTP status.

It *is* a :class:`~service.api.problems.Problem`, so the app's problem+json handler answers it
without every router translating; messages never contain personal data.
"""

from __future__ import annotations

from typing import Any

from service.api.problems import Problem
from service.training.states import InvalidTransition


class TrainingError(Problem):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(status, code, detail, **extra)


def not_found(what: str) -> TrainingError:
    return TrainingError(404, "not-found", f"{what} was not found.")


def invalid_transition(exc: InvalidTransition) -> TrainingError:
    """409 naming the current state (issue 4, item 4)."""
    return TrainingError(
        409,
        "invalid-state-transition",
        f"The enrollment is {exc.current}; it cannot change to {exc.target}.",
        current_state=exc.current,
        target_state=exc.target,
    )
